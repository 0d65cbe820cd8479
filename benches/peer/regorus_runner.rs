//! A small regorus runner: what a team checking its documents with Rego
//! would write around the regorus crate. It loads one Rego file and one JSON
//! data file, then for every document file (`.json`, `.yaml`, `.yml`; a
//! directory is searched) parses it, sets it as the input, evaluates
//! `data.accord.violations` (a set of `{"rule": ..}` objects) and counts the
//! violations by rule. The counts are printed as one JSON object:
//!
//! ```text
//! {"documents": 2001, "violations": 13570, "by_rule": {"encrypted": 2000, ..}}
//! ```
//!
//! Usage: `--regorus-runner RULES.rego DATA.json PATH...`. Files are checked
//! on every core, like `policy check` does, each thread with its own engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rule every document is evaluated with.
pub const QUERY: &str = "data.accord.violations";

/// Violations by rule id, and how many documents were evaluated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub documents: usize,
    pub by_rule: BTreeMap<String, usize>,
}

impl Counts {
    pub fn violations(&self) -> usize {
        self.by_rule.values().sum()
    }

    pub fn add(&mut self, other: &Counts) {
        self.documents += other.documents;
        for (rule, n) in &other.by_rule {
            *self.by_rule.entry(rule.clone()).or_default() += n;
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({
            "documents": self.documents,
            "violations": self.violations(),
            "by_rule": self.by_rule,
        })
        .to_string()
    }
}

/// An engine holding the policy and its data, ready to evaluate inputs.
pub fn engine(rego: &str, data_json: &str) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("rules.rego".into(), rego.into())
        .map_err(|e| format!("rules.rego: {e}"))?;
    let data = regorus::Value::from_json_str(data_json).map_err(|e| format!("data: {e}"))?;
    engine.add_data(data).map_err(|e| format!("data: {e}"))?;
    Ok(engine)
}

/// Parses a document by its file name: YAML or JSON.
pub fn parse(name: &str, text: &str) -> Result<regorus::Value, String> {
    let lower = name.to_ascii_lowercase();
    let parsed = if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        regorus::Value::from_yaml_str(text)
    } else {
        regorus::Value::from_json_str(text)
    };
    parsed.map_err(|e| format!("{name}: {e}"))
}

/// Evaluates one parsed document and adds its violations to `counts`.
pub fn evaluate(
    engine: &mut regorus::Engine,
    input: regorus::Value,
    counts: &mut Counts,
) -> Result<(), String> {
    engine.set_input(input);
    let violations = engine
        .eval_rule(QUERY.into())
        .map_err(|e| format!("{QUERY}: {e}"))?;
    counts.documents += 1;
    // A document no rule applies to leaves the set undefined.
    if violations == regorus::Value::Undefined {
        return Ok(());
    }
    let set = violations
        .as_set()
        .map_err(|e| format!("{QUERY} is not a set: {e}"))?;
    for v in set.iter() {
        let rule = v["rule"]
            .as_string()
            .map_err(|e| format!("a violation without a rule: {e}"))?;
        *counts.by_rule.entry(rule.to_string()).or_default() += 1;
    }
    Ok(())
}

fn documents(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if entry.is_dir() {
            documents(&entry, out)?;
        } else if [".json", ".yaml", ".yml"].iter().any(|e| name.ends_with(e)) {
            out.push(entry);
        }
    }
    Ok(())
}

fn check_files(mut engine: regorus::Engine, files: &[PathBuf]) -> Result<Counts, String> {
    let mut counts = Counts::default();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let input = parse(&file.to_string_lossy(), &text)?;
        evaluate(&mut engine, input, &mut counts)?;
    }
    Ok(counts)
}

/// The runner's `main`: arguments after `--regorus-runner`; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    match run_inner(args) {
        Ok(counts) => {
            println!("{}", counts.to_json());
            0
        }
        Err(e) => {
            eprintln!("regorus runner: {e}");
            2
        }
    }
}

fn run_inner(args: &[String]) -> Result<Counts, String> {
    let [rego_path, data_path, paths @ ..] = args else {
        return Err("usage: --regorus-runner RULES.rego DATA.json PATH...".into());
    };
    let read = |p: &String| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let engine = engine(&read(rego_path)?, &read(data_path)?)?;
    let mut files = Vec::new();
    for p in paths {
        documents(Path::new(p), &mut files)?;
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    let chunk = files.len().div_ceil(workers).max(1);
    let parts: Vec<Result<Counts, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let engine = engine.clone();
                scope.spawn(move || check_files(engine, part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a worker panicked".into())))
            .collect()
    });
    let mut total = Counts::default();
    for part in parts {
        total.add(&part?);
    }
    Ok(total)
}
