//! `policy check`: the checker in CI.

use std::io::Write;

use clap::Args;

use super::base::{judge, Base, Request};
use super::decision_log::DecisionLog;
use super::documents::{check_documents, load_documents, Prefetch};
use super::load::{load_engine, parse_today, LimitArgs, PolicyArgs};
use super::{Io, OutputFormat};
use crate::report::{human, json, Report, Tally};
use crate::Engine;

/// Documents with more results than this are rendered as they are written,
/// on one thread, rather than held rendered in memory.
const PRERENDER_RESULTS: usize = 10_000;

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when no `must` rule fails; 1 when one does (with --strict, also a `should`); \
2 when a policy, a document or the command line is invalid (the other documents are still checked).\n\n\
Example:\n  policy check examples/acme/documents --policy examples/acme/policies --today 2026-11-21"
)]
pub struct CheckArgs {
    /// Documents to check: files, directories (searched for *.yaml, *.yml, *.json), or `-` for standard input
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Also exit 1 when a `should` rule fails
    #[arg(long)]
    pub strict: bool,
    /// The date `today()` returns, for reproducible runs
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    pub today: Option<i32>,
    /// Require an approved change request for every field change made to a data dictionary or OpenAPI document since the git revision REV
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Append one hash-chained JSON line per checked document to FILE (`policy log verify FILE` checks it)
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<String>,
    /// Threads that check documents (default: one a core); the output is the same whatever the number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

pub fn run(args: CheckArgs, io: &mut Io) -> i32 {
    let today = args.today.unwrap_or_else(crate::time::today_utc);
    if let Some(jobs) = args.jobs {
        io.jobs = Some(usize::from(jobs));
    }
    let limits = args.limits.limits();
    let documents = Prefetch::start(&args.paths, io, limits);
    let mut engine = load_engine(&args.policies.policy, io);
    engine.limits = limits;
    engine.threads = super::documents::workers(io);
    let log = match &args.decision_log {
        Some(file) => match DecisionLog::open(&io.cwd.join(file), &engine) {
            Ok(log) => Some(log),
            Err(e) => {
                io.stderr.push_str(&format!("error: {e}\n"));
                return 2;
            }
        },
        None => None,
    };
    let base = match &args.base {
        Some(rev) => match Base::open(&io.cwd, rev) {
            Ok(base) => Some(base),
            Err(d) => {
                engine.diagnostics.push(d);
                None
            }
        },
        None => None,
    };
    let mut audit = Audit {
        log,
        failed: None,
        base,
        requests: Vec::new(),
    };
    let code = match args.format {
        OutputFormat::Human | OutputFormat::Json => {
            streamed(&args, engine, documents, today, io, &mut audit)
        }
        OutputFormat::Sarif | OutputFormat::Junit | OutputFormat::Github => {
            collected(&args, engine, documents, today, io, &mut audit)
        }
    };
    match audit.failed {
        // A decision that could not be logged must not pass as logged.
        Some(e) => {
            io.stderr.push_str(&format!(
                "error: cannot write the decision log: {}\n",
                super::files::io_reason(&e)
            ));
            2
        }
        None => code,
    }
}

/// What a run keeps of the documents it checks besides its output: the
/// decision log, and the change requests `--base` weighs the changes against.
struct Audit {
    log: Option<DecisionLog>,
    failed: Option<std::io::Error>,
    base: Option<Base>,
    requests: Vec<Request>,
}

impl Audit {
    fn record(&mut self, engine: &Engine, doc: &crate::CheckedDocument) {
        if self.base.is_some() {
            self.requests.extend(Request::of(engine, doc));
        }
        if let (Some(log), None) = (&mut self.log, &self.failed) {
            if let Err(e) = log.record(engine, doc) {
                self.failed = Some(e);
            }
        }
    }

    /// With `--base`, the document that says which schema changes lack an
    /// approved change request.
    fn schema_changes(&mut self, engine: &mut Engine) -> Option<crate::CheckedDocument> {
        if !engine.is_valid() {
            return None;
        }
        let base = self.base.as_ref()?;
        let changes = base.changes(engine);
        Some(judge(base, &changes, &self.requests))
    }
}

/// The human and JSON outputs are written a document at a time, and each
/// document is forgotten once written: memory stays that of the largest one.
fn streamed(
    args: &CheckArgs,
    mut engine: Engine,
    documents: Prefetch,
    today: i32,
    io: &mut Io,
    audit: &mut Audit,
) -> i32 {
    let mut writer = Writer {
        json: (args.format == OutputFormat::Json).then(json::Stream::default),
        tally: Tally::default(),
        color: io.color,
    };
    if let Some(json) = &writer.json {
        io.write_out(&json.start());
    }
    // The policy set's own problems come first, then its policy rules.
    let policy_document = engine.check_policy_set(today);
    for d in &engine.diagnostics {
        writer.diagnostic(&engine, io, d);
    }
    if let Some(doc) = &policy_document {
        audit.record(&engine, doc);
        writer.document(&engine, io, doc, None);
    }
    let (is_json, color) = (writer.json.is_some(), writer.color);
    let prerender = move |engine: &Engine, doc: &crate::CheckedDocument| {
        // A document with a very long output is written as it is made instead.
        if doc.report.results.len() > PRERENDER_RESULTS {
            return None;
        }
        let mut out = Vec::with_capacity(json::rendered_size(doc));
        let _ = if is_json {
            json::document(&engine.set, &engine.sources, doc, &mut out)
        } else {
            human::document(&engine.set, &engine.sources, doc, color, &mut out)
        };
        Some(out)
    };
    check_documents(
        &mut engine,
        documents,
        io,
        today,
        Some(&prerender),
        &mut |engine, io, outcome| {
            for d in &outcome.diagnostics {
                writer.diagnostic(engine, io, d);
            }
            for (doc, output) in &outcome.documents {
                audit.record(engine, doc);
                writer.document(engine, io, doc, output.as_deref());
            }
        },
    );
    if let Some(doc) = audit.schema_changes(&mut engine) {
        audit.record(&engine, &doc);
        writer.document(&engine, io, &doc, None);
    }
    writer.finish(io, args.strict)
}

struct Writer {
    /// `None` for the human output.
    json: Option<json::Stream>,
    tally: Tally,
    color: bool,
}

impl Writer {
    /// A diagnostic: shown now (human), or located now and written at the end (JSON).
    fn diagnostic(&mut self, engine: &Engine, io: &mut Io, d: &crate::diagnostic::Diagnostic) {
        match &mut self.json {
            Some(json) => json.diagnostic(&engine.sources, d),
            None => {
                self.tally.diagnostic(d);
                io.write_out(&human::diagnostic(&engine.sources, d, self.color));
            }
        }
    }

    /// A document, from its `output` when it was rendered already.
    fn document(
        &mut self,
        engine: &Engine,
        io: &mut Io,
        doc: &crate::CheckedDocument,
        output: Option<&[u8]>,
    ) {
        let mut out = io.writer();
        let _ = match (&mut self.json, output) {
            (Some(json), Some(bytes)) => json.rendered(doc, &engine.set, bytes, &mut out),
            (Some(json), None) => json.document(&engine.set, &engine.sources, doc, &mut out),
            (None, Some(bytes)) => {
                self.tally.document(doc, &engine.set);
                out.write_all(bytes)
            }
            (None, None) => {
                self.tally.document(doc, &engine.set);
                human::document(&engine.set, &engine.sources, doc, self.color, &mut out)
            }
        };
    }

    /// Writes the end of the output; returns the exit status.
    fn finish(self, io: &mut Io, strict: bool) -> i32 {
        match &self.json {
            Some(json) => {
                io.write_out(&json.finish());
                json.tally().exit_code(strict)
            }
            None => {
                io.write_out(&human::summary(&self.tally));
                self.tally.exit_code(strict)
            }
        }
    }
}

/// SARIF, JUnit and GitHub outputs are made from the whole run.
fn collected(
    args: &CheckArgs,
    mut engine: Engine,
    documents: Prefetch,
    today: i32,
    io: &mut Io,
    audit: &mut Audit,
) -> i32 {
    let mut report = Report {
        documents: Vec::new(),
        diagnostics: engine.diagnostics.clone(),
    };
    if let Some(doc) = engine.check_policy_set(today) {
        report.documents.push(doc);
    }
    load_documents(&mut engine, documents, io, today, &mut report);
    for doc in &report.documents {
        audit.record(&engine, doc);
    }
    if let Some(doc) = audit.schema_changes(&mut engine) {
        audit.record(&engine, &doc);
        report.documents.push(doc);
    }
    let output = match args.format {
        OutputFormat::Sarif => crate::report::sarif::render(&report, &engine.set, &engine.sources),
        OutputFormat::Junit => crate::report::junit::render(&report, &engine.set, &engine.sources),
        _ => crate::report::github::render(&report, &engine.set, &engine.sources),
    };
    io.write_out(&output);
    if args.format == OutputFormat::Github {
        if let Some(path) = &io.step_summary {
            let summary =
                crate::report::github::summary_markdown(&report, &engine.set, &engine.sources);
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, summary.as_bytes()));
            if let Err(e) = written {
                io.stderr.push_str(&format!(
                    "warning: cannot write the job summary to `{}`: {}\n",
                    path.display(),
                    super::files::io_reason(&e)
                ));
            }
        }
    }
    report.exit_code(&engine.set, args.strict)
}
