//! The `policy` command.

use std::process::ExitCode;

/// Deeply nested input is refused well before this, but evaluation recurses;
/// a large stack keeps every bounded input far from the edge.
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
            let mut io = accord::cli::Io::new(cwd, Box::new(std::io::stdin()));
            let code = accord::cli::run(&args, &mut io);
            (code, io.stdout, io.stderr)
        });
    let result = worker.and_then(|handle| {
        handle
            .join()
            .map_err(|_| std::io::Error::other("the checker stopped unexpectedly"))
    });
    match result {
        Ok((code, stdout, stderr)) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(stdout.as_bytes());
            let _ = std::io::stderr().write_all(stderr.as_bytes());
            ExitCode::from(code.clamp(0, 255) as u8)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}
