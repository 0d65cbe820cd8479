//! Rules on a document: `each` fan-out, `when`, `require`, outcomes and their
//! locations, waivers, metrics' targets, verdicts and scores.

use std::sync::Arc;

use super::expr::{element_value, set_local, Evaluator};
use super::value::{display, Value};
use crate::check::model::{Applies, PolicySet, Rule, Step};
use crate::input::{Node, NodeValue};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Level};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Indeterminate,
    Waived,
    NotApplicable,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Indeterminate => "indeterminate",
            Outcome::Waived => "waived",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    /// Fails or is indeterminate: counts as a failure at the rule's level.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Indeterminate)
    }
}

/// What produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Rule(usize),
    /// A metric's target on a scorecard.
    Metric(usize),
    /// An expired or one-sided waiver.
    Waiver(usize),
    /// A schema change (`policy check --base`) without an approved change request.
    SchemaChange,
}

#[derive(Clone, Debug)]
pub struct RuleResult {
    pub source: Source,
    pub outcome: Outcome,
    /// Shared: a rule over a long list fails with the same message many times.
    pub message: Arc<str>,
    /// Where in the document.
    pub location: Span,
    /// The waiver that waived it.
    pub waiver: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// Everything the checker says about one document.
#[derive(Clone, Debug)]
pub struct DocumentReport {
    pub results: Vec<RuleResult>,
    pub verdict: Verdict,
    /// Questionnaires only.
    pub score: Option<f64>,
    /// Gates that apply, and whether each is open.
    pub gates: Vec<(String, bool)>,
    /// The evaluation ran out of steps: the results are not to be trusted.
    pub stopped: bool,
}

/// What a result is about: id, level, title and where it is declared.
pub struct SourceInfo<'a> {
    /// Borrowed for rules; made for metrics and waivers.
    pub id: std::borrow::Cow<'a, str>,
    pub level: Level,
    pub title: Option<&'a str>,
    pub span: Span,
    pub cite: Option<&'a str>,
}

pub fn source_info(set: &PolicySet, source: Source) -> SourceInfo<'_> {
    match source {
        Source::Rule(i) => match set.rules.get(i) {
            Some(r) => SourceInfo {
                id: r.id.as_str().into(),
                level: r.level,
                title: r.title.as_deref(),
                span: r.span,
                cite: r.cite.as_deref(),
            },
            None => SourceInfo {
                id: "?".into(),
                level: Level::Must,
                title: None,
                span: Span::Synthetic,
                cite: None,
            },
        },
        Source::Metric(i) => {
            let target = set.metric_targets.get(i);
            let decl = target.and_then(|t| set.decl(t.decl));
            SourceInfo {
                id: format!("metric.{}", decl.map(|d| d.name.as_str()).unwrap_or("?")).into(),
                level: Level::Should,
                title: decl.and_then(|d| d.title.as_deref()),
                span: target.map(|t| t.span).unwrap_or(Span::Synthetic),
                cite: None,
            }
        }
        Source::Waiver(i) => {
            let w = set.waivers.get(i);
            SourceInfo {
                id: format!("waiver.{}", w.map(|w| w.name.as_str()).unwrap_or("?")).into(),
                level: Level::Must,
                title: w
                    .and_then(|w| set.decl(w.decl))
                    .and_then(|d| d.title.as_deref()),
                span: w.map(|w| w.span).unwrap_or(Span::Synthetic),
                cite: None,
            }
        }
        Source::SchemaChange => SourceInfo {
            id: "change_control.schema_change".into(),
            level: Level::Must,
            title: Some("Every schema change has an approved change request"),
            span: Span::Synthetic,
            cite: None,
        },
    }
}

/// One path through a rule's `each`es that reached its `require`s (or stopped early).
struct Branch {
    outcome: Outcome,
    location: Span,
    /// Failing and indeterminate branches only.
    message: Option<Arc<str>>,
}

/// What a rule's evaluation has found so far: a rule over a long list is
/// evaluated in pieces, each adding to it.
#[derive(Default)]
struct RuleState {
    /// The failing and indeterminate branches.
    branches: Vec<Branch>,
    /// Where the first passing branch was (the others need not be kept).
    passed: Option<Span>,
    /// The default message of each `require`, made at its first failure:
    /// a rule over a long list fails the same way thousands of times.
    default_messages: Vec<Option<Arc<str>>>,
}

impl RuleState {
    /// This state followed by `later`'s, found on later elements.
    fn then(mut self, later: RuleState) -> RuleState {
        self.branches.extend(later.branches);
        self.passed = self.passed.or(later.passed);
        self
    }
}

struct RuleRun<'r, 'a> {
    rule: &'a Rule,
    ev: &'r mut Evaluator<'a>,
    doc_start: Span,
    state: RuleState,
    /// The location of the innermost `each` element being evaluated.
    element: Option<Span>,
    /// For `policy explain`: the evaluation told step by step.
    log: Option<Vec<String>>,
    /// How many `each`es deep the evaluation is (for the log's indentation).
    nest: usize,
}

impl<'r, 'a> RuleRun<'r, 'a> {
    fn new(rule: &'a Rule, ev: &'r mut Evaluator<'a>, doc_start: Span, log: bool) -> Self {
        RuleRun {
            rule,
            ev,
            doc_start,
            state: RuleState::default(),
            element: None,
            log: log.then(Vec::new),
            nest: 0,
        }
    }

    fn say(&mut self, line: String) {
        if let Some(log) = self.log.as_mut() {
            log.push(line);
        }
    }

    fn place(&self, span: Span) -> Option<String> {
        let sources = self.ev.sources_text?;
        let (path, line, col) = sources.location(span)?;
        Some(format!("{path}:{line}:{col}"))
    }

    fn snippet(&self, span: Span) -> String {
        self.ev
            .sources_text
            .map(|s| {
                s.snippet(span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }

    fn begin_trace(&mut self) {
        if self.log.is_some() {
            self.ev.trace = Some(Vec::new());
            self.ev.trace_depth = 0;
        }
    }

    /// Logs a condition, its value and the values of its parts.
    #[inline]
    fn end_trace(&mut self, keyword: &str, expr: &crate::check::ir::Expr, value: &Value<'a>) {
        if self.ev.trace.is_some() {
            self.log_trace(keyword, expr, value);
        }
    }

    #[inline(never)]
    fn log_trace(&mut self, keyword: &str, expr: &crate::check::ir::Expr, value: &Value<'a>) {
        let Some(trace) = self.ev.trace.take() else {
            return;
        };
        let indent = "  ".repeat(self.nest + 1);
        let text = self.snippet(expr.span);
        let verdict = match value {
            Value::Missing(m) if m.computed => format!("missing ({})", m.path),
            Value::Missing(m) => format!("missing (`{}` is not there)", m.path),
            other => shorten(&display(other, self.ev.set)),
        };
        self.say(format!("{indent}{keyword} {text}  →  {verdict}"));
        for entry in trace.iter().filter(|e| e.depth >= 1) {
            let sub = self.snippet(entry.span);
            if sub == text {
                continue;
            }
            let at = entry
                .location
                .and_then(|l| self.place(l))
                .map(|l| {
                    if entry.value == "(missing)" {
                        format!("   (not in the document; expected under {l})")
                    } else {
                        format!("   (from {l})")
                    }
                })
                .unwrap_or_default();
            self.say(format!(
                "{indent}    {}{sub} = {}{at}",
                "  ".repeat(entry.depth - 1),
                shorten(&entry.value)
            ));
        }
    }

    fn push_branch(&mut self, branch: Branch) {
        if self.log.is_some() {
            let indent = "  ".repeat(self.nest + 1);
            let at = match branch.outcome {
                Outcome::NotApplicable => None,
                _ => self.place(branch.location),
            }
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
            let why = if branch.message.as_deref().unwrap_or_default().is_empty() {
                String::new()
            } else {
                format!(": {}", branch.message.as_deref().unwrap_or_default())
            };
            self.say(format!("{indent}⇒ {}{at}{why}", branch.outcome.word()));
        }
        if branch.outcome.is_failure() {
            self.state.branches.push(branch);
        } else if branch.outcome == Outcome::Pass && self.state.passed.is_none() {
            self.state.passed = Some(branch.location);
        }
    }

    fn message(&mut self, env: &mut Vec<Value<'a>>, default: String) -> String {
        match &self.rule.message {
            Some(m) => {
                let saved = (self.ev.first_read, self.ev.fallback_read);
                self.ev.in_message = true;
                let v = self.ev.eval(m, env);
                self.ev.in_message = false;
                (self.ev.first_read, self.ev.fallback_read) = saved;
                display(&v, self.ev.set)
            }
            None => default,
        }
    }

    /// "requirement not met: `TEXT`" for the rule's `index`th `require`.
    fn default_message(&mut self, index: usize) -> Arc<str> {
        if let Some(Some(made)) = self.state.default_messages.get(index) {
            return made.clone();
        }
        let text = self
            .rule
            .requires
            .get(index)
            .map(|r| self.ev.set_source_text(r.span))
            .unwrap_or_default();
        let made: Arc<str> = Arc::from(format!("requirement not met: `{text}`"));
        if self.state.default_messages.len() <= index {
            self.state.default_messages.resize(index + 1, None);
        }
        if let Some(slot) = self.state.default_messages.get_mut(index) {
            *slot = Some(made.clone());
        }
        made
    }

    fn fallback_location(&self) -> Span {
        self.ev
            .fallback_read
            .or(self.element)
            .unwrap_or(self.doc_start)
    }

    fn indeterminate(&mut self, missing: &Value<'a>, env: &mut Vec<Value<'a>>, what: &str) {
        let (path, at, computed) = match missing {
            Value::Missing(m) => (m.path.to_string(), m.at, m.computed),
            _ => ("a value".to_string(), Span::Synthetic, true),
        };
        let location = if at != Span::Synthetic {
            at
        } else {
            self.ev
                .first_read
                .unwrap_or_else(|| self.fallback_location())
        };
        let base = if computed {
            format!("{path}, so `{what}` cannot be decided")
        } else {
            format!("`{path}` is missing, so `{what}` cannot be decided")
        };
        let message = match &self.rule.message {
            Some(_) => format!("{} ({base})", self.message(env, String::new())),
            None => base,
        };
        self.push_branch(Branch {
            outcome: Outcome::Indeterminate,
            location,
            message: Some(message.into()),
        });
    }

    /// Runs the steps from `step` on. `pending` is a `when` that was missing:
    /// a later `when` that is false still makes the branch not applicable
    /// (several `when`s mean `when A and B`, in Kleene logic); otherwise the
    /// branch is indeterminate.
    fn run(&mut self, step: usize, env: &mut Vec<Value<'a>>, pending: Option<&Value<'a>>) {
        let Some(s) = self.rule.steps.get(step) else {
            match pending {
                Some(m) => {
                    let m = m.clone();
                    self.indeterminate(&m, env, "when");
                }
                None => self.requires(env),
            }
            return;
        };
        match s {
            Step::Each { slot, list, span } => {
                self.ev.reset_reads();
                self.begin_trace();
                let v = self.ev.eval(list, env);
                if let Some(trace) = self.ev.trace.take() {
                    let _ = trace;
                    let header = self.snippet(*span);
                    let count = match self.ev.items(&v, list) {
                        Ok(items) => format!(
                            "{} element{}",
                            items.len(),
                            if items.len() == 1 { "" } else { "s" }
                        ),
                        Err(_) => "a missing list".to_string(),
                    };
                    let at = v
                        .location()
                        .and_then(|l| self.place(l))
                        .map(|l| format!(" (from {l})"))
                        .unwrap_or_default();
                    let indent = "  ".repeat(self.nest + 1);
                    self.say(format!("{indent}{header}  →  {count}{at}"));
                }
                let items = match self.ev.elements(&v, list) {
                    Ok(items) => items,
                    Err(m) => {
                        self.indeterminate(&m, env, "each");
                        return;
                    }
                };
                let outer = self.element;
                let total = items.len();
                for (i, item) in items.into_iter().enumerate() {
                    self.element = item.location().or(outer);
                    if self.log.is_some() {
                        let indent = "  ".repeat(self.nest + 2);
                        let at = item
                            .location()
                            .and_then(|l| self.place(l))
                            .map(|l| format!(" ({l})"))
                            .unwrap_or_default();
                        let shown = shorten(&display(&item, self.ev.set));
                        self.say(format!("{indent}element {} of {total}{at}: {shown}", i + 1));
                    }
                    set_local(env, *slot, item);
                    self.nest += 1;
                    self.run(step + 1, env, pending);
                    self.nest -= 1;
                }
                self.element = outer;
            }
            Step::Let { slot, value } => {
                let v = self.ev.eval(value, env);
                set_local(env, *slot, v);
                self.run(step + 1, env, pending);
            }
            Step::When(cond) => {
                self.ev.reset_reads();
                self.begin_trace();
                let v = self.ev.eval(cond, env);
                self.end_trace("when", cond, &v);
                match v.as_bool() {
                    Some(true) => self.run(step + 1, env, pending),
                    Some(false) => self.push_branch(Branch {
                        outcome: Outcome::NotApplicable,
                        location: self.doc_start,
                        message: None,
                    }),
                    None => {
                        let v = match v {
                            m @ Value::Missing(_) => m,
                            _ => Value::undefined(
                                "a condition is neither true nor false",
                                Span::Synthetic,
                            ),
                        };
                        match pending {
                            Some(first) => self.run(step + 1, env, Some(first)),
                            None => self.run(step + 1, env, Some(&v)),
                        }
                    }
                }
            }
        }
    }

    fn requires(&mut self, env: &mut Vec<Value<'a>>) {
        let mut failed: Option<(Span, usize)> = None;
        let mut missing: Option<(Value<'a>, Span)> = None;
        for (index, require) in self.rule.requires.iter().enumerate() {
            self.ev.reset_reads();
            self.begin_trace();
            let v = self.ev.eval(require, env);
            self.end_trace("require", require, &v);
            match v.as_bool() {
                Some(true) => {}
                Some(false) => {
                    if failed.is_none() {
                        let location = self
                            .ev
                            .first_read
                            .unwrap_or_else(|| self.fallback_location());
                        failed = Some((location, index));
                    }
                }
                None => {
                    if missing.is_none() {
                        let loc = self
                            .ev
                            .first_read
                            .unwrap_or_else(|| self.fallback_location());
                        let v = match v {
                            m @ Value::Missing(_) => m,
                            other => Value::undefined(
                                format!(
                                    "`{}` is neither true nor false",
                                    display(&other, self.ev.set)
                                ),
                                loc,
                            ),
                        };
                        missing = Some((v, loc));
                    }
                }
            }
        }
        if let Some((location, index)) = failed {
            let message = match self.rule.message {
                Some(_) => self.message(env, String::new()).into(),
                None => self.default_message(index),
            };
            self.push_branch(Branch {
                outcome: Outcome::Fail,
                location,
                message: Some(message),
            });
        } else if let Some((m, _)) = missing {
            self.indeterminate(&m, env, "require");
        } else {
            self.push_branch(Branch {
                outcome: Outcome::Pass,
                location: self.element.unwrap_or(self.doc_start),
                message: None,
            });
        }
    }
}

impl Evaluator<'_> {
    /// Source text of a span of the policy (for default messages).
    fn set_source_text(&self, span: Span) -> String {
        self.sources_text
            .map(|s| s.snippet(span).to_string())
            .unwrap_or_default()
    }
}

/// Runs one rule on the whole document.
fn run_rule<'a>(
    ev: &mut Evaluator<'a>,
    index: usize,
    rule: &'a Rule,
    doc_start: Span,
    log: Option<&mut Vec<String>>,
) -> Vec<RuleResult> {
    let mut env: Vec<Value<'a>> = vec![Value::Bool(false); rule.frame_size];
    let mut run = RuleRun::new(rule, ev, doc_start, log.is_some());
    run.run(0, &mut env, None);
    if let (Some(out), Some(lines)) = (log, run.log.take()) {
        *out = lines;
    }
    rule_results(index, rule, run.state, doc_start)
}

/// Runs a rule that starts `each x in LIST` on some of LIST's elements,
/// `nodes`, the first of them at `offset`.
fn run_rule_on<'a>(
    ev: &mut Evaluator<'a>,
    rule: &'a Rule,
    piece: &Piece<'a>,
    doc_start: Span,
) -> RuleState {
    let mut env: Vec<Value<'a>> = vec![Value::Bool(false); rule.frame_size];
    let mut run = RuleRun::new(rule, ev, doc_start, false);
    run.ev.reset_reads();
    for (i, node) in piece.nodes.iter().enumerate() {
        let item = element_value(piece.list, piece.offset + i, node);
        run.element = item.location();
        set_local(&mut env, piece.slot, item);
        run.nest += 1;
        run.run(1, &mut env, None);
        run.nest -= 1;
    }
    run.state
}

/// The results of a rule, as §8 says: one per failing or indeterminate
/// branch, else one pass (if any branch applied) or one not_applicable.
fn rule_results(index: usize, rule: &Rule, state: RuleState, doc_start: Span) -> Vec<RuleResult> {
    let source = Source::Rule(index);
    if !state.branches.is_empty() {
        return state
            .branches
            .into_iter()
            .map(|b| RuleResult {
                source,
                outcome: b.outcome,
                message: b.message.unwrap_or_else(|| Arc::from("")),
                location: b.location,
                waiver: None,
            })
            .collect();
    }
    let title = rule.title.clone().unwrap_or_else(|| rule.id.clone());
    vec![match state.passed {
        Some(location) => RuleResult {
            source,
            outcome: Outcome::Pass,
            message: title.into(),
            location: if rule.steps.iter().any(|s| matches!(s, Step::Each { .. })) {
                doc_start
            } else {
                location
            },
            waiver: None,
        },
        None => RuleResult {
            source,
            outcome: Outcome::NotApplicable,
            message: "does not apply to this document".into(),
            location: doc_start,
            waiver: None,
        },
    }]
}

/// A waiver's problem, if it cannot waive anything.
pub fn waiver_problem(set: &PolicySet, index: usize, today: i32) -> Option<String> {
    let w = set.waivers.get(index)?;
    let mut problems = Vec::new();
    match w.until {
        Some(until) if until < today => {
            problems.push(format!("expired on {}", crate::time::format_date(until)))
        }
        None => problems.push("has no end date".to_string()),
        _ => {}
    }
    let has = |dept: &str| w.approved.iter().any(|r| set.department(*r) == Some(dept));
    match (has("hr"), has("it")) {
        (true, true) => {}
        (false, true) => problems.push("has no HR approver".into()),
        (true, false) => problems.push("has no IT approver".into()),
        (false, false) => problems.push("has neither an HR nor an IT approver".into()),
    }
    if problems.is_empty() {
        None
    } else {
        Some(problems.join(" and "))
    }
}

/// Evaluates every applicable rule of the set on one valid document.
pub fn evaluate_document<'a>(
    set: &'a PolicySet,
    sources: &'a crate::source::SourceMap,
    root: &'a Node,
    kind: &str,
    id: &str,
    today: i32,
) -> DocumentReport {
    let steps = crate::limits::MAX_EVAL_STEPS;
    evaluate_document_within(set, sources, root, kind, id, today, steps)
}

/// [`evaluate_document`] stopped after `steps` evaluations (see
/// [`DocumentReport::stopped`]).
pub fn evaluate_document_within<'a>(
    set: &'a PolicySet,
    sources: &'a crate::source::SourceMap,
    root: &'a Node,
    kind: &str,
    id: &str,
    today: i32,
    steps: u64,
) -> DocumentReport {
    evaluate_document_on(set, sources, root, kind, id, today, steps, 1)
}

/// Documents from this size on have their rules shared out among threads.
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// The checker recurses over nested input (equality of two deep mappings).
const RULE_THREAD_STACK: usize = 64 * 1024 * 1024;

/// Part of a rule's work: the whole rule, or, for a rule that starts with
/// `each` over a long document list, a run of that list's elements.
enum Task<'a> {
    Whole,
    Piece(Piece<'a>),
}

struct Piece<'a> {
    nodes: &'a [Node],
    /// Where `nodes` start in the list.
    offset: usize,
    list: &'a crate::check::ir::Expr,
    slot: usize,
}

/// What a task found.
enum Found {
    Results(Vec<RuleResult>),
    State(RuleState),
}

/// A rule's `each` over a document list longer than this is evaluated a
/// run of elements at a time, the runs of all such rules interleaved and
/// shared among threads: a few rules over one long list keep every thread
/// busy, where whole rules would leave some idle.
const PIECE: usize = 1024;

/// A document smaller than this has no list longer than [`PIECE`] elements
/// (an element takes at least two bytes, `0,`).
const PIECES_FROM_BYTES: usize = 2 * PIECE;

/// The document list a rule's first `each` walks, if the rule can be run
/// in pieces: a path list (reading it twice costs nothing), and a `require`
/// to end every branch (each element then starts with its reads forgotten,
/// as when run whole).
fn piece_list<'a>(
    ev: &mut Evaluator<'a>,
    rule: &'a Rule,
) -> Option<(&'a [Node], &'a crate::check::ir::Expr, usize)> {
    let Some(Step::Each { slot, list, .. }) = rule.steps.first() else {
        return None;
    };
    if rule.requires.is_empty() || !matches!(list.kind, crate::check::ir::ExprKind::Field { .. }) {
        return None;
    }
    let mut env = vec![Value::Bool(false); rule.frame_size];
    match ev.eval(list, &mut env) {
        Value::Node(Node {
            value: NodeValue::List(nodes),
            ..
        }) if nodes.len() > PIECE => Some((&nodes[..], list, *slot)),
        _ => None,
    }
}

/// [`evaluate_document_within`] on up to `threads` threads: the work on a
/// large document (a manifest of a million flows), whole rules and pieces
/// of rules, is shared out, each thread taking the next task when done, and
/// the results are put back in the rules' order. The `steps` are shared too.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_document_on<'a>(
    set: &'a PolicySet,
    sources: &'a crate::source::SourceMap,
    root: &'a Node,
    kind: &str,
    id: &str,
    today: i32,
    steps: u64,
    threads: usize,
) -> DocumentReport {
    let doc_start = root.span.start_point();
    let rules: Vec<(usize, &Rule)> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| matches!(&rule.applies, Applies::Kind(k) if k == kind))
        .collect();
    // The tasks: whole rules first, then the pieces, a run of elements of
    // every pieced rule after another. Small documents have no long lists.
    let size = root.span.range().map_or(0, |r| r.len());
    let lists: Vec<_> = if size >= PIECES_FROM_BYTES {
        let mut planner = Evaluator::new(set, sources, Value::Node(root), today);
        rules
            .iter()
            .map(|(_, rule)| piece_list(&mut planner, rule))
            .collect()
    } else {
        rules.iter().map(|_| None).collect()
    };
    let mut tasks: Vec<(usize, Task)> = Vec::new();
    for (r, list) in lists.iter().enumerate() {
        if list.is_none() {
            tasks.push((r, Task::Whole));
        }
    }
    let longest = lists.iter().flatten().map(|(nodes, ..)| nodes.len()).max();
    for start in (0..longest.unwrap_or(0)).step_by(PIECE) {
        for (r, list) in lists.iter().enumerate() {
            if let Some((nodes, list, slot)) = list {
                if let Some(run) = nodes.get(start..(start + PIECE).min(nodes.len())) {
                    if !run.is_empty() {
                        tasks.push((
                            r,
                            Task::Piece(Piece {
                                nodes: run,
                                offset: start,
                                list,
                                slot: *slot,
                            }),
                        ));
                    }
                }
            }
        }
    }
    let pool = std::sync::atomic::AtomicU64::new(steps);
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Each evaluator takes the next task until none is left.
    let work = || {
        let mut ev = Evaluator::new(set, sources, Value::Node(root), today);
        ev.budget = 0;
        ev.pool = Some(&pool);
        let mut done = Vec::new();
        loop {
            let t = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((r, task)) = tasks.get(t) else {
                break;
            };
            let Some(&(index, rule)) = rules.get(*r) else {
                break;
            };
            let found = match task {
                Task::Whole => Found::Results(run_rule(&mut ev, index, rule, doc_start, None)),
                Task::Piece(piece) => Found::State(run_rule_on(&mut ev, rule, piece, doc_start)),
            };
            done.push((t, found));
        }
        (done, ev.stopped)
    };
    let helpers = if size >= PARALLEL_FROM_BYTES {
        threads.min(tasks.len()).saturating_sub(1)
    } else {
        0
    };
    let mut done = std::thread::scope(|scope| {
        let spawned: Vec<_> = (0..helpers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(RULE_THREAD_STACK)
                    .spawn_scoped(scope, move || {
                        crate::threads::started();
                        work()
                    })
                    .ok()
            })
            .collect();
        // This thread works too, so every task is done even if no helper started.
        let mut all = vec![work()];
        for helper in spawned {
            // A rule's results must never be lost: a panic is passed on.
            all.push(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        all
    });
    let stopped = done.iter().any(|(_, stopped)| *stopped);
    let mut by_task: Vec<(usize, Found)> = done.drain(..).flat_map(|(found, _)| found).collect();
    by_task.sort_by_key(|(t, _)| *t);
    // Per rule, in rule order; a pieced rule's pieces in list order.
    let mut per_rule: Vec<Option<Found>> = rules.iter().map(|_| None).collect();
    for (t, found) in by_task {
        let Some((r, _)) = tasks.get(t) else { continue };
        let Some(slot) = per_rule.get_mut(*r) else {
            continue;
        };
        *slot = Some(match (slot.take(), found) {
            (Some(Found::State(earlier)), Found::State(later)) => Found::State(earlier.then(later)),
            (_, found) => found,
        });
    }
    let mut results: Vec<RuleResult> = Vec::new();
    for ((index, rule), found) in rules.iter().zip(per_rule) {
        match found {
            Some(Found::Results(r)) => results.extend(r),
            Some(Found::State(state)) => {
                results.extend(rule_results(*index, rule, state, doc_start))
            }
            None => {}
        }
    }
    if kind == "scorecard" {
        results.extend(metric_results(set, root, doc_start));
    }
    let mut report = finish(set, results, kind, id, today, doc_start);
    report.stopped = stopped;
    report
}

/// Evaluates the `applies policy` rules on the policy set itself.
pub fn evaluate_policy<'a>(
    set: &'a PolicySet,
    sources: &'a crate::source::SourceMap,
    start: Span,
    today: i32,
) -> Option<DocumentReport> {
    if !set.rules.iter().any(|r| r.applies == Applies::Policy) {
        return None;
    }
    let mut ev = Evaluator::new(set, sources, Value::PolicyInput, today);
    let mut results = Vec::new();
    for (index, rule) in set.rules.iter().enumerate() {
        if rule.applies == Applies::Policy {
            results.extend(run_rule(&mut ev, index, rule, start, None));
        }
    }
    let id = set.name.clone().unwrap_or_else(|| "policy".into());
    Some(finish(set, results, "policy", &id, today, start))
}

fn metric_results(set: &PolicySet, root: &Node, doc_start: Span) -> Vec<RuleResult> {
    let metrics = root.get("metrics");
    let mut out = Vec::new();
    for (i, target) in set.metric_targets.iter().enumerate() {
        let Some(decl) = set.decl(target.decl) else {
            continue;
        };
        let value = metrics.and_then(|m| m.get(&decl.name));
        let (outcome, location, message) = match value.and_then(|v| match v.value {
            crate::input::NodeValue::Num(n) => Some((n, v.loc())),
            _ => None,
        }) {
            Some((n, loc)) => {
                let met = match target.op {
                    BinOp::Lt => n < target.value,
                    BinOp::Le => n <= target.value,
                    BinOp::Gt => n > target.value,
                    BinOp::Ge => n >= target.value,
                    BinOp::Eq => n == target.value,
                    _ => n != target.value,
                };
                let msg = format!(
                    "`{}` is {}, target {} {}",
                    decl.name,
                    super::value::number(n),
                    target.op.symbol(),
                    super::value::number(target.value)
                );
                (if met { Outcome::Pass } else { Outcome::Fail }, loc, msg)
            }
            None => (
                Outcome::Indeterminate,
                metrics.map(|m| m.loc()).unwrap_or(doc_start),
                format!(
                    "`metrics.{}` is missing, so its target cannot be checked",
                    decl.name
                ),
            ),
        };
        out.push(RuleResult {
            source: Source::Metric(i),
            outcome,
            message: message.into(),
            location,
            waiver: None,
        });
    }
    out
}

/// Applies waivers, adds results for broken waivers, computes the verdict and score.
fn finish(
    set: &PolicySet,
    mut results: Vec<RuleResult>,
    kind: &str,
    id: &str,
    today: i32,
    doc_start: Span,
) -> DocumentReport {
    for (wi, waiver) in set.waivers.iter().enumerate() {
        if waiver.target != id {
            continue;
        }
        match waiver_problem(set, wi, today) {
            None => {
                for r in results.iter_mut() {
                    if r.outcome.is_failure() && source_info(set, r.source).id == waiver.rule {
                        r.outcome = Outcome::Waived;
                        r.waiver = Some(wi);
                    }
                }
            }
            Some(problem) => results.push(RuleResult {
                source: Source::Waiver(wi),
                outcome: Outcome::Fail,
                message: Arc::from(format!(
                    "waiver `{}` for `{}` {problem}, so it waives nothing",
                    waiver.name, waiver.rule
                )),
                location: doc_start,
                waiver: None,
            }),
        }
    }

    let level_failed = |level: Level| {
        results
            .iter()
            .any(|r| r.outcome.is_failure() && source_info(set, r.source).level == level)
    };
    let verdict = if level_failed(Level::Must) {
        Verdict::Fail
    } else if level_failed(Level::Should) {
        Verdict::Warn
    } else {
        Verdict::Pass
    };

    let score = (kind == "questionnaire").then(|| {
        let mut total = 0.0;
        let mut earned = 0.0;
        for (index, rule) in set.rules.iter().enumerate() {
            if rule.level != Level::Should {
                continue;
            }
            let mine: Vec<&RuleResult> = results
                .iter()
                .filter(|r| r.source == Source::Rule(index))
                .collect();
            if mine.is_empty() || mine.iter().all(|r| r.outcome == Outcome::NotApplicable) {
                continue;
            }
            total += rule.weight;
            if mine.iter().all(|r| {
                matches!(
                    r.outcome,
                    Outcome::Pass | Outcome::Waived | Outcome::NotApplicable
                )
            }) {
                earned += rule.weight;
            }
        }
        if total == 0.0 {
            100.0
        } else {
            earned / total * 100.0
        }
    });

    let mut gates: Vec<(String, bool)> = Vec::new();
    for r in &results {
        if let Source::Rule(i) = r.source {
            let Some(rule) = set.rules.get(i) else {
                continue;
            };
            if !rule.group_is_gate {
                continue;
            }
            let Some(group) = &rule.group else { continue };
            let blocked = rule.level == Level::Must && r.outcome.is_failure();
            match gates.iter_mut().find(|(g, _)| g == group) {
                Some(entry) => entry.1 &= !blocked,
                None => gates.push((group.clone(), !blocked)),
            }
        }
    }

    DocumentReport {
        results,
        verdict,
        score,
        gates,
        stopped: false,
    }
}

/// A value shown in an explanation: long ones cut.
fn shorten(text: &str) -> String {
    const MAX: usize = 100;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// `policy explain`: one rule on one valid document, told step by step; and
/// the document's report, with waivers applied, as `policy check` gives it.
pub fn explain_rule<'a>(
    set: &'a PolicySet,
    sources: &'a crate::source::SourceMap,
    root: &'a Node,
    kind: &str,
    id: &str,
    today: i32,
    rule_index: usize,
) -> (Vec<String>, DocumentReport) {
    let doc_start = root.span.start_point();
    let mut ev = Evaluator::new(set, sources, Value::Node(root), today);
    let mut log = Vec::new();
    if let Some(rule) = set.rules.get(rule_index) {
        run_rule(&mut ev, rule_index, rule, doc_start, Some(&mut log));
    }
    let report = evaluate_document(set, sources, root, kind, id, today);
    (log, report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use crate::source::SourceMap;

    const POLICY: &str = r#"
system a { kind "app" }
system b { kind "app" }
data hr { classification confidential  writers [a] }
data pay { classification restricted  writers [a, b] }
must encrypted { applies manifest  each f in input.flows  when data[f.data].classification > "internal"  require f.encryption.in_transit }
must writers { applies manifest  each f in input.flows  when f.writes ?? false  require f.to in data[f.data].writers  message "{f.to} may not write {f.data}" }
must known { applies manifest  each f in input.flows  require f.from in systems and f.to in systems }
must fields { applies manifest  each f in input.flows  let n = len(f.fields ?? [])  when n > 0  each x in f.fields  require x != "ssn" }
must protocol { applies manifest  each f in input.flows  when exists(f.protocol)  when f.protocol != ""  require f.protocol != "skip" }
must named { applies manifest  each f in input.flows  when exists(f.from)  require f.from != "" }
must never { applies manifest  each f in input.flows  when (f.from ?? "") == "zz"  require false }
must all_known { applies manifest  require all f in input.flows: f.from in systems }
"#;

    /// A manifest of `n` flows with a bit of everything: missing answers,
    /// null elements, unknown systems, nested lists.
    fn manifest(n: usize) -> String {
        let mut flows = Vec::new();
        for i in 0..n {
            let flow = match i % 11 {
                0 => "null".to_string(),
                1 => r#"{"from": "a", "to": "b", "data": "hr"}"#.to_string(),
                2 => r#"{"from": "a", "to": "c", "data": "pay", "writes": true, "encryption": {"in_transit": false}}"#.to_string(),
                3 => format!(r#"{{"from": "b", "to": "a", "data": "hr", "writes": true, "fields": ["id", "ssn", null], "protocol": "n{i}"}}"#),
                4 => r#"{"from": "c", "to": "b", "data": "nope", "protocol": "skip"}"#.to_string(),
                5 => r#"{"to": "b", "data": "hr", "encryption": {"in_transit": true}, "protocol": ""}"#.to_string(),
                _ => format!(r#"{{"from": "a", "to": "b", "data": "pay", "writes": {}, "encryption": {{"in_transit": {}}}}}"#, i % 2 == 0, i % 3 == 0),
            };
            flows.push(flow);
        }
        format!(
            "{{\"kind\": \"manifest\", \"id\": \"m\", \"flows\": [\n{}\n]}}",
            flows.join(",\n")
        )
    }

    /// The manifest `m` checked on `threads` threads, today fixed.
    fn evaluate_manifest(
        set: &PolicySet,
        sources: &SourceMap,
        root: &Node,
        threads: usize,
    ) -> DocumentReport {
        evaluate_document_on(
            set,
            sources,
            root,
            "manifest",
            "m",
            20_000,
            u64::MAX,
            threads,
        )
    }

    #[test]
    fn rules_run_in_pieces_find_what_they_find_whole() {
        let mut sources = SourceMap::new();
        let policy = sources.add("p.policy", POLICY);
        let (set, diagnostics) = crate::check::compile(&mut sources, &[policy]);
        assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
        let n = PIECE * 3 + 17;
        let file = sources.add("m.json", manifest(n));
        let (docs, problems) = crate::input::load(&sources, file, crate::input::Format::Json);
        assert!(problems.is_empty(), "{problems:?}");
        let root = &docs[0].root;
        let doc_start = root.span.start_point();

        let mut planner = Evaluator::new(&set, &sources, Value::Node(root), 20_000);
        let pieced: Vec<bool> = set
            .rules
            .iter()
            .map(|r| piece_list(&mut planner, r).is_some())
            .collect();
        assert_eq!(
            pieced,
            [true, true, true, true, true, true, true, false],
            "which rules go in pieces"
        );

        let mut whole = Vec::new();
        for (index, rule) in set.rules.iter().enumerate() {
            let mut ev = Evaluator::new(&set, &sources, Value::Node(root), 20_000);
            whole.extend(run_rule(&mut ev, index, rule, doc_start, None));
        }
        let expected = finish(&set, whole, "manifest", "m", 20_000, doc_start);
        for threads in [1, 2, 3] {
            let report = evaluate_manifest(&set, &sources, root, threads);
            assert_eq!(
                format!("{:?}", report.results),
                format!("{:?}", expected.results),
                "{threads} threads"
            );
            assert_eq!(report.verdict, expected.verdict);
        }
        // Every kind of outcome is in there.
        let outcomes: std::collections::BTreeSet<_> =
            expected.results.iter().map(|r| r.outcome.word()).collect();
        assert_eq!(
            outcomes.into_iter().collect::<Vec<_>>(),
            ["fail", "indeterminate", "not_applicable", "pass"]
        );
        assert!(
            expected.results.len() > n,
            "{} results",
            expected.results.len()
        );
    }

    #[test]
    fn conditions_kept_by_value_answer_as_evaluated_in_full() {
        let mut sources = SourceMap::new();
        let compile = |sources: &mut SourceMap| {
            let policy = sources.add("p.policy", POLICY);
            let (set, diagnostics) = crate::check::compile(sources, &[policy]);
            assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
            set
        };
        let set = compile(&mut sources);
        let mut full = compile(&mut sources);
        // `data[f.data].classification > "internal"`, `f.from in systems`
        // and `f.to in systems`; not `f.from in systems` under `all`, nor
        // `f.to in data[f.data].writers`, which reads two values.
        assert_eq!(crate::check::memo::strip(&mut full), 3);
        assert_eq!(crate::check::memo::strip(&mut full), 0);

        // Besides the pieces test's manifest: data that is a number, null,
        // absent, unknown, strings too long to be shared, and one string
        // (`hr`) read by two conditions with different answers.
        let long = "x".repeat(60);
        let mut text = manifest(PIECE * 2 + 5);
        text.truncate(text.len() - "\n]}".len());
        for i in 0..48 {
            let odd = match i % 6 {
                5 => r#"{"from": "hr", "to": "b", "data": "hr", "encryption": {"in_transit": false}}"#
                    .to_string(),
                0 => r#"{"from": "a", "to": "b", "data": 7}"#.to_string(),
                1 => r#"{"from": "a", "to": "b", "data": null}"#.to_string(),
                2 => r#"{"from": "b", "to": "a"}"#.to_string(),
                3 => format!(r#"{{"from": "{long}", "to": "b", "data": "{long}"}}"#),
                _ => format!(r#"{{"from": "a{i}", "to": "{long}", "data": "pay", "encryption": {{"in_transit": false}}}}"#),
            };
            text.push_str(",\n");
            text.push_str(&odd);
        }
        text.push_str("\n]}");
        let file = sources.add("m.json", text);
        let (docs, problems) = crate::input::load(&sources, file, crate::input::Format::Json);
        assert!(problems.is_empty(), "{problems:?}");
        let root = &docs[0].root;
        for threads in [1, 2] {
            let run = |set: &PolicySet| {
                let report = evaluate_manifest(set, &sources, root, threads);
                format!("{:?} {:?}", report.results, report.verdict)
            };
            assert_eq!(run(&set), run(&full), "{threads} threads");
        }
    }
}
