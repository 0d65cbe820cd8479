//! The decision log of `policy check --decision-log FILE`: one JSON line per
//! checked document, each hashed together with the hash of the line before it,
//! so that an edited, removed or reordered line breaks the chain.
//!
//! A line is `{...,"prev":"<hex>",...,"hash":"<hex>"}`. Its hash is the
//! SHA-256 of the previous line's hash (64 zeros for the first line), a
//! newline, and the line's exact bytes up to (not including) `,"hash":"`.
//! Verifying re-hashes those bytes: nothing is re-serialised, so the check
//! does not depend on how JSON is formatted.

use std::io::Write;
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::eval::rules::source_info;
use crate::eval::Outcome;
use crate::{CheckedDocument, Engine};

/// The `prev` of the first line of a log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_FIELD: &str = ",\"hash\":\"";

/// An open log, appended to as documents are checked.
pub struct DecisionLog {
    file: std::fs::File,
    prev: String,
    policy_set: String,
    time: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(text: &[u8]) -> String {
    hex(&Sha256::digest(text))
}

/// The hash chained after `prev` for a line whose bytes before the hash are `body`.
fn chain(prev: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex(&h.finalize())
}

/// The policy set as checked: every file of it (the standard library modules
/// it imports too), by name and text, in the order the set reads them.
fn policy_set_hash(engine: &Engine) -> String {
    let mut h = Sha256::new();
    for &file in &engine.set.files {
        h.update(engine.sources.name(file).as_bytes());
        h.update(b"\0");
        h.update(engine.sources.text(file).as_bytes());
        h.update(b"\0");
    }
    hex(&h.finalize())
}

/// Now, as `2026-11-22T08:30:00Z`.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i32;
    let rest = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::time::format_date(days),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl DecisionLog {
    /// Opens (or creates) the log at `path` to append to it. A log whose last
    /// line is not a chained entry is refused: appending would hide the damage.
    pub fn open(path: &Path, engine: &Engine) -> Result<DecisionLog, String> {
        let prev = match std::fs::read(path) {
            Ok(bytes) if bytes.is_empty() => GENESIS.to_string(),
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                // Extending a broken or torn log would hide the damage.
                if !text.ends_with('\n') {
                    return Err(format!(
                        "`{}` does not end with a complete line; run `policy log verify` on it",
                        path.display()
                    ));
                }
                match verify(&text) {
                    Ok((_, last)) => last,
                    Err(broken) => {
                        return Err(format!(
                            "`{}` is not an intact decision log (line {}: {}); it is not extended",
                            path.display(),
                            broken.line,
                            broken.reason
                        ))
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => GENESIS.to_string(),
            Err(e) => {
                return Err(format!(
                    "cannot read `{}`: {}",
                    path.display(),
                    super::files::io_reason(&e)
                ))
            }
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                format!(
                    "cannot write `{}`: {}",
                    path.display(),
                    super::files::io_reason(&e)
                )
            })?;
        Ok(DecisionLog {
            file,
            prev,
            policy_set: policy_set_hash(engine),
            time: now_utc(),
        })
    }

    /// Appends the entry of one checked document (its file's text must still
    /// be in the engine's sources).
    pub fn record(&mut self, engine: &Engine, doc: &CheckedDocument) -> std::io::Result<()> {
        let document_hash = if doc.kind == "policy" {
            self.policy_set.clone()
        } else {
            let text = doc
                .start
                .file()
                .map(|f| engine.sources.text(f))
                .unwrap_or("");
            sha256(text.as_bytes())
        };
        let results: Vec<serde_json::Value> = doc
            .report
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::NotApplicable)
            .map(|r| {
                json!({
                    "rule": source_info(&engine.set, r.source).id,
                    "outcome": r.outcome.word(),
                })
            })
            .collect();
        let mut waivers: Vec<&str> = doc
            .report
            .results
            .iter()
            .filter_map(|r| r.waiver)
            .filter_map(|w| engine.set.waivers.get(w).map(|w| w.name.as_str()))
            .collect();
        waivers.sort_unstable();
        waivers.dedup();
        let entry = json!({
            "time": self.time,
            "prev": self.prev,
            "policy_set": self.policy_set,
            "document": {
                "path": doc.path,
                "kind": doc.kind,
                "id": doc.id,
                "sha256": document_hash,
            },
            "verdict": doc.report.verdict.word(),
            "results": results,
            "waivers": waivers,
        });
        let mut body = serde_json::to_string(&entry).unwrap_or_default();
        body.pop(); // the closing brace: the hash goes inside the object
        let hash = chain(&self.prev, &body);
        // One write a line: an interrupted run leaves a whole line or none.
        let line = format!("{body}{HASH_FIELD}{hash}\"}}\n");
        self.file.write_all(line.as_bytes())?;
        self.prev = hash;
        Ok(())
    }
}

/// A line's bytes before its hash, and the hash.
fn split_line(line: &str) -> Option<(&str, &str)> {
    let at = line.rfind(HASH_FIELD)?;
    let body = line.get(..at)?;
    let hash = line.get(at + HASH_FIELD.len()..)?.strip_suffix("\"}")?;
    let is_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    is_hash.then_some((body, hash))
}

/// The `prev` a line declares.
fn declared_prev(body: &str) -> Option<&str> {
    let at = body.find("\"prev\":\"")? + "\"prev\":\"".len();
    body.get(at..at + 64)
}

/// Where a log's chain breaks.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// Checks a whole log; returns the number of entries and the last hash.
pub fn verify(text: &str) -> Result<(usize, String), Broken> {
    let mut prev = GENESIS.to_string();
    let mut entries = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let broken = |reason: &str| Broken {
            line: i + 1,
            reason: reason.to_string(),
        };
        let Some((body, hash)) = split_line(line) else {
            return Err(broken("not a decision log entry (no hash at its end)"));
        };
        if declared_prev(body) != Some(prev.as_str()) {
            return Err(broken(if entries == 0 {
                "the first entry does not start the chain: lines before it were removed"
            } else {
                "its `prev` is not the hash of the line before: a line was removed, added or moved here"
            }));
        }
        if chain(&prev, body) != hash {
            return Err(broken(
                "its hash does not match its content: the line was edited",
            ));
        }
        prev = hash.to_string();
        entries += 1;
    }
    Ok((entries, prev))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prev: &str, n: usize) -> (String, String) {
        let body = format!("{{\"time\":\"t\",\"prev\":\"{prev}\",\"n\":{n}");
        let hash = chain(prev, &body);
        (format!("{body}{HASH_FIELD}{hash}\"}}"), hash)
    }

    fn log(n: usize) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let (line, hash) = entry(&prev, i);
                prev = hash;
                line
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let lines = log(4);
        let (n, _) = verify(&lines.join("\n")).expect("intact");
        assert_eq!(n, 4);
    }

    #[test]
    fn an_edited_line_is_caught() {
        let mut lines = log(4);
        lines[2] = lines[2].replace("\"n\":2", "\"n\":7");
        assert_eq!(verify(&lines.join("\n")).unwrap_err().line, 3);
    }

    #[test]
    fn a_removed_line_is_caught() {
        let mut lines = log(4);
        lines.remove(1);
        assert_eq!(verify(&lines.join("\n")).unwrap_err().line, 2);
        let mut lines = log(4);
        lines.remove(0);
        assert_eq!(verify(&lines.join("\n")).unwrap_err().line, 1);
    }

    #[test]
    fn swapped_lines_are_caught() {
        let mut lines = log(4);
        lines.swap(1, 2);
        assert_eq!(verify(&lines.join("\n")).unwrap_err().line, 2);
    }
}
