//! `--format github`: GitHub Actions workflow commands, one annotation per
//! finding, and [`summary_markdown`], a job summary in Markdown.
//!
//! A failing or indeterminate result is `::error` for a `must` rule,
//! `::warning` for a `should` and `::notice` for a `may`; a waived result is
//! a `::notice`; errors and warnings of policies and documents are `::error`
//! and `::warning`. Values are escaped as the runner expects: in the message
//! `%`, CR and LF; in properties also `:` and `,`.

use super::Report;
use crate::check::model::PolicySet;
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::rules::source_info;
use crate::eval::{Outcome, RuleResult, Verdict};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::Level;

/// Escapes the message of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::COMMAND file=…,line=…,col=…,title=…::MESSAGE`; the file only when the
/// span is in a real file (not `<stdin>`, the standard library or nowhere).
fn command(command: &str, sources: &SourceMap, span: Span, title: &str, message: &str) -> String {
    let mut props = Vec::new();
    if let Some((path, line, column)) = sources.location(span) {
        if !path.starts_with('<') {
            props.push(format!("file={}", escape_property(path)));
            props.push(format!("line={line}"));
            props.push(format!("col={column}"));
        }
    }
    props.push(format!("title={}", escape_property(title)));
    format!(
        "::{command} {}::{}\n",
        props.join(","),
        escape_data(message)
    )
}

fn diagnostic_message(d: &Diagnostic) -> String {
    let mut message = d.message.clone();
    for help in d.notes.iter().filter_map(|n| n.strip_prefix("help: ")) {
        message.push_str(&format!(" ({help})"));
    }
    message
}

fn result_command(
    set: &PolicySet,
    sources: &SourceMap,
    doc: &crate::CheckedDocument,
    r: &RuleResult,
) -> Option<String> {
    let info = source_info(set, r.source);
    // "TITLE (ID)", or "TITLE (ID, indeterminate)"; "ID" when there is no title.
    let name = |note: Option<&str>| match (info.title, note) {
        (Some(t), Some(n)) => format!("{t} ({}, {n})", info.id),
        (Some(t), None) => format!("{t} ({})", info.id),
        (None, Some(n)) => format!("{} ({n})", info.id),
        (None, None) => info.id.to_string(),
    };
    let (kind, title, message) = match r.outcome {
        Outcome::Pass | Outcome::NotApplicable => return None,
        Outcome::Fail | Outcome::Indeterminate => {
            let kind = match info.level {
                Level::Must => "error",
                Level::Should => "warning",
                Level::May => "notice",
            };
            let note = (r.outcome == Outcome::Indeterminate).then_some("indeterminate");
            (kind, name(note), r.message.to_string())
        }
        Outcome::Waived => {
            let why = r
                .waiver
                .map(|w| super::sarif::waiver_text(set, w))
                .unwrap_or_else(|| "waived".into());
            (
                "notice",
                name(Some("waived")),
                format!("{}\n{why}", r.message),
            )
        }
    };
    let span = if sources.location(r.location).is_some() {
        r.location
    } else {
        doc.start
    };
    Some(command(kind, sources, span, &title, &message))
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&command(
            kind,
            sources,
            d.primary_span(),
            &format!("accord {}", d.code),
            &diagnostic_message(d),
        ));
    }
    for doc in &report.documents {
        for r in &doc.report.results {
            if let Some(line) = result_command(set, sources, doc, r) {
                out.push_str(&line);
            }
        }
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn summary_line(report: &Report) -> String {
    let count = |v: Verdict| {
        report
            .documents
            .iter()
            .filter(|d| d.report.verdict == v)
            .count()
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let documents = report.documents.len();
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    format!(
        "checked {documents} document{}: {} pass, {} warn, {} fail; {errors} error{}, {warnings} warning{}",
        plural(documents),
        count(Verdict::Pass),
        count(Verdict::Warn),
        count(Verdict::Fail),
        plural(errors),
        plural(warnings),
    )
}

/// Text for a Markdown table cell. Inside `` `code` `` spans (as Accord writes
/// identifiers) only `|` is escaped; elsewhere HTML and emphasis characters
/// are escaped too, and line breaks become `<br>`.
pub fn md_cell(s: &str) -> String {
    let balanced = s.matches('`').count() % 2 == 0;
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' if balanced => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\r' => {}
            '\n' if in_code => out.push(' '),
            '\n' => out.push_str("<br>"),
            _ if in_code => out.push(c),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '*' | '_' | '[' | ']' | '`' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn place(sources: &SourceMap, span: Span) -> String {
    sources
        .location(span)
        .map(|(path, line, column)| md_cell(&format!("{path}:{line}:{column}")))
        .unwrap_or_default()
}

/// Most results listed in the summary (GitHub takes summaries up to 1 MiB).
const MAX_LISTED: usize = 500;

/// A Markdown job summary (for `$GITHUB_STEP_SUMMARY`): the documents with
/// their verdicts and scores, errors and warnings, and every failing,
/// indeterminate or waived result.
pub fn summary_markdown(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let mut out = String::from("## Accord policy check\n\n");
    out.push_str(&summary_line(report));
    out.push_str("\n\n");

    if !report.documents.is_empty() {
        out.push_str("| Document | Kind | Id | Verdict | Score | Passed | Failed | Waived |\n");
        out.push_str("|---|---|---|---|---:|---:|---:|---:|\n");
        for doc in &report.documents {
            let count =
                |f: fn(Outcome) -> bool| doc.report.results.iter().filter(|r| f(r.outcome)).count();
            let verdict = match doc.report.verdict {
                Verdict::Pass => "✅ pass",
                Verdict::Warn => "⚠️ warn",
                Verdict::Fail => "❌ fail",
            };
            let score = doc
                .report
                .score
                .map(|s| crate::eval::value::number((s * 10.0).round() / 10.0))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | {} | {} | {verdict} | {score} | {} | {} | {} |\n",
                md_cell(&doc.path),
                md_cell(&doc.kind),
                md_cell(&doc.id),
                count(|o| o == Outcome::Pass),
                count(Outcome::is_failure),
                count(|o| o == Outcome::Waived),
            ));
        }
        out.push('\n');
    }

    if !report.diagnostics.is_empty() {
        out.push_str("### Errors and warnings\n\n");
        out.push_str("| | Code | Location | Message |\n|---|---|---|---|\n");
        for d in &report.diagnostics {
            let icon = if d.is_error() { "❌" } else { "⚠️" };
            out.push_str(&format!(
                "| {icon} | {} | {} | {} |\n",
                d.code,
                place(sources, d.primary_span()),
                md_cell(&diagnostic_message(d)),
            ));
        }
        out.push('\n');
    }

    let mut listed = 0;
    let mut left = 0;
    let mut findings = String::new();
    for doc in &report.documents {
        let results = super::findings(set, doc);
        if results.is_empty() {
            continue;
        }
        if listed >= MAX_LISTED {
            left += results.len();
            continue;
        }
        findings.push_str(&format!(
            "#### {} ({} {})\n\n",
            md_cell(&doc.path),
            md_cell(&doc.kind),
            md_cell(&doc.id)
        ));
        findings
            .push_str("| Level | Rule | Outcome | Location | Message |\n|---|---|---|---|---|\n");
        for r in results {
            if listed >= MAX_LISTED {
                left += 1;
                continue;
            }
            listed += 1;
            let info = source_info(set, r.source);
            let mut message = r.message.to_string();
            if let Some(w) = r.waiver {
                message.push('\n');
                message.push_str(&super::sarif::waiver_text(set, w));
            }
            let rule = match info.title {
                Some(t) => format!("`{}`<br>{}", info.id, md_cell(t)),
                None => format!("`{}`", info.id),
            };
            findings.push_str(&format!(
                "| {} | {rule} | {} | {} | {} |\n",
                info.level.word(),
                r.outcome.word(),
                place(sources, r.location),
                md_cell(&message),
            ));
        }
        findings.push('\n');
    }
    if !findings.is_empty() {
        out.push_str("### Findings\n\n");
        out.push_str(&findings);
        if left > 0 {
            out.push_str(&format!("… and {left} more (see the annotations).\n"));
        }
    }
    out
}
