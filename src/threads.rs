//! The threads the library starts (the command's own, the workers that
//! check documents, the helpers that share out a large document's rules or
//! parse half of a policy file). A program may ask for something to be
//! done at the start of each: the `policy` command advises the kernel about
//! the thread's heap (`src/main.rs`).

use std::sync::OnceLock;

static START: OnceLock<fn()> = OnceLock::new();

/// Runs `hook` at the start of every thread the library starts from now on.
/// Only the first hook set counts.
pub fn on_start(hook: fn()) {
    let _ = START.set(hook);
}

/// Called first thing on each thread the library starts.
pub(crate) fn started() {
    if let Some(hook) = START.get() {
        hook();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static STARTED: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        STARTED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn the_hook_runs_on_the_threads_the_library_starts() {
        super::on_start(count);
        let before = STARTED.load(Ordering::SeqCst);
        let mut io = crate::cli::Io::new(".".into(), Box::new(std::io::empty()));
        // The command runs on a thread of its own.
        let code = crate::cli::run(&["--version".to_string()], &mut io);
        assert_eq!(code, 0, "{}", io.stderr);
        assert!(STARTED.load(Ordering::SeqCst) > before);
    }
}
