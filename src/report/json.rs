//! `--format json`: the stable `accord.check/v1` document.

use serde_json::{json, Map, Value};

use super::Report;
use crate::check::model::PolicySet;
use crate::diagnostic::Diagnostic;
use crate::eval::rules::source_info;
use crate::eval::Verdict;
use crate::source::{SourceMap, Span};

pub const FORMAT: &str = "accord.check/v1";

fn location(sources: &SourceMap, span: Span) -> Value {
    match sources.location(span) {
        Some((path, line, column)) => json!({"path": path, "line": line, "column": column}),
        None => Value::Null,
    }
}

pub fn diagnostic(sources: &SourceMap, d: &Diagnostic, fallback_path: Option<&str>) -> Value {
    let (path, line, column) = match d.location(sources) {
        Some((p, l, c)) => (Value::from(p), Value::from(l), Value::from(c)),
        None => (
            fallback_path.map(Value::from).unwrap_or(Value::Null),
            Value::Null,
            Value::Null,
        ),
    };
    // Machine readers see no notes: the help ("did you mean") goes into the
    // message, and so do the other places (the first declaration, the call).
    let mut message = d.message.clone();
    for label in d.labels.iter().filter(|l| !l.primary) {
        if let Some((p, l, c)) = sources.location(label.span) {
            message.push_str(&format!(" ({} at {p}:{l}:{c})", label.message));
        }
    }
    for help in d.notes.iter().filter_map(|n| n.strip_prefix("help: ")) {
        message.push_str(&format!(" ({help})"));
    }
    json!({"path": path, "line": line, "column": column, "code": d.code, "message": message})
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let mut documents = Vec::new();
    for doc in &report.documents {
        let mut entry = Map::new();
        entry.insert("path".into(), json!(doc.path));
        entry.insert("kind".into(), json!(doc.kind));
        entry.insert("id".into(), json!(doc.id));
        entry.insert("verdict".into(), json!(doc.report.verdict.word()));
        if let Some(score) = doc.report.score {
            entry.insert("score".into(), json!(score));
        }
        let results: Vec<Value> = doc
            .report
            .results
            .iter()
            .map(|r| {
                let info = source_info(set, r.source);
                let mut result = Map::new();
                result.insert("rule".into(), json!(info.id));
                result.insert("level".into(), json!(info.level.word()));
                result.insert("outcome".into(), json!(r.outcome.word()));
                result.insert("title".into(), json!(info.title.unwrap_or(&info.id)));
                result.insert("message".into(), json!(r.message));
                result.insert("location".into(), location(sources, r.location));
                result.insert("policy_location".into(), location(sources, info.span));
                Value::Object(result)
            })
            .collect();
        entry.insert("results".into(), Value::Array(results));
        if !doc.report.gates.is_empty() {
            let gates: Vec<Value> = doc
                .report
                .gates
                .iter()
                .map(|(g, open)| json!({"gate": g, "status": if *open { "open" } else { "blocked" }}))
                .collect();
            entry.insert("gates".into(), Value::Array(gates));
        }
        documents.push(Value::Object(entry));
    }
    let errors: Vec<Value> = report
        .errors()
        .map(|d| diagnostic(sources, d, None))
        .collect();
    let warnings: Vec<Value> = report
        .warnings()
        .map(|d| diagnostic(sources, d, None))
        .collect();
    let count = |v: Verdict| {
        report
            .documents
            .iter()
            .filter(|d| d.report.verdict == v)
            .count()
    };
    let out = json!({
        "format": FORMAT,
        "documents": documents,
        "errors": errors,
        "warnings": warnings,
        "summary": {
            "documents": report.documents.len(),
            "pass": count(Verdict::Pass),
            "warn": count(Verdict::Warn),
            "fail": count(Verdict::Fail),
            "errors": errors.len(),
        }
    });
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}
