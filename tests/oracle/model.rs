//! Generated policies and documents, shared by the differential oracle and
//! the property tests.
//!
//! A generated case is held twice over: as a small AST of our own (which the
//! reference evaluator in `reference.rs` interprets) and as Accord source
//! text printed from that AST (which the real engine parses). Documents are
//! `serde_json::Value`s over one small schema that extends the prelude's
//! `questionnaire`, so every field is optional and scores are computed too.
//!
//! Generation is typed: every expression is well typed for the schema, so a
//! policy that the checker rejects is a bug of the generator (or the checker),
//! never a skipped case.

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------ the AST

/// The schema the generated rules read, added to the prelude's questionnaire.
pub const SCHEMA: &str = "schema questionnaire {
  n1 number?
  n2 number?
  s1 string?
  s2 string?
  b1 bool?
  b2 bool?
  rec? { n number?  s string?  b bool? }
  nums [number]?
  strs [string]?
  items [{ n number?  s string?  b bool? }]?
}
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Num,
    Str,
    Bool,
}

/// What a variable (`each` or quantifier) holds: an element of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Num,
    Str,
    Rec,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Field(&'static str),
    Index(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Root {
    Input,
    Var(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub root: Root,
    pub segs: Vec<Seg>,
    /// Inside a group, print `n1` rather than `input.n1` (same meaning).
    pub bare: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quant {
    All,
    Any,
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Str(&'static str),
    Bool(bool),
    Path(Path),
    /// A list literal.
    List(Vec<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `x in list`.
    In(Box<Expr>, Box<Expr>),
    /// `"s" in string` (substring).
    Substr(Box<Expr>, Box<Expr>),
    /// `a ?? b`.
    Default(Box<Expr>, Box<Expr>),
    Exists(Path),
    Quant(Quant, String, Box<Expr>, Box<Expr>),
    Count(String, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Must,
    Should,
    May,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::May => "may",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Each(String, Expr),
    When(Expr),
    /// A `require`: evaluated after every `each` and `when`, wherever written.
    Require(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub level: Level,
    /// `should` only.
    pub weight: Option<u32>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Inside `requirements g { ... }` (ids `g.NAME`), or stand-alone.
    pub group: bool,
    pub rules: Vec<Rule>,
}

impl Policy {
    pub fn rule_id(&self, rule: &Rule) -> String {
        if self.group {
            format!("g.{}", rule.name)
        } else {
            rule.name.clone()
        }
    }
}

// ------------------------------------------------------------------ printing

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Path {
    fn print(&self, group: bool, out: &mut String) {
        let bare = group
            && self.bare
            && self.root == Root::Input
            && matches!(self.segs.first(), Some(Seg::Field(_)));
        match &self.root {
            Root::Var(v) => out.push_str(v),
            Root::Input if bare => {}
            Root::Input => out.push_str("input"),
        }
        for (i, seg) in self.segs.iter().enumerate() {
            match seg {
                Seg::Field(f) => {
                    if !(bare && i == 0) {
                        out.push('.');
                    }
                    out.push_str(f);
                }
                Seg::Index(n) => out.push_str(&format!("[{n}]")),
            }
        }
    }
}

impl Expr {
    fn is_atom(&self) -> bool {
        matches!(
            self,
            Expr::Num(_)
                | Expr::Str(_)
                | Expr::Bool(_)
                | Expr::Path(_)
                | Expr::List(_)
                | Expr::Exists(_)
        )
    }

    /// An operand: parenthesised unless it is an atom.
    fn operand(&self, group: bool, out: &mut String) {
        if self.is_atom() {
            self.print(group, out);
        } else {
            out.push('(');
            self.print(group, out);
            out.push(')');
        }
    }

    pub fn print(&self, group: bool, out: &mut String) {
        match self {
            Expr::Num(v) => out.push_str(&number(*v)),
            Expr::Str(s) => out.push_str(&format!("\"{s}\"")),
            Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Expr::Path(p) => p.print(group, out),
            Expr::List(items) => {
                out.push('[');
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    e.operand(group, out);
                }
                out.push(']');
            }
            Expr::Cmp(op, a, b) => {
                a.operand(group, out);
                out.push_str(&format!(" {} ", op.text()));
                b.operand(group, out);
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.operand(group, out);
                out.push_str(if matches!(self, Expr::And(..)) {
                    " and "
                } else {
                    " or "
                });
                b.operand(group, out);
            }
            Expr::Not(a) => {
                out.push_str("not ");
                a.operand(group, out);
            }
            Expr::In(a, b) | Expr::Substr(a, b) => {
                a.operand(group, out);
                out.push_str(" in ");
                b.operand(group, out);
            }
            Expr::Default(a, b) => {
                a.operand(group, out);
                out.push_str(" ?? ");
                b.operand(group, out);
            }
            Expr::Exists(p) => {
                out.push_str("exists(");
                p.print(group, out);
                out.push(')');
            }
            Expr::Quant(q, var, list, body) => {
                out.push_str(match q {
                    Quant::All => "all ",
                    Quant::Any => "any ",
                    Quant::None => "none ",
                });
                out.push_str(&format!("{var} in "));
                list.operand(group, out);
                out.push_str(": ");
                body.operand(group, out);
            }
            Expr::Count(var, list, body) => {
                out.push_str(&format!("count {var} in "));
                list.operand(group, out);
                out.push_str(": ");
                body.operand(group, out);
            }
        }
    }

    pub fn text(&self, group: bool) -> String {
        let mut out = String::new();
        self.print(group, &mut out);
        out
    }
}

impl Policy {
    /// The policy as Accord source text.
    pub fn source(&self) -> String {
        let mut out = String::from(SCHEMA);
        out.push('\n');
        let indent = if self.group { "  " } else { "" };
        if self.group {
            out.push_str("requirements g {\n  applies questionnaire\n");
        }
        for rule in &self.rules {
            out.push_str(&format!("{indent}{} {} {{\n", rule.level.word(), rule.name));
            if !self.group {
                out.push_str(&format!("{indent}  applies questionnaire\n"));
            }
            if let Some(w) = rule.weight {
                out.push_str(&format!("{indent}  weight {w}\n"));
            }
            for step in &rule.steps {
                let line = match step {
                    Step::Each(var, list) => format!("each {var} in {}", list.text(self.group)),
                    Step::When(e) => format!("when {}", e.text(self.group)),
                    Step::Require(e) => format!("require {}", e.text(self.group)),
                };
                out.push_str(&format!("{indent}  {line}\n"));
            }
            out.push_str(&format!("{indent}}}\n"));
        }
        if self.group {
            out.push_str("}\n");
        }
        out
    }
}

/// A policy and the documents it is checked on.
#[derive(Clone, PartialEq)]
pub struct Case {
    pub policy: Policy,
    pub documents: Vec<Value>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n--- policy (gen.policy)\n{}", self.policy.source())?;
        for d in &self.documents {
            writeln!(
                f,
                "--- document\n{}",
                serde_json::to_string(d).unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ generation

/// What generation may use.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    /// `exists(...)` and `??`: the two constructs that look at whether a value
    /// is missing, so a removed answer may legitimately change a verdict.
    pub missing_aware: bool,
}

pub const ALL: Features = Features {
    missing_aware: true,
};
pub const MONOTONE: Features = Features {
    missing_aware: false,
};

const NUMBERS: [f64; 7] = [0.0, 1.0, 2.0, 3.0, -1.0, 0.5, 2.5];
const STRINGS: [&str; 6] = ["a", "b", "EU", "", "Z", "é"];

/// Variables in scope, innermost last.
type Scope = Vec<(String, Elem)>;

fn num_lit() -> BoxedStrategy<Expr> {
    proptest::sample::select(&NUMBERS[..])
        .prop_map(Expr::Num)
        .boxed()
}

fn str_lit() -> BoxedStrategy<Expr> {
    proptest::sample::select(&STRINGS[..])
        .prop_map(Expr::Str)
        .boxed()
}

fn input(segs: Vec<Seg>, bare: bool) -> Path {
    Path {
        root: Root::Input,
        segs,
        bare,
    }
}

fn var(name: &str, segs: Vec<Seg>) -> Path {
    Path {
        root: Root::Var(name.to_string()),
        segs,
        bare: false,
    }
}

/// Paths to a scalar of this type: document fields, list elements by index,
/// and variables.
fn scalar_paths(ty: Scalar, scope: &Scope) -> BoxedStrategy<Path> {
    let (top, field): (&[&'static str], &'static str) = match ty {
        Scalar::Num => (&["n1", "n2"], "n"),
        Scalar::Str => (&["s1", "s2"], "s"),
        Scalar::Bool => (&["b1", "b2"], "b"),
    };
    let mut options: Vec<BoxedStrategy<Path>> = Vec::new();
    let top: Vec<&'static str> = top.to_vec();
    options.push(
        (proptest::sample::select(top), any::<bool>())
            .prop_map(|(f, bare)| input(vec![Seg::Field(f)], bare))
            .boxed(),
    );
    options.push(
        any::<bool>()
            .prop_map(move |bare| input(vec![Seg::Field("rec"), Seg::Field(field)], bare))
            .boxed(),
    );
    options.push(
        (0usize..3, any::<bool>())
            .prop_map(move |(i, bare)| {
                input(
                    vec![Seg::Field("items"), Seg::Index(i), Seg::Field(field)],
                    bare,
                )
            })
            .boxed(),
    );
    let list = match ty {
        Scalar::Num => Some("nums"),
        Scalar::Str => Some("strs"),
        Scalar::Bool => None,
    };
    if let Some(list) = list {
        options.push(
            (0usize..3, any::<bool>())
                .prop_map(move |(i, bare)| input(vec![Seg::Field(list), Seg::Index(i)], bare))
                .boxed(),
        );
    }
    for (name, elem) in scope {
        let name = name.clone();
        match (elem, ty) {
            (Elem::Rec, _) => options.push(Just(var(&name, vec![Seg::Field(field)])).boxed()),
            (Elem::Num, Scalar::Num) | (Elem::Str, Scalar::Str) => {
                options.push(Just(var(&name, vec![])).boxed())
            }
            _ => {}
        }
    }
    proptest::strategy::Union::new(options).boxed()
}

/// Expressions of one type, up to a depth.
#[derive(Clone)]
struct Gen {
    scope: Scope,
    features: Features,
}

impl Gen {
    fn with(&self, name: String, elem: Elem) -> Gen {
        let mut scope = self.scope.clone();
        scope.push((name, elem));
        Gen {
            scope,
            features: self.features,
        }
    }

    fn fresh(&self) -> String {
        format!("q{}", self.scope.len())
    }

    fn scalar_leaf(&self, ty: Scalar) -> BoxedStrategy<Expr> {
        let lit = match ty {
            Scalar::Num => num_lit(),
            Scalar::Str => str_lit(),
            Scalar::Bool => any::<bool>().prop_map(Expr::Bool).boxed(),
        };
        let paths = scalar_paths(ty, &self.scope).prop_map(Expr::Path);
        if ty == Scalar::Bool && self.features.missing_aware {
            let exists = self.any_path().prop_map(Expr::Exists);
            prop_oneof![2 => lit, 5 => paths, 2 => exists].boxed()
        } else {
            prop_oneof![1 => lit, 3 => paths].boxed()
        }
    }

    /// Any path (for `exists`).
    fn any_path(&self) -> BoxedStrategy<Path> {
        let lists = (
            proptest::sample::select(vec!["nums", "strs", "items", "rec"]),
            any::<bool>(),
        )
            .prop_map(|(f, bare)| input(vec![Seg::Field(f)], bare));
        prop_oneof![
            scalar_paths(Scalar::Num, &self.scope),
            scalar_paths(Scalar::Str, &self.scope),
            scalar_paths(Scalar::Bool, &self.scope),
            lists,
        ]
        .boxed()
    }

    /// A list to iterate or search: a document list, a list literal of
    /// scalars, or (when allowed) a list with a `?? []` default.
    fn list(&self, elem: Elem) -> BoxedStrategy<Expr> {
        let field = match elem {
            Elem::Num => "nums",
            Elem::Str => "strs",
            Elem::Rec => "items",
        };
        let path = any::<bool>()
            .prop_map(move |bare| Expr::Path(input(vec![Seg::Field(field)], bare)))
            .boxed();
        let mut options = vec![(4, path.clone())];
        let scalar = match elem {
            Elem::Num => Some(Scalar::Num),
            Elem::Str => Some(Scalar::Str),
            Elem::Rec => None,
        };
        if let Some(ty) = scalar {
            options.push((
                2,
                vec(self.scalar_leaf(ty), 0..4).prop_map(Expr::List).boxed(),
            ));
        }
        if self.features.missing_aware {
            options.push((
                1,
                path.prop_map(|p| Expr::Default(Box::new(p), Box::new(Expr::List(vec![]))))
                    .boxed(),
            ));
        }
        proptest::strategy::Union::new_weighted(options).boxed()
    }

    fn num(&self, depth: u32) -> BoxedStrategy<Expr> {
        let leaf = self.scalar_leaf(Scalar::Num);
        if depth == 0 {
            return leaf;
        }
        let mut options = vec![(6, leaf)];
        if self.features.missing_aware {
            options.push((
                1,
                (self.num(depth - 1), num_lit())
                    .prop_map(|(a, b)| Expr::Default(Box::new(a), Box::new(b)))
                    .boxed(),
            ));
        }
        options.push((1, self.quantified(depth, true)));
        proptest::strategy::Union::new_weighted(options).boxed()
    }

    fn string(&self, depth: u32) -> BoxedStrategy<Expr> {
        let leaf = self.scalar_leaf(Scalar::Str);
        if depth == 0 || !self.features.missing_aware {
            return leaf;
        }
        prop_oneof![
            5 => leaf,
            1 => (self.string(depth - 1), str_lit())
                .prop_map(|(a, b)| Expr::Default(Box::new(a), Box::new(b))),
        ]
        .boxed()
    }

    /// A quantifier (`all`/`any`/`none`, or `count` when `count`) over some list.
    fn quantified(&self, depth: u32, count: bool) -> BoxedStrategy<Expr> {
        let name = self.fresh();
        let mut options = Vec::new();
        for elem in [Elem::Num, Elem::Str, Elem::Rec] {
            let body = self.with(name.clone(), elem).boolean(depth - 1);
            let name = name.clone();
            let s = if count {
                (self.list(elem), body)
                    .prop_map(move |(l, b)| Expr::Count(name.clone(), Box::new(l), Box::new(b)))
                    .boxed()
            } else {
                (
                    proptest::sample::select(vec![Quant::All, Quant::Any, Quant::None]),
                    self.list(elem),
                    body,
                )
                    .prop_map(move |(q, l, b)| {
                        Expr::Quant(q, name.clone(), Box::new(l), Box::new(b))
                    })
                    .boxed()
            };
            options.push(s);
        }
        proptest::strategy::Union::new(options).boxed()
    }

    fn boolean(&self, depth: u32) -> BoxedStrategy<Expr> {
        let leaf = self.scalar_leaf(Scalar::Bool);
        if depth == 0 {
            return leaf;
        }
        let d = depth - 1;
        let ops = || {
            proptest::sample::select(vec![
                CmpOp::Eq,
                CmpOp::Ne,
                CmpOp::Lt,
                CmpOp::Le,
                CmpOp::Gt,
                CmpOp::Ge,
            ])
        };
        let b = self.boolean(d);
        let n = self.num(d);
        let s = self.string(d);
        let cmp_num = (ops(), n.clone(), n.clone())
            .prop_map(|(op, a, b)| Expr::Cmp(op, Box::new(a), Box::new(b)));
        let cmp_str = (ops(), s.clone(), s.clone())
            .prop_map(|(op, a, b)| Expr::Cmp(op, Box::new(a), Box::new(b)));
        let cmp_bool = (
            proptest::sample::select(vec![CmpOp::Eq, CmpOp::Ne]),
            b.clone(),
            b.clone(),
        )
            .prop_map(|(op, a, b)| Expr::Cmp(op, Box::new(a), Box::new(b)));
        let and = (b.clone(), b.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b)));
        let or = (b.clone(), b.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b)));
        let not = b.clone().prop_map(|a| Expr::Not(Box::new(a)));
        let in_num =
            (n.clone(), self.list(Elem::Num)).prop_map(|(a, l)| Expr::In(Box::new(a), Box::new(l)));
        let in_str =
            (s.clone(), self.list(Elem::Str)).prop_map(|(a, l)| Expr::In(Box::new(a), Box::new(l)));
        let substr = (s.clone(), s).prop_map(|(a, b)| Expr::Substr(Box::new(a), Box::new(b)));
        let mut options: Vec<(u32, BoxedStrategy<Expr>)> = vec![
            (4, leaf),
            (3, cmp_num.boxed()),
            (2, cmp_str.boxed()),
            (1, cmp_bool.boxed()),
            (3, and.boxed()),
            (3, or.boxed()),
            (2, not.boxed()),
            (2, in_num.boxed()),
            (1, in_str.boxed()),
            (1, substr.boxed()),
            (2, self.quantified(depth, false)),
        ];
        if self.features.missing_aware {
            options.push((
                1,
                (b, any::<bool>())
                    .prop_map(|(a, d)| Expr::Default(Box::new(a), Box::new(Expr::Bool(d))))
                    .boxed(),
            ));
        }
        proptest::strategy::Union::new_weighted(options).boxed()
    }
}

/// One rule: its `each`es (0 to 2), `when`s (0 to 2) placed among them, and
/// one or two `require`s placed anywhere.
fn rule(features: Features) -> impl Strategy<Value = Rule> {
    let elems = vec(
        proptest::sample::select(vec![Elem::Rec, Elem::Num, Elem::Str]),
        0..3,
    );
    let level = prop_oneof![
        2 => Just(Level::Must),
        2 => Just(Level::Should),
        1 => Just(Level::May),
    ];
    (elems, level, proptest::option::of(1u32..4)).prop_flat_map(move |(elems, level, weight)| {
        let weight = if level == Level::Should { weight } else { None };
        let n = elems.len();
        let base = Gen {
            scope: Vec::new(),
            features,
        };
        // The scope after the first `k` eaches.
        let scopes: Vec<Gen> = (0..=n)
            .map(|k| {
                let mut g = base.clone();
                for (i, e) in elems.iter().take(k).enumerate() {
                    g = g.with(format!("e{i}"), *e);
                }
                g
            })
            .collect();
        let sources: Vec<BoxedStrategy<Expr>> = elems
            .iter()
            .enumerate()
            .map(|(i, e)| scopes[i].list(*e))
            .collect();
        let scopes_for_when = scopes.clone();
        let whens = vec(
            (0..=n).prop_flat_map(move |at| (Just(at), scopes_for_when[at].boolean(2)).boxed()),
            0..3,
        );
        let full = scopes[n].clone();
        let condition = prop_oneof![full.boolean(1), full.boolean(2), full.boolean(3)];
        let requires = vec((0..=n + 2, condition), 1..3);
        (sources, whens, requires).prop_map(move |(sources, whens, requires)| {
            // Eaches in order; a `when` after the `at` first eaches; each
            // `require` anywhere (after `at` of the other steps, or at the end).
            let mut steps: Vec<Step> = Vec::new();
            for at in 0..=n {
                for (w_at, w) in &whens {
                    if *w_at == at {
                        steps.push(Step::When(w.clone()));
                    }
                }
                if let Some(src) = sources.get(at) {
                    steps.push(Step::Each(format!("e{at}"), src.clone()));
                }
            }
            for (at, r) in &requires {
                let at = (*at).min(steps.len());
                steps.insert(at, Step::Require(r.clone()));
            }
            Rule {
                name: String::new(),
                level,
                weight,
                steps,
            }
        })
    })
}

/// One to four rules, named `r0`, `r1`, ...
pub fn policy(features: Features) -> impl Strategy<Value = Policy> {
    (any::<bool>(), vec(rule(features), 1..5)).prop_map(|(group, mut rules)| {
        for (i, r) in rules.iter_mut().enumerate() {
            r.name = format!("r{i}");
        }
        Policy { group, rules }
    })
}

/// A value that may be absent (`None`), null (`Some(None)`) or given.
type Answer<T> = Option<Option<T>>;

fn answer<T: fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Answer<T>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(None)),
        10 => s.prop_map(|v| Some(Some(v))),
    ]
    .boxed()
}

fn num_value() -> impl Strategy<Value = Value> {
    proptest::sample::select(&NUMBERS[..]).prop_map(|v| {
        if v.fract() == 0.0 {
            json!(v as i64)
        } else {
            json!(v)
        }
    })
}

fn str_value() -> impl Strategy<Value = Value> {
    proptest::sample::select(&STRINGS[..]).prop_map(|s| json!(s))
}

fn bool_value() -> impl Strategy<Value = Value> {
    any::<bool>().prop_map(|b| json!(b))
}

fn put(map: &mut Map<String, Value>, key: &str, value: Answer<Value>) {
    match value {
        None => {}
        Some(None) => {
            map.insert(key.into(), Value::Null);
        }
        Some(Some(v)) => {
            map.insert(key.into(), v);
        }
    }
}

fn record() -> impl Strategy<Value = Value> {
    (
        answer(num_value()),
        answer(str_value()),
        answer(bool_value()),
    )
        .prop_map(|(n, s, b)| {
            let mut m = Map::new();
            put(&mut m, "n", n);
            put(&mut m, "s", s);
            put(&mut m, "b", b);
            Value::Object(m)
        })
}

/// A list whose elements may be null.
fn list_of(elem: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Value> {
    vec(prop_oneof![1 => Just(Value::Null), 6 => elem.boxed()], 0..4).prop_map(Value::Array)
}

/// A valid questionnaire with the generated fields, with the id `D`.
pub fn document() -> impl Strategy<Value = Value> {
    let scalars = (
        answer(num_value()),
        answer(num_value()),
        answer(str_value()),
        answer(str_value()),
        answer(bool_value()),
        answer(bool_value()),
    );
    let nested = (
        answer(record()),
        answer(list_of(num_value())),
        answer(list_of(str_value())),
        answer(list_of(record())),
    );
    (scalars, nested).prop_map(
        move |((n1, n2, s1, s2, b1, b2), (rec, nums, strs, items))| {
            let mut m = Map::new();
            m.insert("kind".into(), json!("questionnaire"));
            m.insert("id".into(), json!("D"));
            m.insert("vendor".into(), json!({"name": "Vendor"}));
            put(&mut m, "n1", n1);
            put(&mut m, "n2", n2);
            put(&mut m, "s1", s1);
            put(&mut m, "s2", s2);
            put(&mut m, "b1", b1);
            put(&mut m, "b2", b2);
            put(&mut m, "rec", rec);
            put(&mut m, "nums", nums);
            put(&mut m, "strs", strs);
            put(&mut m, "items", items);
            Value::Object(m)
        },
    )
}

/// A policy and one to three documents (ids `D0`, `D1`, ...).
pub fn case(features: Features) -> impl Strategy<Value = Case> {
    (policy(features), vec(document(), 1..4)).prop_map(|(policy, mut documents)| {
        for (i, d) in documents.iter_mut().enumerate() {
            d["id"] = json!(format!("D{i}"));
        }
        Case { policy, documents }
    })
}

/// Every removable answer of a document: object keys (at any depth, except
/// `kind`, `id` and `vendor`) and list elements, as JSON pointers.
pub fn answers(doc: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if at.is_empty() && matches!(k.as_str(), "kind" | "id" | "vendor") {
                        continue;
                    }
                    let here = format!("{at}/{k}");
                    out.push(here.clone());
                    walk(child, here, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let here = format!("{at}/{i}");
                    if !child.is_null() {
                        out.push(here.clone());
                    }
                    walk(child, here, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, String::new(), &mut out);
    out
}

/// The document without the answer at `pointer`: a field is removed, a list
/// element becomes null (a blank answer; removing it would renumber the rest).
pub fn without(doc: &Value, pointer: &str) -> Value {
    let mut doc = doc.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.remove(last);
        }
        Some(Value::Array(items)) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = Value::Null;
            }
        }
        _ => {}
    }
    doc
}

/// A greedy reduction of a failing case, after proptest's shrinking: drops
/// documents, rules, steps and answers while `fails` still holds.
pub fn reduce(mut case: Case, fails: impl Fn(&Case) -> bool) -> Case {
    loop {
        let mut smaller = Vec::new();
        for i in 0..case.documents.len() {
            if case.documents.len() > 1 {
                let mut c = case.clone();
                c.documents.remove(i);
                smaller.push(c);
            }
        }
        for i in 0..case.policy.rules.len() {
            if case.policy.rules.len() > 1 {
                let mut c = case.clone();
                c.policy.rules.remove(i);
                smaller.push(c);
            }
        }
        for (i, rule) in case.policy.rules.iter().enumerate() {
            let requires = rule
                .steps
                .iter()
                .filter(|s| matches!(s, Step::Require(_)))
                .count();
            for (j, step) in rule.steps.iter().enumerate() {
                let removable = match step {
                    Step::When(_) => true,
                    Step::Require(_) => requires > 1,
                    Step::Each(..) => false,
                };
                if removable {
                    let mut c = case.clone();
                    c.policy.rules[i].steps.remove(j);
                    smaller.push(c);
                }
            }
        }
        for (i, doc) in case.documents.iter().enumerate() {
            for pointer in answers(doc) {
                let mut c = case.clone();
                c.documents[i] = without(doc, &pointer);
                if c.documents[i] != *doc {
                    smaller.push(c);
                }
            }
        }
        match smaller.into_iter().find(|c| fails(c)) {
            Some(c) => case = c,
            None => return case,
        }
    }
}
