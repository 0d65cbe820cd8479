//! `policy score`: vendor questionnaires side by side, for procurement. A
//! column per vendor, ranked (eliminated vendors last), a row per
//! requirement with its level, section and weight, and the total score.
//! The cells and scores are exactly what `policy check` computes.

use clap::{Args, ValueEnum};

use super::documents::{load_documents, Prefetch};
use super::load::{load_engine, parse_today, PolicyArgs};
use super::Io;
use crate::check::model::Applies;
use crate::eval::{Outcome, Verdict};
use crate::report::human::render_diagnostic;
use crate::report::Report;
use crate::syntax::ast::Level;
use crate::CheckedDocument;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    /// An aligned table for the terminal
    Human,
    /// A Markdown table (for a pull request or a wiki)
    Markdown,
    /// Comma-separated values (for a spreadsheet)
    Csv,
    /// The `accord.score/v1` JSON document
    Json,
}

#[derive(Args)]
#[command(
    after_help = "Cells: ✓ passed, ✗ failed, ? not answered (indeterminate), ~ waived, – does not apply.\n\
A vendor that fails a `must` is eliminated, whatever its score."
)]
pub struct ScoreArgs {
    /// Vendor questionnaires: files or directories
    #[arg(required = true)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScoreFormat::Human)]
    pub format: ScoreFormat,
    /// The date `today()` returns, for reproducible runs
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    pub today: Option<i32>,
}

/// One requirement row.
struct Row {
    rule: String,
    title: String,
    level: Level,
    section: Option<&'static str>,
    weight: Option<f64>,
    /// Per ranked vendor.
    cells: Vec<Outcome>,
}

/// The combined outcome of a rule's results on one document.
fn cell(doc: &CheckedDocument, rule_index: usize) -> Outcome {
    let mine: Vec<Outcome> = doc
        .report
        .results
        .iter()
        .filter(|r| r.source == crate::eval::Source::Rule(rule_index))
        .map(|r| r.outcome)
        .collect();
    for o in [
        Outcome::Fail,
        Outcome::Indeterminate,
        Outcome::Waived,
        Outcome::Pass,
    ] {
        if mine.contains(&o) {
            return o;
        }
    }
    Outcome::NotApplicable
}

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::Indeterminate => "?",
        Outcome::Waived => "~",
        Outcome::NotApplicable => "–",
    }
}

fn score_text(s: Option<f64>) -> String {
    s.map(|s| crate::eval::value::number((s * 10.0).round() / 10.0))
        .unwrap_or_default()
}

fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn md(field: &str) -> String {
    field.replace('|', "\\|").replace('\n', " ")
}

fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

pub fn run(args: ScoreArgs, io: &mut Io) -> i32 {
    let today = args.today.unwrap_or_else(crate::time::today_utc);
    let documents = Prefetch::start(&args.paths, io, crate::limits::Limits::default());
    let mut engine = load_engine(&args.policies.policy, io);
    let mut report = Report {
        documents: Vec::new(),
        diagnostics: engine.diagnostics.clone(),
    };
    load_documents(&mut engine, documents, io, today, &mut report);
    let errors = report.errors().count();
    for d in report.diagnostics.iter() {
        io.stderr.push_str(&render_diagnostic(&engine.sources, d));
    }
    let mut vendors: Vec<&CheckedDocument> = report
        .documents
        .iter()
        .filter(|d| d.kind == "questionnaire")
        .collect();
    let skipped = report.documents.len() - vendors.len();
    if skipped > 0 {
        io.stderr.push_str(&format!(
            "note: {skipped} document{} that {} not a questionnaire left out\n",
            if skipped == 1 { "" } else { "s" },
            if skipped == 1 { "is" } else { "are" }
        ));
    }
    // Ranked: vendors still in the running by score, then the eliminated.
    vendors.sort_by(|a, b| {
        let elim = |d: &CheckedDocument| d.report.verdict == Verdict::Fail;
        elim(a)
            .cmp(&elim(b))
            .then(
                b.report
                    .score
                    .unwrap_or(0.0)
                    .total_cmp(&a.report.score.unwrap_or(0.0)),
            )
            .then(a.id.cmp(&b.id))
    });
    if vendors.is_empty() {
        io.stderr.push_str("error: no vendor questionnaire (a document of kind `questionnaire`) among the documents\n");
        return 2;
    }
    let set = &engine.set;
    if !set
        .rules
        .iter()
        .any(|r| r.applies == Applies::Kind("questionnaire".into()))
    {
        io.stderr
            .push_str("error: the policy set has no rule on questionnaires: nothing to score\n");
        return 2;
    }
    let rows: Vec<Row> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.applies == Applies::Kind("questionnaire".into()))
        .map(|(i, r)| Row {
            rule: r.id.clone(),
            title: r.title.clone().unwrap_or_else(|| r.id.clone()),
            level: r.level,
            section: r.section,
            weight: (r.level == Level::Should).then_some(r.weight),
            cells: vendors.iter().map(|v| cell(v, i)).collect(),
        })
        .collect();
    let eliminated: Vec<bool> = vendors
        .iter()
        .map(|v| v.report.verdict == Verdict::Fail)
        .collect();
    let scores: Vec<String> = vendors.iter().map(|v| score_text(v.report.score)).collect();

    let out = match args.format {
        ScoreFormat::Json => {
            let vendors_json: Vec<serde_json::Value> = vendors
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    serde_json::json!({
                        "id": v.id,
                        "path": v.path,
                        "rank": i + 1,
                        "eliminated": eliminated.get(i).copied().unwrap_or(false),
                        "verdict": v.report.verdict.word(),
                        "score": v.report.score,
                    })
                })
                .collect();
            let rows_json: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let results: serde_json::Map<String, serde_json::Value> = vendors
                        .iter()
                        .zip(&r.cells)
                        .map(|(v, c)| (v.id.clone(), serde_json::json!(c.word())))
                        .collect();
                    serde_json::json!({
                        "rule": r.rule,
                        "title": r.title,
                        "level": r.level.word(),
                        "section": r.section,
                        "weight": r.weight,
                        "results": results,
                    })
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "format": "accord.score/v1",
                "vendors": vendors_json,
                "requirements": rows_json,
            }))
            .unwrap_or_default();
            text.push('\n');
            text
        }
        ScoreFormat::Csv => {
            let mut lines = Vec::new();
            let mut header = vec!["requirement", "rule", "level", "section", "weight"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            header.extend(vendors.iter().map(|v| v.id.clone()));
            lines.push(header.iter().map(|h| csv(h)).collect::<Vec<_>>().join(","));
            for r in &rows {
                let mut fields = vec![
                    r.title.clone(),
                    r.rule.clone(),
                    r.level.word().to_string(),
                    r.section.unwrap_or("").to_string(),
                    r.weight.map(crate::eval::value::number).unwrap_or_default(),
                ];
                fields.extend(r.cells.iter().map(|c| c.word().to_string()));
                lines.push(fields.iter().map(|f| csv(f)).collect::<Vec<_>>().join(","));
            }
            let mut elim = vec![
                "eliminated".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            elim.extend(
                eliminated
                    .iter()
                    .map(|e| if *e { "yes" } else { "no" }.to_string()),
            );
            lines.push(elim.join(","));
            let mut score = vec![
                "score".to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ];
            score.extend(
                vendors
                    .iter()
                    .map(|v| v.report.score.map(|s| s.to_string()).unwrap_or_default()),
            );
            lines.push(score.join(","));
            lines.join("\n") + "\n"
        }
        ScoreFormat::Markdown => {
            let mut out = String::new();
            out.push_str("| Requirement | Level | Section | Weight |");
            for v in &vendors {
                out.push_str(&format!(" {} |", md(&v.id)));
            }
            out.push_str("\n|---|---|---|---:|");
            for _ in &vendors {
                out.push_str(":---:|");
            }
            out.push('\n');
            for r in &rows {
                let name = if r.title == r.rule {
                    format!("`{}`", r.rule)
                } else {
                    format!("{} (`{}`)", md(&r.title), r.rule)
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} |",
                    name,
                    r.level.word(),
                    r.section.map(str::to_uppercase).unwrap_or_default(),
                    r.weight.map(crate::eval::value::number).unwrap_or_default()
                ));
                for c in &r.cells {
                    out.push_str(&format!(" {} |", mark(*c)));
                }
                out.push('\n');
            }
            out.push_str("| **Eliminated** | | | |");
            for e in &eliminated {
                out.push_str(if *e { " **yes** |" } else { " no |" });
            }
            out.push_str("\n| **Score** | | | |");
            for s in &scores {
                out.push_str(&format!(" **{s}** |"));
            }
            out.push_str("\n| **Rank** | | | |");
            for i in 0..scores.len() {
                out.push_str(&format!(" {} |", i + 1));
            }
            out.push('\n');
            out
        }
        ScoreFormat::Human => {
            let label = |r: &Row| format!("{} {}", r.rule, r.title);
            let label_width = rows
                .iter()
                .map(|r| label(r).chars().count())
                .max()
                .unwrap_or(0)
                .clamp(20, 70);
            let widths: Vec<usize> = vendors
                .iter()
                .map(|v| v.id.chars().count().max(10))
                .collect();
            let mut out = String::new();
            out.push_str(&format!(
                "{} {:<6} {:<3} {:>6}",
                pad("requirement", label_width),
                "level",
                "sec",
                "weight"
            ));
            for (v, w) in vendors.iter().zip(&widths) {
                out.push_str(&format!("  {}", pad(&v.id, *w)));
            }
            out.push('\n');
            for r in &rows {
                let mut l = label(r);
                if l.chars().count() > label_width {
                    l = l.chars().take(label_width - 1).collect::<String>() + "…";
                }
                out.push_str(&format!(
                    "{} {:<6} {:<3} {:>6}",
                    pad(&l, label_width),
                    r.level.word(),
                    r.section.unwrap_or(""),
                    r.weight.map(crate::eval::value::number).unwrap_or_default()
                ));
                for (c, w) in r.cells.iter().zip(&widths) {
                    out.push_str(&format!("  {}", pad(mark(*c), *w)));
                }
                out.push('\n');
            }
            out.push_str(&format!(
                "{} {:<6} {:<3} {:>6}",
                pad("eliminated", label_width),
                "",
                "",
                ""
            ));
            for (e, w) in eliminated.iter().zip(&widths) {
                out.push_str(&format!(
                    "  {}",
                    pad(if *e { "ELIMINATED" } else { "no" }, *w)
                ));
            }
            out.push('\n');
            out.push_str(&format!(
                "{} {:<6} {:<3} {:>6}",
                pad("score", label_width),
                "",
                "",
                ""
            ));
            for (s, w) in scores.iter().zip(&widths) {
                out.push_str(&format!("  {}", pad(s, *w)));
            }
            out.push('\n');
            out.push_str(&format!(
                "{} {:<6} {:<3} {:>6}",
                pad("rank", label_width),
                "",
                "",
                ""
            ));
            for (i, w) in widths.iter().enumerate() {
                out.push_str(&format!("  {}", pad(&(i + 1).to_string(), *w)));
            }
            out.push('\n');
            out.push_str("\n✓ passed  ✗ failed  ? not answered  ~ waived  – does not apply\n");
            out
        }
    };
    io.stdout.push_str(&out);
    if errors > 0 {
        2
    } else {
        0
    }
}
