//! Reading what a command names: the policy set (from `--policy` or
//! `policy.toml`) and the documents (files, directories, standard input).

use clap::Args;

use super::files::{find, io_reason, read_text};
use super::Io;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::Engine;

/// The limits on documents, raised (or lowered) on the command line.
#[derive(Args, Clone, Default)]
pub struct LimitArgs {
    /// Largest document file read, in MB (default 268, i.e. 256 MiB)
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_document_mb: Option<u32>,
    /// Deepest nesting of lists and mappings in a document (default 256, at most 10000)
    #[arg(long, value_name = "LEVELS", value_parser = clap::value_parser!(u32).range(1..=crate::limits::MAX_DOCUMENT_DEPTH_CEILING as i64))]
    pub max_depth: Option<u32>,
    /// Most nodes a YAML document may expand to through aliases (default 1000000)
    #[arg(long, value_name = "NODES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_aliases: Option<u64>,
    /// Most expression evaluations for one document (default 200000000)
    #[arg(long, value_name = "STEPS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps: Option<u64>,
}

impl LimitArgs {
    pub fn limits(&self) -> crate::limits::Limits {
        let mut limits = crate::limits::Limits::default();
        if let Some(mb) = self.max_document_mb {
            limits.document_bytes =
                usize::try_from(u64::from(mb) * 1_000_000).unwrap_or(usize::MAX);
        }
        if let Some(depth) = self.max_depth {
            limits.document_depth = depth as usize;
        }
        if let Some(nodes) = self.max_aliases {
            limits.alias_nodes = usize::try_from(nodes).unwrap_or(usize::MAX);
        }
        if let Some(steps) = self.max_steps {
            limits.eval_steps = steps;
        }
        limits
    }
}

/// Where the policies come from; shared by every command that reads them.
#[derive(Args, Clone, Default)]
pub struct PolicyArgs {
    /// A policy file or a directory of *.policy files (repeatable); default: the `policies` of ./policy.toml
    #[arg(long = "policy", value_name = "DIR|FILE")]
    pub policy: Vec<String>,
}

pub fn parse_today(text: &str) -> Result<i32, String> {
    crate::time::parse_date(text)
        .ok_or_else(|| format!("`{text}` is not a date of the form YYYY-MM-DD"))
}

/// A problem with a file the command line names, located in that file when
/// possible (so every output format can say where).
fn file_problem(
    sources: &mut SourceMap,
    display: &str,
    text: &str,
    at: usize,
    d: Diagnostic,
) -> Diagnostic {
    let file = sources.add(display, text);
    d.at(Span::new(file, at..at), "here")
}

/// Reads the policy files; problems are returned as diagnostics.
fn read_policies(
    policy: &[String],
    io: &Io,
    problems: &mut Vec<Diagnostic>,
    scratch: &mut SourceMap,
) -> Vec<(String, String)> {
    let mut given: Vec<String> = policy.to_vec();
    if given.is_empty() {
        let toml_path = io.cwd.join("policy.toml");
        match std::fs::read_to_string(&toml_path) {
            Ok(text) => match toml::from_str::<PolicyToml>(&text) {
                Ok(config) => given = config.policies,
                Err(e) => {
                    let at = e.span().map(|s| s.start).unwrap_or(0);
                    problems.push(file_problem(
                        scratch,
                        "policy.toml",
                        &text,
                        at,
                        Diagnostic::error(
                            "A404",
                            format!("invalid `policy.toml`: {}", e.message()),
                        )
                        .note("it should hold `policies = [\"policies/\"]`"),
                    ));
                    return Vec::new();
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                problems.push(
                    Diagnostic::error("A403", "no policy given")
                        .note("help: pass `--policy DIR` or write a `policy.toml` with `policies = [\"policies/\"]`"),
                );
                return Vec::new();
            }
            Err(e) => {
                problems.push(Diagnostic::error(
                    "A404",
                    format!("cannot read `policy.toml`: {}", io_reason(&e)),
                ));
                return Vec::new();
            }
        }
    }
    let mut out = Vec::new();
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    for p in &given {
        match find(&io.cwd, p, &[".policy"]) {
            Ok(found) => {
                if found.is_empty() {
                    problems.push(file_problem(
                        scratch,
                        p,
                        "",
                        0,
                        Diagnostic::error("A403", format!("no `.policy` files in `{p}`")),
                    ));
                }
                for f in found {
                    let canonical = std::fs::canonicalize(&f.path).unwrap_or(f.path.clone());
                    if seen.contains(&canonical) {
                        continue; // the same file named twice
                    }
                    seen.push(canonical);
                    match std::fs::metadata(&f.path) {
                        Ok(m) if m.len() as usize > crate::limits::MAX_POLICY_BYTES => {
                            problems.push(file_problem(
                                scratch,
                                &f.display,
                                "",
                                0,
                                Diagnostic::error(
                                    "A005",
                                    format!(
                                        "the policy file is larger than {} MB",
                                        crate::limits::MAX_POLICY_BYTES / 1_000_000
                                    ),
                                ),
                            ));
                            continue;
                        }
                        _ => {}
                    }
                    match std::fs::read(&f.path) {
                        Ok(bytes) => match read_text(bytes.clone(), &f.display) {
                            Ok(text) => out.push((f.display, text)),
                            Err(d) => {
                                let lossy = String::from_utf8_lossy(&bytes).to_string();
                                let at = std::str::from_utf8(&bytes)
                                    .err()
                                    .map(|e| e.valid_up_to())
                                    .unwrap_or(0);
                                problems.push(file_problem(
                                    scratch,
                                    &f.display,
                                    &lossy,
                                    at.min(lossy.len()),
                                    d,
                                ));
                            }
                        },
                        Err(e) => problems.push(file_problem(
                            scratch,
                            &f.display,
                            "",
                            0,
                            Diagnostic::error(
                                "A402",
                                format!("cannot read `{}`: {}", f.display, io_reason(&e)),
                            ),
                        )),
                    }
                }
            }
            Err(d) => problems.push(file_problem(scratch, p, "", 0, d)),
        }
    }
    out
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    policies: Vec<String>,
}

/// Reads and checks the policy set. Problems with the files make the set
/// invalid, so no document is evaluated against half of it.
pub fn load_engine(policy: &[String], io: &Io) -> Engine {
    let mut problems = Vec::new();
    let mut scratch = SourceMap::new();
    let policies = read_policies(policy, io, &mut problems, &mut scratch);
    if policies.is_empty() && problems.is_empty() {
        problems.push(
            Diagnostic::error("A403", "no policy files given")
                .note("help: pass `--policy DIR` or list policy files in `policy.toml`"),
        );
    }
    let mut engine = Engine::new(policies);
    // Problems located in files the engine never read: re-home them.
    let problems: Vec<Diagnostic> = problems
        .into_iter()
        .map(|d| rehome(d, &scratch, &mut engine.sources))
        .collect();
    engine.diagnostics.extend(problems);
    engine
}

/// Moves a diagnostic's labels from a scratch source map into the engine's.
fn rehome(mut d: Diagnostic, from: &SourceMap, to: &mut SourceMap) -> Diagnostic {
    for label in &mut d.labels {
        if let (Some(file), Some(range)) = (label.span.file(), label.span.range()) {
            let id = to.add(from.name(file), from.text(file));
            label.span = Span::new(id, range);
        }
    }
    d
}
