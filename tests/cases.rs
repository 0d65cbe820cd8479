//! The data-driven tests: every `tests/cases/**/*.case` file is one case (see
//! `tests/README.md` for the format). All cases run; failures are reported
//! together at the end.

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
            let text = w.get(1..).map(|s| s.join(" ")).unwrap_or_default();
            raw.contains(&text)
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
    if json != Value::Null && json["format"] != "accord.check/v1" {
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

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "case") {
            out.push(path);
        }
    }
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
            files.push(std::fs::read_to_string(entry.path()).expect("policy text"));
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
    assert_eq!(json["summary"]["documents"], 10);
    assert_eq!(json["summary"]["errors"], 0);
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
    // The policy set itself is valid: the same run without documents exits 0.
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
}
