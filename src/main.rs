//! The `policy` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
    accord::threads::on_start(advise_huge_pages);
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

/// glibc gives each thread a heap of its own: 64 MB of address space,
/// aligned on 64 MB, made usable as it grows. Its memory comes in 4 KB
/// pages, each faulted in and cleared when first touched: checking a
/// 20,000-flow manifest and 2,000 questionnaires faulted 6,500 times, and a
/// third of its CPU time went to the kernel. Advised to, the kernel backs
/// the heap with 2 MB pages where it can (transparent huge pages in
/// `madvise` mode, the default of most distributions; nothing changes where
/// they are always or never used): 1,400 faults, and the run takes a sixth
/// less time. (glibc's `glibc.malloc.hugetlb=1` tunable would do this for
/// every heap, but it is read only as a process starts, and glibc 2.36
/// compares an unterminated buffer when it reads the kernel's mode, so it
/// takes effect in about half the runs.) Called on each thread the library
/// starts, after its first allocation: the part of the heap touched before
/// keeps its small pages.
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
fn advise_huge_pages() {
    /// glibc's `HEAP_MAX_SIZE` on 64-bit targets.
    const HEAP: usize = 64 << 20;
    // Where an allocation of this thread lands tells where its heap is (a
    // tiny one may still come from the heap of the thread that started it).
    let probe = vec![0u8; 4096];
    let heap = (probe.as_ptr() as usize) & !(HEAP - 1);
    // SAFETY: madvise only advises the kernel about a range of address
    // space; MADV_HUGEPAGE changes no contents or permissions. Should the
    // range not be the thread's heap, the advice is as harmless elsewhere
    // (unmapped parts make the call fail, which is ignored).
    unsafe {
        libc::madvise(heap as *mut libc::c_void, HEAP, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
fn advise_huge_pages() {}
