//! The data-driven tests: every `tests/cases/**/*.case` file is one case (see
//! `tests/README.md` for the format). All cases run; failures are reported
//! together at the end.

mod audit;
mod base;
mod dictionary;
mod hostile;
mod lsp;
mod oracle;
mod properties;
mod waivers;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

struct Case {
    files: Vec<(String, String)>,
    run: Vec<String>,
    expect: Vec<String>,
    snapshot: bool,
    stdin: Option<String>,
}

fn parse_case(text: &str) -> Result<Case, String> {
    let mut case = Case {
        files: Vec::new(),
        run: Vec::new(),
        expect: Vec::new(),
        snapshot: false,
        stdin: None,
    };
    let mut section: Option<(String, String)> = None;
    let mut body: Vec<&str> = Vec::new();
    let flush = |section: &Option<(String, String)>,
                 body: &mut Vec<&str>,
                 case: &mut Case|
     -> Result<(), String> {
        let Some((name, arg)) = section else {
            body.clear();
            return Ok(());
        };
        let content = if body.is_empty() {
            String::new()
        } else {
            format!("{}\n", body.join("\n"))
        };
        match name.as_str() {
            "file" => case.files.push((arg.clone(), content)),
            "run" => {
                let line = body
                    .iter()
                    .find(|l| !l.trim().is_empty())
                    .copied()
                    .unwrap_or("");
                case.run = words(line);
            }
            "expect" => case.expect.extend(
                body.iter()
                    .map(|l| l.trim())
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            ),
            "snapshot" => case.snapshot = true,
            "stdin" => case.stdin = Some(content),
            other => return Err(format!("unknown section `{other}`")),
        }
        body.clear();
        Ok(())
    };
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("=== ") {
            flush(&section, &mut body, &mut case)?;
            let mut parts = header.trim().splitn(2, ' ');
            let name = parts.next().unwrap_or("").to_string();
            let arg = parts.next().unwrap_or("").trim().to_string();
            section = Some((name, arg));
        } else {
            body.push(line);
        }
    }
    flush(&section, &mut body, &mut case)?;
    if case.run.is_empty() {
        return Err("no `=== run` section".into());
    }
    Ok(case)
}

/// Splits on spaces, keeping `"quoted words"` together.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut has = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                has = true;
            }
            ' ' | '\t' if !quoted => {
                if has {
                    out.push(std::mem::take(&mut current));
                    has = false;
                }
            }
            _ => {
                current.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(current);
    }
    out
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn scratch_dir() -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("accord-case-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

fn run_policy(dir: &Path, args: &[String], stdin: &Option<String>) -> (i32, String, String) {
    let input: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(
        stdin.clone().unwrap_or_default().into_bytes(),
    ));
    let mut io = accord::cli::Io::new(dir.to_path_buf(), input);
    let code = accord::cli::run(args, &mut io);
    (code, io.stdout, io.stderr)
}

fn location_matches(loc: &Value, expected: &str) -> bool {
    let got = format!(
        "{}:{}:{}",
        loc["path"].as_str().unwrap_or("?"),
        loc["line"],
        loc["column"]
    );
    got == expected
}

fn documents_with_id<'a>(json: &'a Value, id: &str) -> Vec<&'a Value> {
    json["documents"]
        .as_array()
        .map(|docs| docs.iter().filter(|d| d["id"] == id).collect())
        .unwrap_or_default()
}

fn results_of<'a>(json: &'a Value, id: &str, rule: Option<&str>) -> Vec<&'a Value> {
    documents_with_id(json, id)
        .into_iter()
        .flat_map(|d| d["results"].as_array().into_iter().flatten())
        .filter(|r| rule.is_none_or(|rule| r["rule"] == rule))
        .collect()
}

/// Checks one assertion; `Err` says what was found instead.
fn check_assertion(line: &str, code: i32, json: &Value, raw: &str) -> Result<(), String> {
    let w = words(line);
    let arg = |i: usize| w.get(i).map(|s| s.as_str()).unwrap_or("");
    let at = w
        .iter()
        .position(|x| x == "@")
        .and_then(|i| w.get(i + 1))
        .map(|s| s.as_str());
    let n = |i: usize| {
        arg(i)
            .parse::<usize>()
            .map_err(|_| format!("`{}` is not a number", arg(i)))
    };
    match arg(0) {
        "exit" => {
            let want: i32 = arg(1).parse().map_err(|_| "bad exit".to_string())?;
            (code == want)
                .then_some(())
                .ok_or(format!("exit was {code}"))
        }
        "documents" => {
            let got = json["summary"]["documents"].as_u64().unwrap_or(u64::MAX) as usize;
            (got == n(1)?)
                .then_some(())
                .ok_or(format!("summary.documents is {got}"))
        }
        "verdict" => {
            let docs = documents_with_id(json, arg(1));
            let got: Vec<&Value> = docs.iter().map(|d| &d["verdict"]).collect();
            docs.iter()
                .any(|d| d["verdict"] == arg(2))
                .then_some(())
                .ok_or(format!("verdicts of `{}`: {got:?}", arg(1)))
        }
        "score" => {
            let want: f64 = arg(2).parse().map_err(|_| "bad score".to_string())?;
            let docs = documents_with_id(json, arg(1));
            let got: Vec<&Value> = docs.iter().map(|d| &d["score"]).collect();
            docs.iter()
                .any(|d| d["score"].as_f64().is_some_and(|s| (s - want).abs() < 1e-9))
                .then_some(())
                .ok_or(format!("scores of `{}`: {got:?}", arg(1)))
        }
        "no-score" => {
            let docs = documents_with_id(json, arg(1));
            (!docs.is_empty() && docs.iter().all(|d| d.get("score").is_none()))
                .then_some(())
                .ok_or(format!("documents `{}`: {docs:?}", arg(1)))
        }
        "result" => {
            let results = results_of(json, arg(1), Some(arg(2)));
            let found = results.iter().any(|r| {
                r["outcome"] == arg(3) && at.is_none_or(|a| location_matches(&r["location"], a))
            });
            let seen: Vec<String> = results
                .iter()
                .map(|r| {
                    format!(
                        "{} @ {}:{}:{}",
                        r["outcome"].as_str().unwrap_or("?"),
                        r["location"]["path"].as_str().unwrap_or("?"),
                        r["location"]["line"],
                        r["location"]["column"]
                    )
                })
                .collect();
            found
                .then_some(())
                .ok_or(format!("results of `{}` on `{}`: {seen:?}", arg(2), arg(1)))
        }
        "results" => {
            let (rule, count) = if w.len() == 3 {
                (None, n(2)?)
            } else {
                (Some(arg(2)), n(3)?)
            };
            let got = results_of(json, arg(1), rule).len();
            (got == count)
                .then_some(())
                .ok_or(format!("found {got} results"))
        }
        "no-result" => {
            let got = results_of(json, arg(1), Some(arg(2)));
            got.is_empty().then_some(()).ok_or(format!("found {got:?}"))
        }
        "message" => {
            let text = w.get(3..).map(|s| s.join(" ")).unwrap_or_default();
            let results = results_of(json, arg(1), Some(arg(2)));
            let msgs: Vec<&Value> = results.iter().map(|r| &r["message"]).collect();
            results
                .iter()
                .any(|r| r["message"].as_str().is_some_and(|m| m.contains(&text)))
                .then_some(())
                .ok_or(format!("messages: {msgs:?}"))
        }
        "policy-location" => {
            let results = results_of(json, arg(1), Some(arg(2)));
            let locs: Vec<&Value> = results.iter().map(|r| &r["policy_location"]).collect();
            (!results.is_empty()
                && results
                    .iter()
                    .all(|r| location_matches(&r["policy_location"], arg(3))))
            .then_some(())
            .ok_or(format!("policy locations: {locs:?}"))
        }
        "error" | "warning" => {
            let list = if arg(0) == "error" {
                &json["errors"]
            } else {
                &json["warnings"]
            };
            let entries: Vec<&Value> = list
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let found = entries.iter().any(|e| {
                e["code"] == arg(1)
                    && at.is_none_or(|a| {
                        format!(
                            "{}:{}:{}",
                            e["path"].as_str().unwrap_or("?"),
                            e["line"],
                            e["column"]
                        ) == a
                    })
            });
            let seen: Vec<String> = entries
                .iter()
                .map(|e| {
                    format!(
                        "{} @ {}:{}:{} {}",
                        e["code"].as_str().unwrap_or("?"),
                        e["path"].as_str().unwrap_or("?"),
                        e["line"],
                        e["column"],
                        e["message"].as_str().unwrap_or("")
                    )
                })
                .collect();
            found.then_some(()).ok_or(format!("{}s: {seen:#?}", arg(0)))
        }
        "error-message" => {
            let text = w.get(2..).map(|s| s.join(" ")).unwrap_or_default();
            let entries: Vec<&Value> = json["errors"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            entries
                .iter()
                .any(|e| {
                    e["code"] == arg(1) && e["message"].as_str().is_some_and(|m| m.contains(&text))
                })
                .then_some(())
                .ok_or(format!("errors: {entries:?}"))
        }
        "errors" | "warnings" => {
            let got = json[arg(0)]
                .as_array()
                .map(|a| a.len())
                .unwrap_or(usize::MAX);
            (got == n(1)?)
                .then_some(())
                .ok_or(format!("{} has {got}: {}", arg(0), json[arg(0)]))
        }
        "stdout-contains" => {
            // The rest of the line, exactly (quotes included).
            let text = line
                .trim_start()
                .strip_prefix("stdout-contains")
                .unwrap_or("")
                .trim();
            raw.contains(text)
                .then_some(())
                .ok_or("not in the output".to_string())
        }
        other => Err(format!("unknown assertion `{other}`")),
    }
}

/// Runs a case; returns the failures (empty when it passed).
fn run_case(path: &Path, root: &Path) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("cannot read: {e}")],
    };
    let case = match parse_case(&text) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let dir = scratch_dir();
    for (name, content) in &case.files {
        let file = dir.join(name);
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&file, content).expect("write case file");
    }
    let mut failures = Vec::new();
    let has_format = case
        .run
        .iter()
        .any(|a| a == "--format" || a.starts_with("--format="));
    let mut json_args = case.run.clone();
    if !has_format && case.run.first().is_some_and(|c| c == "check") {
        json_args.extend(["--format".to_string(), "json".to_string()]);
    }
    let (code, out, err) = run_policy(&dir, &json_args, &case.stdin);
    let (_, raw_out, _) = if has_format {
        (code, out.clone(), err.clone())
    } else {
        run_policy(&dir, &case.run, &case.stdin)
    };
    let json: Value = if json_args.iter().any(|a| a == "json") {
        match serde_json::from_str(&out) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("output is not JSON ({e}): {out}{err}"));
                Value::Null
            }
        }
    } else {
        Value::Null
    };
    if json != Value::Null
        && case.run.first().is_some_and(|c| c == "check")
        && json["format"] != "accord.check/v1"
    {
        failures.push("`format` is not accord.check/v1".into());
    }
    for line in &case.expect {
        if let Err(why) = check_assertion(line, code, &json, &raw_out) {
            failures.push(format!("`{line}`: {why}"));
        }
    }
    if case.snapshot {
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "__");
        let mut shown = String::new();
        for (file, content) in &case.files {
            shown.push_str(&format!("--- {file}\n{content}"));
        }
        shown.push_str(&format!("--- $ policy {}\n{raw_out}", case.run.join(" ")));
        let snapshot = std::panic::catch_unwind(|| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(root.join("../snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.bind(|| insta::assert_snapshot!(name, shown));
        });
        if snapshot.is_err() {
            failures.push("snapshot differs (run `cargo insta review`)".into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

/// Files under `dir` (recursively) with the extension `ext`.
fn files_with_extension(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_with_extension(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with_extension(dir, "case", out);
}

#[test]
fn cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths = Vec::new();
    collect(&root, &mut paths);
    paths.sort();
    let filter = std::env::var("CASE").ok();
    let mut failed = Vec::new();
    let mut ran = 0;
    for path in &paths {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .to_string();
        if filter.as_ref().is_some_and(|f| !rel.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let failures = run_case(path, &root);
        if !failures.is_empty() {
            failed.push(format!("{rel}:\n  {}", failures.join("\n  ")));
        }
    }
    println!("{} passed, {} failed", ran - failed.len(), failed.len());
    assert!(ran > 0, "no case ran");
    assert!(
        failed.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

// ---------------------------------------------------------------- robustness
// Bad input of any kind gets a clear error, never a panic or a hang.

fn check_in(dir: &Path, args: &[&str], stdin: &str) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (code, out, err) = run_policy(dir, &args, &Some(stdin.to_string()));
    (code, format!("{out}{err}"))
}

const VALID_POLICY: &str =
    "requirements q {\n  applies questionnaire\n  must named { require vendor.name != \"\" }\n}\n";

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn every_prefix_of_the_example_policies_is_handled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples/acme/policies", "stdlib"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "policy") {
                files.push(std::fs::read_to_string(path).expect("policy text"));
            }
        }
    }
    for text in files {
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        // Every prefix of short files; a spread of prefixes of long ones.
        let step = (boundaries.len() / 400).max(1);
        for i in boundaries.iter().step_by(step) {
            let engine = accord::Engine::new(vec![("p.policy".into(), text[..*i].to_string())]);
            // Every error has a code and a place in the text.
            for d in engine.diagnostics.iter().filter(|d| d.is_error()) {
                assert!(d.code.starts_with('A'), "{d:?}");
            }
        }
    }
}

#[test]
fn random_bytes_as_policy_and_document() {
    let dir = scratch_dir();
    std::fs::write(dir.join("ok.policy"), VALID_POLICY).expect("write");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: &[u8] = b"{}[]()\":,.-#?! \n\tabcdefrequiremustallin=<>0123456789%\\\xff\xc3";
    for round in 0..200 {
        let len = (rng.next() % 300) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        std::fs::write(dir.join("doc.yaml"), &bytes).expect("write");
        std::fs::write(dir.join("doc.json"), &bytes).expect("write");
        std::fs::write(dir.join("bad.policy"), &bytes).expect("write");
        let (code, _) = check_in(
            &dir,
            &["check", "doc.yaml", "doc.json", "--policy", "ok.policy"],
            "",
        );
        assert!(matches!(code, 0..=2), "round {round}: exit {code}");
        let (code, _) = check_in(&dir, &["check", "--policy", "bad.policy"], "");
        assert!(matches!(code, 0 | 2), "round {round}: exit {code}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_documents_get_clear_errors() {
    let dir = scratch_dir();
    std::fs::write(dir.join("ok.policy"), VALID_POLICY).expect("write");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("deep.json", "[".repeat(100_000).into_bytes(), "A311"),
        (
            "deep.yaml",
            format!("a: {}", "[".repeat(100_000)).into_bytes(),
            "A3",
        ),
        (
            "bomb.yaml",
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n\
             b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
             d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
             f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
             h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
                .as_bytes()
                .to_vec(),
            "A311",
        ),
        (
            "utf8.yaml",
            b"kind: questionnaire\nid: \xff\xfe\n".to_vec(),
            "A302",
        ),
        (
            "huge.json",
            b"{\"kind\": \"questionnaire\", \"id\": 1e999}".to_vec(),
            "A301",
        ),
        (
            "unterminated.json",
            b"{\"kind\": \"questionn".to_vec(),
            "A301",
        ),
        ("tabs.yaml", b"kind: x\n\t- y: [\n".to_vec(), "A301"),
    ];
    for (name, bytes, code) in cases {
        std::fs::write(dir.join(name), &bytes).expect("write");
        let (exit, out) = check_in(
            &dir,
            &["check", name, "--policy", "ok.policy", "--format", "json"],
            "",
        );
        assert_eq!(exit, 2, "{name}: {out}");
        let json: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"));
        let codes: Vec<&str> = json["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["code"].as_str())
            .collect();
        assert!(
            codes.iter().any(|c| c.starts_with(code)),
            "{name}: {codes:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_policies_get_clear_errors() {
    let dir = scratch_dir();
    let deep = format!(
        "must m {{ applies questionnaire require {}true{} }}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let long_chain = format!(
        "must m {{ applies questionnaire require {}1 > 0 }}\n",
        "1 + ".repeat(20_000)
    );
    let many_rules: String = (0..20_000)
        .map(|i| format!("must r{i} {{ applies questionnaire require vendor.name != \"\" }}\n"))
        .collect();
    for (name, text) in [
        ("deep.policy", deep),
        ("chain.policy", long_chain),
        ("many.policy", many_rules),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
        let (exit, out) = check_in(&dir, &["check", "--policy", name, "--format", "json"], "");
        assert!(exit == 0 || exit == 2, "{name}: {exit}");
        assert!(serde_json::from_str::<Value>(&out).is_ok(), "{name}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- the example

/// The bundled example: what its README promises, and its JSON results
/// reviewed as a snapshot.
#[test]
fn example_acme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = [
        "check",
        "examples/acme/documents",
        "--policy",
        "examples/acme/policies",
        "--today",
        "2026-11-21",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, out, _) = run_policy(root, &args, &None);
    assert_eq!(code, 1, "a vendor is eliminated");
    let json: Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(json["format"], "accord.check/v1");
    // Ten documents, plus the `policy` document that holds the results of
    // the imported `std.governance` and `std.retention` rules.
    assert_eq!(json["summary"]["documents"], 11);
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(json["summary"]["pass"], 2);
    assert_eq!(json["summary"]["warn"], 4);
    assert_eq!(json["summary"]["fail"], 5);
    let verdict = |id: &str| {
        documents_with_id(&json, id).first().map(|d| {
            (
                d["verdict"].as_str().unwrap_or("").to_string(),
                d["score"].as_f64(),
            )
        })
    };
    assert_eq!(verdict("Quillhire"), Some(("fail".into(), Some(20.0))));
    assert_eq!(verdict("Talentora"), Some(("warn".into(), Some(85.0))));
    assert_eq!(verdict("Vettly"), Some(("warn".into(), Some(50.0))));
    assert_eq!(verdict("CR-2026-041"), Some(("pass".into(), None)));
    assert_eq!(verdict("CR-2026-044"), Some(("fail".into(), None)));
    assert_eq!(verdict("CR-2026-047"), Some(("fail".into(), None)));
    assert_eq!(verdict("go-live-berlin-pilot"), Some(("pass".into(), None)));
    assert_eq!(verdict("go-live-nyc-pilot"), Some(("fail".into(), None)));
    // The governance model passes every `must` of std.governance and
    // std.retention; three categories are deleted later than one month after
    // retention ends (`should` std.retention.prompt_deletion): warn.
    assert_eq!(verdict("acme.hr_ai"), Some(("warn".into(), None)));
    let prompt_deletion = results_of(&json, "acme.hr_ai", Some("std.retention.prompt_deletion"));
    assert_eq!(prompt_deletion.len(), 3);
    assert!(prompt_deletion.iter().all(|r| r["outcome"] == "fail"));
    assert!(results_of(&json, "acme.hr_ai", None)
        .iter()
        .filter(|r| r["level"] == "must")
        .all(|r| r["outcome"] == "pass"));
    // The policy set itself is valid: the same run without documents exits 0
    // (its only findings are `should` warnings).
    let (code, _, _) = run_policy(
        root,
        &["check", "--policy", "examples/acme/policies"].map(String::from),
        &None,
    );
    assert_eq!(code, 0);
    // `policy.toml` in the example's folder names the same policies.
    let (code, out_toml, _) = run_policy(
        &root.join("examples/acme"),
        &[
            "check",
            "documents",
            "--today",
            "2026-11-21",
            "--format",
            "json",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 1);
    let json_toml: Value = serde_json::from_str(&out_toml).expect("JSON output");
    assert_eq!(json_toml["summary"], json["summary"]);

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("example_acme_json", out));

    // `policy test` runs the example's own tests, all passing.
    let (code, out_test, _) = run_policy(
        root,
        &[
            "test",
            "--policy",
            "examples/acme/policies",
            "--today",
            "2026-11-21",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 0, "{out_test}");
    assert!(out_test.contains(" passed, 0 failed"), "{out_test}");

    // `policy score` ranks the vendors with the scores `policy check` gives.
    let (code, out_score, _) = run_policy(
        root,
        &[
            "score",
            "examples/acme/documents/vendors",
            "--policy",
            "examples/acme/policies",
            "--today",
            "2026-11-21",
            "--format",
            "json",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 0);
    let score: Value = serde_json::from_str(&out_score).expect("score JSON");
    let ranked: Vec<(String, f64, bool)> = score["vendors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["id"].as_str().unwrap_or("").to_string(),
                v["score"].as_f64().unwrap_or(-1.0),
                v["eliminated"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        vec![
            ("Talentora".to_string(), 85.0, false),
            ("Vettly".to_string(), 50.0, false),
            ("Quillhire".to_string(), 20.0, true),
        ]
    );
    for (id, s, _) in &ranked {
        assert_eq!(verdict(id).and_then(|v| v.1), Some(*s), "{id}");
    }
}

// ---------------------------------------------------------------- machine formats
// `--format sarif`, `junit` and `github` on the example and on every case:
// each SARIF log validates against the official SARIF 2.1.0 schema
// (tests/schemas/), each JUnit report parses, adds up and (with `xmllint`)
// validates against junit-10.xsd, and each GitHub line is a well-formed
// workflow command. Then the formats' content on tests/cases/formats/.

fn schema_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name)
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(schema_path("sarif-schema-2.1.0.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// What is wrong with a SARIF log: schema errors, then broken rule references.
fn sarif_problems(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let json: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![format!("not JSON ({e})")],
    };
    let mut problems: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("schema: {e} at {}", e.instance_path()))
        .collect();
    let run = &json["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != ids.len() {
        problems.push("rule ids are not unique".into());
    }
    for (i, result) in run["results"].as_array().into_iter().flatten().enumerate() {
        let index = result["ruleIndex"].as_u64().map(|n| n as usize);
        let named = index.and_then(|n| ids.get(n)).copied();
        if named.is_none() || named != result["ruleId"].as_str() {
            problems.push(format!(
                "result {i}: ruleIndex {index:?} does not name ruleId {}",
                result["ruleId"]
            ));
        }
    }
    problems
}

/// What is wrong with a JUnit report: it must parse, have `<testsuites>` of
/// `<testsuite>`s whose counts add up, and testcases with names.
fn junit_problems(text: &str) -> Vec<String> {
    let doc = match roxmltree::Document::parse(text) {
        Ok(d) => d,
        Err(e) => return vec![format!("not XML ({e})")],
    };
    let mut problems = Vec::new();
    let root = doc.root_element();
    if root.tag_name().name() != "testsuites" {
        problems.push(format!("root is <{}>", root.tag_name().name()));
    }
    let count_attr =
        |n: roxmltree::Node, a: &str| n.attribute(a).and_then(|v| v.parse::<usize>().ok());
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for suite in root.children().filter(|n| n.is_element()) {
        let name = suite.attribute("name").unwrap_or("?");
        if suite.tag_name().name() != "testsuite" || suite.attribute("name").is_none() {
            problems.push(format!(
                "<{}> `{name}` is not a named testsuite",
                suite.tag_name().name()
            ));
        }
        let cases: Vec<roxmltree::Node> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let with = |child: &str| {
            cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(child)))
                .count()
        };
        for (attr, want) in [
            ("tests", cases.len()),
            ("failures", with("failure")),
            ("errors", with("error")),
            ("skipped", with("skipped")),
        ] {
            if count_attr(suite, attr) != Some(want) {
                problems.push(format!(
                    "testsuite `{name}`: {attr}={:?}, counted {want}",
                    suite.attribute(attr)
                ));
            }
        }
        if cases
            .iter()
            .any(|c| c.attribute("name").is_none_or(str::is_empty))
        {
            problems.push(format!("testsuite `{name}`: a testcase without a name"));
        }
        tests += cases.len();
        failures += with("failure");
        errors += with("error");
    }
    for (attr, want) in [("tests", tests), ("failures", failures), ("errors", errors)] {
        if count_attr(root, attr) != Some(want) {
            problems.push(format!(
                "testsuites: {attr}={:?}, counted {want}",
                root.attribute(attr)
            ));
        }
    }
    problems
}

/// What is wrong with GitHub output: every line but the last is a workflow
/// command `::error|warning|notice PROPS::MESSAGE` whose properties hold no
/// raw `:` or `,`; the last is the summary.
fn github_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if i + 1 == lines.len() {
            if !line.starts_with("checked ") {
                problems.push(format!("last line is not the summary: {line}"));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else {
            problems.push(format!("not a command: {line}"));
            continue;
        };
        let Some((head, _message)) = rest.split_once("::") else {
            problems.push(format!("no `::` before the message: {line}"));
            continue;
        };
        let (command, props) = head.split_once(' ').unwrap_or((head, ""));
        if !matches!(command, "error" | "warning" | "notice") {
            problems.push(format!("unknown command `{command}`: {line}"));
        }
        for prop in props.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = prop.split_once('=').unwrap_or((prop, ""));
            let ok = match key {
                "line" | "col" => value.parse::<usize>().is_ok(),
                "file" | "title" => !value.is_empty(),
                _ => false,
            };
            if !ok {
                problems.push(format!("bad property `{prop}`: {line}"));
            }
        }
        if line.contains('\r') {
            problems.push(format!("raw CR: {line}"));
        }
    }
    problems
}

/// Validates JUnit files against junit-10.xsd with `xmllint`. Without
/// `xmllint` this is skipped, except in CI (`.ci/run` installs it).
fn xsd_problems(files: &[PathBuf]) -> Vec<String> {
    if files.is_empty() {
        return Vec::new();
    }
    let xsd = schema_path("junit-10.xsd");
    let mut problems = Vec::new();
    for chunk in files.chunks(200) {
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .args(chunk)
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => problems.push(format!(
                "xmllint: {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .filter(|l| !l.ends_with(" validates"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
            Err(e) if std::env::var_os("CI").is_some() => {
                problems.push(format!(
                    "xmllint is needed in CI ({e}): apt-get install libxml2-utils"
                ));
                break;
            }
            Err(_) => {
                println!("xmllint not found: JUnit reports were parsed but not validated against the XSD");
                break;
            }
        }
    }
    problems
}

/// The arguments with `--format FORMAT` in place of any `--format`.
fn with_format(args: &[String], format: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--format" {
            skip = true;
        } else if !a.starts_with("--format=") {
            out.push(a.clone());
        }
    }
    out.extend(["--format".to_string(), format.to_string()]);
    out
}

/// Writes a case's files into a fresh directory.
fn materialise(case: &Case) -> PathBuf {
    let dir = scratch_dir();
    for (name, content) in &case.files {
        let file = dir.join(name);
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&file, content).expect("write case file");
    }
    dir
}

/// Runs `args` in `dir` in the three formats and checks each output; a JUnit
/// report is also written into `xml_dir` for the XSD check.
fn check_machine_formats(
    validator: &jsonschema::Validator,
    dir: &Path,
    args: &[String],
    stdin: &Option<String>,
    xml_dir: &Path,
    xml_files: &mut Vec<PathBuf>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let (code, sarif, err) = run_policy(dir, &with_format(args, "sarif"), stdin);
    if sarif.is_empty() && code == 2 {
        // A command line clap refuses: nothing is rendered in any format.
        return problems;
    }
    for p in sarif_problems(validator, &sarif) {
        problems.push(format!("sarif: {p}"));
    }
    let successful = serde_json::from_str::<Value>(&sarif)
        .ok()
        .and_then(|j| j["runs"][0]["invocations"][0]["executionSuccessful"].as_bool());
    if successful != Some(code != 2) {
        problems.push(format!(
            "sarif: executionSuccessful {successful:?} but exit {code} {err}"
        ));
    }
    let (_, junit, _) = run_policy(dir, &with_format(args, "junit"), stdin);
    for p in junit_problems(&junit) {
        problems.push(format!("junit: {p}"));
    }
    let file = xml_dir.join(format!("{}.xml", xml_files.len()));
    std::fs::write(&file, &junit).expect("write JUnit report");
    xml_files.push(file);
    let (_, github, _) = run_policy(dir, &with_format(args, "github"), stdin);
    for p in github_problems(&github) {
        problems.push(format!("github: {p}"));
    }
    problems
}

#[test]
fn machine_formats_of_the_example_and_every_case() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let validator = sarif_validator();
    let xml_dir = scratch_dir();
    let mut xml_files = Vec::new();
    let mut failed = Vec::new();
    // The checks are not vacuous: a wrong level and a testcase attribute the
    // XSD does not have are caught.
    let bad_sarif = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}"#;
    assert!(!sarif_problems(&validator, bad_sarif).is_empty());
    let bad_junit = xml_dir.join("bad.xml");
    std::fs::write(
        &bad_junit,
        "<testsuites><testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\">\
         <testcase name=\"c\" line=\"1\"/></testsuite></testsuites>",
    )
    .expect("write");
    let caught = xsd_problems(std::slice::from_ref(&bad_junit));
    let _ = std::fs::remove_file(&bad_junit);
    assert!(
        caught.is_empty()
            == std::process::Command::new("xmllint")
                .arg("--version")
                .output()
                .is_err(),
        "xmllint accepted an invalid report: {caught:?}"
    );

    let example: Vec<String> = [
        "check",
        "examples/acme/documents",
        "--policy",
        "examples/acme/policies",
        "--today",
        "2026-11-21",
    ]
    .map(String::from)
    .to_vec();
    let problems =
        check_machine_formats(&validator, root, &example, &None, &xml_dir, &mut xml_files);
    if !problems.is_empty() {
        failed.push(format!("examples/acme:\n  {}", problems.join("\n  ")));
    }
    // The example's SARIF has a result for each non-passing result of its JSON.
    let (_, json, _) = run_policy(root, &with_format(&example, "json"), &None);
    let (_, sarif, _) = run_policy(root, &with_format(&example, "sarif"), &None);
    let json: Value = serde_json::from_str(&json).expect("JSON");
    let sarif: Value = serde_json::from_str(&sarif).expect("SARIF");
    let outcomes: Vec<&str> = json["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["results"].as_array().into_iter().flatten())
        .filter_map(|r| r["outcome"].as_str())
        .filter(|o| !matches!(*o, "pass" | "not_applicable"))
        .collect();
    assert!(outcomes.contains(&"waived") && outcomes.contains(&"indeterminate"));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), outcomes.len());
    let suppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(
        suppressed,
        outcomes.iter().filter(|o| **o == "waived").count()
    );

    let cases_root = root.join("tests/cases");
    let mut paths = Vec::new();
    collect(&cases_root, &mut paths);
    paths.sort();
    let mut ran = 1;
    for path in &paths {
        let rel = path
            .strip_prefix(&cases_root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(case) = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| parse_case(&t))
        else {
            continue; // the `cases` test reports it
        };
        if case.run.first().is_none_or(|c| c != "check") {
            continue;
        }
        let dir = materialise(&case);
        let problems = check_machine_formats(
            &validator,
            &dir,
            &case.run,
            &case.stdin,
            &xml_dir,
            &mut xml_files,
        );
        let _ = std::fs::remove_dir_all(&dir);
        ran += 1;
        if !problems.is_empty() {
            failed.push(format!("{rel}:\n  {}", problems.join("\n  ")));
        }
    }
    let xsd = xsd_problems(&xml_files);
    if !xsd.is_empty() {
        failed.push(format!(
            "JUnit against junit-10.xsd:\n  {}",
            xsd.join("\n  ")
        ));
    }
    let _ = std::fs::remove_dir_all(&xml_dir);
    println!(
        "machine formats: {ran} runs checked, {} failed",
        failed.len()
    );
    assert!(ran > 100, "only {ran} runs");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Runs a case of tests/cases/formats/ in one format.
fn run_formats_case(name: &str, format: &str) -> (i32, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/formats")
        .join(name);
    let case = parse_case(&std::fs::read_to_string(path).expect("case")).expect("case parses");
    let dir = materialise(&case);
    let (code, out, _) = run_policy(&dir, &with_format(&case.run, format), &case.stdin);
    let _ = std::fs::remove_dir_all(&dir);
    (code, out)
}

/// The message of `ai_vendor.residency` in outcomes.case, as evaluated.
const SPECIAL: &str =
    "Acme <Screening> & \"Sons\" 'Ltd' | \u{1} 100%, a: b keeps data in US\nsecond line";

#[test]
fn sarif_of_every_outcome() {
    let (code, out) = run_formats_case("outcomes.case", "sarif");
    assert_eq!(code, 1);
    assert!(sarif_problems(&sarif_validator(), &out).is_empty());
    let json: Value = serde_json::from_str(&out).expect("SARIF");
    let run = &json["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("rule {id}"))
    };
    // Every rule, whatever its level and outcome, is described.
    assert_eq!(rules.len(), 5);
    assert_eq!(
        rule("ai_vendor.residency")["defaultConfiguration"]["level"],
        "error"
    );
    assert_eq!(
        rule("ai_vendor.residency")["shortDescription"]["text"],
        "Data stays in the EU"
    );
    assert_eq!(rule("ai_vendor.residency")["help"]["text"], "GDPR Art. 44");
    assert_eq!(
        rule("ai_vendor.breach")["defaultConfiguration"]["level"],
        "warning"
    );
    assert_eq!(
        rule("ai_vendor.api")["defaultConfiguration"]["level"],
        "note"
    );
    // Results: fail, indeterminate and waived; not pass or not_applicable.
    let results = run["results"].as_array().expect("results");
    let ids: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["ai_vendor.residency", "ai_vendor.breach", "ai_vendor.sso"]
    );
    let fail = &results[0];
    assert_eq!(fail["level"], "error");
    assert_eq!(fail["kind"], "fail");
    assert_eq!(fail["message"]["text"], SPECIAL);
    let loc = &fail["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "docs/acme.yaml");
    assert_eq!(
        (
            loc["region"]["startLine"].as_u64(),
            loc["region"]["startColumn"].as_u64()
        ),
        (Some(5), Some(3))
    );
    let rel = &fail["relatedLocations"][0]["physicalLocation"];
    assert_eq!(rel["artifactLocation"]["uri"], "policies/main.policy");
    assert_eq!(rel["region"]["startLine"], 6);
    let indeterminate = &results[1];
    assert_eq!(indeterminate["level"], "warning");
    assert_eq!(indeterminate["properties"]["outcome"], "indeterminate");
    let waived = &results[2];
    assert_eq!(waived["level"], "error");
    let suppression = &waived["suppressions"][0];
    assert_eq!(suppression["status"], "accepted");
    let justification = suppression["justification"]
        .as_str()
        .expect("justification");
    assert!(
        justification.contains("Compensating control: IP allow-list, reviewed <monthly> & logged")
    );
    assert!(justification.contains("approved by hr_director, cio"));
    assert_eq!(
        suppression["properties"]["approvers"],
        serde_json::json!(["hr_director", "cio"])
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn junit_of_every_outcome() {
    let (code, out) = run_formats_case("outcomes.case", "junit");
    assert_eq!(code, 1);
    assert_eq!(junit_problems(&out), Vec::<String>::new());
    let doc = roxmltree::Document::parse(&out).expect("XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("testsuite");
    assert_eq!(
        suite.attribute("name"),
        Some("docs/acme.yaml (questionnaire Acme)")
    );
    assert_eq!(
        ["tests", "failures", "errors", "skipped"].map(|a| suite.attribute(a)),
        [Some("5"), Some("2"), Some("0"), Some("2")]
    );
    let child = |rule: &str| {
        let case = suite
            .children()
            .find(|n| n.attribute("name") == Some(rule))
            .unwrap_or_else(|| panic!("testcase {rule}"));
        case.children().find(|n| n.is_element())
    };
    let failure = child("ai_vendor.residency").expect("failure");
    assert_eq!(failure.tag_name().name(), "failure");
    assert_eq!(failure.attribute("type"), Some("fail"));
    // Every special character survives; U+0001, which XML cannot hold, is U+FFFD.
    let special = SPECIAL.replace('\u{1}', "\u{FFFD}");
    assert_eq!(
        failure.attribute("message"),
        Some(format!("must: {special}").as_str())
    );
    let text = failure.text().expect("failure text");
    assert!(
        text.starts_with(&format!("docs/acme.yaml:5:3: {special}")),
        "{text}"
    );
    assert!(text.contains("policies/main.policy:6:3"), "{text}");
    let indeterminate = child("ai_vendor.breach").expect("failure");
    assert_eq!(
        (
            indeterminate.tag_name().name(),
            indeterminate.attribute("type")
        ),
        ("failure", Some("indeterminate"))
    );
    let waived = child("ai_vendor.sso").expect("skipped");
    assert_eq!(
        (waived.tag_name().name(), waived.attribute("type")),
        ("skipped", Some("waived"))
    );
    assert!(waived
        .attribute("message")
        .is_some_and(|m| m.contains("reviewed <monthly> & logged")));
    let na = child("ai_vendor.audit").expect("skipped");
    assert_eq!(
        (na.tag_name().name(), na.attribute("type")),
        ("skipped", Some("not_applicable"))
    );
    assert!(
        child("ai_vendor.api").is_none(),
        "a pass is an empty testcase"
    );
}

#[test]
fn github_of_every_outcome() {
    let (code, out) = run_formats_case("outcomes.case", "github");
    assert_eq!(code, 1);
    assert_eq!(github_problems(&out), Vec::<String>::new());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=docs/acme.yaml,line=5,col=3,title=Data stays in the EU (ai_vendor.residency)::\
         Acme <Screening> & \"Sons\" 'Ltd' | \u{1} 100%25, a: b keeps data in US%0Asecond line"
    );
    assert!(lines[1].starts_with(
        "::warning file=docs/acme.yaml,line=3,col=1,title=Breach notice within 72h (ai_vendor.breach%2C indeterminate)::"
    ));
    assert!(lines[2].starts_with(
        "::notice file=docs/acme.yaml,line=9,col=5,title=SAML single sign-on (ai_vendor.sso%2C waived)::"
    ));
    assert!(lines[2].ends_with("approved by hr_director, cio: Compensating control: IP allow-list, reviewed <monthly> & logged"));
    assert_eq!(lines.len(), 4);
    // The escaping itself, on both kinds of value.
    assert_eq!(
        accord::report::github::escape_data("100%: a, b\r\nc"),
        "100%25: a, b%0D%0Ac"
    );
    assert_eq!(
        accord::report::github::escape_property("100%: a, b\r\nc"),
        "100%25%3A a%2C b%0D%0Ac"
    );
}

#[test]
fn machine_formats_on_errors() {
    let (code, sarif) = run_formats_case("errors.case", "sarif");
    assert_eq!(code, 2);
    assert!(sarif_problems(&sarif_validator(), &sarif).is_empty());
    let json: Value = serde_json::from_str(&sarif).expect("SARIF");
    let invocation = &json["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let summary: Vec<(String, String, String)> = notes
        .iter()
        .map(|n| {
            let loc = &n["locations"][0]["physicalLocation"];
            (
                n["descriptor"]["id"].as_str().unwrap_or("").to_string(),
                n["level"].as_str().unwrap_or("").to_string(),
                format!(
                    "{}:{}:{}",
                    loc["artifactLocation"]["uri"].as_str().unwrap_or(""),
                    loc["region"]["startLine"],
                    loc["region"]["startColumn"]
                ),
            )
        })
        .collect();
    let want = [
        ("A201", "error", "policies/main.policy:4:35"),
        ("A305", "error", "docs/acme.yaml:6:11"),
        ("A308", "warning", "docs/acme.yaml:7:5"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(summary, want);
    // Every rule is described even when no document was evaluated.
    assert_eq!(
        json["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    let (_, junit) = run_formats_case("errors.case", "junit");
    assert_eq!(junit_problems(&junit), Vec::<String>::new());
    let doc = roxmltree::Document::parse(&junit).expect("XML");
    let suites: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites, ["errors", "warnings"]);
    let types: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .filter_map(|n| n.attribute("type"))
        .collect();
    assert_eq!(types, ["A201", "A305"]);

    let (_, github) = run_formats_case("errors.case", "github");
    assert_eq!(github_problems(&github), Vec::<String>::new());
    assert!(github.starts_with(
        "::error file=policies/main.policy,line=4,col=35,title=accord A201::`vendor` has no field `residency`\n"
    ));
    assert!(github.contains("::warning file=docs/acme.yaml,line=7,col=5,title=accord A308::"));
}

#[test]
fn github_job_summary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/formats");
    let case = parse_case(&std::fs::read_to_string(root.join("outcomes.case")).expect("case"))
        .expect("parses");
    let text = |name: &str| {
        case.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .expect("file")
    };
    let mut engine = accord::Engine::new(vec![(
        "policies/main.policy".into(),
        text("policies/main.policy"),
    )]);
    let today = accord::time::parse_date("2026-11-21").expect("date");
    let (documents, diagnostics) = engine.check_text(
        "docs/acme.yaml",
        text("docs/acme.yaml"),
        accord::input::Format::Yaml,
        today,
    );
    let report = accord::report::Report {
        documents,
        diagnostics,
    };
    let md = accord::report::github::summary_markdown(&report, &engine.set, &engine.sources);
    assert!(md.starts_with("## Accord policy check\n"), "{md}");
    assert!(
        md.contains("checked 1 document: 0 pass, 0 warn, 1 fail; 0 errors, 0 warnings"),
        "{md}"
    );
    assert!(
        md.contains("| docs/acme.yaml | questionnaire | Acme | ❌ fail | 0 | 1 | 2 | 1 |"),
        "{md}"
    );
    // The failing results, with table-breaking and HTML characters escaped.
    assert!(md.contains("| must | `ai_vendor.residency`<br>Data stays in the EU | fail | docs/acme.yaml:5:3 | Acme &lt;Screening&gt; &amp; \"Sons\" 'Ltd' \\| \u{1} 100%, a: b keeps data in US<br>second line |"), "{md}");
    assert!(md.contains("| should | `ai_vendor.breach`"), "{md}");
    assert!(
        md.contains("waived by `acme_sso` until 2027-03-31, approved by hr\\_director, cio"),
        "{md}"
    );
    assert!(
        !md.contains("ai_vendor.api"),
        "passing results are not listed: {md}"
    );
}

// ---------------------------------------------------------------- policy fmt
// `policy fmt` is idempotent, keeps the meaning of a file (its AST without
// spans, documentation comments included) and every comment, in order: on
// every policy file of the repository, on the policies of the cases, and on
// generated programs.

use accord::source::FileId;
use accord::syntax::fmt as policy_fmt;

/// The text around the first difference of `a` and `b`.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or(a.len().min(b.len()));
    let around = |s: &str| -> String {
        let mut from = at.saturating_sub(120).min(s.len());
        while !s.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 120).min(s.len());
        while !s.is_char_boundary(to) {
            to += 1;
        }
        s[from..to].to_string()
    };
    format!("before: …{}…\nafter:  …{}…", around(a), around(b))
}

/// Runs `work` with the large stack the command line gives its work too
/// (deeply nested policies are parsed by recursion).
fn with_large_stack(work: impl FnOnce() + Send) {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn_scoped(scope, work)
            .expect("thread");
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

/// Checks the properties of `policy fmt` on `text`, which parses.
fn fmt_properties(name: &str, text: &str) -> Result<(), String> {
    let file = FileId(0);
    let (ast, diagnostics) = accord::syntax::parse_file(file, text);
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!("{name}: does not parse: {}", d.message));
    }
    let once = policy_fmt::format(file, text)
        .map_err(|_| format!("{name}: was not formatted although it parses"))?;
    let twice = policy_fmt::format(file, &once).map_err(|ds| {
        let what: Vec<&str> = ds.iter().map(|d| d.message.as_str()).collect();
        format!("{name}: the formatted text does not parse: {what:?}\n{once}")
    })?;
    if twice != once {
        return Err(format!(
            "{name}: formatting twice changes the text\n{}\n--- once\n{once}--- twice\n{twice}",
            first_difference(&once, &twice)
        ));
    }
    let (formatted, _) = accord::syntax::parse_file(file, &once);
    let (before, after) = (policy_fmt::shape(&ast), policy_fmt::shape(&formatted));
    if before != after {
        return Err(format!(
            "{name}: formatting changes the AST\n{}\n--- source\n{text}--- formatted\n{once}",
            first_difference(&before, &after)
        ));
    }
    // Every comment is kept, in order (comments that end up on one line read
    // as one comment, joined by a space).
    let texts = |t: &str| -> String {
        let all: Vec<String> = policy_fmt::comments(t)
            .into_iter()
            .map(|c| c.text)
            .collect();
        all.join(" ")
    };
    if texts(text) != texts(&once) {
        return Err(format!(
            "{name}: comments are lost or moved out of order\n{}\n--- formatted\n{once}",
            first_difference(&texts(text), &texts(&once))
        ));
    }
    let ends_well = once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n"));
    if !ends_well || once.lines().any(|l| l.ends_with([' ', '\t'])) {
        return Err(format!(
            "{name}: trailing whitespace or not one final newline"
        ));
    }
    Ok(())
}

fn collect_policies(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with_extension(dir, "policy", out);
}

#[test]
fn fmt_keeps_every_policy_file_and_case() {
    with_large_stack(fmt_keeps_every_policy_file_and_case_here);
}

fn fmt_keeps_every_policy_file_and_case_here() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut paths = Vec::new();
    collect_policies(&root.join("examples"), &mut paths);
    collect_policies(&root.join("stdlib"), &mut paths);
    paths.sort();
    assert!(paths.len() >= 3, "no policy files found");
    for path in &paths {
        let text = std::fs::read_to_string(path).expect("policy text");
        let name = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        if let Err(e) = fmt_properties(&name, &text) {
            failures.push(e);
        }
    }
    // The policies embedded in the cases, those that parse.
    let mut cases = Vec::new();
    collect(&root.join("tests/cases"), &mut cases);
    cases.sort();
    let mut embedded = 0;
    for path in &cases {
        let Ok(case) = parse_case(&std::fs::read_to_string(path).expect("case")) else {
            continue;
        };
        for (file, text) in case.files.iter().filter(|(f, _)| f.ends_with(".policy")) {
            let (_, diagnostics) = accord::syntax::parse_file(FileId(0), text);
            if diagnostics.iter().any(|d| d.is_error()) {
                continue;
            }
            embedded += 1;
            let name = format!(
                "{} ({file})",
                path.strip_prefix(root).unwrap_or(path).display()
            );
            if let Err(e) = fmt_properties(&name, text) {
                failures.push(e);
            }
        }
    }
    assert!(embedded > 100, "only {embedded} case policies parsed");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fmt_check_passes_on_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = ["fmt", "--check", "examples", "stdlib"].map(String::from);
    let (code, out, err) = run_policy(root, &args, &None);
    assert_eq!(code, 0, "not formatted:\n{out}{err}");
}

#[test]
fn fmt_rewrites_in_place_and_names_the_files() {
    let dir = scratch_dir();
    std::fs::create_dir_all(dir.join("policies/.hidden")).expect("dir");
    std::fs::create_dir_all(dir.join("target")).expect("dir");
    let messy =
        "role cio {department it}\nmust m {\napplies questionnaire # why\n  require true }\n";
    let tidy =
        "role cio { department it }\nmust m {\n  applies questionnaire # why\n  require true\n}\n";
    for file in [
        "policies/a.policy",
        "policies/.hidden/h.policy",
        "target/t.policy",
    ] {
        std::fs::write(dir.join(file), messy).expect("write");
    }
    std::fs::write(dir.join("policies/b.policy"), tidy).expect("write");
    let run = |args: &[&str]| {
        run_policy(
            &dir,
            &args.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &None,
        )
    };

    let (code, out, err) = run(&["fmt", "--check"]);
    assert_eq!((code, out.as_str()), (1, "policies/a.policy\n"), "{err}");
    let (code, out, err) = run(&["fmt"]);
    assert_eq!((code, out.as_str()), (0, "policies/a.policy\n"), "{err}");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("read");
    assert_eq!(read("policies/a.policy"), tidy);
    assert_eq!(read("policies/b.policy"), tidy);
    // Hidden directories and `target/` are not searched...
    assert_eq!(read("policies/.hidden/h.policy"), messy);
    assert_eq!(read("target/t.policy"), messy);
    // ...but a file named on the command line is formatted.
    let (code, out, _) = run(&["fmt", "target/t.policy"]);
    assert_eq!((code, out.as_str()), (0, "target/t.policy\n"));
    let (code, out, _) = run(&["fmt", "--check", "policies", "target/t.policy"]);
    assert_eq!((code, out.as_str()), (0, ""));

    // Syntax errors: the file is left alone, the error reported, exit 2.
    std::fs::write(dir.join("policies/bad.policy"), "role x {\n").expect("write");
    let (code, _, err) = run(&["fmt", "policies"]);
    assert_eq!(code, 2);
    assert!(err.contains("A001"), "{err}");
    assert_eq!(read("policies/bad.policy"), "role x {\n");
    let (code, _, err) = run(&["fmt", "nowhere"]);
    assert_eq!(code, 2);
    assert!(err.contains("A402"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Random policies from the grammar: every construct, strings with escapes
/// and interpolations, comments and blank lines in every place a person may
/// put them, one-line and multi-line blocks, expressions broken over lines.
struct PolicyGen {
    rng: Rng,
    /// Line ending: `\n` or `\r\n`.
    eol: &'static str,
    /// Inside an interpolation: no nested strings (the item splitter, which
    /// runs before the parser, does not read strings inside strings).
    in_string: bool,
}

const GEN_NAMES: &[&str] = &[
    "a",
    "b",
    "x",
    "y",
    "vendor",
    "input",
    "item",
    "flows",
    "f",
    "_tmp",
    "x1",
    "approved_by",
];
const GEN_FIELDS: &[&str] = &["name", "count", "in", "data", "role", "soc2_date", "x"];
const GEN_KEYS: &[&str] = &[
    "applies",
    "owner",
    "require",
    "when",
    "message",
    "cite",
    "weight",
    "section",
    "department",
    "kind",
    "until",
    "reason",
    "document",
    "version",
    "writers",
];
const GEN_COMMENTS: &[&str] = &[
    "# plain",
    "## documentation",
    "#no space",
    "# \"quoted\" {braces} and \\ backslash",
    "#",
    "# trailing spaces   ",
    "# é, 😀 and `code`",
    "## ",
    "# a # in a comment",
];

impl PolicyGen {
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next() % n as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick(&mut self, from: &[&'static str]) -> &'static str {
        from[self.below(from.len())]
    }

    fn comment(&mut self) -> &'static str {
        self.pick(GEN_COMMENTS)
    }

    /// A plain comment (never `##`), for places where a `##` line would
    /// become the documentation of what follows only after formatting.
    fn plain_comment(&mut self) -> &'static str {
        loop {
            let c = self.comment();
            if !c.starts_with("##") {
                return c;
            }
        }
    }

    /// Between two tokens of an expression: a space, or a line break,
    /// perhaps with a comment (never inside a string).
    fn gap(&mut self, breaks: bool) -> String {
        if !breaks || !self.chance(6) {
            return " ".into();
        }
        let eol = self.eol;
        match self.below(3) {
            0 => format!("{eol}      "),
            1 => format!(" {}{eol}    ", self.comment()),
            _ => format!("{eol}   {}{eol}     ", self.plain_comment()),
        }
    }

    fn binary(
        &mut self,
        ops: &[&'static str],
        d: usize,
        breaks: bool,
        operand: fn(&mut Self, usize, bool) -> String,
    ) -> String {
        let mut out = operand(self, d, breaks);
        let n = if d > 0 && self.chance(3) {
            1 + self.below(3)
        } else {
            0
        };
        for _ in 0..n {
            let op = self.pick(ops);
            let (g1, g2) = (self.gap(breaks), self.gap(breaks));
            let right = operand(self, d - 1, breaks);
            out = format!("{out}{g1}{op}{g2}{right}");
        }
        out
    }

    /// An expression (`or_expr`); `breaks`: line breaks and comments allowed.
    fn expr(&mut self, d: usize, breaks: bool) -> String {
        self.binary(&["or"], d, breaks, Self::and_expr)
    }

    fn and_expr(&mut self, d: usize, breaks: bool) -> String {
        self.binary(&["and"], d, breaks, Self::not_expr)
    }

    fn not_expr(&mut self, d: usize, breaks: bool) -> String {
        let nots = if self.chance(5) { 1 + self.below(2) } else { 0 };
        format!("{}{}", "not ".repeat(nots), self.cmp_expr(d, breaks))
    }

    fn cmp_expr(&mut self, d: usize, breaks: bool) -> String {
        let left = self.coalesce(d, breaks);
        if d == 0 || !self.chance(3) {
            return left;
        }
        let op = self.pick(&["==", "!=", "<=", ">=", "<", ">", "in", "matches"]);
        let right = self.coalesce(d - 1, breaks);
        format!("{left} {op} {right}")
    }

    fn coalesce(&mut self, d: usize, breaks: bool) -> String {
        self.binary(&["??"], d, breaks, Self::add_expr)
    }

    fn add_expr(&mut self, d: usize, breaks: bool) -> String {
        self.binary(&["+", "-"], d, breaks, Self::mul_expr)
    }

    fn mul_expr(&mut self, d: usize, breaks: bool) -> String {
        self.binary(&["*", "/"], d, breaks, Self::unary)
    }

    fn unary(&mut self, d: usize, breaks: bool) -> String {
        let negs = if self.chance(6) { 1 + self.below(2) } else { 0 };
        let mut out = format!("{}{}", "-".repeat(negs), self.primary(d, breaks));
        while d > 0 && self.chance(4) {
            if self.chance(2) {
                out = format!("{out}.{}", self.pick(GEN_FIELDS));
            } else {
                let index = self.expr(d - 1, breaks);
                out = format!("{out}[{index}]");
            }
        }
        out
    }

    fn list(&mut self, d: usize, breaks: bool, n: usize) -> String {
        let items: Vec<String> = (0..n).map(|_| self.expr(d, breaks)).collect();
        let comma = if n > 0 && self.chance(4) { "," } else { "" };
        format!("{}{comma}", items.join(", "))
    }

    fn primary(&mut self, d: usize, breaks: bool) -> String {
        let choice = if d == 0 {
            self.below(3)
        } else {
            self.below(10)
        };
        match choice {
            0 => self.literal(),
            1 => self.pick(GEN_NAMES).to_string(),
            2 if !self.in_string => self.string(d.saturating_sub(1)),
            2 => self.pick(GEN_NAMES).to_string(),
            3 => {
                let n = self.below(3);
                format!("{}({})", self.pick(GEN_NAMES), self.list(d - 1, breaks, n))
            }
            4 => {
                let n = self.below(4);
                format!("[{}]", self.list(d - 1, breaks, n))
            }
            5 => {
                let element = self.expr(d - 1, breaks);
                let var = self.pick(GEN_NAMES);
                let list = self.expr(d - 1, breaks);
                let filter = if self.chance(2) {
                    format!(" if {}", self.expr(d - 1, breaks))
                } else {
                    String::new()
                };
                format!("[{element} for {var} in {list}{filter}]")
            }
            6 => format!("({})", self.expr(d - 1, breaks)),
            7 => format!("({})", self.quantifier(d - 1, breaks)),
            _ => self.literal(),
        }
    }

    fn quantifier(&mut self, d: usize, breaks: bool) -> String {
        let q = self.pick(&["all", "any", "none", "count"]);
        let var = self.pick(GEN_NAMES);
        let list = self.expr(d, breaks);
        let body = self.expr(d, breaks);
        format!("{q} {var} in {list}: {body}")
    }

    fn literal(&mut self) -> String {
        self.pick(&[
            "3",
            "2.5",
            "0",
            "1%",
            "2.50%",
            "15min",
            "72h",
            "30d",
            "2w",
            "6mo",
            "4y",
            "2027-03-31",
            "true",
            "false",
            "007",
        ])
        .to_string()
    }

    /// A string with escapes and (when `d > 0`) interpolations.
    fn string(&mut self, d: usize) -> String {
        let mut out = String::from("\"");
        for _ in 0..self.below(5) {
            match self.below(4) {
                0 if d > 0 => {
                    self.in_string = true;
                    let inner = self.expr(d - 1, false);
                    self.in_string = false;
                    out.push_str(&format!("{{{inner}}}"));
                }
                1 => out.push_str(self.pick(&[
                    "\\\"",
                    "\\\\",
                    "\\n",
                    "\\t",
                    "\\{",
                    "\\}",
                    "\\u{41}",
                    "\\u{1F600}",
                    "\\u{7}",
                ])),
                _ => {
                    out.push_str(self.pick(&["text", " ", "# not a comment", "é", "}", "a b", "%"]))
                }
            }
        }
        out.push('"');
        out
    }

    fn title(&mut self) -> String {
        if self.chance(2) {
            String::new()
        } else {
            let d = if self.chance(4) { 1 } else { 0 };
            format!(" {}", self.string(d))
        }
    }

    fn indent(&mut self, level: usize) -> String {
        let unit = self.pick(&["  ", "    ", "\t", " "]);
        unit.repeat(level.max(1))
    }

    /// An entry of a block (at nesting `level`), without its line break.
    /// `shared`: the entry shares its line with a documented declaration
    /// (see `block`).
    fn entry(&mut self, level: usize, one_line: bool, shared: bool) -> String {
        let breaks = !one_line || self.chance(4);
        match self.below(9) {
            0 => format!("each {} in {}", self.pick(GEN_NAMES), self.expr(2, breaks)),
            1 => format!("let {} = {}", self.pick(GEN_NAMES), self.expr(2, breaks)),
            2 => format!(
                "expect {} {}",
                self.pick(&["fail", "pass", "verdict"]),
                self.pick(&["ai_vendor.soc2", "fail", "q.r.s"])
            ),
            3 => format!(
                "target {} {}",
                self.pick(&["<", "<=", ">", ">=", "==", "!="]),
                self.literal()
            ),
            4 if level < 3 && !shared => self.block(&["must", "should", "may"], level, false),
            5 => format!("{} {}", self.pick(GEN_KEYS), self.quantifier(1, breaks)),
            _ => format!("{} {}", self.pick(GEN_KEYS), self.expr(3, breaks)),
        }
    }

    /// Own-line comments and blank lines before something at `level`.
    fn leading(&mut self, level: usize, doc_ok: bool) -> String {
        let mut out = String::new();
        let eol = self.eol;
        for _ in 0..self.below(3) {
            if self.chance(3) {
                out.push_str(eol);
            }
            if self.chance(2) {
                let c = if doc_ok {
                    self.comment()
                } else {
                    self.plain_comment()
                };
                let indent = self.indent(level);
                out.push_str(&format!("{indent}{c}{eol}"));
            }
        }
        out
    }

    /// A block of one of `kinds`, starting at the current position.
    /// `documented`: `##` lines are right above it. The lowering gives them to
    /// every declaration that starts on the line below them, so a documented
    /// block does not start a nested rule on its own line: once formatted, the
    /// rule would start a line of its own and lose that documentation.
    fn block(&mut self, kinds: &[&'static str], level: usize, documented: bool) -> String {
        let eol = self.eol;
        let header = format!(
            "{} {}{}",
            self.pick(kinds),
            self.pick(GEN_NAMES),
            self.title()
        );
        let n = self.below(5);
        if n == 0 && self.chance(2) {
            return format!("{header} {{}}");
        }
        if self.chance(3) {
            let entries: Vec<String> = (0..n)
                .map(|_| self.entry(level + 1, true, documented))
                .collect();
            let sep = if self.chance(2) { "  " } else { " " };
            return format!("{header} {{ {} }}", entries.join(sep));
        }
        let mut out = format!("{header} {{");
        if self.chance(4) {
            out.push_str(&format!(" {}", self.comment()));
        }
        out.push_str(eol);
        for _ in 0..n {
            let leading = self.leading(level + 1, true);
            let documented = ends_with_doc(&leading);
            out.push_str(&leading);
            let indent = self.indent(level + 1);
            let entry = if documented && self.chance(2) {
                self.block(&["must", "should", "may"], level + 1, true)
            } else {
                self.entry(level + 1, false, false)
            };
            out.push_str(&format!("{indent}{entry}"));
            if self.chance(4) {
                out.push_str(&format!("  {}", self.comment()));
            }
            out.push_str(eol);
        }
        out.push_str(&self.leading(level + 1, false));
        let indent = if level == 0 {
            String::new()
        } else {
            self.indent(level)
        };
        out.push_str(&format!("{indent}}}"));
        out
    }

    fn schema_fields(&mut self, level: usize) -> String {
        let eol = self.eol;
        let n = self.below(4);
        let one_line = self.chance(2);
        let mut fields = Vec::new();
        for _ in 0..n {
            let name = self.pick(GEN_FIELDS);
            let mark = if self.chance(2) { "?" } else { "" };
            let field = match self.below(6) {
                0 if level < 3 => format!("{name}{mark} {{{}}}", self.schema_fields(level + 1)),
                1 if level < 3 => {
                    let (before, after) = if self.chance(2) {
                        (mark, "")
                    } else {
                        ("", mark)
                    };
                    format!(
                        "{name}{before} [{{{}}}]{after}",
                        self.schema_fields(level + 1)
                    )
                }
                _ => {
                    let ty = self.pick(&[
                        "string",
                        "int",
                        "bool",
                        "[string]",
                        "map(number)",
                        "[[date]]",
                        "data",
                    ]);
                    format!("{name} {ty}{mark}")
                }
            };
            fields.push(field);
        }
        if one_line || fields.is_empty() {
            return format!(" {} ", fields.join("  "));
        }
        let mut out = String::from(eol);
        for field in fields {
            out.push_str(&self.leading(level + 1, true));
            let indent = self.indent(level + 1);
            out.push_str(&format!("{indent}{field}"));
            if self.chance(4) {
                out.push_str(&format!(" {}", self.comment()));
            }
            out.push_str(eol);
        }
        out.push_str(&self.leading(level + 1, false));
        out.push_str(&self.indent(level));
        out
    }

    fn item(&mut self, documented: bool) -> String {
        match self.below(8) {
            0 => format!("import std.{}", self.pick(&["vendor", "architecture"])),
            1 => {
                let n = self.below(3);
                let params: Vec<&str> = (0..n).map(|_| self.pick(GEN_NAMES)).collect();
                let comma = if n > 0 && self.chance(4) { "," } else { "" };
                let body = if self.chance(3) {
                    self.quantifier(2, true)
                } else {
                    self.expr(3, true)
                };
                format!(
                    "fn {}({}{comma}) = {body}",
                    self.pick(GEN_NAMES),
                    params.join(", ")
                )
            }
            2 => format!(
                "schema {} {{{}}}",
                self.pick(GEN_NAMES),
                self.schema_fields(0)
            ),
            3 => {
                // A `policy` header: the shape of a block, a dotted name.
                let block = self.block(&["role"], 0, documented);
                format!("policy acme.{}", &block["role ".len()..])
            }
            4 => self.block(&["requirements", "gate"], 0, documented),
            5 => self.block(&["must", "should", "may"], 0, documented),
            _ => self.block(
                &[
                    "role",
                    "committee",
                    "system",
                    "data",
                    "tier",
                    "waiver",
                    "metric",
                    "test",
                ],
                0,
                documented,
            ),
        }
    }

    fn file(&mut self) -> String {
        let eol = self.eol;
        let mut out = String::new();
        let mut last_had_doc = true;
        for _ in 0..1 + self.below(6) {
            let leading = self.leading(0, true);
            let has_doc = ends_with_doc(&leading);
            // Two declarations may share a line, unless the first is
            // documented (the documentation would then belong to both).
            if !out.is_empty() && leading.is_empty() && !last_had_doc && self.chance(6) {
                out.push(' ');
            } else {
                if !out.is_empty() {
                    out.push_str(eol);
                }
                out.push_str(&leading);
                last_had_doc = has_doc;
            }
            out.push_str(&self.item(last_had_doc));
            if self.chance(5) {
                out.push_str(&format!(" {}", self.comment()));
                last_had_doc = true; // nothing may follow on this line
            }
        }
        out.push_str(&self.leading(0, true));
        if self.chance(2) {
            out.push_str(eol);
        }
        out
    }
}

/// Whether `leading` (comment lines) ends with a `##` line.
fn ends_with_doc(leading: &str) -> bool {
    leading
        .lines()
        .last()
        .is_some_and(|l| l.trim_start().starts_with("##"))
}

#[test]
fn fmt_keeps_generated_programs() {
    with_large_stack(fmt_keeps_generated_programs_here);
}

fn fmt_keeps_generated_programs_here() {
    let mut failures = Vec::new();
    for seed in 1..=300u64 {
        let mut generator = PolicyGen {
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            eol: if seed % 7 == 0 { "\r\n" } else { "\n" },
            in_string: false,
        };
        let text = generator.file();
        if let Err(e) = fmt_properties(&format!("seed {seed}"), &text) {
            failures.push(format!("{e}\n--- generated\n{text}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 300 generated programs failed:\n{}",
        failures.len(),
        failures.join("\n\n=====\n\n")
    );
}

// ---------------------------------------------------------------- standard library

/// The standard library's own tests pass, every module checks alone with no
/// diagnostic, and `docs/stdlib.md` is exactly what `policy doc --stdlib` writes.
#[test]
fn standard_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run_policy(
        root,
        &["test", "--policy", "stdlib/tests", "--today", "2026-11-21"].map(String::from),
        &None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" passed, 0 failed"), "{out}");

    for (name, _) in accord::stdlib::MODULES {
        let engine = accord::Engine::new(vec![("m.policy".into(), format!("import std.{name}\n"))]);
        let shown: Vec<String> = engine
            .diagnostics
            .iter()
            .map(|d| accord::report::human::render_diagnostic(&engine.sources, d))
            .collect();
        assert!(shown.is_empty(), "std.{name}:\n{}", shown.join(""));
    }

    let (code, generated, _) = run_policy(root, &["doc", "--stdlib"].map(String::from), &None);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string(root.join("docs/stdlib.md")).expect("docs/stdlib.md");
    assert!(
        committed == generated,
        "docs/stdlib.md is out of date: run `cargo run -- doc --stdlib > docs/stdlib.md`"
    );
}

// ---------------------------------------------------------------- policy import vsaq
// `policy import vsaq` on the four VSAQ templates of `tests/fixtures/vsaq/`
// (Google, Apache-2.0; see its README): every generated policy checks alone
// with no diagnostic, is already in the canonical layout, and its rules fail
// on the answer that shows the VSAQ warning and pass on another one.

/// The templates, with how many questions and warnings each holds.
const VSAQ_TEMPLATES: [(&str, usize, usize); 4] = [
    ("infrastructure", 96, 72),
    ("physical_and_datacenter", 30, 16),
    ("security_privacy_programs", 46, 34),
    ("webapp", 73, 42),
];

fn vsaq_fixture(name: &str) -> (PathBuf, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join(format!("tests/fixtures/vsaq/{name}.json"));
    let text = std::fs::read_to_string(&path).expect("VSAQ fixture");
    (path, text)
}

/// `policy import vsaq` on a fixture: the policy it prints.
fn import_vsaq_fixture(name: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = [
        "import".to_string(),
        "vsaq".to_string(),
        format!("tests/fixtures/vsaq/{name}.json"),
    ];
    let (code, out, err) = run_policy(root, &args, &None);
    assert_eq!(code, 0, "{name}: {err}");
    assert_eq!(err, "", "{name}: nothing is skipped");
    out
}

#[test]
fn import_vsaq_gives_valid_canonical_policies() {
    let field =
        regex::Regex::new(r"^    [a-z_][a-z0-9_]* +(string|bool|\[string\])\?$").expect("regex");
    for (name, questions, warnings) in VSAQ_TEMPLATES {
        let out = import_vsaq_fixture(name);
        let (_, text) = vsaq_fixture(name);
        let imported = accord::import::vsaq(
            &text,
            &format!("{name}.json"),
            &accord::import::Options::default(),
        )
        .expect("a VSAQ template");
        assert_eq!(
            imported.policy, out,
            "{name}: the library and the command agree"
        );
        assert!(
            imported.warnings.is_empty(),
            "{name}: {:?}",
            imported.warnings
        );
        assert_eq!(imported.record, format!("vsaq_{name}"));

        // Every question is a field, every warning a `should` rule.
        assert_eq!(imported.questions, questions, "{name}: questions");
        assert_eq!(imported.rules, warnings, "{name}: warnings");
        let tips = text.matches("\"warn\": \"yes\"").count();
        assert_eq!(tips, warnings, "{name}: the warnings of the template");
        assert_eq!(out.lines().filter(|l| field.is_match(l)).count(), questions);
        assert_eq!(
            out.lines().filter(|l| l.starts_with("  should ")).count(),
            warnings
        );
        assert_eq!(out.matches("\n    section it\n").count(), warnings);
        assert!(out.contains(&format!("\n  vsaq_{name}? {{\n")), "{name}");
        assert!(
            out.contains(&format!("\nrequirements vsaq_{name} ")),
            "{name}"
        );
        assert_eq!(out.matches("\n  applies questionnaire\n").count(), 1);

        // (a) It checks alone, with no diagnostic at all.
        let engine = accord::Engine::new(vec![(format!("{name}.policy"), out.clone())]);
        let shown: Vec<String> = engine
            .diagnostics
            .iter()
            .map(|d| accord::report::human::render_diagnostic(&engine.sources, d))
            .collect();
        assert!(shown.is_empty(), "{name}:\n{}", shown.join(""));
        let group = format!("vsaq_{name}.");
        let rules = engine
            .set
            .rules
            .iter()
            .filter(|r| r.id.starts_with(&group))
            .count();
        assert_eq!(rules, warnings, "{name}: rules in the policy set");

        // (b) It is in the canonical layout.
        match policy_fmt::format(FileId(0), &out) {
            Ok(formatted) => assert!(
                formatted == out,
                "{name}: not canonical\n{}",
                first_difference(&out, &formatted)
            ),
            Err(_) => panic!("{name}: does not parse"),
        }
    }
}

/// A `when` of a generated rule the test can satisfy.
enum VsaqWhen {
    Is(String, String),
    IsNot(String, String),
    Has(String, String),
}

/// A generated rule of the simplest shape: one `require` on one answer
/// (`FIELD != "CHOICE"` on a radio question, `"CHOICE" in FIELD` or
/// `not "CHOICE" in FIELD` on a checkbox group), and `when`s on other answers.
struct VsaqRule {
    name: String,
    field: String,
    /// The answer that shows the warning.
    bad: Value,
    /// One that does not (`None`: another choice of the radio question).
    good: Option<Value>,
    /// The warned choice.
    choice: String,
    whens: Vec<VsaqWhen>,
}

fn simple_vsaq_rules(policy: &str, record: &str) -> (Vec<VsaqRule>, usize) {
    let require = regex::Regex::new(&format!(r#"^{record}\.(\w+) != "([^"\\]*)"$"#)).expect("re");
    let checked =
        regex::Regex::new(&format!(r#"^(not )?"([^"\\]*)" in {record}\.(\w+)$"#)).expect("re");
    let compare =
        regex::Regex::new(&format!(r#"^{record}\.(\w+) (==|!=) "([^"\\]*)"$"#)).expect("re");
    let has = regex::Regex::new(&format!(r#"^"([^"\\]*)" in {record}\.(\w+)$"#)).expect("re");
    let mut rules = Vec::new();
    let mut all = 0;
    let mut current: Option<(String, Vec<String>, Vec<String>)> = None;
    for line in policy.lines() {
        if let Some(rest) = line.strip_prefix("  should ") {
            let name = rest.split(' ').next().unwrap_or("").to_string();
            current = Some((name, Vec::new(), Vec::new()));
        } else if let Some(when) = line.strip_prefix("    when    ") {
            if let Some((_, whens, _)) = current.as_mut() {
                whens.push(when.to_string());
            }
        } else if let Some(req) = line.strip_prefix("    require ") {
            if let Some((_, _, requires)) = current.as_mut() {
                requires.push(req.to_string());
            }
        } else if line == "  }" {
            let Some((name, whens, requires)) = current.take() else {
                continue;
            };
            all += 1;
            let [only] = requires.as_slice() else {
                continue;
            };
            let (field, choice, bad, good) = if let Some(r) = require.captures(only) {
                let bad = Value::String(r[2].to_string());
                (r[1].to_string(), r[2].to_string(), bad, None)
            } else if let Some(r) = checked.captures(only) {
                let list = Value::Array(vec![Value::String(r[2].to_string())]);
                let (bad, good) = if r.get(1).is_some() {
                    (list, Value::Array(Vec::new()))
                } else {
                    (Value::Array(Vec::new()), list)
                };
                (r[3].to_string(), r[2].to_string(), bad, Some(good))
            } else {
                continue;
            };
            let mut parsed = Vec::new();
            for w in &whens {
                if let Some(c) = compare.captures(w) {
                    let (f, v) = (c[1].to_string(), c[3].to_string());
                    parsed.push(if &c[2] == "==" {
                        VsaqWhen::Is(f, v)
                    } else {
                        VsaqWhen::IsNot(f, v)
                    });
                } else if let Some(c) = has.captures(w) {
                    parsed.push(VsaqWhen::Has(c[2].to_string(), c[1].to_string()));
                } else {
                    parsed.clear();
                    break;
                }
            }
            if parsed.len() != whens.len() {
                continue;
            }
            rules.push(VsaqRule {
                name,
                field,
                bad,
                good,
                choice,
                whens: parsed,
            });
        }
    }
    (rules, all)
}

/// Answers that satisfy the `when`s of `rule`, or `None` if they conflict
/// or read the answer the rule requires.
fn vsaq_answers_for(rule: &VsaqRule) -> Option<serde_json::Map<String, Value>> {
    let mut answers = serde_json::Map::new();
    for w in &rule.whens {
        match w {
            VsaqWhen::Is(f, v) => {
                if answers.get(f).is_some_and(|old| old != v) {
                    return None;
                }
                answers.insert(f.clone(), Value::String(v.clone()));
            }
            VsaqWhen::Has(f, v) => {
                let list = answers
                    .entry(f.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                list.as_array_mut()?.push(Value::String(v.clone()));
            }
            VsaqWhen::IsNot(..) => {}
        }
    }
    for w in &rule.whens {
        if let VsaqWhen::IsNot(f, v) = w {
            match answers.get(f) {
                Some(old) if old == v => return None,
                Some(_) => {}
                None => {
                    answers.insert(f.clone(), Value::String("none_of_these".into()));
                }
            }
        }
    }
    (!answers.contains_key(&rule.field)).then_some(answers)
}

fn vsaq_document(id: &str, record: &str, answers: serde_json::Map<String, Value>) -> String {
    let doc = serde_json::json!({
        "kind": "questionnaire",
        "id": id,
        "vendor": {"name": "Example Vendor"},
        record: answers,
    });
    serde_json::to_string(&doc).expect("JSON")
}

/// Checks `documents` (one YAML stream) against `policy`: the JSON report.
fn vsaq_check(policy: &str, documents: &str) -> Value {
    let dir = scratch_dir();
    std::fs::write(dir.join("vsaq.policy"), policy).expect("write");
    std::fs::write(dir.join("answers.yaml"), documents).expect("write");
    let args = [
        "check",
        "answers.yaml",
        "--policy",
        "vsaq.policy",
        "--format",
        "json",
        "--today",
        "2026-11-21",
    ]
    .map(String::from);
    let (code, out, err) = run_policy(&dir, &args, &None);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(code == 0 || code == 1, "exit {code}: {out}{err}");
    let json: Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(json["errors"], serde_json::json!([]), "{out}");
    assert_eq!(json["warnings"], serde_json::json!([]), "{out}");
    json
}

fn vsaq_outcome(json: &Value, doc: &str, rule: &str) -> String {
    let results = results_of(json, doc, Some(rule));
    let outcomes: Vec<&str> = results
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    outcomes.join(",")
}

/// Every generated rule of the simplest shape, on every template: a
/// questionnaire answering the warned choice fails it, one answering another
/// choice of the same question passes it.
#[test]
fn import_vsaq_rules_fail_on_the_warned_answer() {
    let mut checked = 0;
    for (name, _, _) in VSAQ_TEMPLATES {
        let policy = import_vsaq_fixture(name);
        let (_, text) = vsaq_fixture(name);
        let template = accord::import::vsaq::read(&text).expect("template");
        let record = format!("vsaq_{name}");
        let (rules, all) = simple_vsaq_rules(&policy, &record);
        assert_eq!(
            all,
            VSAQ_TEMPLATES
                .iter()
                .find(|t| t.0 == name)
                .map_or(0, |t| t.2)
        );
        let mut documents = Vec::new();
        let mut expected = Vec::new();
        for rule in &rules {
            let Some(answers) = vsaq_answers_for(rule) else {
                continue;
            };
            // The good answer to a radio question: another of its choices.
            let good = rule.good.clone().unwrap_or_else(|| {
                template
                    .nodes
                    .iter()
                    .find(|n| n.choices.iter().any(|(c, _)| *c == rule.choice))
                    .and_then(|n| n.choices.iter().find(|(c, _)| *c != rule.choice))
                    .map(|(c, _)| Value::String(c.clone()))
                    .expect("the warned question has another choice")
            });
            for (outcome, answer) in [("fail", &rule.bad), ("pass", &good)] {
                let mut answers = answers.clone();
                answers.insert(rule.field.clone(), answer.clone());
                let id = format!("{outcome} {}", rule.name);
                documents.push(vsaq_document(&id, &record, answers));
                expected.push((id, format!("{record}.{}", rule.name), outcome));
            }
        }
        assert!(
            expected.len() >= 2 * 12,
            "{name}: only {} simple rules",
            expected.len() / 2
        );
        println!("{name}: {} of {all} rules checked", expected.len() / 2);
        let json = vsaq_check(&policy, &documents.join("\n---\n"));
        let mut wrong = Vec::new();
        for (doc, rule, outcome) in &expected {
            let got = vsaq_outcome(&json, doc, rule);
            if got != *outcome {
                wrong.push(format!("{rule} on `{doc}`: {got}, expected {outcome}"));
            }
        }
        assert!(wrong.is_empty(), "{name}:\n{}", wrong.join("\n"));
        checked += expected.len() / 2;
    }
    assert!(checked >= 100, "only {checked} rules checked");
}

/// Rules of other shapes, one document at a time: checkbox groups, `^id`
/// (a warning shown instead of another), questions not asked, no answer.
#[test]
fn import_vsaq_compound_rules_and_missing_answers() {
    type Case = (&'static str, &'static str, &'static str, &'static str);
    let cases: [Case; 14] = [
        // (template, rule, answers as YAML, outcome)
        ("physical_and_datacenter", "warn_no_office_ra",
         "{office_facilities_excl: office_facilities_excl_yes, office_ra: office_ra_no}", "fail"),
        ("physical_and_datacenter", "warn_no_office_ra",
         "{office_facilities_excl: office_facilities_excl_yes, office_ra: office_ra_yes}", "pass"),
        // Everyone works from home: the office question is not asked.
        ("physical_and_datacenter", "warn_no_office_ra",
         "{office_facilities_excl: office_facilities_home}", "not_applicable"),
        // Asked, not answered: never a pass.
        ("physical_and_datacenter", "warn_no_office_ra",
         "{office_facilities_excl: office_facilities_excl_no}", "indeterminate"),
        ("infrastructure", "warn_servers_email_security_spoof",
         "{options: [req_sensitive], email_security: []}", "fail"),
        ("infrastructure", "warn_servers_email_security_spoof",
         "{options: [req_sensitive], email_security: [email_security_dkim]}", "pass"),
        ("infrastructure", "warn_servers_email_security_spoof",
         "{options: [], email_security: []}", "not_applicable"),
        // `!^warn_network_vpn_no2ndfactor`: for sensitive data that warning is
        // shown instead, so this one passes.
        ("infrastructure", "warn_network_vpn_nostrongauth",
         "{network_vpn: network_vpn_yes, options: [], network_vpn_auth: [network_vpn_auth_pwd]}",
         "fail"),
        ("infrastructure", "warn_network_vpn_nostrongauth",
         "{network_vpn: network_vpn_yes, options: [req_sensitive], network_vpn_auth: [network_vpn_auth_pwd]}",
         "pass"),
        ("infrastructure", "warn_network_vpn_no2ndfactor",
         "{network_vpn: network_vpn_yes, options: [req_sensitive], network_vpn_auth: [network_vpn_auth_pwd]}",
         "fail"),
        ("security_privacy_programs", "warn_secprog_no_ra",
         "{secprog_choices: [secprog_policies]}", "fail"),
        ("security_privacy_programs", "warn_secprog_no_ra",
         "{secprog_choices: [secprog_policies, secprog_ra]}", "pass"),
        ("webapp", "warn_application_xss_perpage",
         "{application_xss: [application_xss_perpage]}", "fail"),
        ("webapp", "warn_application_xss_perpage",
         "{application_xss: [application_xss_templating, application_xss_perpage]}", "pass"),
    ];
    let mut policies = std::collections::HashMap::new();
    let mut failures = Vec::new();
    for (name, rule, answers, outcome) in cases {
        let policy = policies
            .entry(name)
            .or_insert_with(|| import_vsaq_fixture(name))
            .clone();
        let document = format!(
            "kind: questionnaire\nid: Example\nvendor: {{name: Example Vendor}}\nvsaq_{name}: {answers}\n"
        );
        let json = vsaq_check(&policy, &document);
        let got = vsaq_outcome(&json, "Example", &format!("vsaq_{name}.{rule}"));
        if got != outcome {
            failures.push(format!(
                "{name} {rule} on {answers}: {got}, expected {outcome}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The command's errors and what it reports on standard error.
#[test]
fn import_vsaq_errors_and_output_file() {
    let dir = scratch_dir();
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        run_policy(&dir, &args, &None)
    };
    let (code, _, err) = run(&["import", "vsaq", "missing.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read `missing.json`: no such file or directory"),
        "{err}"
    );

    let (code, _, err) = run(&["import", "caiq", "missing.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid value 'caiq'") && err.contains("vsaq"),
        "{err}"
    );

    std::fs::write(
        dir.join("bad.json"),
        "// c\n// c\n{\"questionnaire\": [\n  {\"type\": \"line\" \"id\": \"x\"}\n]}\n",
    )
    .expect("write");
    let (code, _, err) = run(&["import", "vsaq", "bad.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`bad.json`: not a VSAQ template: invalid JSON")
            && err.contains("(line 4, column"),
        "{err}"
    );

    std::fs::write(dir.join("other.json"), "{\"items\": []}").expect("write");
    let (code, _, err) = run(&["import", "vsaq", "other.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("no `questionnaire` list"), "{err}");

    // A warning whose condition cannot be translated is skipped and named.
    std::fs::write(
        dir.join("q.json"),
        r#"{"questionnaire": [{"type": "block", "text": "Q", "items": [
  {"type": "line", "id": "name", "text": "Name"},
  {"type": "slider", "id": "s", "text": "?"},
  {"type": "tip", "id": "warn_name", "cond": "matches(name/value, \"x\")", "warn": "yes", "text": "x"},
  {"type": "tip", "id": "warn_empty", "cond": "name", "warn": "yes", "text": "y"}
]}]}"#,
    )
    .expect("write");
    let (code, out, err) = run(&["import", "vsaq", "q.json", "--output", "q.policy"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("unknown item type `slider`, skipped"), "{err}");
    assert!(
        err.contains("warning `warn_name` skipped: condition"),
        "{err}"
    );
    assert!(
        err.contains("wrote `q.policy`: 1 questions as fields of `vsaq_q`, 1 warnings"),
        "{err}"
    );
    let written = std::fs::read_to_string(dir.join("q.policy")).expect("written");
    assert!(written.contains("require vsaq_q.name == \"\""), "{written}");
    assert!(!written.contains("warn_name"), "{written}");
    let engine = accord::Engine::new(vec![("q.policy".into(), written)]);
    assert!(engine.diagnostics.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The EU example (`examples/eu-hiring/`): a German retailer deploying an AI
/// CV-screening tool under the EU AI Act and GDPR, with the standard library
/// imported. Exit 1 (a vendor is eliminated, the manifest fails, go-live is
/// blocked until the affected workers are informed); its own tests pass.
#[test]
fn example_eu_hiring() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = [
        "check",
        "examples/eu-hiring/documents",
        "--policy",
        "examples/eu-hiring/policies",
        "--today",
        "2026-11-21",
        "--format",
        "json",
    ]
    .map(String::from);
    let (code, out, _) = run_policy(root, &args, &None);
    assert_eq!(code, 1, "{out}");
    let json: Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(json["format"], "accord.check/v1");
    // Five documents and the `policy` document `frischmarkt.hr_ai`.
    assert_eq!(json["summary"]["documents"], 6);
    assert_eq!(json["summary"]["pass"], 2);
    assert_eq!(json["summary"]["warn"], 1);
    assert_eq!(json["summary"]["fail"], 3);
    assert_eq!(json["summary"]["errors"], 0);
    assert_eq!(
        json["errors"],
        Value::Array(vec![]),
        "every document validates"
    );
    assert_eq!(json["warnings"], Value::Array(vec![]), "no unknown field");
    let verdict = |id: &str| {
        documents_with_id(&json, id).first().map(|d| {
            (
                d["verdict"].as_str().unwrap_or("").to_string(),
                d["score"].as_f64().map(|s| (s * 10.0).round() / 10.0),
            )
        })
    };
    let outcomes = |id: &str, rule: &str| -> Vec<String> {
        results_of(&json, id, Some(rule))
            .iter()
            .map(|r| r["outcome"].as_str().unwrap_or("").to_string())
            .collect()
    };

    // The governance model passes std.governance and its own retention rules.
    assert_eq!(verdict("frischmarkt.hr_ai"), Some(("pass".into(), None)));
    let policy_doc = documents_with_id(&json, "frischmarkt.hr_ai");
    assert_eq!(
        policy_doc.first().map(|d| d["kind"].clone()),
        Some(Value::from("policy"))
    );
    for rule in [
        "storage_limitation",
        "applicant_data_six_months",
        "ai_logs_six_months",
        "std.governance.data_owner_hr",
        "std.governance.committee_size",
        "std.governance.must_rules_owned",
    ] {
        assert_eq!(outcomes("frischmarkt.hr_ai", rule), ["pass"], "{rule}");
    }

    // Vendors: Auslese is shortlisted with one missed `should`; Quickscreen
    // is eliminated by the GDPR processor terms and the EU AI Act documents.
    assert_eq!(verdict("Auslese"), Some(("warn".into(), Some(94.7))));
    assert_eq!(outcomes("Auslese", "std.ai_hr.vendor_ai.logs"), ["fail"]);
    assert_eq!(verdict("Quickscreen"), Some(("fail".into(), Some(57.9))));
    for rule in [
        "std.ai_hr.vendor_ai.processor_terms",
        "eu_provider.conformity",
        "eu_provider.registered",
    ] {
        assert_eq!(outcomes("Quickscreen", rule), ["fail"], "{rule}");
    }
    assert_eq!(outcomes("Quickscreen", "eu_provider.transfers"), ["pass"]);

    // The manifest sends the photo and date of birth to the screening AI.
    assert_eq!(
        verdict("frischmarkt-recruiting-integration"),
        Some(("fail".into(), None))
    );
    let protected = results_of(
        &json,
        "frischmarkt-recruiting-integration",
        Some("no_protected_attributes"),
    );
    assert_eq!(protected.len(), 1);
    assert_eq!(protected[0]["outcome"], "fail");
    assert!(
        location_matches(
            &protected[0]["location"],
            "examples/eu-hiring/documents/architecture/manifest.yaml:32:5"
        ),
        "{}",
        protected[0]["location"]
    );

    // Go-live is blocked by the one missing step: informing the workers.
    assert_eq!(
        verdict("go-live-hamburg-pilot"),
        Some(("fail".into(), None))
    );
    assert_eq!(
        outcomes(
            "go-live-hamburg-pilot",
            "std.ai_hr.deployment.eu_workers_informed"
        ),
        ["indeterminate"]
    );
    assert_eq!(
        outcomes("go-live-hamburg-pilot", "std.golive.go_live.comms_plan"),
        ["fail"]
    );
    let mut failing: Vec<&str> = results_of(&json, "go-live-hamburg-pilot", None)
        .iter()
        .filter(|r| r["outcome"] == "fail" || r["outcome"] == "indeterminate")
        .map(|r| r["rule"].as_str().unwrap_or(""))
        .collect();
    failing.sort();
    assert_eq!(
        failing,
        [
            "std.ai_hr.deployment.eu_workers_informed",
            "std.golive.go_live.comms_plan",
        ]
    );
    let gates = documents_with_id(&json, "go-live-hamburg-pilot")
        .first()
        .map(|d| d["gates"].clone());
    assert_eq!(
        gates,
        Some(serde_json::json!([
            {"gate": "de_go_live", "status": "open"},
            {"gate": "std.golive.go_live", "status": "blocked"}
        ]))
    );

    // The model update is approved by everyone it needs, the works council
    // included.
    assert_eq!(verdict("CR-2026-112"), Some(("pass".into(), None)));
    assert_eq!(outcomes("CR-2026-112", "works_council_agreed"), ["pass"]);

    // `policy.toml` in the example's folder names the same policies.
    let (code, out_toml, _) = run_policy(
        &root.join("examples/eu-hiring"),
        &[
            "check",
            "documents",
            "--today",
            "2026-11-21",
            "--format",
            "json",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 1);
    let json_toml: Value = serde_json::from_str(&out_toml).expect("JSON output");
    assert_eq!(json_toml["summary"], json["summary"]);

    // The policy set alone is valid and its governance model passes.
    let (code, _, _) = run_policy(
        root,
        &[
            "check",
            "--policy",
            "examples/eu-hiring/policies",
            "--today",
            "2026-11-21",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 0);

    // `policy test` runs the example's own tests, all passing.
    let (code, out_test, _) = run_policy(
        root,
        &[
            "test",
            "--policy",
            "examples/eu-hiring/policies",
            "--today",
            "2026-11-21",
        ]
        .map(String::from),
        &None,
    );
    assert_eq!(code, 0, "{out_test}");
    assert!(out_test.contains("5 passed, 0 failed"), "{out_test}");

    // Its policy files are in the canonical layout.
    let (code, out_fmt, _) = run_policy(
        root,
        &["fmt", "--check", "examples/eu-hiring"].map(String::from),
        &None,
    );
    assert_eq!(code, 0, "{out_fmt}");
}
