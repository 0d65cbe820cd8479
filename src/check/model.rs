//! The checked policy set: what `check` produces and `eval` consumes.

use std::sync::Arc;

use indexmap::IndexMap;

/// A map looked up while documents are evaluated: in insertion order, with a
/// hash several times cheaper than SipHash on short names (the keys are the
/// policy author's names, not an attacker's).
pub type FastMap<K, V> = IndexMap<K, V, rustc_hash::FxBuildHasher>;

use super::ir;
use super::words::WordSet;
use crate::source::Span;
use crate::syntax::ast::Level;

/// The kinds of declarations that are values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeclKind {
    Role,
    Committee,
    System,
    Data,
    Tier,
    Metric,
    Rule,
    Waiver,
}

impl DeclKind {
    pub fn word(self) -> &'static str {
        match self {
            DeclKind::Role => "role",
            DeclKind::Committee => "committee",
            DeclKind::System => "system",
            DeclKind::Data => "data category",
            DeclKind::Tier => "tier",
            DeclKind::Metric => "metric",
            DeclKind::Rule => "rule",
            DeclKind::Waiver => "waiver",
        }
    }

    /// The collection that holds declarations of this kind.
    pub fn collection(self) -> &'static str {
        match self {
            DeclKind::Role => "roles",
            DeclKind::Committee => "committees",
            DeclKind::System => "systems",
            DeclKind::Data => "data",
            DeclKind::Tier => "tiers",
            DeclKind::Metric => "metrics",
            DeclKind::Rule => "rules",
            DeclKind::Waiver => "waivers",
        }
    }

    /// Collections in scope by name inside rules (rules and waivers are not values).
    pub const VALUE_KINDS: [DeclKind; 6] = [
        DeclKind::Role,
        DeclKind::Data,
        DeclKind::Tier,
        DeclKind::System,
        DeclKind::Committee,
        DeclKind::Metric,
    ];

    pub const ALL: [DeclKind; 8] = [
        DeclKind::Role,
        DeclKind::Data,
        DeclKind::Tier,
        DeclKind::System,
        DeclKind::Committee,
        DeclKind::Metric,
        DeclKind::Rule,
        DeclKind::Waiver,
    ];

    pub fn from_collection(name: &str) -> Option<DeclKind> {
        DeclKind::ALL.into_iter().find(|k| k.collection() == name)
    }

    /// The schema type word naming this kind (`data`, `role`, `system`, ...).
    pub fn from_type_word(word: &str) -> Option<DeclKind> {
        Some(match word {
            "role" => DeclKind::Role,
            "data" => DeclKind::Data,
            "system" => DeclKind::System,
            "tier" => DeclKind::Tier,
            "committee" => DeclKind::Committee,
            "metric" => DeclKind::Metric,
            _ => return None,
        })
    }
}

pub type DeclId = u32;

/// A constant value held by a declaration's entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Bool(bool),
    Num(f64),
    Str(String),
    Date(i32),
    Dur(i64),
    Word(WordSet, u8),
    Decl(DeclId),
    List(Vec<Const>),
}

/// A declaration that is a value: a role, a data category, a rule, ...
#[derive(Clone, Debug)]
pub struct Decl {
    pub kind: DeclKind,
    pub name: String,
    pub title: Option<String>,
    pub doc: Option<String>,
    /// The name in the declaration.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// Its entries, by key, with where each was written.
    pub fields: FastMap<String, (Const, Span)>,
}

/// A field type of a document schema.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldTy {
    String,
    Int,
    Number,
    Bool,
    Date,
    Duration,
    List(Box<FieldTy>),
    Map(Box<FieldTy>),
    Record(RecordId),
    /// A string that must name a declaration of this kind.
    DeclRef(DeclKind),
}

impl FieldTy {
    pub fn describe(&self) -> String {
        match self {
            FieldTy::String => "string".into(),
            FieldTy::Int => "int".into(),
            FieldTy::Number => "number".into(),
            FieldTy::Bool => "bool".into(),
            FieldTy::Date => "date".into(),
            FieldTy::Duration => "duration".into(),
            FieldTy::List(t) => format!("[{}]", t.describe()),
            FieldTy::Map(t) => format!("map({})", t.describe()),
            FieldTy::Record(_) => "record".into(),
            FieldTy::DeclRef(k) => match k {
                DeclKind::Data => "data".into(),
                other => other.word().into(),
            },
        }
        .to_string()
    }
}

pub type RecordId = usize;

#[derive(Clone, Debug, Default)]
pub struct Record {
    pub fields: FastMap<String, Field>,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub ty: FieldTy,
    pub optional: bool,
    /// Where the field was (last) declared.
    pub span: Span,
}

/// What a rule checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Applies {
    /// Documents of this kind.
    Kind(String),
    /// The policy set itself.
    Policy,
}

/// One step before a rule's `require`s, in source order.
#[derive(Clone, Debug)]
pub enum Step {
    Each {
        slot: usize,
        list: ir::Expr,
        span: Span,
    },
    Let {
        slot: usize,
        value: ir::Expr,
    },
    When(ir::Expr),
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// `GROUP.NAME`, `NAME`, or `std.MODULE.…` for the standard library.
    pub id: String,
    pub level: Level,
    pub applies: Applies,
    pub title: Option<String>,
    pub doc: Option<String>,
    /// The gate or requirements group the rule belongs to.
    pub group: Option<String>,
    pub group_is_gate: bool,
    pub owner: Option<DeclId>,
    pub section: Option<&'static str>,
    pub weight: f64,
    pub cite: Option<String>,
    pub message: Option<ir::Expr>,
    pub steps: Vec<Step>,
    pub requires: Vec<ir::Expr>,
    /// Slots for the rule's local names.
    pub frame_size: usize,
    /// The rule's keyword (`must`, `should`, `may`).
    pub span: Span,
    /// The declaration this rule is as a value (`input.rules` in policy rules).
    pub decl: DeclId,
}

#[derive(Clone, Debug)]
pub struct Waiver {
    pub name: String,
    pub rule: String,
    pub target: String,
    pub until: Option<i32>,
    pub approved: Vec<DeclId>,
    pub reason: Option<String>,
    pub span: Span,
    pub decl: DeclId,
}

#[derive(Clone, Debug)]
pub struct Test {
    pub name: String,
    pub document: Option<(String, Span)>,
    pub expectations: Vec<(String, String, Span)>,
    pub span: Span,
}

/// A `fn` checked for one combination of argument types and document kind.
#[derive(Clone, Debug)]
pub struct FnInstance {
    pub name: String,
    pub params: usize,
    pub frame_size: usize,
    pub body: ir::Expr,
}

/// Metrics' targets, checked against scorecards.
#[derive(Clone, Debug)]
pub struct MetricTarget {
    pub decl: DeclId,
    pub op: crate::syntax::ast::BinOp,
    pub value: f64,
    pub span: Span,
}

/// What a name or path in the policy refers to: for editors (definition,
/// references, rename, hover) and nothing else.
#[derive(Clone, Debug)]
pub struct Resolution {
    /// Where the name is used.
    pub use_span: Span,
    /// Where what it names is declared (`Synthetic` for built-ins).
    pub target: Span,
    pub what: RefKind,
    /// Its type, as a person reads it.
    pub ty: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// A local name (`each`, `let`, a quantifier, a `fn` parameter); the
    /// binding itself is recorded too, with `use_span == target`.
    Local,
    Decl(DeclKind),
    /// A field of a document schema.
    SchemaField,
    /// A field of a declaration (`data.x.owner`).
    DeclField,
    Function,
    /// A document kind (`applies manifest`).
    Kind,
}

/// Tells policy sets apart for as long as the process runs: what is made
/// once from a set and kept (the JSON output's part of each rule) is kept
/// under it. Every set gets a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SetId(u64);

impl Default for SetId {
    fn default() -> SetId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        SetId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Everything `check` knows about a policy set.
#[derive(Default)]
pub struct PolicySet {
    pub id: SetId,
    pub name: Option<String>,
    pub title: Option<String>,
    pub decls: Vec<Decl>,
    pub by_kind: FastMap<DeclKind, FastMap<String, DeclId>>,
    pub records: Vec<Record>,
    /// Document kinds and the record of their top level.
    pub schemas: IndexMap<String, RecordId>,
    pub rules: Vec<Rule>,
    pub waivers: Vec<Waiver>,
    pub tests: Vec<Test>,
    pub functions: Vec<FnInstance>,
    pub metric_targets: Vec<MetricTarget>,
    /// The files of the set (policies and the standard library modules used).
    pub files: Vec<crate::source::FileId>,
    /// Every resolved name and path, for editors.
    pub resolutions: Vec<Resolution>,
    /// Where each document kind's schema is first declared.
    pub schema_spans: IndexMap<String, Span>,
    /// A readable name for each schema record (`manifest.flows[]`).
    pub record_names: Vec<String>,
    /// The field names paths read, numbered.
    pub field_keys: FieldKeys,
}

/// The field names of the set's paths, each numbered once, so that the
/// evaluator can remember per name where a document keeps it.
#[derive(Clone, Debug, Default)]
pub struct FieldKeys {
    numbers: FastMap<Arc<str>, u32>,
}

impl FieldKeys {
    /// The name, shared, and its number.
    pub fn key(&mut self, name: &str) -> (Arc<str>, u32) {
        if let Some((shared, &n)) = self.numbers.get_key_value(name) {
            return (shared.clone(), n);
        }
        let shared: Arc<str> = Arc::from(name);
        let n = self.numbers.len() as u32;
        self.numbers.insert(shared.clone(), n);
        (shared, n)
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

impl PolicySet {
    pub fn decl(&self, id: DeclId) -> Option<&Decl> {
        self.decls.get(id as usize)
    }

    pub fn lookup(&self, kind: DeclKind, name: &str) -> Option<DeclId> {
        self.by_kind.get(&kind)?.get(name).copied()
    }

    pub fn names(&self, kind: DeclKind) -> impl Iterator<Item = &str> {
        self.by_kind
            .get(&kind)
            .into_iter()
            .flat_map(|m| m.keys().map(|k| k.as_str()))
    }

    pub fn collection(&self, kind: DeclKind) -> Vec<DeclId> {
        self.by_kind
            .get(&kind)
            .map(|m| m.values().copied().collect())
            .unwrap_or_default()
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn department(&self, role: DeclId) -> Option<&'static str> {
        match self.decl(role)?.fields.get("department")? {
            (Const::Word(set, i), _) => Some(set.word(*i)),
            _ => None,
        }
    }
}
