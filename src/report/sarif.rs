//! `--format sarif`: a SARIF 2.1.0 log (OASIS, errata 01) for code scanning.
//!
//! One run. `tool.driver.rules` has one reporting descriptor per rule of the
//! policy set (every level), then one per metric target and per waiver that
//! produced a result; each result names its rule by `ruleId` and `ruleIndex`.
//! Results are the non-passing ones (`fail`, `indeterminate`, `waived`): the
//! document location is the primary location, the policy rule a related
//! location; a waived result carries an accepted external suppression with the
//! waiver's reason and approvers. Errors and warnings of policies, documents
//! and the command line are `invocations[0].toolExecutionNotifications`, and
//! `executionSuccessful` is false when there is an error.

use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::Report;
use crate::check::model::PolicySet;
use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::rules::{source_info, Source};
use crate::eval::{Outcome, RuleResult};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::Level;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// SARIF's level for a rule level.
pub fn level(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should => "warning",
        Level::May => "note",
    }
}

/// A file name as a relative URI reference: as given, with `\` as `/` and
/// every byte outside the unreserved characters and `/` percent-encoded (so a
/// `:` never reads as a scheme, and spaces or non-ASCII names stay valid).
pub fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether a source name is a real file (not `<stdin>` or `<stdlib/…>`).
fn is_file(name: &str) -> bool {
    !name.starts_with('<')
}

/// A SARIF `physicalLocation` for a span in a real file.
fn physical(sources: &SourceMap, span: Span) -> Option<Value> {
    let (path, line, column) = sources.location(span)?;
    if !is_file(path) {
        return None;
    }
    Some(json!({
        "artifactLocation": {"uri": uri(path)},
        "region": {"startLine": line, "startColumn": column},
    }))
}

/// A SARIF `location` for a span: a physical location in a file, or (for
/// stdin, the standard library and synthetic spans) only a message naming it.
fn location(sources: &SourceMap, span: Span, message: Option<String>) -> Option<Value> {
    let mut loc = Map::new();
    if let Some(p) = physical(sources, span) {
        loc.insert("physicalLocation".into(), p);
    }
    let text = match (sources.location(span), message) {
        (Some((path, line, column)), m) if !is_file(path) => Some(match m {
            Some(m) => format!("{m} ({path}:{line}:{column})"),
            None => format!("{path}:{line}:{column}"),
        }),
        (_, m) => m,
    };
    if let Some(text) = text {
        loc.insert("message".into(), json!({ "text": text }));
    }
    (!loc.is_empty()).then_some(Value::Object(loc))
}

/// A waiver's approvers, by name.
pub fn approvers(set: &PolicySet, waiver: usize) -> Vec<&str> {
    set.waivers
        .get(waiver)
        .map(|w| {
            w.approved
                .iter()
                .filter_map(|a| set.decl(*a).map(|d| d.name.as_str()))
                .collect()
        })
        .unwrap_or_default()
}

/// "waived by `NAME` until DATE, approved by A, B: REASON".
pub fn waiver_text(set: &PolicySet, waiver: usize) -> String {
    let Some(w) = set.waivers.get(waiver) else {
        return "waived".into();
    };
    let until = w
        .until
        .map(|d| format!(" until {}", crate::time::format_date(d)))
        .unwrap_or_default();
    let reason = w
        .reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!(
        "waived by `{}`{until}, approved by {}{reason}",
        w.name,
        approvers(set, waiver).join(", ")
    )
}

/// The reporting descriptors, by rule id, in a stable order.
fn descriptors(report: &Report, set: &PolicySet) -> IndexMap<String, Value> {
    let mut out: IndexMap<String, Value> = IndexMap::new();
    let mut add = |source: Source| {
        let info = source_info(set, source);
        if out.contains_key(&*info.id) {
            return;
        }
        let mut d = Map::new();
        d.insert("id".into(), json!(info.id));
        d.insert(
            "shortDescription".into(),
            json!({"text": info.title.unwrap_or(&info.id)}),
        );
        if let Source::Rule(i) = source {
            if let Some(doc) = set.rules.get(i).and_then(|r| r.doc.as_deref()) {
                d.insert("fullDescription".into(), json!({ "text": doc }));
            }
        }
        if let Some(cite) = info.cite {
            d.insert("help".into(), json!({ "text": cite }));
            if cite.starts_with("https://") || cite.starts_with("http://") {
                d.insert("helpUri".into(), json!(cite));
            }
        }
        d.insert(
            "defaultConfiguration".into(),
            json!({"level": level(info.level)}),
        );
        let mut props = Map::new();
        props.insert("level".into(), json!(info.level.word()));
        d.insert("properties".into(), Value::Object(props));
        out.insert(info.id.to_string(), Value::Object(d));
    };
    for i in 0..set.rules.len() {
        add(Source::Rule(i));
    }
    for i in 0..set.metric_targets.len() {
        add(Source::Metric(i));
    }
    for doc in &report.documents {
        for r in &doc.report.results {
            add(r.source);
        }
    }
    out
}

fn result(
    set: &PolicySet,
    sources: &SourceMap,
    rules: &IndexMap<String, Value>,
    doc: &crate::CheckedDocument,
    r: &RuleResult,
) -> Value {
    let info = source_info(set, r.source);
    let mut out = Map::new();
    out.insert("ruleId".into(), json!(info.id));
    if let Some(index) = rules.get_index_of(&*info.id) {
        out.insert("ruleIndex".into(), json!(index));
    }
    // An indeterminate result counts as a failure: SARIF's "open" would force level "none".
    out.insert("kind".into(), json!("fail"));
    out.insert("level".into(), json!(level(info.level)));
    let title = info.title.unwrap_or(&info.id);
    let text = match (r.outcome, r.message.is_empty()) {
        (Outcome::Indeterminate, true) => format!("{title} (indeterminate: not answered)"),
        (Outcome::Indeterminate, false) => format!("indeterminate: {}", r.message),
        (_, true) => title.to_string(),
        (_, false) => r.message.to_string(),
    };
    out.insert("message".into(), json!({ "text": text }));
    let primary = location(sources, r.location, None)
        .or_else(|| location(sources, doc.start, None))
        .unwrap_or_else(|| json!({"message": {"text": doc.path}}));
    out.insert("locations".into(), json!([primary]));
    if let Some(rule_loc) = location(
        sources,
        info.span,
        Some(format!("`{}` rule `{}`", info.level.word(), info.id)),
    ) {
        out.insert("relatedLocations".into(), json!([rule_loc]));
    }
    if r.outcome == Outcome::Waived {
        let mut suppression = Map::new();
        suppression.insert("kind".into(), json!("external"));
        suppression.insert("status".into(), json!("accepted"));
        if let Some(wi) = r.waiver {
            suppression.insert("justification".into(), json!(waiver_text(set, wi)));
            if let Some(w) = set.waivers.get(wi) {
                if let Some(loc) = location(sources, w.span, Some(format!("waiver `{}`", w.name))) {
                    suppression.insert("location".into(), loc);
                }
                let mut props = Map::new();
                props.insert("waiver".into(), json!(w.name));
                props.insert("approvers".into(), json!(approvers(set, wi)));
                if let Some(reason) = &w.reason {
                    props.insert("reason".into(), json!(reason));
                }
                if let Some(until) = w.until {
                    props.insert("until".into(), json!(crate::time::format_date(until)));
                }
                suppression.insert("properties".into(), Value::Object(props));
            }
        }
        out.insert("suppressions".into(), json!([Value::Object(suppression)]));
    }
    out.insert(
        "properties".into(),
        json!({
            "outcome": r.outcome.word(),
            "level": info.level.word(),
            "document": {"path": doc.path, "kind": doc.kind, "id": doc.id},
        }),
    );
    Value::Object(out)
}

/// A diagnostic's message with its help notes, as in the JSON format.
fn diagnostic_text(d: &Diagnostic) -> String {
    let mut message = d.message.clone();
    for help in d.notes.iter().filter_map(|n| n.strip_prefix("help: ")) {
        message.push_str(&format!(" ({help})"));
    }
    message
}

fn notification(sources: &SourceMap, d: &Diagnostic, index: usize) -> Value {
    let mut out = Map::new();
    out.insert(
        "level".into(),
        json!(match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }),
    );
    out.insert("message".into(), json!({"text": diagnostic_text(d)}));
    out.insert("descriptor".into(), json!({"id": d.code, "index": index}));
    let locations: Vec<Value> = d
        .labels
        .iter()
        .filter(|l| l.primary)
        .chain(d.labels.iter().filter(|l| !l.primary))
        .filter_map(|l| {
            let message = (!l.message.is_empty()).then(|| l.message.clone());
            location(sources, l.span, message)
        })
        .collect();
    if !locations.is_empty() {
        out.insert("locations".into(), Value::Array(locations));
    }
    Value::Object(out)
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let rules = descriptors(report, set);
    let mut results = Vec::new();
    for doc in &report.documents {
        for r in &doc.report.results {
            if matches!(r.outcome, Outcome::Pass | Outcome::NotApplicable) {
                continue;
            }
            results.push(result(set, sources, &rules, doc, r));
        }
    }
    // Diagnostic codes as notification descriptors, in order of first use.
    let mut codes: IndexMap<&str, ()> = IndexMap::new();
    for d in &report.diagnostics {
        codes.insert(d.code, ());
    }
    let notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| notification(sources, d, codes.get_index_of(d.code).unwrap_or(0)))
        .collect();
    let notification_descriptors: Vec<Value> = codes.keys().map(|c| json!({ "id": c })).collect();
    let mut driver = Map::new();
    driver.insert("name".into(), json!("accord"));
    driver.insert("fullName".into(), json!("Accord policy checker"));
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("rules".into(), Value::Array(rules.into_values().collect()));
    if !notification_descriptors.is_empty() {
        driver.insert(
            "notifications".into(),
            Value::Array(notification_descriptors),
        );
    }
    let mut invocation = Map::new();
    invocation.insert(
        "executionSuccessful".into(),
        json!(report.errors().next().is_none()),
    );
    if !notifications.is_empty() {
        invocation.insert(
            "toolExecutionNotifications".into(),
            Value::Array(notifications),
        );
    }
    let documents: Vec<Value> = report
        .documents
        .iter()
        .map(|d| {
            let mut entry = Map::new();
            entry.insert("path".into(), json!(d.path));
            entry.insert("kind".into(), json!(d.kind));
            entry.insert("id".into(), json!(d.id));
            entry.insert("verdict".into(), json!(d.report.verdict.word()));
            if let Some(score) = d.report.score {
                entry.insert("score".into(), json!(score));
            }
            Value::Object(entry)
        })
        .collect();
    let out = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": Value::Object(driver)},
            "invocations": [Value::Object(invocation)],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"documents": documents},
        }],
    });
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}
