//! `policy fmt [--check] [PATH...]`: prints policy files in the one canonical
//! layout (see `crate::syntax::fmt`), keeping every comment.
//!
//! Files are rewritten in place and the names of those that changed are
//! printed. With `--check` nothing is written: the names of the files that
//! would change are printed and the exit status is 1. Without a PATH every
//! `.policy` file under the current directory is formatted (hidden
//! directories and `target/` are skipped); `-` formats standard input to
//! standard output. A file with syntax errors is left alone and its errors
//! are reported (exit status 2).

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::files::{io_reason, read_text};
use super::Io;
use crate::diagnostic::Diagnostic;
use crate::report::human::render_diagnostic;
use crate::source::SourceMap;

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when every file is formatted (or has been); 1 with --check when a file would change; 2 when a file cannot be read or has syntax errors."
)]
pub struct FmtArgs {
    /// Policy files or directories (default: the current directory); `-` reads standard input
    pub paths: Vec<String>,
    /// Change nothing; exit 1 and name the files that would change
    #[arg(long)]
    pub check: bool,
}

/// A file to format and the name to show for it.
struct Target {
    path: PathBuf,
    display: String,
}

pub fn run(args: FmtArgs, io: &mut Io) -> i32 {
    let mut sources = SourceMap::new();
    let mut failed = false;
    let mut changed = 0usize;
    let paths = if args.paths.is_empty() {
        vec![".".to_string()]
    } else {
        args.paths.clone()
    };
    for given in &paths {
        if given == "-" {
            let mut bytes = Vec::new();
            if let Err(e) = io.stdin.read_to_end(&mut bytes) {
                io.stderr.push_str(&format!(
                    "error: cannot read standard input: {}\n",
                    io_reason(&e)
                ));
                failed = true;
                continue;
            }
            let text = match read_text(bytes, "<stdin>") {
                Ok(text) => text,
                Err(d) => {
                    io.stderr.push_str(&render_diagnostic(&sources, &d));
                    failed = true;
                    continue;
                }
            };
            match format_one(&mut sources, "<stdin>", &text, io) {
                Some(formatted) if args.check => {
                    if formatted != text {
                        io.stdout.push_str("<stdin>\n");
                        changed += 1;
                    }
                }
                Some(formatted) => io.stdout.push_str(&formatted),
                None => failed = true,
            }
            continue;
        }
        let targets = match find(&io.cwd, given) {
            Ok(targets) => targets,
            Err(d) => {
                io.stderr.push_str(&render_diagnostic(&sources, &d));
                failed = true;
                continue;
            }
        };
        for target in targets {
            let bytes = match std::fs::read(&target.path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    let d = Diagnostic::error(
                        "A402",
                        format!("cannot read `{}`: {}", target.display, io_reason(&e)),
                    );
                    io.stderr.push_str(&render_diagnostic(&sources, &d));
                    failed = true;
                    continue;
                }
            };
            let original = String::from_utf8_lossy(&bytes).into_owned();
            let text = match read_text(bytes, &target.display) {
                Ok(text) => text,
                Err(d) => {
                    io.stderr.push_str(&render_diagnostic(&sources, &d));
                    failed = true;
                    continue;
                }
            };
            let Some(formatted) = format_one(&mut sources, &target.display, &text, io) else {
                failed = true;
                continue;
            };
            if formatted == original {
                continue;
            }
            if !args.check {
                if let Err(e) = std::fs::write(&target.path, &formatted) {
                    io.stderr.push_str(&format!(
                        "error: cannot write `{}`: {}\n",
                        target.display,
                        io_reason(&e)
                    ));
                    failed = true;
                    continue;
                }
            }
            io.stdout.push_str(&target.display);
            io.stdout.push('\n');
            changed += 1;
        }
    }
    if failed {
        return 2;
    }
    if args.check && changed > 0 {
        let files = if changed == 1 { "file is" } else { "files are" };
        io.stderr.push_str(&format!(
            "{changed} {files} not formatted: run `policy fmt` to format\n"
        ));
        return 1;
    }
    0
}

/// The formatted text, or `None` after reporting its syntax errors.
fn format_one(sources: &mut SourceMap, name: &str, text: &str, io: &mut Io) -> Option<String> {
    let file = sources.add(name, text);
    match crate::syntax::fmt::format(file, text) {
        Ok(formatted) => Some(formatted),
        Err(diagnostics) => {
            for d in diagnostics.iter().filter(|d| d.is_error()) {
                io.stderr.push_str(&render_diagnostic(sources, d));
            }
            None
        }
    }
}

/// The file `given`, or the `.policy` files under the directory `given`
/// (sorted; hidden directories and `target/` skipped).
fn find(cwd: &Path, given: &str) -> Result<Vec<Target>, Diagnostic> {
    let path = cwd.join(given);
    let meta = std::fs::metadata(&path).map_err(|e| {
        Diagnostic::error("A402", format!("cannot read `{given}`: {}", io_reason(&e)))
    })?;
    if meta.is_file() {
        return Ok(vec![Target {
            path,
            display: given.to_string(),
        }]);
    }
    let mut out = Vec::new();
    let display = given.trim_end_matches('/');
    walk(&path, if display == "." { "" } else { display }, &mut out);
    out.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(out)
}

fn walk(dir: &Path, display: &str, out: &mut Vec<Target>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let shown = if display.is_empty() {
            name.clone()
        } else {
            format!("{display}/{name}")
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                if name != "target" {
                    walk(&entry.path(), &shown, out);
                }
            }
            Ok(_) => {
                if name.ends_with(".policy") {
                    out.push(Target {
                        path: entry.path(),
                        display: shown,
                    });
                }
            }
            Err(_) => {}
        }
    }
}
