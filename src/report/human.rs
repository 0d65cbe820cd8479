//! The human format: codespan-reporting snippets of the document line and of
//! the policy rule for every finding, and a summary.

use codespan_reporting::diagnostic::{
    Diagnostic as Snippet, Label as SnippetLabel, Severity as SnippetSeverity,
};
use codespan_reporting::term::{self, Config};

use super::{Report, Tally};
use crate::check::model::PolicySet;
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::rules::source_info;
use crate::eval::{Outcome, RuleResult, Verdict};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::Level;
use crate::CheckedDocument;

/// A label's range, cut at the end of its first line (a list element that is a
/// whole mapping would otherwise underline many lines).
fn label_range(sources: &SourceMap, span: Span) -> Option<(FileId, std::ops::Range<usize>)> {
    let file = span.file()?;
    let range = span.range()?;
    let text = sources.text(file);
    let end = text
        .get(range.start..range.end)
        .and_then(|s| s.find('\n'))
        .map(|i| range.start + i)
        .unwrap_or(range.end);
    let end = if end == range.start {
        // An empty span: underline the character there, if any.
        text.get(range.start..)
            .and_then(|s| s.chars().next())
            .filter(|c| *c != '\n')
            .map(|c| range.start + c.len_utf8())
            .unwrap_or(range.start)
    } else {
        end
    };
    Some((file, range.start..end))
}

/// Renders one snippet; with `color`, ANSI colours for a terminal.
fn emit(out: &mut String, sources: &SourceMap, snippet: &Snippet<FileId>, color: bool) {
    let config = Config::default();
    if color {
        let styles = term::Styles::default();
        let mut buffer = Vec::new();
        let mut writer = term::StylesWriter::new(term::termcolor::Ansi::new(&mut buffer), &styles);
        if term::emit_to_write_style(&mut writer, &config, sources, snippet).is_ok() {
            out.push_str(&String::from_utf8_lossy(&buffer));
            return;
        }
    }
    match term::emit_to_string(out, &config, sources, snippet) {
        Ok(()) => {}
        Err(_) => {
            out.push_str(&snippet.message);
            out.push('\n');
        }
    }
}

pub fn diagnostic_snippet(sources: &SourceMap, d: &Diagnostic) -> Snippet<FileId> {
    let severity = match d.severity {
        Severity::Error => SnippetSeverity::Error,
        Severity::Warning => SnippetSeverity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .filter_map(|l| {
            let (file, range) = label_range(sources, l.span)?;
            let label = if l.primary {
                SnippetLabel::primary(file, range)
            } else {
                SnippetLabel::secondary(file, range)
            };
            Some(label.with_message(&l.message))
        })
        .collect();
    Snippet::new(severity)
        .with_code(d.code)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(d.notes.clone())
}

pub fn render_diagnostic(sources: &SourceMap, d: &Diagnostic) -> String {
    diagnostic(sources, d, false)
}

fn result_snippet(set: &PolicySet, sources: &SourceMap, r: &RuleResult) -> Snippet<FileId> {
    let info = source_info(set, r.source);
    let severity = match (r.outcome, info.level) {
        (Outcome::Waived, _) | (Outcome::Pass, _) | (Outcome::NotApplicable, _) => {
            SnippetSeverity::Note
        }
        (_, Level::Must) => SnippetSeverity::Error,
        (_, Level::Should) => SnippetSeverity::Warning,
        (_, Level::May) => SnippetSeverity::Note,
    };
    let title = info.title.unwrap_or(&info.id);
    let headline = match r.outcome {
        Outcome::Indeterminate => format!("{} (indeterminate: not answered)", title),
        Outcome::Waived => format!("{} (waived)", title),
        _ => title.to_string(),
    };
    let mut labels = Vec::new();
    if let Some((file, range)) = label_range(sources, r.location) {
        labels.push(SnippetLabel::primary(file, range).with_message(&r.message));
    }
    if let Some((file, range)) = label_range(sources, info.span) {
        labels.push(SnippetLabel::secondary(file, range).with_message(format!(
            "`{}` rule `{}`",
            info.level.word(),
            info.id
        )));
    }
    let mut notes = Vec::new();
    if r.location == Span::Synthetic || label_range(sources, r.location).is_none() {
        notes.push(r.message.to_string());
    }
    if let Some(cite) = info.cite {
        notes.push(format!("cite: {cite}"));
    }
    if let Some(w) = r.waiver.and_then(|i| set.waivers.get(i)) {
        let until = w.until.map(crate::time::format_date).unwrap_or_default();
        let approvers: Vec<&str> = w
            .approved
            .iter()
            .filter_map(|a| set.decl(*a).map(|d| d.name.as_str()))
            .collect();
        notes.push(format!(
            "waived by `{}` until {until}, approved by {}{}",
            w.name,
            approvers.join(", "),
            w.reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    Snippet::new(severity)
        .with_code(info.id.clone())
        .with_message(headline)
        .with_labels(labels)
        .with_notes(notes)
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&diagnostic(sources, d, color));
    }
    for doc in &report.documents {
        let mut text = Vec::new();
        let _ = document(set, sources, doc, color, &mut text);
        out.push_str(&String::from_utf8_lossy(&text));
    }
    out.push_str(&summary(&Tally::of(report, set)));
    out
}

/// One diagnostic with its snippet.
pub fn diagnostic(sources: &SourceMap, d: &Diagnostic, color: bool) -> String {
    let mut out = String::new();
    emit(&mut out, sources, &diagnostic_snippet(sources, d), color);
    out
}

/// Writes a document's findings, then its verdict line.
pub fn document(
    set: &PolicySet,
    sources: &SourceMap,
    doc: &CheckedDocument,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for r in super::findings(set, doc) {
        let mut text = String::new();
        emit(&mut text, sources, &result_snippet(set, sources, r), color);
        out.write_all(text.as_bytes())?;
    }
    let count = |keep: fn(Outcome) -> bool| {
        doc.report
            .results
            .iter()
            .filter(|r| keep(r.outcome))
            .count()
    };
    let passed = count(|o| o == Outcome::Pass);
    let failed = count(Outcome::is_failure);
    let waived = count(|o| o == Outcome::Waived);
    let score = doc
        .report
        .score
        .map(|s| {
            format!(
                ", score {}",
                crate::eval::value::number((s * 10.0).round() / 10.0)
            )
        })
        .unwrap_or_default();
    let gates = doc
        .report
        .gates
        .iter()
        .map(|(g, open)| format!(", gate `{g}` {}", if *open { "open" } else { "blocked" }))
        .collect::<String>();
    write!(
        out,
        "{}: {} `{}`: {}{score}{gates} ({passed} passed, {failed} failed, {waived} waived)\n\n",
        doc.path,
        doc.kind,
        doc.id,
        verdict_word(doc.report.verdict),
    )
}

/// The last line: how many documents passed, warned and failed.
pub fn summary(tally: &Tally) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "checked {} document{}: {} pass, {} warn, {} fail; {} error{}, {} warning{}\n",
        tally.documents,
        plural(tally.documents),
        tally.pass,
        tally.warn,
        tally.fail,
        tally.errors,
        plural(tally.errors),
        tally.warnings,
        plural(tally.warnings),
    )
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Warn => "WARN",
        Verdict::Fail => "FAIL",
    }
}
