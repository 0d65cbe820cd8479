//! Reading what a command names: the policy set (from `--policy` or
//! `policy.toml`) and the documents (files, directories, standard input).

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;

use super::files::{find, io_reason, read_text, read_text_or_prefix};
use super::Io;
use crate::diagnostic::Diagnostic;
use crate::input::Format;
use crate::report::Report;
use crate::source::{FileId, SourceMap, Span};
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

/// How many files make a run long enough for a progress line.
const PROGRESS_FROM: usize = 200;

/// What one document path named.
enum Named {
    Stdin,
    File(super::files::Found),
    Problem(String, Diagnostic),
}

/// One file's outcome: its documents (checked) and the problems found in it.
pub type Checked = (Vec<crate::CheckedDocument>, Vec<Diagnostic>);

/// Renders a checked document on the thread that checked it (output is made
/// on every core); `None` leaves it to the caller.
pub type Prerender<'r> = &'r (dyn Fn(&Engine, &crate::CheckedDocument) -> Option<Vec<u8>> + Sync);

/// A file's outcome with each document's output, if it was made already.
pub struct Outcome {
    pub documents: Vec<(crate::CheckedDocument, Option<Vec<u8>>)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads, validates and evaluates the documents under `paths` into `report`.
pub fn load_documents(
    engine: &mut Engine,
    paths: &[String],
    io: &mut Io,
    today: i32,
    report: &mut Report,
) {
    check_documents(engine, paths, io, today, None, &mut |_, _, outcome| {
        let documents = outcome.documents.into_iter().map(|(d, _)| d);
        report.documents.extend(documents);
        report.diagnostics.extend(outcome.diagnostics);
    });
}

/// Files read and checked together; a batch is checked on every core, then
/// handed on and dropped, so a run over ten thousand files holds a few hundred.
const BATCH_FILES_PER_CORE: usize = 128;
/// A batch also ends once it has read this much text.
const BATCH_BYTES: usize = 32 * 1024 * 1024;

/// Reads, validates and evaluates the documents under `paths`, a batch of
/// files at a time, and hands each file's outcome to `each` in the order the
/// paths name them. Diagnostics about paths that hold nothing come first.
/// With `prerender`, documents are also rendered where they are checked, and
/// a file's text is dropped once `each` has seen it (the output is streamed).
pub fn check_documents(
    engine: &mut Engine,
    paths: &[String],
    io: &mut Io,
    today: i32,
    prerender: Option<Prerender<'_>>,
    each: &mut dyn FnMut(&mut Engine, &mut Io, Outcome),
) {
    let release = prerender.is_some();
    let nothing = |diagnostics: Vec<Diagnostic>| Outcome {
        documents: Vec::new(),
        diagnostics,
    };
    let mut named = Vec::new();
    for given in paths {
        if given == "-" {
            named.push(Named::Stdin);
            continue;
        }
        match find(&io.cwd, given, &[".yaml", ".yml", ".json"]) {
            Ok(found) if found.is_empty() => {
                let d = Diagnostic::warning(
                    "A312",
                    format!(
                        "`{given}` holds no .yaml, .yml or .json file: nothing was checked there"
                    ),
                );
                each(engine, io, nothing(vec![d]));
            }
            Ok(found) => named.extend(found.into_iter().map(Named::File)),
            Err(d) => named.push(Named::Problem(given.clone(), d)),
        }
    }
    let cores = workers(io);
    let progress = Progress {
        total: named.len(),
        done: AtomicUsize::new(0),
    };
    let mut named = named.into_iter().peekable();
    while named.peek().is_some() {
        // Reading is sequential (it adds to the sources); checking runs on
        // every core, each file on its own, and the results are reported in order.
        let mut slots: Vec<Slot> = Vec::new();
        let mut bytes = 0;
        while slots.len() < cores * BATCH_FILES_PER_CORE && bytes < BATCH_BYTES {
            let Some(item) = named.next() else { break };
            let slot = match item {
                Named::Stdin => {
                    let mut bytes = Vec::new();
                    match io.stdin.read_to_end(&mut bytes) {
                        Ok(_) => prepare_bytes(engine, "<stdin>", bytes, false),
                        Err(e) => Slot::Done(vec![Diagnostic::error(
                            "A302",
                            format!("cannot read standard input: {}", io_reason(&e)),
                        )]),
                    }
                }
                Named::Problem(given, d) => {
                    let file = engine.sources.add(given, "");
                    Slot::Done(vec![d.at(Span::new(file, 0..0), "here")])
                }
                Named::File(f) => prepare_file(engine, &f),
            };
            if let Slot::Job(job) = &slot {
                bytes += engine.sources.text(job.file).len();
            }
            slots.push(slot);
        }
        let jobs: Vec<Job> = slots
            .iter()
            .filter_map(|s| match s {
                Slot::Job(job) => Some(*job),
                Slot::Done(_) => None,
            })
            .collect();
        let mut checked =
            check_in_parallel(engine, &jobs, today, io, &progress, prerender).into_iter();
        // The output of this batch must not share a line with the progress.
        progress.clear(io);
        for slot in slots {
            match slot {
                Slot::Done(diagnostics) => each(engine, io, nothing(diagnostics)),
                Slot::Job(job) => {
                    if let Some(outcome) = checked.next() {
                        let outcome = outcome.unwrap_or_else(|| {
                            let name = engine.sources.name(job.file);
                            let d = Diagnostic::warning(
                                "A313",
                                format!(
                                    "`{name}` has no `kind` or `id`: not an Accord document, skipped"
                                ),
                            );
                            nothing(vec![d])
                        });
                        each(engine, io, outcome);
                    }
                    if release {
                        engine.sources.release(job.file);
                    }
                }
            }
        }
    }
}

/// One document path after reading: problems already known, or a file to check.
enum Slot {
    Done(Vec<Diagnostic>),
    Job(Job),
}

#[derive(Clone, Copy)]
struct Job {
    file: FileId,
    format: Format,
    /// Found by searching a directory: skipped when it is not an Accord document.
    searched: bool,
}

impl Job {
    /// `None` for a searched file that is not an Accord document.
    fn run(&self, engine: &Engine, today: i32) -> Option<Checked> {
        if self.searched {
            engine.check_found_file(self.file, self.format, today)
        } else {
            Some(engine.check_file(self.file, self.format, today))
        }
    }
}

/// How far a long run is, shown on a terminal.
struct Progress {
    total: usize,
    done: AtomicUsize,
}

impl Progress {
    fn show(&self, io: &mut Io) {
        if self.total < PROGRESS_FROM {
            return;
        }
        if let Some(p) = io.progress.as_mut() {
            let _ = write!(
                p,
                "\rchecking {}/{} documents",
                self.done.load(Ordering::Relaxed),
                self.total
            );
            let _ = p.flush();
        }
    }

    fn clear(&self, io: &mut Io) {
        if self.total < PROGRESS_FROM {
            return;
        }
        if let Some(p) = io.progress.as_mut() {
            let _ = write!(p, "\r{}\r", " ".repeat(40));
            let _ = p.flush();
        }
    }
}

/// How many threads check documents: `--jobs`, else one a core.
fn workers(io: &Io) -> usize {
    io.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// The checker recurses over nested input (bounded by `limits`).
const WORKER_STACK: usize = 64 * 1024 * 1024;

/// Checks files on every core, each worker taking the next file when it is
/// done with one (a large manifest does not hold up the questionnaires); the
/// outcomes come back in the order given.
fn check_in_parallel(
    engine: &Engine,
    jobs: &[Job],
    today: i32,
    io: &mut Io,
    progress: &Progress,
    prerender: Option<Prerender<'_>>,
) -> Vec<Option<Outcome>> {
    let run = |job: &Job| {
        let outcome = job
            .run(engine, today)
            .map(|(documents, diagnostics)| Outcome {
                documents: documents
                    .into_iter()
                    .map(|d| {
                        let output = prerender.and_then(|render| render(engine, &d));
                        (d, output)
                    })
                    .collect(),
                diagnostics,
            });
        progress.done.fetch_add(1, Ordering::Relaxed);
        outcome
    };
    let workers = workers(io).min(jobs.len()).max(1);
    if workers == 1 {
        return jobs.iter().map(run).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            mine.push((i, run(job)));
        }
        mine
    };
    let mut results: Vec<(usize, Option<Outcome>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, worker)
            })
            .collect();
        loop {
            progress.show(io);
            let running = handles
                .iter()
                .any(|h| h.as_ref().is_ok_and(|h| !h.is_finished()));
            if !running || progress.total < PROGRESS_FROM || io.progress.is_none() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        handles
            .into_iter()
            .flat_map(|h| match h {
                Ok(h) => h.join().unwrap_or_default(),
                Err(_) => Vec::new(),
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    let mut results = results.into_iter().peekable();
    // A worker that could not start leaves its files to this thread.
    (0..jobs.len())
        .map(|i| match results.next_if(|(at, _)| *at == i) {
            Some((_, outcome)) => outcome,
            None => jobs.get(i).and_then(run),
        })
        .collect()
}

fn prepare_file(engine: &mut Engine, f: &super::files::Found) -> Slot {
    match std::fs::metadata(&f.path) {
        Ok(m) if usize::try_from(m.len()).map_or(true, |n| n > engine.limits.document_bytes) => {
            let file = engine.sources.add(f.display.clone(), "");
            let d = crate::input::too_large(
                usize::try_from(m.len()).unwrap_or(usize::MAX),
                &engine.limits,
            );
            return Slot::Done(vec![d.at(Span::new(file, 0..0), "this file")]);
        }
        _ => {}
    }
    match std::fs::read(&f.path) {
        Ok(bytes) => prepare_bytes(engine, &f.display, bytes, f.searched),
        Err(e) => {
            let file = engine.sources.add(f.display.clone(), "");
            Slot::Done(vec![Diagnostic::error(
                "A402",
                format!("cannot read `{}`: {}", f.display, io_reason(&e)),
            )
            .at(Span::new(file, 0..0), "here")])
        }
    }
}

/// Adds a document file's text to the sources, or says why it cannot be read.
fn prepare_bytes(engine: &mut Engine, name: &str, bytes: Vec<u8>, searched: bool) -> Slot {
    match read_text_or_prefix(bytes, name) {
        Ok(text) => {
            let format = Format::guess(name, &text);
            let file = engine.sources.add(name, text);
            Slot::Job(Job {
                file,
                format,
                searched,
            })
        }
        Err((d, valid)) => {
            let at = valid.len();
            let file = engine.sources.add(name, valid);
            Slot::Done(vec![d.at(Span::new(file, at..at), "invalid UTF-8 here")])
        }
    }
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
