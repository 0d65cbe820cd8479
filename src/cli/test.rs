//! `policy test`: runs the `test` blocks of the policy set. Each test checks
//! one document (a path relative to the file holding the test) and states
//! what must come out: `expect fail RULE`, `expect pass RULE`, ...,
//! `expect verdict fail`. Coverage lists the rules no test document exercised.

use std::collections::BTreeSet;
use std::path::Path;

use clap::{Args, ValueEnum};

use super::files::read_text;
use super::load::{load_engine, parse_today, PolicyArgs};
use super::Io;
use crate::check::model::{Applies, Test};
use crate::eval::rules::source_info;
use crate::eval::Outcome;
use crate::input::Format;
use crate::report::human::render_diagnostic;
use crate::{CheckedDocument, Engine};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per test, failures explained
    Human,
    /// JUnit XML: a test case per test
    Junit,
}

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when every test passes; 1 when one fails; 2 when the policy set or a test document is invalid."
)]
pub struct TestArgs {
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
    /// Run only the tests whose name contains this text
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// The date `today()` returns, for reproducible runs
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    pub today: Option<i32>,
}

/// What happened to one test.
struct Outcomes {
    name: String,
    /// Where the test is declared (`path:line:col`).
    place: String,
    /// Failed expectations, each a readable sentence; empty when it passed.
    failures: Vec<String>,
    /// The test could not run (its document is unreadable or invalid).
    error: Option<String>,
}

/// `dir/./a/../b` → `dir/b`, for names people read.
fn tidy_path(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            other => parts.push(other.as_os_str().to_string_lossy().to_string()),
        }
    }
    parts.join("/")
}

fn outcome_of(words: &str) -> Option<Outcome> {
    Some(match words {
        "pass" => Outcome::Pass,
        "fail" => Outcome::Fail,
        "indeterminate" => Outcome::Indeterminate,
        "waived" => Outcome::Waived,
        "not_applicable" => Outcome::NotApplicable,
        _ => return None,
    })
}

fn run_test(
    engine: &mut Engine,
    test: &Test,
    io: &Io,
    today: i32,
    exercised: &mut BTreeSet<String>,
) -> Outcomes {
    let place = engine
        .sources
        .location(test.span)
        .map(|(p, l, c)| format!("{p}:{l}:{c}"))
        .unwrap_or_default();
    let mut out = Outcomes {
        name: test.name.clone(),
        place,
        failures: Vec::new(),
        error: None,
    };
    let Some((document, _)) = &test.document else {
        out.error = Some("the test names no `document`".into());
        return out;
    };
    let holder = test
        .span
        .file()
        .map(|f| engine.sources.name(f).to_string())
        .unwrap_or_default();
    let shown = tidy_path(
        &Path::new(&holder)
            .parent()
            .unwrap_or(Path::new(""))
            .join(document),
    );
    let bytes = match std::fs::read(io.cwd.join(&shown)) {
        Ok(b) => b,
        Err(e) => {
            out.error = Some(format!(
                "cannot read `{shown}`: {}",
                super::files::io_reason(&e)
            ));
            return out;
        }
    };
    let text = match read_text(bytes, &shown) {
        Ok(t) => t,
        Err(d) => {
            out.error = Some(d.message);
            return out;
        }
    };
    let format = Format::guess(&shown, &text);
    let (documents, diagnostics) = engine.check_text(&shown, text, format, today);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| render_diagnostic(&engine.sources, d))
        .collect();
    if !errors.is_empty() {
        out.error = Some(format!(
            "the document `{shown}` is invalid:\n{}",
            errors.join("")
        ));
        return out;
    }
    let Some(doc) = documents.first() else {
        out.error = Some(format!("`{shown}` holds no document"));
        return out;
    };
    for r in &doc.report.results {
        if r.outcome != Outcome::NotApplicable {
            exercised.insert(source_info(&engine.set, r.source).id.into_owned());
        }
    }
    for (what, arg, _) in &test.expectations {
        if let Some(problem) = expectation(engine, doc, what, arg) {
            out.failures.push(problem);
        }
    }
    out
}

/// Whether one expectation holds; if not, a sentence saying what happened.
fn expectation(engine: &Engine, doc: &CheckedDocument, what: &str, arg: &str) -> Option<String> {
    if what == "verdict" {
        let got = doc.report.verdict.word();
        return (got != arg).then(|| format!("expected verdict `{arg}`, got `{got}`"));
    }
    let want = outcome_of(what)?;
    let results: Vec<_> = doc
        .report
        .results
        .iter()
        .filter(|r| source_info(&engine.set, r.source).id == arg)
        .collect();
    if results.is_empty() {
        let applies = engine.set.rule(arg).map(|r| match &r.applies {
            Applies::Kind(k) => {
                format!(" (it applies to `{k}` documents, this is a `{}`)", doc.kind)
            }
            Applies::Policy => " (it applies to the policy set)".to_string(),
        });
        return Some(format!(
            "expected `{arg}` to {}, but it has no result on this document{}",
            verb(want),
            applies.unwrap_or_default()
        ));
    }
    let holds = match want {
        Outcome::Pass | Outcome::NotApplicable => results.iter().all(|r| r.outcome == want),
        _ => results.iter().any(|r| r.outcome == want),
    };
    if holds {
        return None;
    }
    // Say what it did instead, with the first result that contradicts.
    let other = results
        .iter()
        .find(|r| r.outcome != want)
        .or(results.first())?;
    let place = engine
        .sources
        .location(other.location)
        .map(|(p, l, c)| format!(" at {p}:{l}:{c}"))
        .unwrap_or_default();
    let detail = if other.message.is_empty() {
        String::new()
    } else {
        format!(": {}", other.message)
    };
    Some(format!(
        "expected `{arg}` to {}, but it {}{place}{detail}",
        verb(want),
        past(other.outcome)
    ))
}

fn verb(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Indeterminate => "be indeterminate",
        Outcome::Waived => "be waived",
        Outcome::NotApplicable => "not apply",
    }
}

fn past(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "passed",
        Outcome::Fail => "failed",
        Outcome::Indeterminate => "was indeterminate",
        Outcome::Waived => "was waived",
        Outcome::NotApplicable => "did not apply",
    }
}

fn xml(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

pub fn run(args: TestArgs, io: &mut Io) -> i32 {
    let today = args.today.unwrap_or_else(crate::time::today_utc);
    let mut engine = load_engine(&args.policies.policy, io);
    if !engine.is_valid() {
        for d in &engine.diagnostics {
            io.stderr.push_str(&render_diagnostic(&engine.sources, d));
        }
        io.stderr
            .push_str("error: the policy set is invalid; no test ran\n");
        return 2;
    }
    let tests: Vec<Test> = engine
        .set
        .tests
        .iter()
        .filter(|t| {
            args.filter
                .as_ref()
                .is_none_or(|f| t.name.contains(f.as_str()))
        })
        .cloned()
        .collect();
    let mut exercised = BTreeSet::new();
    let results: Vec<Outcomes> = tests
        .iter()
        .map(|t| run_test(&mut engine, t, io, today, &mut exercised))
        .collect();
    let passed = results
        .iter()
        .filter(|r| r.failures.is_empty() && r.error.is_none())
        .count();
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    // Coverage of the policy's own rules; of the standard library's when the
    // set is nothing but imports (the standard library's own tests).
    // Rules on the policy set itself run on no test document: not counted.
    let on_documents = |r: &&crate::check::model::Rule| r.applies != Applies::Policy;
    let own: Vec<String> = engine
        .set
        .rules
        .iter()
        .filter(on_documents)
        .filter(|r| !r.id.starts_with("std."))
        .map(|r| r.id.clone())
        .collect();
    let all_rules: Vec<String> = if own.is_empty() {
        engine
            .set
            .rules
            .iter()
            .filter(on_documents)
            .map(|r| r.id.clone())
            .collect()
    } else {
        own
    };
    let missed: Vec<&String> = all_rules
        .iter()
        .filter(|id| !exercised.contains(*id))
        .collect();

    match args.format {
        TestFormat::Human => {
            for r in &results {
                if let Some(e) = &r.error {
                    io.stdout.push_str(&format!(
                        "test {} ... ERROR\n  {e}\n  --> {}\n",
                        r.name, r.place
                    ));
                } else if r.failures.is_empty() {
                    io.stdout.push_str(&format!("test {} ... ok\n", r.name));
                } else {
                    io.stdout.push_str(&format!("test {} ... FAILED\n", r.name));
                    for f in &r.failures {
                        io.stdout.push_str(&format!("  {f}\n"));
                    }
                    io.stdout.push_str(&format!("  --> {}\n", r.place));
                }
            }
            if results.is_empty() {
                io.stdout.push_str("no test blocks in the policy set\n");
            }
            io.stdout.push_str(&format!(
                "\n{passed} passed, {failed} failed{}\n",
                if errors > 0 {
                    format!(", {errors} errors")
                } else {
                    String::new()
                }
            ));
            let covered = all_rules.len() - missed.len();
            io.stdout.push_str(&format!(
                "coverage: {covered} of {} rules exercised by a test document{}\n",
                all_rules.len(),
                if missed.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; not exercised: {}",
                        missed
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ));
        }
        TestFormat::Junit => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            out.push_str(&format!(
                "<testsuites tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\">\n",
                results.len()
            ));
            out.push_str(&format!(
                "  <testsuite name=\"policy test\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\">\n",
                results.len()
            ));
            for r in &results {
                out.push_str(&format!(
                    "    <testcase name=\"{}\" classname=\"{}\">\n",
                    xml(&r.name),
                    xml(&r.place)
                ));
                if let Some(e) = &r.error {
                    out.push_str(&format!(
                        "      <error message=\"{}\"/>\n",
                        xml(e.lines().next().unwrap_or(""))
                    ));
                } else if !r.failures.is_empty() {
                    out.push_str(&format!(
                        "      <failure message=\"{}\">{}</failure>\n",
                        xml(r.failures.first().map(String::as_str).unwrap_or("")),
                        xml(&r.failures.join("\n"))
                    ));
                }
                out.push_str("    </testcase>\n");
            }
            out.push_str("  </testsuite>\n</testsuites>\n");
            io.stdout.push_str(&out);
        }
    }
    if errors > 0 {
        2
    } else {
        i32::from(failed > 0)
    }
}
