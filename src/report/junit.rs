//! `--format junit`: JUnit XML for CI test reports, within the common schema
//! (the xunit plugin's `junit-10.xsd`).
//!
//! `<testsuites>` holds a testsuite `errors` when policies, documents or the
//! command line are invalid (a testcase with an `<error>` per error), a
//! testsuite per checked document (a testcase per rule result), and a
//! testsuite `warnings` whose `<system-err>` lists the warnings. A `fail`
//! result is a `<failure type="fail">`, an `indeterminate` one a
//! `<failure type="indeterminate">`; `waived` and `not_applicable` are
//! `<skipped>`. The schema allows no location attributes on a testcase, so
//! locations are in the failure's text: `PATH:LINE:COLUMN: message`.

use std::collections::HashMap;

use super::Report;
use crate::check::model::PolicySet;
use crate::diagnostic::Diagnostic;
use crate::eval::rules::source_info;
use crate::eval::{Outcome, RuleResult};
use crate::source::{SourceMap, Span};

/// Characters XML 1.0 cannot hold at all become U+FFFD.
fn xml_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => c,
        c if c >= '\u{10000}' => c,
        _ => char::REPLACEMENT_CHARACTER,
    }
}

/// Escapes an attribute value (double-quoted). Newlines, carriage returns and
/// tabs are written as character references so parsers keep them.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes character data.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn place(sources: &SourceMap, span: Span) -> Option<String> {
    sources
        .location(span)
        .map(|(path, line, column)| format!("{path}:{line}:{column}"))
}

/// One element with attributes and optional text content.
fn element(out: &mut String, indent: &str, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    for (k, v) in attrs {
        out.push_str(&format!(" {k}=\"{}\"", escape_attr(v)));
    }
    match text {
        Some(t) => out.push_str(&format!(">{}</{name}>\n", escape_text(t))),
        None => out.push_str("/>\n"),
    }
}

fn suite_open(out: &mut String, attrs: &[(&str, &str)]) {
    out.push_str("  <testsuite");
    for (k, v) in attrs {
        out.push_str(&format!(" {k}=\"{}\"", escape_attr(v)));
    }
    out.push_str(">\n");
}

fn diagnostic_text(sources: &SourceMap, d: &Diagnostic) -> String {
    let mut text = match place(sources, d.primary_span()) {
        Some(p) => format!("{p}: {}", d.message),
        None => d.message.clone(),
    };
    for label in d.labels.iter().filter(|l| !l.message.is_empty()) {
        if let Some(p) = place(sources, label.span) {
            text.push_str(&format!("\n{p}: {}", label.message));
        }
    }
    for note in &d.notes {
        text.push_str(&format!("\n{note}"));
    }
    text
}

fn result_case(
    out: &mut String,
    set: &PolicySet,
    sources: &SourceMap,
    doc: &crate::CheckedDocument,
    r: &RuleResult,
    name: &str,
) {
    let info = source_info(set, r.source);
    let classname = format!("{}.{}", doc.kind, doc.id);
    let title = info.title.unwrap_or(&info.id);
    let at = place(sources, r.location)
        .or_else(|| place(sources, doc.start))
        .unwrap_or_else(|| doc.path.clone());
    let mut detail = format!("{at}: {}", r.message);
    detail.push_str(&format!(
        "\n`{}` rule `{}` ({title})",
        info.level.word(),
        info.id
    ));
    if let Some(p) = place(sources, info.span) {
        detail.push_str(&format!(" at {p}"));
    }
    if let Some(cite) = info.cite {
        detail.push_str(&format!("\ncite: {cite}"));
    }
    out.push_str(&format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
        escape_attr(name),
        escape_attr(&classname)
    ));
    match r.outcome {
        Outcome::Pass => out.push_str("/>\n"),
        Outcome::Fail | Outcome::Indeterminate => {
            out.push_str(">\n");
            let message = format!("{}: {}", info.level.word(), r.message);
            element(
                out,
                "      ",
                "failure",
                &[("type", r.outcome.word()), ("message", &message)],
                Some(&detail),
            );
            out.push_str("    </testcase>\n");
        }
        Outcome::Waived => {
            out.push_str(">\n");
            let why = r
                .waiver
                .map(|w| super::sarif::waiver_text(set, w))
                .unwrap_or_else(|| "waived".into());
            let message = format!("{why} ({})", r.message);
            element(
                out,
                "      ",
                "skipped",
                &[("type", "waived"), ("message", &message)],
                Some(&detail),
            );
            out.push_str("    </testcase>\n");
        }
        Outcome::NotApplicable => {
            out.push_str(">\n");
            element(
                out,
                "      ",
                "skipped",
                &[("type", "not_applicable"), ("message", &r.message)],
                None,
            );
            out.push_str("    </testcase>\n");
        }
    }
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let mut body = String::new();
    let (mut tests, mut failures, mut errors_total) = (0, 0, 0);

    let errors: Vec<&Diagnostic> = report.errors().collect();
    if !errors.is_empty() {
        let n = errors.len().to_string();
        suite_open(
            &mut body,
            &[
                ("name", "errors"),
                ("tests", &n),
                ("failures", "0"),
                ("errors", &n),
                ("skipped", "0"),
                ("time", "0"),
            ],
        );
        for d in &errors {
            let name = match place(sources, d.primary_span()) {
                Some(p) => format!("{} {p}", d.code),
                None => d.code.to_string(),
            };
            body.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"accord.errors\" time=\"0\">\n",
                escape_attr(&name)
            ));
            element(
                &mut body,
                "      ",
                "error",
                &[("type", d.code), ("message", &d.message)],
                Some(&diagnostic_text(sources, d)),
            );
            body.push_str("    </testcase>\n");
        }
        body.push_str("  </testsuite>\n");
        tests += errors.len();
        errors_total += errors.len();
    }

    for doc in &report.documents {
        let results = &doc.report.results;
        let failed = results.iter().filter(|r| r.outcome.is_failure()).count();
        let skipped = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Waived | Outcome::NotApplicable))
            .count();
        tests += results.len();
        failures += failed;
        let name = format!("{} ({} {})", doc.path, doc.kind, doc.id);
        suite_open(
            &mut body,
            &[
                ("name", &name),
                ("tests", &results.len().to_string()),
                ("failures", &failed.to_string()),
                ("errors", "0"),
                ("skipped", &skipped.to_string()),
                ("time", "0"),
                ("file", &doc.path),
            ],
        );
        body.push_str("    <properties>\n");
        let mut props: Vec<(String, String)> = vec![
            ("path".into(), doc.path.clone()),
            ("kind".into(), doc.kind.clone()),
            ("id".into(), doc.id.clone()),
            ("verdict".into(), doc.report.verdict.word().into()),
        ];
        if let Some(score) = doc.report.score {
            props.push(("score".into(), crate::eval::value::number(score)));
        }
        for (gate, open) in &doc.report.gates {
            let status = if *open { "open" } else { "blocked" };
            props.push((format!("gate.{gate}"), status.into()));
        }
        for (k, v) in &props {
            element(
                &mut body,
                "      ",
                "property",
                &[("name", k), ("value", v)],
                None,
            );
        }
        body.push_str("    </properties>\n");
        // A rule with several results in one document: `ID #1`, `ID #2`, ...
        let mut per_rule: HashMap<String, usize> = HashMap::new();
        for r in results {
            *per_rule
                .entry(source_info(set, r.source).id.into_owned())
                .or_default() += 1;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in results {
            let id = source_info(set, r.source).id.into_owned();
            let name = if per_rule.get(&id).copied().unwrap_or(0) > 1 {
                let n = seen.entry(id.clone()).or_default();
                *n += 1;
                format!("{id} #{n}")
            } else {
                id
            };
            result_case(&mut body, set, sources, doc, r, &name);
        }
        body.push_str("  </testsuite>\n");
    }

    let warnings: Vec<String> = report
        .warnings()
        .map(|d| {
            let text = diagnostic_text(sources, d);
            format!("warning[{}]: {text}", d.code)
        })
        .collect();
    if !warnings.is_empty() {
        suite_open(
            &mut body,
            &[
                ("name", "warnings"),
                ("tests", "0"),
                ("failures", "0"),
                ("errors", "0"),
                ("skipped", "0"),
                ("time", "0"),
            ],
        );
        element(
            &mut body,
            "    ",
            "system-err",
            &[],
            Some(&format!("{}\n", warnings.join("\n"))),
        );
        body.push_str("  </testsuite>\n");
    }

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"accord\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors_total}\" time=\"0\">\n"
    ));
    out.push_str(&body);
    out.push_str("</testsuites>\n");
    out
}
