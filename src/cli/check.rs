//! `policy check`: the checker in CI.

use clap::Args;

use super::load::{load_documents, load_engine, parse_today, PolicyArgs};
use super::{Io, OutputFormat};
use crate::report::Report;

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
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Also exit 1 when a `should` rule fails
    #[arg(long)]
    pub strict: bool,
    /// The date `today()` returns, for reproducible runs
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    pub today: Option<i32>,
}

pub fn run(args: CheckArgs, io: &mut Io) -> i32 {
    let today = args.today.unwrap_or_else(crate::time::today_utc);
    let mut engine = load_engine(&args.policies.policy, io);
    let mut report = Report {
        documents: Vec::new(),
        diagnostics: engine.diagnostics.clone(),
    };
    if let Some(doc) = engine.check_policy_set(today) {
        report.documents.push(doc);
    }
    load_documents(&mut engine, &args.paths, io, today, &mut report);

    let output = match args.format {
        OutputFormat::Json => crate::report::json::render(&report, &engine.set, &engine.sources),
        OutputFormat::Human => {
            crate::report::human::render(&report, &engine.set, &engine.sources, io.color)
        }
        OutputFormat::Sarif => crate::report::sarif::render(&report, &engine.set, &engine.sources),
        OutputFormat::Junit => crate::report::junit::render(&report, &engine.set, &engine.sources),
        OutputFormat::Github => {
            crate::report::github::render(&report, &engine.set, &engine.sources)
        }
    };
    io.stdout.push_str(&output);
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
