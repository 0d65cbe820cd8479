//! A deliberately simple reference evaluator, written from the language
//! contract alone: it walks the generated AST over a `serde_json::Value`
//! document, with no optimisation and no sharing with the engine.
//!
//! The contract's rules it follows (quoted loosely):
//! - a path into an absent field, a null, or an index past the end is
//!   `missing`; operators on `missing` give `missing`, except `exists`, `??`
//!   and the logic operators;
//! - `and`/`or`/`not` and the quantifiers are Kleene's three-valued logic;
//! - `x in L` is true when an element equals `x` even if others are missing,
//!   else missing if any element is missing, else false;
//! - `each` runs the rest of the rule once per element; an `each` over a
//!   missing list gives one `indeterminate`; a false `when` stops that
//!   evaluation as `not_applicable`; `when`s are a three-valued conjunction;
//!   `require`s run last: any false gives `fail`, else any missing gives
//!   `indeterminate`, else `pass`;
//! - a rule gives one result per evaluation that fails or is indeterminate,
//!   else one `pass` if any evaluation passed, else one `not_applicable`;
//! - the verdict is `fail` if a `must` failed or was indeterminate, else
//!   `warn` if a `should` did, else `pass`; a questionnaire's score is the
//!   met `should` weights over the applicable ones, 100 when none applies.

use serde_json::Value;

use super::model::{CmpOp, Expr, Level, Path, Policy, Quant, Root, Rule, Seg, Step};

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
enum V<'d> {
    Missing,
    Num(f64),
    Str(String),
    Bool(bool),
    List(Vec<V<'d>>),
    /// A document record, read lazily.
    Json(&'d Value),
}

fn from_json(v: &Value) -> V<'_> {
    match v {
        Value::Null => V::Missing,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => V::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => V::Str(s.clone()),
        Value::Array(items) => V::List(items.iter().map(from_json).collect()),
        Value::Object(_) => V::Json(v),
    }
}

/// Three-valued truth: `None` is missing.
type Tri = Option<bool>;

fn tri(v: &V) -> Tri {
    match v {
        V::Bool(b) => Some(*b),
        _ => None,
    }
}

fn from_tri(t: Tri) -> V<'static> {
    t.map(V::Bool).unwrap_or(V::Missing)
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Equality of two present values (`None` when an element inside is missing).
fn equal(a: &V, b: &V) -> Tri {
    match (a, b) {
        (V::Missing, _) | (_, V::Missing) => None,
        (V::Num(x), V::Num(y)) => Some(x == y),
        (V::Str(x), V::Str(y)) => Some(x == y),
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::List(x), V::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y) {
                all = and(all, equal(p, q));
            }
            all
        }
        // Values of different types are never equal.
        _ => Some(false),
    }
}

struct Env<'d> {
    doc: &'d Value,
    vars: Vec<(String, V<'d>)>,
}

impl<'d> Env<'d> {
    fn path(&self, p: &Path) -> V<'d> {
        let mut v = match &p.root {
            Root::Input => V::Json(self.doc),
            Root::Var(name) => self
                .vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or(V::Missing),
        };
        for seg in &p.segs {
            v = match (seg, v) {
                (Seg::Field(f), V::Json(Value::Object(m))) => {
                    m.get(*f).map(from_json).unwrap_or(V::Missing)
                }
                (Seg::Index(i), V::List(items)) => items.get(*i).cloned().unwrap_or(V::Missing),
                _ => V::Missing,
            };
        }
        v
    }

    fn with<T>(&mut self, name: &str, value: V<'d>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.vars.push((name.to_string(), value));
        let out = f(self);
        self.vars.pop();
        out
    }

    /// The body evaluated on each element of a list (`None`: the list is missing).
    fn over(&mut self, var: &str, list: &Expr, body: &Expr) -> Option<Vec<Tri>> {
        let V::List(items) = self.eval(list) else {
            return None;
        };
        Some(
            items
                .into_iter()
                .map(|item| self.with(var, item, |env| tri(&env.eval(body))))
                .collect(),
        )
    }

    fn eval(&mut self, e: &Expr) -> V<'d> {
        match e {
            Expr::Num(v) => V::Num(*v),
            Expr::Str(s) => V::Str(s.to_string()),
            Expr::Bool(b) => V::Bool(*b),
            Expr::Path(p) => self.path(p),
            Expr::List(items) => V::List(items.iter().map(|i| self.eval(i)).collect()),
            Expr::Cmp(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                if a == V::Missing || b == V::Missing {
                    return V::Missing;
                }
                let order = match (&a, &b) {
                    (V::Num(x), V::Num(y)) => x.partial_cmp(y),
                    // Strings order by Unicode code point (byte order of UTF-8).
                    (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
                    _ => None,
                };
                let result = match op {
                    CmpOp::Eq => equal(&a, &b),
                    CmpOp::Ne => equal(&a, &b).map(|x| !x),
                    CmpOp::Lt => order.map(|o| o.is_lt()),
                    CmpOp::Le => order.map(|o| o.is_le()),
                    CmpOp::Gt => order.map(|o| o.is_gt()),
                    CmpOp::Ge => order.map(|o| o.is_ge()),
                };
                from_tri(result)
            }
            Expr::And(a, b) => {
                let (a, b) = (tri(&self.eval(a)), tri(&self.eval(b)));
                from_tri(and(a, b))
            }
            Expr::Or(a, b) => {
                let (a, b) = (tri(&self.eval(a)), tri(&self.eval(b)));
                from_tri(or(a, b))
            }
            Expr::Not(a) => from_tri(tri(&self.eval(a)).map(|x| !x)),
            Expr::In(x, list) => {
                let (x, list) = (self.eval(x), self.eval(list));
                let V::List(items) = list else {
                    return V::Missing;
                };
                if x == V::Missing {
                    return V::Missing;
                }
                let mut missing = false;
                for item in &items {
                    match equal(&x, item) {
                        Some(true) => return V::Bool(true),
                        Some(false) => {}
                        None => missing = true,
                    }
                }
                if missing {
                    V::Missing
                } else {
                    V::Bool(false)
                }
            }
            Expr::Substr(a, b) => match (self.eval(a), self.eval(b)) {
                (V::Str(a), V::Str(b)) => V::Bool(b.contains(&a)),
                _ => V::Missing,
            },
            Expr::Default(a, b) => match self.eval(a) {
                V::Missing => self.eval(b),
                v => v,
            },
            Expr::Exists(p) => V::Bool(self.path(p) != V::Missing),
            Expr::Quant(q, var, list, body) => {
                let Some(values) = self.over(var, list, body) else {
                    return V::Missing;
                };
                let result = match q {
                    Quant::All => values.into_iter().fold(Some(true), and),
                    Quant::Any => values.into_iter().fold(Some(false), or),
                    Quant::None => values.into_iter().fold(Some(false), or).map(|x| !x),
                };
                from_tri(result)
            }
            Expr::Count(var, list, body) => {
                let Some(values) = self.over(var, list, body) else {
                    return V::Missing;
                };
                if values.iter().any(|v| v.is_none()) {
                    return V::Missing;
                }
                V::Num(values.iter().filter(|v| **v == Some(true)).count() as f64)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Indeterminate,
    NotApplicable,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Indeterminate => "indeterminate",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    fn failing(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Indeterminate)
    }
}

/// The evaluations of a rule from step `at` on, with the `when`s seen so far.
fn evaluations(rule: &Rule, at: usize, env: &mut Env, whens: Tri, out: &mut Vec<Outcome>) {
    let Some(step) = rule.steps.get(at) else {
        // Every `each` and `when` ran: the `when`s' conjunction, then the `require`s.
        match whens {
            Some(false) => out.push(Outcome::NotApplicable),
            None => out.push(Outcome::Indeterminate),
            Some(true) => {
                let requires: Vec<Tri> = rule
                    .steps
                    .iter()
                    .filter_map(|s| match s {
                        Step::Require(e) => Some(tri(&env.eval(e))),
                        _ => None,
                    })
                    .collect();
                out.push(if requires.contains(&Some(false)) {
                    Outcome::Fail
                } else if requires.contains(&None) {
                    Outcome::Indeterminate
                } else {
                    Outcome::Pass
                });
            }
        }
        return;
    };
    match step {
        Step::Require(_) => evaluations(rule, at + 1, env, whens, out),
        Step::When(e) => {
            let w = and(whens, tri(&env.eval(e)));
            if w == Some(false) {
                out.push(Outcome::NotApplicable);
            } else {
                evaluations(rule, at + 1, env, w, out);
            }
        }
        Step::Each(var, list) => match env.eval(list) {
            V::List(items) => {
                for item in items {
                    env.with(var, item, |env| {
                        evaluations(rule, at + 1, env, whens, out);
                    });
                }
            }
            _ => out.push(Outcome::Indeterminate),
        },
    }
}

/// A rule's results on a document.
pub fn rule_results(rule: &Rule, doc: &Value) -> Vec<Outcome> {
    let mut env = Env {
        doc,
        vars: Vec::new(),
    };
    let mut all = Vec::new();
    evaluations(rule, 0, &mut env, Some(true), &mut all);
    let failing: Vec<Outcome> = all.iter().copied().filter(|o| o.failing()).collect();
    if !failing.is_empty() {
        failing
    } else if all.contains(&Outcome::Pass) {
        vec![Outcome::Pass]
    } else {
        vec![Outcome::NotApplicable]
    }
}

/// What the contract says comes out for one document.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    pub verdict: &'static str,
    pub score: f64,
    /// (rule id, outcome), in the order of the rules.
    pub results: Vec<(String, &'static str)>,
}

pub fn evaluate(policy: &Policy, doc: &Value) -> Expected {
    let mut results = Vec::new();
    let (mut must_failed, mut should_failed) = (false, false);
    let (mut earned, mut total) = (0.0, 0.0);
    for rule in &policy.rules {
        let outcomes = rule_results(rule, doc);
        let failed = outcomes.iter().any(|o| o.failing());
        match rule.level {
            Level::Must => must_failed |= failed,
            Level::Should => {
                should_failed |= failed;
                let weight = f64::from(rule.weight.unwrap_or(1));
                if outcomes.iter().any(|o| *o != Outcome::NotApplicable) {
                    total += weight;
                    if outcomes.iter().all(|o| *o == Outcome::Pass) {
                        earned += weight;
                    }
                }
            }
            Level::May => {}
        }
        let id = policy.rule_id(rule);
        results.extend(outcomes.into_iter().map(|o| (id.clone(), o.word())));
    }
    Expected {
        verdict: if must_failed {
            "fail"
        } else if should_failed {
            "warn"
        } else {
            "pass"
        },
        score: if total == 0.0 {
            100.0
        } else {
            100.0 * earned / total
        },
        results,
    }
}
