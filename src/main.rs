//! The `policy` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    restart_with_huge_pages();
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

/// glibc backs its heaps with 2 MB pages where the kernel gives them on
/// request (transparent huge pages in `madvise` mode, the default of most
/// distributions), but only when the `GLIBC_TUNABLES` variable says so as
/// the process starts. Checking a 20,000-flow manifest and 2,000
/// questionnaires faulted 6,500 times on fresh 4 KB pages, a third of its
/// CPU time spent in the kernel; with 2 MB pages it faults 260 times and
/// takes a fifth less time. So the command starts itself again, once, with
/// the tunable added (about 1 ms). It does not when the tunable is set
/// already (by this or by the user: `glibc.malloc.hugetlb=0` keeps it
/// off), when the kernel gives huge pages always or never, or when the
/// running executable is not the command (under valgrind or an emulator);
/// if it cannot, it goes on as it is.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn restart_with_huge_pages() {
    use std::os::unix::process::CommandExt;
    const TUNABLE: &str = "glibc.malloc.hugetlb";
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if tunables.contains(TUNABLE) {
        return;
    }
    let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
    if !mode.is_ok_and(|mode| mode.contains("[madvise]")) {
        return;
    }
    let mut args = std::env::args_os();
    let (Some(argv0), Ok(exe)) = (args.next(), std::env::current_exe()) else {
        return;
    };
    if exe.file_name() != std::path::Path::new(&argv0).file_name() {
        return;
    }
    let value = match tunables.as_str() {
        "" => format!("{TUNABLE}=1"),
        _ => format!("{tunables}:{TUNABLE}=1"),
    };
    // Returns only when the command could not be started again.
    let _ = std::process::Command::new(exe)
        .arg0(argv0)
        .args(args)
        .env("GLIBC_TUNABLES", value)
        .exec();
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn restart_with_huge_pages() {}
