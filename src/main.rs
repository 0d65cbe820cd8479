//! The `policy` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let mut io = accord::cli::Io::new(cwd, Box::new(std::io::stdin()));
    // Colour for people at a terminal, unless they opted out (no-color.org).
    io.color = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        io.progress = Some(Box::new(std::io::stderr()));
    }
    io.step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    io.out = Some(Box::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout(),
    )));
    let code = accord::cli::run(&args, &mut io);
    use std::io::Write;
    if let Some(mut out) = io.out.take() {
        let _ = out.flush();
    }
    let _ = std::io::stdout().write_all(io.stdout.as_bytes());
    let _ = std::io::stderr().write_all(io.stderr.as_bytes());
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// glibc's allocator gives memory back to the system as soon as a thread's
/// heap shrinks by 128 KB, and grows it again page by page: reading one
/// file after another, a check spent a tenth of its time in `mprotect` and
/// in page faults on memory it had just returned. Keep up to 64 MB of freed
/// memory per heap, and grow heaps 32 MB at a time (address space, not
/// memory, until it is used).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called before
    // any thread starts, and takes plain integers.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
