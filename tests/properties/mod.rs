//! Properties of evaluation over generated policies and documents (the
//! generators are the oracle's, see `tests/oracle/model.rs`):
//!
//! - determinism: `policy check --format json` prints the same bytes whatever
//!   the number of threads (`--jobs 1`, `--jobs 4`, the default) and from one
//!   run to the next, over a directory of many files, some of them invalid,
//!   and over one document large enough to have its rules shared out;
//! - fail-closed: taking an answer out of a document never turns a failing
//!   rule into a passing (or inapplicable) one, never makes a definite
//!   failure appear, and never improves the verdict or the score.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};

use crate::oracle::model::{self, Case};
use crate::oracle::{config, run_cases, Checked, Compiled, TODAY};

// ------------------------------------------------------------------ determinism

/// Files in the directory: many runs of files for every worker whatever the
/// number of threads (a worker takes 16 at a time), so that they finish out
/// of order and the output must put them back.
const FILES: usize = 640;

/// The text of file `i`, made from a generated document: most are valid,
/// some are invalid in one way or another, a few are not documents at all.
fn file_for(i: usize, docs: &[Value]) -> (String, String) {
    let doc = &docs[i % docs.len()];
    let mut doc = doc.clone();
    doc["id"] = json!(format!("doc-{i:04}"));
    let dir = format!("docs/part{}", i % 7);
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("JSON");
    let name = |ext: &str| format!("{dir}/f{i:04}.{ext}");
    match i % 19 {
        // Malformed JSON: cut in the middle.
        3 => {
            let text = pretty(&doc);
            let mut half = text.len() / 2;
            while !text.is_char_boundary(half) {
                half -= 1;
            }
            (name("json"), text[..half].to_string())
        }
        // A value of the wrong type.
        5 => {
            doc["n1"] = json!("not a number");
            (name("json"), pretty(&doc))
        }
        // A kind no schema declares.
        7 => {
            doc["kind"] = json!("questionaire");
            (name("json"), pretty(&doc))
        }
        // A field the schema does not know (a warning; still checked).
        9 => {
            doc["extra"] = json!(true);
            (name("json"), pretty(&doc))
        }
        // Several documents in one YAML file (JSON is YAML), one of them null-filled.
        11 => {
            let mut second = doc.clone();
            second["id"] = json!(format!("doc-{i:04}-b"));
            let mut third = doc.clone();
            third["id"] = json!(format!("doc-{i:04}-c"));
            third["nums"] = json!([null, 1, null]);
            let text = format!(
                "{}\n---\n{}\n---\n{}\n",
                pretty(&doc),
                pretty(&second),
                pretty(&third)
            );
            (name("yaml"), text)
        }
        // Not an Accord document: skipped with a warning.
        13 => (
            name("json"),
            "{\"name\": \"package\", \"version\": \"1.0.0\"}\n".into(),
        ),
        // A required field missing.
        15 => {
            doc["vendor"] = json!({});
            (name("yaml"), pretty(&doc))
        }
        // Plain YAML.
        17 => {
            let mut text = format!("kind: questionnaire\nid: doc-{i:04}\nvendor:\n  name: V\n");
            for key in ["n1", "n2", "s1", "b1"] {
                if let Some(v) = doc.get(key) {
                    text.push_str(&format!("{key}: {v}\n"));
                }
            }
            (name("yml"), text)
        }
        _ => (name("json"), pretty(&doc)),
    }
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut io = accord::cli::Io::new(dir.to_path_buf(), Box::new(std::io::empty()));
    let code = accord::cli::run(&args, &mut io);
    (code, io.stdout)
}

fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let around = |s: &str| {
        let mut start = at.saturating_sub(200).min(s.len());
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 200).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_string()
    };
    format!(
        "first difference at byte {at}:\n--- one\n{}\n--- other\n{}",
        around(a),
        around(b)
    )
}

#[test]
fn properties_check_output_is_the_same_for_every_thread_count() {
    let mut runner = TestRunner::new(config(1, 0xDE7E_2417));
    let policies = model::policy(model::ALL);
    let documents = proptest::collection::vec(model::document(), 24);
    for round in 0..2 {
        let policy = policies.new_tree(&mut runner).expect("policy").current();
        let docs = documents
            .new_tree(&mut runner)
            .expect("documents")
            .current();
        let dir = crate::scratch_dir();
        std::fs::create_dir_all(dir.join("policies")).expect("dir");
        std::fs::write(dir.join("policies/gen.policy"), policy.source()).expect("write");
        for i in 0..FILES {
            let (name, text) = file_for(i, &docs);
            let path = dir.join(&name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        }
        let base = [
            "check", "docs", "--policy", "policies", "--today", TODAY, "--format", "json",
        ];
        let with = |extra: &[&str]| {
            let mut args = base.to_vec();
            args.extend_from_slice(extra);
            run(&dir, &args)
        };
        let (code, one) = with(&["--jobs", "1"]);
        // The run checked many documents and met every kind of problem.
        let json: Value = serde_json::from_str(&one).expect("JSON output");
        let checked = json["documents"].as_array().map(Vec::len).unwrap_or(0);
        assert!(
            checked > FILES / 2,
            "round {round}: {checked} documents checked"
        );
        assert_eq!(
            code, 2,
            "round {round}: invalid documents make the exit status 2"
        );
        for code in ["A301", "A304", "A305", "A306", "A308", "A313"] {
            let found = ["errors", "warnings"].iter().any(|k| {
                json[*k]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|d| d["code"] == code))
            });
            assert!(found, "round {round}: no {code} in the output");
        }
        for extra in [
            &["--jobs", "4"][..],
            &[],
            &["--jobs", "3"],
            &["--jobs", "1"],
        ] {
            let (other_code, other) = with(extra);
            assert_eq!(other_code, code, "round {round}, {extra:?}: exit status");
            assert!(
                other == one,
                "round {round}: `--jobs 1` and {extra:?} differ; {}",
                first_difference(&one, &other)
            );
        }
        // The human output too.
        let human = |jobs: &str| {
            let args = [
                "check", "docs", "--policy", "policies", "--today", TODAY, "--jobs", jobs,
            ];
            run(&dir, &args)
        };
        let (_, h1) = human("1");
        let (_, h4) = human("4");
        assert!(
            h1 == h4,
            "round {round}: human output differs; {}",
            first_difference(&h1, &h4)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// ------------------------------------------------------------------ fail-closed

/// A rule's outcomes on a document, by rule id.
fn by_rule(checked: &Checked) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rule, outcome) in &checked.results {
        out.entry(rule.clone()).or_default().push(outcome.clone());
    }
    out
}

fn is_failure(outcome: &str) -> bool {
    outcome == "fail" || outcome == "indeterminate"
}

fn verdict_rank(verdict: &str) -> u8 {
    match verdict {
        "pass" => 0,
        "warn" => 1,
        _ => 2,
    }
}

/// Takes each answer out of each document in turn and checks that nothing
/// got better.
fn fail_closed(case: &Case) -> Result<(), String> {
    let mut compiled = Compiled::new(&case.policy.source())?;
    for doc in &case.documents {
        let before = compiled.check(doc)?;
        let rules_before = by_rule(&before);
        for pointer in model::answers(doc) {
            let smaller = model::without(doc, &pointer);
            let after = compiled.check(&smaller)?;
            let rules_after = by_rule(&after);
            let problem = |what: String| {
                Err(format!(
                    "taking `{pointer}` out of document `{}` {what}\n  before: verdict {}, score {:?}, {:?}\n  after:  verdict {}, score {:?}, {:?}",
                    before.id,
                    before.verdict,
                    before.score,
                    before.results,
                    after.verdict,
                    after.score,
                    after.results
                ))
            };
            for (rule, outcomes) in &rules_before {
                let now = rules_after.get(rule).cloned().unwrap_or_default();
                if outcomes.iter().any(|o| is_failure(o)) && !now.iter().any(|o| is_failure(o)) {
                    return problem(format!("turned the failing rule `{rule}` into {now:?}"));
                }
                let fails = |v: &[String]| v.iter().filter(|o| *o == "fail").count();
                if fails(&now) > fails(outcomes) {
                    return problem(format!(
                        "made a definite failure of `{rule}` appear from a missing answer"
                    ));
                }
            }
            if verdict_rank(&after.verdict) < verdict_rank(&before.verdict) {
                return problem("improved the verdict".into());
            }
            if let (Some(a), Some(b)) = (after.score, before.score) {
                if a > b + 1e-9 {
                    return problem("raised the score".into());
                }
            }
        }
    }
    Ok(())
}

/// Removing answers on 400 generated cases (policies without `exists` and
/// `??`, the two constructs that may legitimately look at a missing value).
#[test]
fn properties_a_missing_answer_never_passes() {
    run_cases(400, 0xFA11_C105, model::case(model::MONOTONE), fail_closed);
}

/// The fail-closed property is not vacuous: with `exists` and `??` a removed
/// answer can turn a failure into a pass, and the check above notices.
#[test]
fn properties_fail_closed_check_sees_a_default() {
    let policy = model::Policy {
        group: false,
        rules: vec![model::Rule {
            name: "r0".into(),
            level: model::Level::Must,
            weight: None,
            steps: vec![model::Step::Require(model::Expr::Cmp(
                model::CmpOp::Gt,
                Box::new(model::Expr::Default(
                    Box::new(model::Expr::Path(model::Path {
                        root: model::Root::Input,
                        segs: vec![model::Seg::Field("n1")],
                        bare: false,
                    })),
                    Box::new(model::Expr::Num(5.0)),
                )),
                Box::new(model::Expr::Num(3.0)),
            ))],
        }],
    };
    let case = Case {
        policy,
        documents: vec![
            json!({"kind": "questionnaire", "id": "D0", "vendor": {"name": "V"}, "n1": 1}),
        ],
    };
    let err = fail_closed(&case).expect_err("a default passes once the answer is gone");
    assert!(err.contains("turned the failing rule `r0`"), "{err}");
}

// ------------------------------------------- a large document on several threads

/// A manifest large enough that its rules are shared out among threads,
/// with rules that pass, fail and meet missing values.
fn large_manifest_workspace(dir: &Path) {
    let mut policy = String::from("role hr { department hr }\nrole it { department it }\n");
    for s in 0..12 {
        policy.push_str(&format!("system s{s} {{ kind \"app\"  owner it }}\n"));
    }
    let levels = ["public", "internal", "confidential", "restricted"];
    for c in 0..8 {
        policy.push_str(&format!(
            "data c{c} {{ classification {}  owner hr  steward it  system_of_record s{c}  writers [s{c}, s{}] }}\n",
            levels[c % 4],
            c + 1
        ));
    }
    policy.push_str(
        "must encrypted { applies manifest  each f in input.flows  when data[f.data].classification > \"public\"  require f.encryption.in_transit }\n\
         must writers { applies manifest  each f in input.flows  when f.writes ?? false  require f.to in data[f.data].writers }\n\
         must known_systems { applies manifest  each f in input.flows  require f.from in systems and f.to in systems }\n\
         should few_flows { applies manifest  require len(input.flows) < 100 }\n",
    );
    std::fs::create_dir_all(dir.join("policies")).expect("a directory");
    std::fs::create_dir_all(dir.join("docs")).expect("a directory");
    std::fs::write(dir.join("policies/bench.policy"), policy).expect("written");
    let mut flows = Vec::new();
    for i in 0..4000usize {
        let mut flow = json!({
            "from": format!("s{}", i % 12),
            "to": format!("s{}", (i * 7) % 13),
            "data": format!("c{}", i % 8),
            "writes": i % 3 == 0,
        });
        // Some flows leave the encryption out: indeterminate, not a pass.
        if i % 11 != 0 {
            flow["encryption"] = json!({"in_transit": i % 5 != 0});
        }
        flows.push(flow);
    }
    let manifest = json!({"kind": "manifest", "id": "large", "flows": flows});
    let text = serde_json::to_string_pretty(&manifest).expect("JSON");
    assert!(text.len() > 256 * 1024, "large enough to be shared out");
    std::fs::write(dir.join("docs/large.json"), text).expect("written");
    std::fs::write(
        dir.join("docs/small.yaml"),
        "kind: manifest\nid: small\nflows:\n  - {from: s1, to: s2, data: c1}\n",
    )
    .expect("written");
}

#[test]
fn properties_a_large_document_checks_the_same_on_any_number_of_threads() {
    let tmp = crate::scratch_dir();
    large_manifest_workspace(&tmp);
    let with = |extra: &[&str]| {
        let mut args = vec![
            "check", "docs", "--policy", "policies", "--today", TODAY, "--format", "json",
        ];
        args.extend_from_slice(extra);
        run(&tmp, &args)
    };
    let (code, one) = with(&["--jobs", "1"]);
    assert_eq!(code, 1, "{one}");
    for rule in ["encrypted", "writers", "known_systems", "few_flows"] {
        assert!(
            one.contains(&format!("\"rule\": \"{rule}\"")),
            "{rule} has results"
        );
    }
    assert!(one.contains("\"outcome\": \"indeterminate\""));
    for jobs in ["2", "3", "8"] {
        let (other_code, other) = with(&["--jobs", jobs]);
        assert_eq!(other_code, code);
        assert!(
            one == other,
            "--jobs {jobs}: {}",
            first_difference(&one, &other)
        );
    }
    // The step budget is the document's, however many threads share it:
    // a limit the rules need more than stops the document on any count.
    for jobs in ["1", "3"] {
        let (code, out) = with(&["--jobs", jobs, "--max-steps", "20000"]);
        assert_eq!(code, 2, "--jobs {jobs}: {out}");
        assert!(out.contains("A314"), "--jobs {jobs}: {out}");
    }
}
