//! `policy check --base REV` in a throwaway git repository: a dictionary is
//! committed, then changed (a pii field added, a field renamed, a mapping
//! changed); each change is blocked without a change request, blocked with
//! one that lacks the IT steward's approval, and passes with a fully
//! approved one.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const POLICY: &str = "\
import std.change
role hr_director { department hr }
role it_steward { department it }
system hris { kind \"app\"  owner it_steward }
system ats { kind \"app\"  owner it_steward }
data employee_records { classification confidential  owner hr_director  steward it_steward  system_of_record hris  writers [hris] }
";

const DICTIONARY: &str = "\
kind: data_dictionary
id: hr
systems:
  - name: ats
    fields:
      - { name: start_date, type: date, data: employee_records }
  - name: hris
    fields:
      - { name: employee_id, type: string, data: employee_records }
      - { name: begin_date, type: date, data: employee_records }
      - { name: hire_date, type: date, data: employee_records }
mappings:
  - fields: [ats.start_date, hris.begin_date]
";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with the policy and the dictionary committed.
fn repository(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("accord-base-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["policies", "dictionary", "changes"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    std::fs::write(dir.join("policies/main.policy"), POLICY).expect("write");
    std::fs::write(dir.join("dictionary/hr.yaml"), DICTIONARY).expect("write");
    git(&dir, &["init", "-q"]);
    git(&dir, &["config", "user.email", "ci@example.com"]);
    git(&dir, &["config", "user.name", "CI"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "base"]);
    dir
}

fn check(dir: &Path, base: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_policy"))
        .args([
            "check",
            "changes",
            "--policy",
            "policies",
            "--today",
            "2026-11-22",
            "--format",
            "json",
            "--base",
            base,
        ])
        .current_dir(dir)
        .output()
        .expect("policy runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code().unwrap_or(-1), json)
}

/// The messages of the failing schema-change results.
fn blocked(json: &Value) -> Vec<String> {
    json["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["kind"] == "schema_changes")
        .flat_map(|d| d["results"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["outcome"] == "fail")
        .map(|r| {
            format!(
                "{} @ {}:{}",
                r["message"].as_str().unwrap_or(""),
                r["location"]["path"].as_str().unwrap_or(""),
                r["location"]["line"]
            )
        })
        .collect()
}

fn change_request(entries: &str, approvals: &[&str]) -> String {
    let approvals: String = approvals
        .iter()
        .map(|role| format!("  - {{ role: {role}, name: someone }}\n"))
        .collect();
    format!("kind: change_request\nid: cr-1\ntitle: the change\nchanges:\n{entries}approvals:\n{approvals}")
}

/// The three stages of one change: no change request, one without the IT
/// steward, one fully approved.
fn stages(name: &str, edit: impl Fn(&str) -> String, entries: &str, expect: &str) {
    let dir = repository(name);
    std::fs::write(dir.join("dictionary/hr.yaml"), edit(DICTIONARY)).expect("write");
    let (code, json) = check(&dir, "HEAD");
    assert_eq!(code, 1, "{json}");
    let messages = blocked(&json);
    assert!(
        messages.iter().any(|m| m.contains(expect)
            && m.contains("has no change request")
            && m.contains("dictionary/hr.yaml")),
        "{name}, no change request: {messages:?}"
    );
    std::fs::write(
        dir.join("changes/cr.yaml"),
        change_request(entries, &["hr_director"]),
    )
    .expect("write");
    let (code, json) = check(&dir, "HEAD");
    assert_eq!(code, 1, "{json}");
    let messages = blocked(&json);
    assert!(
        messages
            .iter()
            .any(|m| m.contains(expect) && m.contains("not approved") && m.contains("it_steward")),
        "{name}, without the steward: {messages:?}"
    );
    std::fs::write(
        dir.join("changes/cr.yaml"),
        change_request(entries, &["hr_director", "it_steward"]),
    )
    .expect("write");
    let (code, json) = check(&dir, "HEAD");
    assert_eq!(code, 0, "{name}, approved: {json}");
    assert!(blocked(&json).is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_new_pii_field() {
    stages(
        "pii",
        |d| {
            d.replace(
            "      - { name: hire_date,",
            "      - { name: national_id, type: string, data: employee_records, pii: true }\n      - { name: hire_date,",
        )
        },
        "  - { kind: add_field, system: hris, field: national_id, data: employee_records }\n",
        "add_field hris.national_id",
    );
}

#[test]
fn a_renamed_field() {
    stages(
        "rename",
        |d| d.replace("name: employee_id,", "name: worker_id,"),
        "  - { kind: rename_field, system: hris, field: employee_id, data: employee_records, before: employee_id, after: worker_id }\n",
        "rename_field hris.employee_id",
    );
}

#[test]
fn a_changed_mapping() {
    stages(
        "mapping",
        |d| d.replace("[ats.start_date, hris.begin_date]", "[ats.start_date, hris.hire_date]"),
        "  - { kind: change_mapping, system: ats, field: start_date, data: employee_records }\n  - { kind: change_mapping, system: hris, field: begin_date, data: employee_records }\n  - { kind: change_mapping, system: hris, field: hire_date, data: employee_records }\n",
        "change_mapping ats.start_date",
    );
}

#[test]
fn a_missing_base_says_to_fetch_it() {
    let dir = repository("missing");
    let (code, json) = check(&dir, "origin/main");
    assert_eq!(code, 2);
    let message = json["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        message.contains("`origin/main` is not in this repository"),
        "{message}"
    );
    assert!(
        message.contains("git fetch --depth=1 origin main"),
        "{message}"
    );
    // A shallow clone of one commit has no parent to compare with.
    std::fs::write(dir.join("extra.txt"), "x").expect("write");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "second"]);
    let clone = dir.with_extension("clone");
    let _ = std::fs::remove_dir_all(&clone);
    let url = format!("file://{}", dir.display());
    git(
        dir.parent().expect("parent"),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            &clone.display().to_string(),
        ],
    );
    let (code, json) = check(&clone, "HEAD~1");
    assert_eq!(code, 2, "{json}");
    let message = json["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains("shallow clone"), "{message}");
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(clone);
}

#[test]
fn no_change_no_finding() {
    let dir = repository("unchanged");
    let (code, json) = check(&dir, "HEAD");
    assert_eq!(code, 0, "{json}");
    let doc = json["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["kind"] == "schema_changes")
        .cloned()
        .expect("the schema_changes document");
    assert_eq!(doc["verdict"], "pass");
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(0));
    let _ = std::fs::remove_dir_all(dir);
}
