//! The decision log of `policy check --decision-log`, written by the binary on
//! the bundled example and verified by `policy log verify`: intact, then with
//! a line edited, removed, or two lines swapped.

use std::path::{Path, PathBuf};
use std::process::Command;

fn policy(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_policy"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the policy binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme")
}

fn write_log(name: &str) -> (PathBuf, Vec<String>) {
    let log = std::env::temp_dir().join(format!("accord-log-{}-{name}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let log_arg = log.display().to_string();
    for format in ["json", "sarif"] {
        let (code, out) = policy(
            &example(),
            &[
                "check",
                "documents",
                "--policy",
                "policies",
                "--today",
                "2026-11-21",
                "--format",
                format,
                "--decision-log",
                &log_arg,
            ],
        );
        assert_eq!(code, 1, "the example fails on purpose: {out}");
    }
    let text = std::fs::read_to_string(&log).expect("the log was written");
    let lines: Vec<String> = text.lines().map(String::from).collect();
    (log, lines)
}

fn verify(log: &Path, lines: &[String]) -> (i32, String) {
    std::fs::write(log, lines.join("\n") + "\n").expect("write");
    policy(&example(), &["log", "verify", &log.display().to_string()])
}

#[test]
fn a_log_records_every_document_and_verifies() {
    let (log, lines) = write_log("intact");
    // Two runs of the example: its documents and its policy rules, twice.
    let (_, json) = policy(
        &example(),
        &[
            "check",
            "documents",
            "--policy",
            "policies",
            "--today",
            "2026-11-21",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let documents = report["summary"]["documents"].as_u64().expect("count") as usize;
    assert_eq!(lines.len(), 2 * documents);
    let first: serde_json::Value = serde_json::from_str(&lines[1]).expect("each line is JSON");
    for field in [
        "time",
        "prev",
        "policy_set",
        "document",
        "verdict",
        "results",
        "waivers",
        "hash",
    ] {
        assert!(first.get(field).is_some(), "no `{field}` in {first}");
    }
    assert_eq!(first["document"]["sha256"].as_str().map(str::len), Some(64));
    let (code, out) = verify(&log, &lines);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{} entries, chain intact", lines.len())),
        "{out}"
    );
    // A waiver used by the example shows in the log.
    assert!(
        lines.iter().any(|l| l.contains("\"waivers\":[\"")),
        "no waiver recorded"
    );
    let _ = std::fs::remove_file(log);
}

#[test]
fn an_edited_line_is_caught() {
    let (log, mut lines) = write_log("edited");
    let i = lines
        .iter()
        .position(|l| l.contains("\"outcome\":\"fail\""))
        .expect("a failure");
    lines[i] = lines[i].replacen("\"outcome\":\"fail\"", "\"outcome\":\"pass\"", 1);
    let (code, out) = verify(&log, &lines);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(":{}: the chain is broken", i + 1)),
        "{out}"
    );
    assert!(out.contains("edited"), "{out}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_deleted_line_is_caught() {
    let (log, mut lines) = write_log("deleted");
    lines.remove(3);
    let (code, out) = verify(&log, &lines);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":4: the chain is broken"), "{out}");
    assert!(out.contains("removed"), "{out}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn swapped_lines_are_caught() {
    let (log, mut lines) = write_log("swapped");
    lines.swap(2, 5);
    let (code, out) = verify(&log, &lines);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":3: the chain is broken"), "{out}");
    let _ = std::fs::remove_file(log);
}

#[test]
fn a_damaged_log_is_not_extended() {
    let (log, mut lines) = write_log("damaged");
    lines.push("not an entry".into());
    std::fs::write(&log, lines.join("\n") + "\n").expect("write");
    let (code, out) = policy(
        &example(),
        &[
            "check",
            "documents",
            "--policy",
            "policies",
            "--decision-log",
            &log.display().to_string(),
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not an intact decision log"), "{out}");
    let _ = std::fs::remove_file(log);
}
