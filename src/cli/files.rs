//! Finding and reading the files a run names.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;

/// A file found under a path the user gave, with the name to show for it.
pub struct Found {
    pub path: PathBuf,
    pub display: String,
    /// Found by searching a directory (not named on the command line).
    pub searched: bool,
}

/// Files under `path` (itself if a file) whose extension is one of `exts`,
/// sorted; directories are searched recursively, hidden ones skipped.
pub fn find(cwd: &Path, given: &str, exts: &[&str]) -> Result<Vec<Found>, Diagnostic> {
    let path = cwd.join(given);
    let meta = std::fs::metadata(&path).map_err(|e| {
        Diagnostic::error("A402", format!("cannot read `{given}`: {}", io_reason(&e)))
    })?;
    // Anything but a directory is read as it is: a file, or a pipe named
    // on the command line (`<(...)` in a shell).
    if !meta.is_dir() {
        return Ok(vec![Found {
            path,
            searched: false,
            display: given.to_string(),
        }]);
    }
    let mut out = Vec::new();
    walk(&path, given.trim_end_matches('/'), exts, &mut out);
    out.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(out)
}

fn walk(dir: &Path, display: &str, exts: &[&str], out: &mut Vec<Found>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let shown = if display.is_empty() || display == "." {
            name.clone()
        } else {
            format!("{display}/{name}")
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, &shown, exts, out),
            Ok(_) => {
                if exts.iter().any(|e| name.to_ascii_lowercase().ends_with(e)) {
                    out.push(Found {
                        searched: true,
                        path,
                        display: shown,
                    });
                }
            }
            Err(_) => {}
        }
    }
}

pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string().to_lowercase(),
    }
}

/// Reads a text file; a file that is not UTF-8 is an error naming where.
pub fn read_text(bytes: Vec<u8>, display: &str) -> Result<String, Diagnostic> {
    read_text_or_prefix(bytes, display).map_err(|(d, _)| d)
}

/// [`read_text`], which on invalid UTF-8 also gives back the valid text
/// before the bad byte (so the error can be shown in place). Never copies.
pub fn read_text_or_prefix(
    mut bytes: Vec<u8>,
    display: &str,
) -> Result<String, (Diagnostic, String)> {
    // A byte-order mark is not content (editors on Windows write one).
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let mut prefix = e.into_bytes();
        prefix.truncate(at);
        let d = Diagnostic::error(
            "A302",
            format!("`{display}` is not valid UTF-8 (invalid byte at offset {at})"),
        )
        .note("documents and policies must be UTF-8 text");
        (d, String::from_utf8(prefix).unwrap_or_default())
    })
}
