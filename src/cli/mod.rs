//! The `policy` command: arguments, files, exit codes. Runs in process with
//! its own working directory, input and output, so tests can drive it.

mod base;
mod check;
mod decision_log;
mod diff;
mod doc;
mod documents;
mod explain;
pub(crate) mod files;
mod fmt;
mod import;
mod load;
mod log;
mod lsp;
mod score;
mod test;

use std::io::Read;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// What a run reads and writes besides files.
pub struct Io {
    /// Relative paths are resolved against this directory.
    pub cwd: PathBuf,
    /// Standard input, read when a document path is `-`.
    pub stdin: Box<dyn Read + Send>,
    pub stdout: String,
    pub stderr: String,
    /// When set, `policy check` writes here as it goes instead of collecting
    /// its output in `stdout` (a process streams; tests collect).
    pub out: Option<Box<dyn std::io::Write + Send>>,
    /// Colour the human output (a terminal that wants colour).
    pub color: bool,
    /// Where a progress line goes during long runs (a terminal's stderr).
    pub progress: Option<Box<dyn std::io::Write + Send>>,
    /// The file GitHub Actions reads a job summary from (`GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<PathBuf>,
    /// Threads that check documents (`--jobs`); `None`: one a core.
    pub jobs: Option<usize>,
}

impl Io {
    /// Writes output as it is made (to `out` when streaming).
    pub fn write_out(&mut self, text: &str) {
        let _ = std::io::Write::write_all(&mut self.writer(), text.as_bytes());
    }

    /// The output as a writer: `out` when streaming, else `stdout`.
    pub fn writer(&mut self) -> OutWriter<'_> {
        OutWriter {
            io: self,
            partial: Vec::new(),
        }
    }
}

/// Writes to [`Io::out`], or collects into [`Io::stdout`] (whole characters
/// only: a character split across two writes waits for its second half).
pub struct OutWriter<'i> {
    io: &'i mut Io,
    partial: Vec<u8>,
}

impl std::io::Write for OutWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Some(out) = &mut self.io.out {
            // A closed pipe (`policy check | head`) is not an error of the check.
            let _ = out.write_all(bytes);
            return Ok(bytes.len());
        }
        let text: &[u8] = if self.partial.is_empty() {
            bytes
        } else {
            self.partial.extend_from_slice(bytes);
            &self.partial
        };
        let whole = match std::str::from_utf8(text) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => text.len(),
        };
        let (done, rest) = text.split_at(whole);
        self.io.stdout.push_str(&String::from_utf8_lossy(done));
        self.partial = rest.to_vec();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for OutWriter<'_> {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.io.stdout.push_str(&String::from_utf8_lossy(&rest));
        }
    }
}

impl Io {
    pub fn new(cwd: PathBuf, stdin: Box<dyn Read + Send>) -> Io {
        Io {
            cwd,
            stdin,
            stdout: String::new(),
            stderr: String::new(),
            out: None,
            color: false,
            progress: None,
            step_summary: None,
            jobs: None,
        }
    }
}

#[derive(Parser)]
#[command(
    name = "policy",
    version,
    about = "Accord: policy as code for HR and IT governance of AI and automation",
    long_about = "Accord checks vendor questionnaires, integration manifests, change requests, \
readiness records and scorecards against the agreements HR and IT write down as policy.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check documents against the policy set (or the policy set alone)
    Check(check::CheckArgs),
    /// Format policy files in the one canonical layout
    Fmt(fmt::FmtArgs),
    /// Run the `test` blocks of the policy set
    Test(test::TestArgs),
    /// Compare vendor questionnaires side by side
    Score(score::ScoreArgs),
    /// Show how a rule was evaluated on a document, step by step
    Explain(explain::ExplainArgs),
    /// Write a Markdown reference of the rules (of the policy set, or the standard library)
    Doc(doc::DocArgs),
    /// Start a policy from a questionnaire template (`policy import vsaq FILE`)
    Import(import::ImportArgs),
    /// Run the language server on standard input and output (for editors)
    Lsp(lsp::LspArgs),
    /// The field changes between two data dictionaries (as a change request skeleton with --format yaml)
    Diff(diff::DiffArgs),
    /// Work with decision logs (`policy log verify FILE`)
    Log(log::LogArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Located findings with source snippets, for people
    Human,
    /// The stable `accord.check/v1` JSON document
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, a test suite per document
    Junit,
    /// GitHub workflow commands (annotations), and a job summary
    Github,
}

/// The checker recurses over nested input (bounded by `limits`); this stack
/// keeps every bounded input far from the edge whatever thread calls `run`.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Runs the command line `args` (without the program name); returns the exit status.
pub fn run(args: &[String], io: &mut Io) -> i32 {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || {
                crate::threads::started();
                run_here(args, io)
            });
        match worker.map(|w| w.join()) {
            Ok(Ok(code)) => code,
            _ => {
                eprintln!("error: the checker stopped unexpectedly");
                3
            }
        }
    })
}

fn run_here(args: &[String], io: &mut Io) -> i32 {
    let argv = std::iter::once("policy".to_string()).chain(args.iter().cloned());
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    io.stdout.push_str(&text);
                    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                    {
                        2
                    } else {
                        0
                    }
                }
                _ => {
                    // With `--format json` the JSON is printed whatever happens.
                    let wants_json = args
                        .windows(2)
                        .any(|w| w[0] == "--format" && w[1] == "json")
                        || args.iter().any(|a| a == "--format=json");
                    if wants_json {
                        let first = text.lines().next().unwrap_or("invalid command line");
                        let message = first.strip_prefix("error: ").unwrap_or(first);
                        let d = crate::diagnostic::Diagnostic::error("A401", message.to_string());
                        let report = crate::report::Report {
                            documents: Vec::new(),
                            diagnostics: vec![d],
                        };
                        let set = crate::check::model::PolicySet::default();
                        let sources = crate::source::SourceMap::new();
                        io.stdout
                            .push_str(&crate::report::json::render(&report, &set, &sources));
                    }
                    io.stderr.push_str(&text);
                    2
                }
            };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(args, io),
        Command::Fmt(args) => fmt::run(args, io),
        Command::Test(args) => test::run(args, io),
        Command::Score(args) => score::run(args, io),
        Command::Explain(args) => explain::run(args, io),
        Command::Doc(args) => doc::run(args, io),
        Command::Lsp(args) => lsp::run(args, io),
        Command::Import(args) => import::run(args, io),
        Command::Log(args) => log::run(args, io),
        Command::Diff(args) => diff::run(args, io),
    }
}
