//! Checker throughput on generated workloads, beside a peer (regorus running
//! the same rules written in Rego) and beside the cost of merely parsing the
//! same documents. Run with `cargo bench --bench throughput`; set
//! `ACCORD_BENCH_QUICK=1` to leave out the largest scaling rows (1M flows,
//! 10k questionnaires).
//!
//! Four tables:
//!
//! 1. In process, evaluation only: Accord's evaluator on validated documents
//!    against regorus on parsed values, on the same documents. Both must find
//!    the same violations, rule by rule (the run panics otherwise).
//! 2. In process, the parsing limit: parsing with positions (Accord's loader)
//!    and without (serde_json, regorus), against the whole check.
//! 3. Whole process: `policy check` against a small regorus runner on the
//!    same files (20,000 flows and 2,000 questionnaires).
//! 4. Scaling: time and peak memory of `policy check` as the input grows.
//!
//! Given a first argument, the binary plays a helper instead:
//!
//! - `--regorus-runner RULES.rego DATA.json PATH...`: the peer as a process
//!   (see `peer/regorus_runner.rs`);
//! - `--measure OUT PROGRAM ARGS...`: runs one program, its standard output
//!   into OUT, and prints the time and the peak memory of that one child, so
//!   that every measurement is its own;
//! - `--write-workload DIR FLOWS QUESTIONNAIRES CHANGE_REQUESTS`: writes a
//!   workload (the policy in both languages and the documents) to look at
//!   or to time by hand.

#[path = "peer/regorus_runner.rs"]
mod regorus_runner;
mod workload;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use accord::eval::{rules::source_info, Outcome};
use accord::input::Format;
use accord::source::SourceMap;
use accord::Engine;
use regorus_runner::Counts;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--regorus-runner") => std::process::exit(regorus_runner::run(&args[1..])),
        Some("--measure") => std::process::exit(measure_child(&args[1..])),
        Some("--write-workload") => std::process::exit(write_workload(&args[1..])),
        _ => {}
    }
    let quick = std::env::var("ACCORD_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let today = accord::time::parse_date(workload::TODAY).expect("a valid date");
    in_process(today);
    whole_process();
    scaling(quick);
}

/// `--write-workload DIR FLOWS QUESTIONNAIRES CHANGE_REQUESTS`: the policy
/// files in DIR and the documents in DIR/documents.
fn write_workload(args: &[String]) -> i32 {
    let usage = "usage: --write-workload DIR FLOWS QUESTIONNAIRES CHANGE_REQUESTS";
    let [dir, counts @ ..] = args else {
        eprintln!("{usage}");
        return 2;
    };
    let counts: Vec<usize> = counts.iter().filter_map(|c| c.parse().ok()).collect();
    let [flows, questionnaires, change_requests] = counts[..] else {
        eprintln!("{usage}");
        return 2;
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).expect("create the directory");
    workload::write_policies(dir);
    workload::write_documents(
        &dir.join("documents"),
        flows,
        questionnaires,
        change_requests,
    );
    0
}

// ------------------------------------------------------------------ timing

/// Runs `f` once, and twice more when that was quick (under a second);
/// returns the best time and the last result.
fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut runs = 0;
    loop {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed());
        runs += 1;
        if runs == 3 || best > Duration::from_secs(1) {
            return (best, out);
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Panics with both sides when the engines disagree.
fn assert_same(what: &str, accord: &Counts, regorus: &Counts) {
    if accord.by_rule != regorus.by_rule {
        let rules: std::collections::BTreeSet<&String> = accord
            .by_rule
            .keys()
            .chain(regorus.by_rule.keys())
            .collect();
        let mut diff = String::new();
        for rule in rules {
            let a = accord.by_rule.get(rule).copied().unwrap_or(0);
            let r = regorus.by_rule.get(rule).copied().unwrap_or(0);
            if a != r {
                diff.push_str(&format!("\n  {rule}: Accord {a}, regorus {r}"));
            }
        }
        panic!("{what}: the engines disagree on the violations:{diff}");
    }
    assert_eq!(
        accord.documents, regorus.documents,
        "{what}: the engines evaluated different numbers of documents"
    );
}

// --------------------------------------------------------------- in process

struct Workload {
    name: String,
    /// (file name, text, format) of every file.
    files: Vec<(String, String, Format)>,
    /// See `workload::manifest_evaluations`.
    evaluations: usize,
}

fn workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for flows in [1_000, 10_000, 100_000] {
        out.push(Workload {
            name: format!("manifest, {}k flows", flows / 1000),
            files: vec![(
                "manifest.json".into(),
                workload::manifest(flows),
                Format::Json,
            )],
            evaluations: workload::manifest_evaluations(flows),
        });
    }
    for count in [100, 1_000] {
        out.push(Workload {
            name: format!("{count} questionnaires"),
            files: (0..count)
                .map(|i| {
                    let name = format!("vendor-{i}.yaml");
                    (name, workload::questionnaire(i), Format::Yaml)
                })
                .collect(),
            evaluations: count * workload::QUESTIONNAIRE_RULES,
        });
    }
    let count = 1_000;
    out.push(Workload {
        name: format!("{count} change requests"),
        files: (0..count)
            .map(|i| {
                let name = format!("cr-{i}.yaml");
                (name, workload::change_request(i), Format::Yaml)
            })
            .collect(),
        evaluations: workload::change_request_evaluations(count),
    });
    out
}

/// Adds the failed results of an Accord report to `counts`.
fn count_fails(engine: &Engine, results: &[accord::eval::RuleResult], counts: &mut Counts) {
    counts.documents += 1;
    for r in results.iter().filter(|r| r.outcome == Outcome::Fail) {
        *counts
            .by_rule
            .entry(source_info(&engine.set, r.source).id.into_owned())
            .or_default() += 1;
    }
}

fn no_diagnostics(what: &str, diagnostics: &[accord::diagnostic::Diagnostic]) {
    assert!(
        diagnostics.is_empty(),
        "{what}: unexpected diagnostics: {:?}",
        diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

struct InProcess {
    name: String,
    documents: usize,
    evaluations: usize,
    bytes: usize,
    compile: Duration,
    check: Duration,
    eval: Duration,
    regorus_eval: Duration,
    parse_positions: Duration,
    serde_json: Option<Duration>,
    regorus_parse: Duration,
    fails: usize,
}

fn measure_workload(w: &Workload, policy: &str, today: i32) -> InProcess {
    let policies = || vec![("bench.policy".to_string(), policy.to_string())];

    // (a) The whole check: compile, load, validate, evaluate.
    let (check, check_counts) = timed(|| {
        let mut engine = Engine::new(policies());
        no_diagnostics("the policy", &engine.diagnostics);
        let mut counts = Counts::default();
        for (name, text, format) in &w.files {
            let (docs, diagnostics) = engine.check_text(name, text.clone(), *format, today);
            no_diagnostics(name, &diagnostics);
            for d in &docs {
                count_fails(&engine, &d.report.results, &mut counts);
            }
        }
        counts
    });

    // The policy alone: part of (a).
    let (compile, ()) = timed(|| {
        std::hint::black_box(Engine::new(policies()));
    });

    // (b) Evaluation only, on documents loaded and validated beforehand.
    let mut engine = Engine::new(policies());
    let mut loaded = Vec::new();
    for (name, text, format) in &w.files {
        let (docs, diagnostics) = engine.load_valid(name, text.clone(), *format);
        no_diagnostics(name, &diagnostics);
        loaded.extend(docs);
    }
    let (eval, eval_counts) = timed(|| {
        let mut counts = Counts::default();
        for (root, valid) in &loaded {
            let report = accord::eval::evaluate_document(
                &engine.set,
                &engine.sources,
                root,
                &valid.kind,
                &valid.id,
                today,
            );
            count_fails(&engine, &report.results, &mut counts);
        }
        counts
    });
    drop(loaded);
    drop(engine);

    // (c) regorus, evaluation only, on values parsed beforehand.
    let mut peer = regorus_runner::engine(workload::REGO, &workload::rego_data())
        .unwrap_or_else(|e| panic!("the Rego policy: {e}"));
    let (regorus_parse, values) = timed(|| {
        w.files
            .iter()
            .map(|(name, text, _)| regorus_runner::parse(name, text))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("regorus cannot parse a document: {e}"))
    });
    // The first evaluation prepares the engine: not part of the time.
    if let Some(v) = values.first() {
        let _ = regorus_runner::evaluate(&mut peer, v.clone(), &mut Counts::default());
    }
    let (regorus_eval, regorus_counts) = timed(|| {
        let mut counts = Counts::default();
        for v in &values {
            regorus_runner::evaluate(&mut peer, v.clone(), &mut counts)
                .unwrap_or_else(|e| panic!("regorus: {e}"));
        }
        counts
    });
    drop(values);

    assert_same(&w.name, &check_counts, &regorus_counts);
    assert_same(
        &format!("{} (evaluation only)", w.name),
        &eval_counts,
        &regorus_counts,
    );

    // (d) Parsing with positions: Accord's loader.
    let (parse_positions, ()) = timed(|| {
        let mut sources = SourceMap::new();
        for (name, text, format) in &w.files {
            let file = sources.add(name.as_str(), text.as_str());
            let (_, diagnostics) = accord::input::load(&sources, file, *format);
            no_diagnostics(name, &diagnostics);
        }
    });

    // (e) Parsing without positions: serde_json (JSON only).
    let serde_json = w.files.iter().all(|(_, _, f)| *f == Format::Json).then(|| {
        timed(|| {
            for (_, text, _) in &w.files {
                let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
                std::hint::black_box(v);
            }
        })
        .0
    });

    InProcess {
        name: w.name.clone(),
        documents: w.files.len(),
        evaluations: w.evaluations,
        bytes: w.files.iter().map(|(_, t, _)| t.len()).sum(),
        compile,
        check,
        eval,
        regorus_eval,
        parse_positions,
        serde_json,
        regorus_parse,
        fails: check_counts.violations(),
    }
}

fn in_process(today: i32) {
    let policy = workload::policy();
    let rows: Vec<InProcess> = workloads()
        .iter()
        .map(|w| measure_workload(w, &policy, today))
        .collect();

    println!("In process, evaluation only (documents parsed and validated beforehand; best of 3 under 1 s)");
    println!("  rule evals: (rule, item) pairs evaluated, an item being a flow, a change, or a questionnaire");
    println!("  ns/eval: evaluation time / rule evals; docs/s: documents / evaluation time");
    println!(
        "{:<26} {:>6} {:>10} {:>11} {:>12} {:>9} {:>12} {:>12} {:>9} {:>9} {:>7}",
        "workload",
        "docs",
        "rule evals",
        "Accord",
        "regorus",
        "regorus/",
        "Accord",
        "regorus",
        "Accord",
        "regorus",
        "fails"
    );
    println!(
        "{:<26} {:>6} {:>10} {:>11} {:>12} {:>9} {:>12} {:>12} {:>9} {:>9} {:>7}",
        "", "", "", "eval", "eval", "Accord", "docs/s", "docs/s", "ns/eval", "ns/eval", ""
    );
    for r in &rows {
        let per_s = |d: Duration| r.documents as f64 / d.as_secs_f64();
        let ns = |d: Duration| d.as_secs_f64() * 1e9 / r.evaluations as f64;
        println!(
            "{:<26} {:>6} {:>10} {:>8.2} ms {:>9.2} ms {:>8.1}x {:>12.0} {:>12.0} {:>9.0} {:>9.0} {:>7}",
            r.name,
            r.documents,
            r.evaluations,
            ms(r.eval),
            ms(r.regorus_eval),
            r.regorus_eval.as_secs_f64() / r.eval.as_secs_f64(),
            per_s(r.eval),
            per_s(r.regorus_eval),
            ns(r.eval),
            ns(r.regorus_eval),
            r.fails
        );
    }
    println!();
    println!("In process, the parsing limit");
    println!("  check: compile the policy (the compile column), load (parse with positions), validate, evaluate");
    println!("  eval/parse: evaluation time as a share of parsing with positions;");
    println!("  check over parse: (check - parse with positions) / parse with positions");
    println!(
        "{:<26} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "workload",
        "size",
        "serde_json",
        "regorus",
        "Accord",
        "Accord",
        "Accord",
        "Accord",
        "eval/",
        "check over"
    );
    println!(
        "{:<26} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "", "", "parse", "parse", "parse+pos.", "compile", "check", "eval", "parse", "parse"
    );
    for r in &rows {
        let parse = r.parse_positions.as_secs_f64();
        println!(
            "{:<26} {:>8} {:>11} {:>8.2} ms {:>8.2} ms {:>8.2} ms {:>8.2} ms {:>8.2} ms {:>9.0}% {:>9.0}%",
            r.name,
            size(r.bytes as u64),
            r.serde_json
                .map(|d| format!("{:.2} ms", ms(d)))
                .unwrap_or_else(|| "-".into()),
            ms(r.regorus_parse),
            ms(r.parse_positions),
            ms(r.compile),
            ms(r.check),
            ms(r.eval),
            r.eval.as_secs_f64() / parse * 100.0,
            (r.check.as_secs_f64() - parse) / parse * 100.0,
        );
    }
    println!();
}

// ------------------------------------------------------------ processes

/// What one measured child process did.
#[derive(serde::Serialize, serde::Deserialize)]
struct Measured {
    ms: f64,
    max_rss_kb: i64,
    /// The exit code; -1 when killed by a signal.
    status: i32,
}

/// `--measure OUT PROGRAM ARGS...`: runs PROGRAM once, standard output into
/// OUT, and prints a [`Measured`]. This process waits for no other child, so
/// RUSAGE_CHILDREN's peak is that of PROGRAM alone.
fn measure_child(args: &[String]) -> i32 {
    let [out, program, rest @ ..] = args else {
        eprintln!("usage: --measure OUT PROGRAM ARGS...");
        return 2;
    };
    let stdout = std::fs::File::create(out).expect("create the output file");
    let start = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let elapsed = start.elapsed();
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let measured = Measured {
        ms: ms(elapsed),
        // Kilobytes on Linux.
        max_rss_kb: usage.ru_maxrss,
        status: status.code().unwrap_or(-1),
    };
    println!(
        "{}",
        serde_json::to_string(&measured).expect("serialisable")
    );
    0
}

/// Runs `program args` under a fresh `--measure` helper; its standard
/// output goes to `out`.
fn measure(out: &Path, program: &str, args: &[String]) -> Measured {
    let me = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(me)
        .arg("--measure")
        .arg(out)
        .arg(program)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run the measuring helper");
    assert!(output.status.success(), "the measuring helper failed");
    serde_json::from_slice(&output.stdout).expect("the helper's report")
}

/// The parts of `policy check --format json` the comparison reads.
#[derive(serde::Deserialize)]
struct CheckOutput {
    documents: Vec<CheckedDoc>,
    errors: Vec<Problem>,
}

#[derive(serde::Deserialize)]
struct CheckedDoc {
    results: Vec<CheckedResult>,
}

#[derive(serde::Deserialize)]
struct CheckedResult {
    rule: String,
    outcome: String,
}

#[derive(serde::Deserialize)]
struct Problem {
    code: String,
    message: String,
}

/// Fails by rule in a `policy check --format json` output, and its errors.
fn read_check_output(path: &Path) -> (Counts, Vec<Problem>) {
    let bytes = std::fs::read(path).expect("read the checker's output");
    let out: CheckOutput = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "policy check did not print its JSON report ({e}): {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
        )
    });
    let mut counts = Counts::default();
    for doc in &out.documents {
        counts.documents += 1;
        for r in doc.results.iter().filter(|r| r.outcome == "fail") {
            *counts.by_rule.entry(r.rule.clone()).or_default() += 1;
        }
    }
    (counts, out.errors)
}

fn policy_args(docs: &Path, policy: &Path) -> Vec<String> {
    vec![
        "check".into(),
        docs.display().to_string(),
        "--policy".into(),
        policy.display().to_string(),
        "--today".into(),
        workload::TODAY.into(),
        "--format".into(),
        "json".into(),
    ]
}

const POLICY_BIN: &str = env!("CARGO_BIN_EXE_policy");

/// The best of `runs` runs (and the peak memory of that run).
fn best_of(runs: usize, mut run: impl FnMut() -> Measured) -> Measured {
    let mut best: Option<Measured> = None;
    for _ in 0..runs {
        let m = run();
        if best.as_ref().is_none_or(|b| m.ms < b.ms) {
            best = Some(m);
        }
    }
    best.expect("at least one run")
}

fn whole_process() {
    const FLOWS: usize = 20_000;
    const QUESTIONNAIRES: usize = 2_000;
    let dir = workload::TempDir::new("whole");
    let (policy, rego, data) = workload::write_policies(&dir.0);
    let docs = dir.join("documents");
    workload::write_documents(&docs, FLOWS, QUESTIONNAIRES, 0);
    let me = std::env::current_exe().expect("the benchmark's own path");

    let accord_out = dir.join("accord.json");
    let regorus_out = dir.join("regorus.json");
    let runner_args = vec![
        "--regorus-runner".to_string(),
        rego.display().to_string(),
        data.display().to_string(),
        docs.display().to_string(),
    ];
    // The two alternate, so that a slow spell of the machine falls on both.
    let (mut accord_runs, mut regorus_runs) = (Vec::new(), Vec::new());
    for _ in 0..WHOLE_PROCESS_RUNS {
        accord_runs.push(measure(
            &accord_out,
            POLICY_BIN,
            &policy_args(&docs, &policy),
        ));
        regorus_runs.push(measure(&regorus_out, &me.to_string_lossy(), &runner_args));
    }
    let (accord, accord_median) = best_and_median(accord_runs);
    let (regorus, regorus_median) = best_and_median(regorus_runs);
    let (accord_counts, errors) = read_check_output(&accord_out);
    assert!(
        errors.is_empty() && (accord.status == 0 || accord.status == 1),
        "policy check failed (exit {}): {:?}",
        accord.status,
        errors.iter().map(|e| &e.message).collect::<Vec<_>>()
    );

    assert_eq!(regorus.status, 0, "the regorus runner failed");
    let regorus_counts = {
        let text = std::fs::read_to_string(&regorus_out).expect("the runner's output");
        let v: serde_json::Value = serde_json::from_str(&text).expect("the runner's JSON");
        let by_rule: BTreeMap<String, usize> =
            serde_json::from_value(v["by_rule"].clone()).expect("counts by rule");
        Counts {
            documents: v["documents"].as_u64().unwrap_or(0) as usize,
            by_rule,
        }
    };
    assert_same("whole process", &accord_counts, &regorus_counts);

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Whole process: {}k-flow manifest + {} questionnaires in one directory (best of {WHOLE_PROCESS_RUNS}, run alternately; both use {threads} threads)",
        FLOWS / 1000,
        QUESTIONNAIRES
    );
    println!(
        "{:<36} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "command", "time", "docs/s", "peak RSS", "documents", "fails"
    );
    for (name, m, c) in [
        (
            "policy check --format json".to_string(),
            &accord,
            &accord_counts,
        ),
        (
            "regorus runner (same files)".to_string(),
            &regorus,
            &regorus_counts,
        ),
    ] {
        println!(
            "{:<36} {:>7.0} ms {:>10.0} {:>7.1} MB {:>10} {:>8}",
            name,
            m.ms,
            c.documents as f64 / (m.ms / 1e3),
            m.max_rss_kb as f64 / 1024.0,
            c.documents,
            c.violations()
        );
    }
    println!(
        "ratio regorus/Accord: {:.2}x time, {:.2}x peak RSS; Accord/regorus {:.3} at best, {:.3} at the median ({:.0} ms / {:.0} ms)",
        regorus.ms / accord.ms,
        regorus.max_rss_kb as f64 / accord.max_rss_kb as f64,
        accord.ms / regorus.ms,
        accord_median / regorus_median,
        accord_median,
        regorus_median,
    );
    println!();
}

/// Runs of each command in the whole-process comparison.
const WHOLE_PROCESS_RUNS: usize = 9;

/// The fastest run, and the median time.
fn best_and_median(mut runs: Vec<Measured>) -> (Measured, f64) {
    runs.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    let median = runs.get(runs.len() / 2).map_or(f64::NAN, |m| m.ms);
    let best = runs.into_iter().next().expect("at least one run");
    (best, median)
}

fn scaling(quick: bool) {
    let dir = workload::TempDir::new("scaling");
    let (policy, _, _) = workload::write_policies(&dir.0);
    let mut flows = vec![1_000, 10_000, 100_000];
    let mut questionnaires = vec![100, 1_000];
    if !quick {
        flows.push(1_000_000);
        questionnaires.push(10_000);
    }
    println!(
        "Scaling: `policy check --format json` as a process (best of 3 under 1 s, else one run)"
    );
    if quick {
        println!("  ACCORD_BENCH_QUICK is set: 1M flows and 10k questionnaires left out");
    }
    println!(
        "{:<26} {:>10} {:>11} {:>10} {:>5} {:>8}  note",
        "workload", "input", "time", "peak RSS", "exit", "fails"
    );
    let cases = flows
        .iter()
        .map(|&n| (n, 0))
        .chain(questionnaires.iter().map(|&m| (0, m)));
    for (n, m) in cases {
        let docs = dir.join("documents");
        let _ = std::fs::remove_dir_all(&docs);
        workload::write_documents(&docs, n, m, 0);
        let bytes = dir_size(&docs);
        let name = if n > 0 {
            format!("manifest, {} flows", thousands(n))
        } else {
            format!("{} questionnaires", thousands(m))
        };
        let out = dir.join("accord.json");
        let args = policy_args(&docs, &policy);
        let first = measure(&out, POLICY_BIN, &args);
        let best = if first.ms < 1000.0 {
            let rest = best_of(2, || measure(&out, POLICY_BIN, &args));
            if rest.ms < first.ms {
                rest
            } else {
                first
            }
        } else {
            first
        };
        // A run killed by a signal (out of memory) leaves no report.
        let (counts, errors) = if best.status < 0 {
            (Counts::default(), Vec::new())
        } else {
            read_check_output(&out)
        };
        let note = match errors.first() {
            Some(e) => format!("{} error(s): {} {}", errors.len(), e.code, e.message),
            None if best.status < 0 => "killed by a signal".to_string(),
            None if best.status > 1 => "invalid input".to_string(),
            None => String::new(),
        };
        println!(
            "{:<26} {:>10} {:>8.0} ms {:>7.1} MB {:>5} {:>8}  {}",
            name,
            size(bytes),
            best.ms,
            best.max_rss_kb as f64 / 1024.0,
            best.status,
            counts.violations(),
            note
        );
        let _ = std::fs::remove_dir_all(&docs);
    }
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => dir_size(&e.path()),
                    _ => e.metadata().map_or(0, |m| m.len()),
                })
                .sum()
        })
        .unwrap_or(0)
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn thousands(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
