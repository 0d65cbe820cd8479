//! Waivers mean the same everywhere. Each situation (an active waiver, an
//! expired one, one approved by one department only, one naming a rule that
//! does not fail, one for another document, ...) is checked through every
//! channel a result reaches people by: `policy check` in every output format
//! (human, json, sarif, junit, github with its job summary), `policy score`,
//! `policy test`, and the language server's live verdicts. Each must give the
//! same outcome for every rule (waived, failed or passed) and the same
//! verdict for every document, and that must be what the contract says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use accord::ide::Workspace;
use accord_lsp::analysis::{Analysis, Severity};
use serde_json::Value;

/// The date of the command-line runs. The language server evaluates on the
/// real date, so waivers that it also sees end long before or long after.
const TODAY: &str = "2026-11-21";
const LONG_AGO: &str = "2020-01-01";
const FAR_AHEAD: &str = "2999-12-31";

/// The rules every situation is checked with.
const POLICY: &str = r#"role hr_director "HR Director" { department hr }
role hr_ops "HR Operations" { department hr }
role cio "Chief Information Officer" { department it }
role it_security "IT Security" { department it }
role counsel "Employment counsel" { department legal }

requirements q "Vendor requirements" {
  applies questionnaire
  must soc2 "SOC 2 report" { require "SOC 2 Type II" in vendor.certifications }
  must at_rest "Encryption at rest" { require vendor.encryption.at_rest }
  must no_self "No self-assessed certification" {
    each c in vendor.certifications
    require c != "self-assessed"
  }
  should residency "Data stays in the EU" { weight 3  require vendor.data_residency == "EU" }
  should saml "SAML single sign-on" { require vendor.sso.saml }
  may webhooks "Webhooks" { require vendor.integration.webhooks }
}
"#;

/// What is wrong with a vendor's answers.
#[derive(Clone, Copy, PartialEq)]
enum Gap {
    NoSoc2,
    /// No encryption answer at all: `q.at_rest` is indeterminate.
    NoEncryption,
    /// Two self-assessed certifications: two failing results of `q.no_self`.
    SelfAssessed,
    UsResidency,
    NoSaml,
    NoWebhooks,
}

fn questionnaire(id: &str, gaps: &[Gap]) -> String {
    let has = |g: Gap| gaps.contains(&g);
    let mut certs = vec![];
    if !has(Gap::NoSoc2) {
        certs.push("\"SOC 2 Type II\"");
    }
    certs.push("\"ISO 27001\"");
    if has(Gap::SelfAssessed) {
        certs.extend(["\"self-assessed\"", "\"self-assessed\""]);
    }
    let mut text = format!(
        "kind: questionnaire\nid: {id}\nvendor:\n  name: {id} Inc.\n  certifications: [{}]\n",
        certs.join(", ")
    );
    if !has(Gap::NoEncryption) {
        text.push_str("  encryption: { at_rest: true }\n");
    }
    text.push_str(&format!(
        "  data_residency: {}\n  sso: {{ saml: {} }}\n  integration: {{ webhooks: {} }}\n",
        if has(Gap::UsResidency) { "US" } else { "EU" },
        !has(Gap::NoSaml),
        !has(Gap::NoWebhooks),
    ));
    text
}

/// A rule's outcome on a document as every channel can tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `fail` or `indeterminate`.
    Failed,
    Waived,
}

use Class::{Failed as F, Waived as W};

/// What the contract says of one document: its id, its verdict, and the
/// class of every rule that did not pass.
type Expectation = (&'static str, &'static str, Vec<(&'static str, Class)>);

/// One situation: its waivers, its documents and what the contract says of
/// each document (verdict, and every rule that did not pass).
struct Situation {
    name: &'static str,
    waivers: String,
    documents: Vec<(&'static str, Vec<Gap>)>,
    expect: Vec<Expectation>,
    /// Also through the language server (its `today()` is the real date).
    lsp: bool,
}

fn waiver(name: &str, rule: &str, target: &str, until: &str, approved: &str) -> String {
    format!(
        "waiver {name} {{\n  rule     {rule}\n  target   \"{target}\"\n  until    {until}\n  approved [{approved}]\n  reason   \"Compensating control\"\n}}\n"
    )
}

fn situations() -> Vec<Situation> {
    let both = "hr_director, cio";
    vec![
        Situation {
            name: "an active waiver of a failing must",
            waivers: waiver("w", "q.soc2", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::NoSoc2])],
            expect: vec![("Acme", "pass", vec![("q.soc2", W)])],
            lsp: true,
        },
        Situation {
            name: "an active waiver of a failing should",
            waivers: waiver("w", "q.residency", "Acme", FAR_AHEAD, "hr_ops, it_security"),
            documents: vec![("Acme", vec![Gap::UsResidency])],
            expect: vec![("Acme", "pass", vec![("q.residency", W)])],
            lsp: true,
        },
        Situation {
            name: "an active waiver of a failing may",
            waivers: waiver("w", "q.webhooks", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::NoWebhooks])],
            expect: vec![("Acme", "pass", vec![("q.webhooks", W)])],
            lsp: true,
        },
        Situation {
            name: "an active waiver of an indeterminate must",
            waivers: waiver("w", "q.at_rest", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::NoEncryption])],
            expect: vec![("Acme", "pass", vec![("q.at_rest", W)])],
            lsp: true,
        },
        Situation {
            name: "an active waiver of a rule failing on two elements",
            waivers: waiver("w", "q.no_self", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::SelfAssessed])],
            expect: vec![("Acme", "pass", vec![("q.no_self", W)])],
            lsp: true,
        },
        Situation {
            name: "an active waiver of one of two failing rules",
            waivers: waiver("w", "q.soc2", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::NoSoc2, Gap::UsResidency])],
            expect: vec![("Acme", "warn", vec![("q.soc2", W), ("q.residency", F)])],
            lsp: true,
        },
        Situation {
            name: "an expired waiver of a must",
            waivers: waiver("w", "q.soc2", "Acme", LONG_AGO, both),
            documents: vec![("Acme", vec![Gap::NoSoc2]), ("Beta", vec![Gap::NoSoc2])],
            expect: vec![
                ("Acme", "fail", vec![("q.soc2", F), ("waiver.w", F)]),
                // The broken waiver is reported only on the document it targets.
                ("Beta", "fail", vec![("q.soc2", F)]),
            ],
            lsp: true,
        },
        Situation {
            name: "an expired waiver of a should fails the document",
            waivers: waiver("w", "q.saml", "Acme", LONG_AGO, both),
            documents: vec![("Acme", vec![Gap::NoSaml])],
            expect: vec![("Acme", "fail", vec![("q.saml", F), ("waiver.w", F)])],
            lsp: true,
        },
        Situation {
            name: "a waiver approved by HR only",
            waivers: waiver("w", "q.residency", "Acme", FAR_AHEAD, "hr_director, hr_ops"),
            documents: vec![("Acme", vec![Gap::UsResidency])],
            expect: vec![("Acme", "fail", vec![("q.residency", F), ("waiver.w", F)])],
            lsp: true,
        },
        Situation {
            name: "a waiver approved by IT only",
            waivers: waiver("w", "q.soc2", "Acme", FAR_AHEAD, "cio, it_security"),
            documents: vec![("Acme", vec![Gap::NoSoc2])],
            expect: vec![("Acme", "fail", vec![("q.soc2", F), ("waiver.w", F)])],
            lsp: true,
        },
        Situation {
            name: "a waiver approved by HR and legal, but not IT",
            waivers: waiver("w", "q.webhooks", "Acme", FAR_AHEAD, "hr_director, counsel"),
            documents: vec![("Acme", vec![Gap::NoWebhooks])],
            expect: vec![("Acme", "fail", vec![("q.webhooks", F), ("waiver.w", F)])],
            lsp: true,
        },
        Situation {
            name: "an expired one-sided waiver",
            waivers: waiver("w", "q.soc2", "Acme", LONG_AGO, "cio"),
            documents: vec![("Acme", vec![Gap::NoSoc2])],
            expect: vec![("Acme", "fail", vec![("q.soc2", F), ("waiver.w", F)])],
            lsp: true,
        },
        Situation {
            name: "a waiver naming a rule that does not fail",
            waivers: waiver("w", "q.soc2", "Acme", FAR_AHEAD, both),
            documents: vec![("Acme", vec![]), ("Beta", vec![Gap::UsResidency])],
            expect: vec![
                ("Acme", "pass", vec![]),
                ("Beta", "warn", vec![("q.residency", F)]),
            ],
            lsp: true,
        },
        Situation {
            name: "a waiver for a different document",
            waivers: waiver("w", "q.soc2", "Other", FAR_AHEAD, both),
            documents: vec![("Acme", vec![Gap::NoSoc2]), ("Other", vec![Gap::NoSoc2])],
            expect: vec![
                ("Acme", "fail", vec![("q.soc2", F)]),
                ("Other", "pass", vec![("q.soc2", W)]),
            ],
            lsp: true,
        },
        Situation {
            name: "two waivers of one rule, one of them expired",
            waivers: format!(
                "{}{}",
                waiver("w_old", "q.soc2", "Acme", LONG_AGO, both),
                waiver("w_new", "q.soc2", "Acme", FAR_AHEAD, both)
            ),
            documents: vec![("Acme", vec![Gap::NoSoc2])],
            expect: vec![("Acme", "fail", vec![("q.soc2", W), ("waiver.w_old", F)])],
            lsp: true,
        },
        Situation {
            // "up to and including its `until` date": only with a fixed date.
            name: "a waiver ending today, and one that ended yesterday",
            waivers: format!(
                "{}{}",
                waiver("w_today", "q.soc2", "Acme", TODAY, both),
                waiver("w_yesterday", "q.soc2", "Beta", "2026-11-20", both)
            ),
            documents: vec![("Acme", vec![Gap::NoSoc2]), ("Beta", vec![Gap::NoSoc2])],
            expect: vec![
                ("Acme", "pass", vec![("q.soc2", W)]),
                (
                    "Beta",
                    "fail",
                    vec![("q.soc2", F), ("waiver.w_yesterday", F)],
                ),
            ],
            lsp: false,
        },
    ]
}

// ------------------------------------------------------------------ running

/// What one channel says: per document id, its verdict (when the channel
/// tells it) and the class of every rule that did not pass.
type Seen = BTreeMap<String, (Option<String>, BTreeMap<String, Class>)>;

fn expected(s: &Situation) -> Seen {
    s.expect
        .iter()
        .map(|(id, verdict, rules)| {
            (
                id.to_string(),
                (
                    Some(verdict.to_string()),
                    rules.iter().map(|(r, c)| (r.to_string(), *c)).collect(),
                ),
            )
        })
        .collect()
}

/// Adds a result: a failure wins over a waiver on the same rule.
fn note(rules: &mut BTreeMap<String, Class>, rule: &str, class: Option<Class>) {
    let Some(class) = class else { return };
    let entry = rules.entry(rule.to_string()).or_insert(class);
    if class == F {
        *entry = F;
    }
}

fn doc_file(id: &str) -> String {
    format!("docs/{}.yaml", id.to_lowercase())
}

struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(s: &Situation) -> Project {
        let dir = crate::scratch_dir();
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        };
        write("policies/main.policy", POLICY);
        write("policies/waivers.policy", &s.waivers);
        for (id, gaps) in &s.documents {
            write(&doc_file(id), &questionnaire(id, gaps));
        }
        Project { dir }
    }

    /// Runs `policy ARGS`; with `summary`, GitHub's job summary file is set.
    fn run(&self, args: &[&str], summary: Option<&Path>) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut io = accord::cli::Io::new(self.dir.clone(), Box::new(std::io::empty()));
        io.step_summary = summary.map(Path::to_path_buf);
        let code = accord::cli::run(&args, &mut io);
        (code, io.stdout, io.stderr)
    }

    fn check(&self, format: &str) -> (i32, String) {
        let (code, out, err) = self.run(
            &[
                "check", "docs", "--policy", "policies", "--today", TODAY, "--format", format,
            ],
            None,
        );
        assert!(err.is_empty(), "{format}: {err}");
        (code, out)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn from_json(out: &str) -> Seen {
    let json: Value = serde_json::from_str(out).expect("JSON output");
    assert_eq!(json["errors"], serde_json::json!([]), "{out}");
    assert_eq!(json["warnings"], serde_json::json!([]), "{out}");
    let mut seen = Seen::new();
    for doc in json["documents"].as_array().expect("documents") {
        let mut rules = BTreeMap::new();
        for r in doc["results"].as_array().expect("results") {
            let class = match r["outcome"].as_str() {
                Some("waived") => Some(W),
                Some("fail" | "indeterminate") => Some(F),
                _ => None,
            };
            note(&mut rules, r["rule"].as_str().unwrap_or("?"), class);
        }
        let id = doc["id"].as_str().unwrap_or("?").to_string();
        seen.insert(id, (doc["verdict"].as_str().map(String::from), rules));
    }
    seen
}

/// The human output: `error[RULE]: TITLE`, `warning[...]`, `note[...]`
/// headlines (`(waived)` at the end for a waived result), then a line per
/// document: `PATH: KIND `ID`: VERDICT, score ... (P passed, F failed, W waived)`.
fn from_human(out: &str) -> Seen {
    let mut seen = Seen::new();
    let mut pending: BTreeMap<String, Class> = BTreeMap::new();
    for line in out.lines() {
        let finding = ["error[", "warning[", "note["]
            .iter()
            .find_map(|p| line.strip_prefix(p))
            .and_then(|rest| rest.split_once("]: "));
        if let Some((rule, headline)) = finding {
            let class = if headline.ends_with("(waived)") { W } else { F };
            note(&mut pending, rule, Some(class));
            continue;
        }
        if let Some((_, rest)) = line.split_once(": questionnaire `") {
            let (id, rest) = rest.split_once("`: ").expect("a verdict line");
            let verdict = rest.split([',', ' ']).next().unwrap_or("").to_lowercase();
            seen.insert(
                id.to_string(),
                (Some(verdict), std::mem::take(&mut pending)),
            );
        }
    }
    assert!(
        pending.is_empty(),
        "findings after the last document: {out}"
    );
    seen
}

/// SARIF: a waived result carries an accepted suppression; the verdicts are
/// in the run's properties.
fn from_sarif(out: &str) -> Seen {
    let json: Value = serde_json::from_str(out).expect("SARIF is JSON");
    let run = &json["runs"][0];
    let mut seen = Seen::new();
    for doc in run["properties"]["documents"]
        .as_array()
        .expect("documents")
    {
        let id = doc["id"].as_str().unwrap_or("?").to_string();
        seen.insert(
            id,
            (doc["verdict"].as_str().map(String::from), BTreeMap::new()),
        );
    }
    for r in run["results"].as_array().expect("results") {
        let suppressions = r["suppressions"].as_array();
        let waived = suppressions
            .is_some_and(|s| !s.is_empty() && s.iter().all(|x| x["status"] == "accepted"));
        let outcome = r["properties"]["outcome"].as_str().unwrap_or("?");
        assert_eq!(waived, outcome == "waived", "{r}");
        let id = r["properties"]["document"]["id"].as_str().unwrap_or("?");
        let rules = &mut seen.get_mut(id).expect("a listed document").1;
        note(
            rules,
            r["ruleId"].as_str().unwrap_or("?"),
            Some(if waived { W } else { F }),
        );
    }
    seen
}

/// JUnit: a testsuite per document (its verdict a property), a testcase per
/// result (`RULE`, or `RULE #n` when a rule has several); `<failure>` for a
/// failure, `<skipped type="waived">` for a waived result.
fn from_junit(out: &str) -> Seen {
    let xml = roxmltree::Document::parse(out).expect("JUnit is XML");
    let mut seen = Seen::new();
    for suite in xml.descendants().filter(|n| n.has_tag_name("testsuite")) {
        let prop = |name: &str| {
            suite
                .descendants()
                .find(|p| p.has_tag_name("property") && p.attribute("name") == Some(name))
                .and_then(|p| p.attribute("value"))
                .map(String::from)
        };
        let Some(id) = prop("id") else { continue };
        let mut rules = BTreeMap::new();
        for case in suite.children().filter(|n| n.has_tag_name("testcase")) {
            let name = case.attribute("name").unwrap_or("?");
            let rule = name.split(" #").next().unwrap_or(name);
            let class = if case.children().any(|c| c.has_tag_name("failure")) {
                Some(F)
            } else if case
                .children()
                .any(|c| c.has_tag_name("skipped") && c.attribute("type") == Some("waived"))
            {
                Some(W)
            } else {
                None
            };
            note(&mut rules, rule, class);
        }
        seen.insert(id, (prop("verdict"), rules));
    }
    seen
}

fn unescape_property(s: &str) -> String {
    s.replace("%2C", ",")
        .replace("%3A", ":")
        .replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%25", "%")
}

/// GitHub: `::error`/`::warning`/`::notice` annotations titled `TITLE (RULE)`
/// (`TITLE (RULE, waived)` for a waived result, `RULE` without a title), on
/// the document's file; the verdicts are in the job summary's table.
fn from_github(out: &str, summary: &str, paths: &BTreeMap<String, String>) -> Seen {
    let mut seen = Seen::new();
    for line in summary.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | path | kind | id | verdict | score | passed | failed | waived |
        if cells.len() == 10 && cells[2] == "questionnaire" {
            let verdict = cells[4].split(' ').next_back().unwrap_or("?").to_string();
            seen.insert(cells[3].to_string(), (Some(verdict), BTreeMap::new()));
        }
    }
    for line in out.lines().filter(|l| l.starts_with("::")) {
        let (head, _message) = line[2..].split_once("::").expect("a workflow command");
        let (command, props) = head.split_once(' ').unwrap_or((head, ""));
        let props: BTreeMap<&str, String> = props
            .split(',')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k, unescape_property(v)))
            .collect();
        let title = props.get("title").cloned().unwrap_or_default();
        let inner = match title.rsplit_once(" (") {
            Some((_, rest)) => rest.trim_end_matches(')').to_string(),
            None => title.clone(),
        };
        let (rule, note_word) = match inner.split_once(", ") {
            Some((r, n)) => (r.to_string(), Some(n.to_string())),
            None => (inner, None),
        };
        let waived = note_word.as_deref() == Some("waived");
        assert!(
            !waived || command == "notice",
            "a waived result is a notice: {line}"
        );
        let file = props.get("file").expect("annotations name the file");
        let id = paths.get(file).expect("a checked file");
        let rules = &mut seen.get_mut(id).expect("a listed document").1;
        note(rules, &rule, Some(if waived { W } else { F }));
    }
    seen
}

/// `policy score --format json`: a verdict per vendor and a cell per rule
/// (waiver results are not rules: they have no row).
fn from_score(out: &str) -> Seen {
    let json: Value = serde_json::from_str(out).expect("score JSON");
    let mut seen = Seen::new();
    for v in json["vendors"].as_array().expect("vendors") {
        let id = v["id"].as_str().unwrap_or("?").to_string();
        seen.insert(
            id,
            (v["verdict"].as_str().map(String::from), BTreeMap::new()),
        );
    }
    for row in json["requirements"].as_array().expect("requirements") {
        let rule = row["rule"].as_str().unwrap_or("?");
        for (id, cell) in row["results"].as_object().expect("results") {
            let class = match cell.as_str() {
                Some("waived") => Some(W),
                Some("fail" | "indeterminate") => Some(F),
                _ => None,
            };
            note(&mut seen.get_mut(id).expect("a vendor").1, rule, class);
        }
    }
    seen
}

/// The language server's live diagnostics on each open document: an error,
/// warning or information for a failing must, should or may, a hint for a
/// waived result. Its verdict follows: an error fails, a warning warns.
fn from_lsp(s: &Situation) -> Seen {
    let mut ws = Workspace::new();
    ws.set_roots(Vec::new());
    ws.open(Path::new("/ws/policies/main.policy"), POLICY.to_string());
    ws.open(Path::new("/ws/policies/waivers.policy"), s.waivers.clone());
    let mut paths = BTreeMap::new();
    for (id, gaps) in &s.documents {
        let path = PathBuf::from(format!("/ws/{}", doc_file(id)));
        ws.open(&path, questionnaire(id, gaps));
        paths.insert(path, id.to_string());
    }
    let mut seen = Seen::new();
    for (path, diags) in ws.diagnostics() {
        let Some(id) = paths.get(&path) else {
            assert!(diags.is_empty(), "{path:?}: {diags:?}");
            continue;
        };
        let mut rules = BTreeMap::new();
        for d in &diags {
            let class = if d.severity == Severity::Hint { W } else { F };
            note(&mut rules, &d.code, Some(class));
        }
        let verdict = if diags.iter().any(|d| d.severity == Severity::Error) {
            "fail"
        } else if diags.iter().any(|d| d.severity == Severity::Warning) {
            "warn"
        } else {
            "pass"
        };
        seen.insert(id.clone(), (Some(verdict.to_string()), rules));
    }
    seen
}

/// `policy test`: a test per document expecting exactly what `check`
/// reported (must pass), and a test per failing or waived rule expecting the
/// other outcome (must fail).
fn check_policy_test(p: &Project, json_out: &str) -> Result<(), String> {
    let json: Value = serde_json::from_str(json_out).expect("JSON");
    let mut good = String::new();
    let mut bad = String::new();
    let mut bad_names = Vec::new();
    for (i, doc) in json["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .enumerate()
    {
        let path = doc["path"].as_str().expect("path");
        let mut outcomes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in doc["results"].as_array().expect("results") {
            outcomes
                .entry(r["rule"].as_str().unwrap_or("?").to_string())
                .or_default()
                .push(r["outcome"].as_str().unwrap_or("?").to_string());
        }
        good.push_str(&format!(
            "test as_checked_{i} {{\n  document \"../{path}\"\n"
        ));
        for (rule, list) in &outcomes {
            let mut list = list.clone();
            list.dedup();
            for o in &list {
                good.push_str(&format!("  expect {o} {rule}\n"));
            }
            let opposite = match list.as_slice() {
                [o] if o == "waived" => "fail",
                [o] if o == "fail" || o == "indeterminate" => "waived",
                _ => continue,
            };
            let name = format!("opposite_{i}_{}", bad_names.len());
            bad.push_str(&format!(
                "test {name} {{\n  document \"../{path}\"\n  expect {opposite} {rule}\n}}\n"
            ));
            bad_names.push(name);
        }
        good.push_str(&format!(
            "  expect verdict {}\n}}\n",
            doc["verdict"].as_str().unwrap_or("?")
        ));
        // The other verdicts are wrong.
        for v in ["pass", "warn", "fail"] {
            if doc["verdict"] != v {
                let name = format!("opposite_{i}_{}", bad_names.len());
                bad.push_str(&format!(
                    "test {name} {{\n  document \"../{path}\"\n  expect verdict {v}\n}}\n"
                ));
                bad_names.push(name);
            }
        }
    }
    std::fs::create_dir_all(p.dir.join("tests")).expect("dir");
    std::fs::write(p.dir.join("tests/t.policy"), format!("{good}{bad}")).expect("write");
    let (code, out, err) = p.run(
        &[
            "test", "--policy", "policies", "--policy", "tests", "--today", TODAY,
        ],
        None,
    );
    for line in out.lines().filter(|l| l.starts_with("test ")) {
        let name = line[5..].split(' ').next().unwrap_or("");
        let should_fail = bad_names.iter().any(|b| b == name);
        let ok = line.ends_with("... ok");
        let failed = line.ends_with("... FAILED");
        if (should_fail && !failed) || (!should_fail && !ok) {
            return Err(format!("`policy test`: {line}\n{out}{err}"));
        }
    }
    let ran = out.lines().filter(|l| l.starts_with("test ")).count();
    let docs = json["documents"].as_array().map(Vec::len).unwrap_or(0);
    if ran != docs + bad_names.len() || code != 1 {
        return Err(format!(
            "`policy test` ran {ran} tests (exit {code}):\n{out}{err}"
        ));
    }
    Ok(())
}

fn without_waiver_rules(seen: &Seen) -> Seen {
    seen.iter()
        .map(|(id, (v, rules))| {
            let rules = rules
                .iter()
                .filter(|(r, _)| !r.starts_with("waiver."))
                .map(|(r, c)| (r.clone(), *c))
                .collect();
            (id.clone(), (v.clone(), rules))
        })
        .collect()
}

/// Every channel on one situation; `Err` says which disagrees and how.
fn check_situation(s: &Situation) -> Result<(), String> {
    let want = expected(s);
    let p = Project::new(s);
    let differs = |channel: &str, got: &Seen, want: &Seen| {
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "{channel} says\n    {got:?}\n  the contract says\n    {want:?}"
            ))
        }
    };
    let fails = want.values().any(|(v, _)| v.as_deref() == Some("fail"));
    let mut exit_codes = Vec::new();

    let (code, json_out) = p.check("json");
    exit_codes.push(("json", code));
    differs("check --format json", &from_json(&json_out), &want)?;

    // Scores agree too (a waived `should` counts as met).
    let json: Value = serde_json::from_str(&json_out).expect("JSON");
    let scores: BTreeMap<String, f64> = json["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap_or("?").to_string(),
                d["score"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect();
    let paths: BTreeMap<String, String> = json["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("?").to_string(),
                d["id"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();

    let (code, out) = p.check("human");
    exit_codes.push(("human", code));
    differs("check (human)", &from_human(&out), &want)?;

    let (code, out) = p.check("sarif");
    exit_codes.push(("sarif", code));
    differs("check --format sarif", &from_sarif(&out), &want)?;

    let (code, out) = p.check("junit");
    exit_codes.push(("junit", code));
    differs("check --format junit", &from_junit(&out), &want)?;

    let summary_path = p.dir.join("summary.md");
    let (code, out, err) = p.run(
        &[
            "check", "docs", "--policy", "policies", "--today", TODAY, "--format", "github",
        ],
        Some(&summary_path),
    );
    assert!(err.is_empty(), "github: {err}");
    exit_codes.push(("github", code));
    let summary = std::fs::read_to_string(&summary_path).unwrap_or_default();
    differs(
        "check --format github",
        &from_github(&out, &summary, &paths),
        &want,
    )?;

    for (format, code) in exit_codes {
        if code != i32::from(fails) {
            return Err(format!("check --format {format} exits {code}"));
        }
    }

    let (code, out, err) = p.run(
        &[
            "score", "docs", "--policy", "policies", "--today", TODAY, "--format", "json",
        ],
        None,
    );
    if code != 0 {
        return Err(format!("score exits {code}: {err}"));
    }
    differs(
        "score --format json",
        &from_score(&out),
        &without_waiver_rules(&want),
    )?;
    let score_json: Value = serde_json::from_str(&out).expect("score JSON");
    for v in score_json["vendors"].as_array().expect("vendors") {
        let id = v["id"].as_str().unwrap_or("?");
        let (a, b) = (v["score"].as_f64().unwrap_or(f64::NAN), scores[id]);
        if (a - b).abs() > 1e-9 {
            return Err(format!("score gives `{id}` {a}, check {b}"));
        }
    }

    check_policy_test(&p, &json_out)?;

    if s.lsp {
        differs("the language server", &from_lsp(s), &want)?;
    }
    Ok(())
}

#[test]
fn waivers_mean_the_same_in_every_channel() {
    let mut failures = Vec::new();
    let all = situations();
    for s in &all {
        if let Err(why) = check_situation(s) {
            failures.push(format!("{}:\n  {why}\n  waivers:\n{}", s.name, s.waivers));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} situations disagree:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// A waived `should` counts as met in the score; a broken waiver does not
/// change the score (it is not a `should`), but fails the document.
#[test]
fn waivers_and_scores() {
    let score_of = |waivers: String| {
        let s = Situation {
            name: "score",
            waivers,
            documents: vec![("Acme", vec![Gap::UsResidency])],
            expect: vec![],
            lsp: false,
        };
        let p = Project::new(&s);
        let (_, out) = p.check("json");
        let json: Value = serde_json::from_str(&out).expect("JSON");
        let doc = &json["documents"][0];
        (
            doc["score"].as_f64().unwrap_or(f64::NAN),
            doc["verdict"].as_str().unwrap_or("?").to_string(),
        )
    };
    // `residency` (weight 3) fails, `saml` (weight 1) passes: 25.
    let none = score_of(String::new());
    assert_eq!(none, (25.0, "warn".to_string()));
    let active = score_of(waiver(
        "w",
        "q.residency",
        "Acme",
        FAR_AHEAD,
        "hr_director, cio",
    ));
    assert_eq!(active, (100.0, "pass".to_string()));
    let expired = score_of(waiver(
        "w",
        "q.residency",
        "Acme",
        LONG_AGO,
        "hr_director, cio",
    ));
    assert_eq!(expired, (25.0, "fail".to_string()));
    let one_sided = score_of(waiver("w", "q.residency", "Acme", FAR_AHEAD, "hr_director"));
    assert_eq!(one_sided, (25.0, "fail".to_string()));
}
