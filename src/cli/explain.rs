//! `policy explain RULE DOCUMENT`: why a rule came out as it did on a
//! document. Each `each` element, each `when` and `require` with the values
//! of its parts and where in the document they came from, then the outcome.

use clap::Args;

use super::files::{io_reason, read_text};
use super::load::{load_engine, parse_today, PolicyArgs};
use super::Io;
use crate::check::model::Applies;
use crate::check::suggest::did_you_mean;
use crate::eval::rules::{explain_rule, source_info};
use crate::input::Format;
use crate::report::human::render_diagnostic;

#[derive(Args)]
pub struct ExplainArgs {
    /// The rule's id (`GROUP.RULE` inside a group)
    pub rule: String,
    /// The document: a YAML or JSON file
    pub document: String,
    /// Explain only the document with this id (a file may hold several)
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// The date `today()` returns, for reproducible runs
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_today)]
    pub today: Option<i32>,
}

pub fn run(args: ExplainArgs, io: &mut Io) -> i32 {
    let today = args.today.unwrap_or_else(crate::time::today_utc);
    let mut engine = load_engine(&args.policies.policy, io);
    if !engine.is_valid() {
        for d in &engine.diagnostics {
            io.stderr.push_str(&render_diagnostic(&engine.sources, d));
        }
        io.stderr.push_str("error: the policy set is invalid\n");
        return 2;
    }
    let Some(rule_index) = engine.set.rules.iter().position(|r| r.id == args.rule) else {
        let ids: Vec<&str> = engine.set.rules.iter().map(|r| r.id.as_str()).collect();
        let help = did_you_mean(&args.rule, ids.iter().copied())
            .map(|s| format!("\n  help: did you mean `{s}`?"))
            .unwrap_or_default();
        io.stderr.push_str(&format!(
            "error: no rule `{}` in the policy set{help}\n",
            args.rule
        ));
        return 2;
    };
    if args.document.ends_with(".policy") {
        io.stderr.push_str(&format!(
            "error: `{}` is a policy file; `policy explain RULE DOCUMENT` takes a YAML or JSON document\n",
            args.document
        ));
        return 2;
    }
    let bytes = if args.document == "-" {
        let mut b = Vec::new();
        if let Err(e) = std::io::Read::read_to_end(&mut io.stdin, &mut b) {
            io.stderr.push_str(&format!(
                "error: cannot read standard input: {}\n",
                io_reason(&e)
            ));
            return 2;
        }
        b
    } else {
        match std::fs::read(io.cwd.join(&args.document)) {
            Ok(b) => b,
            Err(e) => {
                io.stderr.push_str(&format!(
                    "error: cannot read `{}`: {}\n",
                    args.document,
                    io_reason(&e)
                ));
                return 2;
            }
        }
    };
    let name = if args.document == "-" {
        "<stdin>".to_string()
    } else {
        args.document.clone()
    };
    let text = match read_text(bytes, &name) {
        Ok(t) => t,
        Err(d) => {
            io.stderr.push_str(&format!("error: {}\n", d.message));
            return 2;
        }
    };
    let format = Format::guess(&name, &text);
    let (documents, diagnostics) = engine.load_valid(&name, text, format);
    let mut code = 0;
    for d in &diagnostics {
        io.stderr.push_str(&render_diagnostic(&engine.sources, d));
        if d.is_error() {
            code = 2;
        }
    }
    let rule = &engine.set.rules[rule_index];
    let info = source_info(&engine.set, crate::eval::Source::Rule(rule_index));
    let mut explained = 0;
    for (root, valid) in &documents {
        if args.id.as_ref().is_some_and(|id| *id != valid.id) {
            continue;
        }
        explained += 1;
        let out = &mut io.stdout;
        let rule_at = engine
            .sources
            .location(rule.span)
            .map(|(p, l, c)| format!("{p}:{l}:{c}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "rule `{}` ({}{}), declared at {rule_at}\n",
            rule.id,
            rule.level.word(),
            info.title.map(|t| format!(": {t}")).unwrap_or_default()
        ));
        out.push_str(&format!(
            "document `{}` ({}, {name})\n",
            valid.id, valid.kind
        ));
        if rule.applies != Applies::Kind(valid.kind.clone()) {
            let what = match &rule.applies {
                Applies::Kind(k) => format!("`{k}` documents"),
                Applies::Policy => "the policy set".to_string(),
            };
            out.push_str(&format!("the rule does not apply: it checks {what}\n\n"));
            continue;
        }
        let (log, report) = explain_rule(
            &engine.set,
            &engine.sources,
            root,
            &valid.kind,
            &valid.id,
            today,
            rule_index,
        );
        out.push_str("\nevaluation:\n");
        for line in &log {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("\nresult");
        let mine: Vec<_> = report
            .results
            .iter()
            .filter(|r| r.source == crate::eval::Source::Rule(rule_index))
            .collect();
        out.push_str(if mine.len() == 1 { ":\n" } else { "s:\n" });
        for r in mine {
            let at = engine
                .sources
                .location(r.location)
                .map(|(p, l, c)| format!(" at {p}:{l}:{c}"))
                .unwrap_or_default();
            let why = if r.message.is_empty() {
                String::new()
            } else {
                format!(": {}", r.message)
            };
            out.push_str(&format!("  {}{at}{why}\n", r.outcome.word()));
            if let Some(w) = r.waiver.and_then(|i| engine.set.waivers.get(i)) {
                out.push_str(&format!(
                    "  (waived by `{}` until {})\n",
                    w.name,
                    w.until.map(crate::time::format_date).unwrap_or_default()
                ));
            }
        }
        out.push_str(&format!(
            "\ndocument verdict: {}\n\n",
            report.verdict.word()
        ));
    }
    if explained == 0 && code == 0 {
        let which = args
            .id
            .as_ref()
            .map(|id| format!(" with id `{id}`"))
            .unwrap_or_default();
        io.stderr
            .push_str(&format!("error: no valid document{which} in `{name}`\n"));
        return 2;
    }
    code
}
