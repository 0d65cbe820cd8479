//! Which keys each kind of block accepts, and what their values are.

use super::model::DeclKind;
use super::types::Ty;
use super::words::WordSet;
use crate::syntax::ast::BlockKind;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyTy {
    Word(WordSet),
    Ref(DeclKind),
    Refs(DeclKind),
    Str,
    Strs,
    Int,
    Num,
    Dur,
    Date,
    /// A document kind, or `policy`.
    Kind,
    /// A rule id.
    RuleRef,
    /// An expression checked against the rule's document kind.
    Cond,
    /// An interpolated message.
    Message,
}

impl KeyTy {
    /// The type of the key's value as a field of the declaration.
    pub fn value_ty(self) -> Ty {
        match self {
            KeyTy::Word(set) => Ty::Word(set),
            KeyTy::Ref(kind) => Ty::Decl(kind),
            KeyTy::Refs(kind) => Ty::List(Box::new(Ty::Decl(kind))),
            KeyTy::Str | KeyTy::Kind | KeyTy::RuleRef | KeyTy::Message => Ty::Str,
            KeyTy::Strs => Ty::List(Box::new(Ty::Str)),
            KeyTy::Int | KeyTy::Num => Ty::Num,
            KeyTy::Dur => Ty::Dur,
            KeyTy::Date => Ty::Date,
            KeyTy::Cond => Ty::Bool,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            KeyTy::Word(WordSet::Department) => "a department",
            KeyTy::Word(WordSet::Classification) => "a classification",
            KeyTy::Word(WordSet::Section) => "a section (`hr` or `it`)",
            KeyTy::Ref(_) => "a name",
            KeyTy::Refs(_) => "a list of names",
            KeyTy::Str | KeyTy::Message => "a string",
            KeyTy::Strs => "a list of strings",
            KeyTy::Int => "a whole number",
            KeyTy::Num => "a number",
            KeyTy::Dur => "a duration such as `30d`",
            KeyTy::Date => "a date such as `2027-03-31`",
            KeyTy::Kind => "a document kind",
            KeyTy::RuleRef => "a rule id",
            KeyTy::Cond => "a condition",
        }
    }
}

/// A key of a block: its type and whether it may appear several times.
pub struct KeySpec {
    pub key: &'static str,
    pub ty: KeyTy,
    pub repeat: bool,
    pub required: bool,
}

const fn key(key: &'static str, ty: KeyTy) -> KeySpec {
    KeySpec {
        key,
        ty,
        repeat: false,
        required: false,
    }
}

const fn required(key: &'static str, ty: KeyTy) -> KeySpec {
    KeySpec {
        key,
        ty,
        repeat: false,
        required: true,
    }
}

const fn repeated(key: &'static str, ty: KeyTy) -> KeySpec {
    KeySpec {
        key,
        ty,
        repeat: true,
        required: false,
    }
}

const ROLE: &[KeySpec] = &[required("department", KeyTy::Word(WordSet::Department))];
const COMMITTEE: &[KeySpec] = &[
    key("chairs", KeyTy::Refs(DeclKind::Role)),
    key("members", KeyTy::Refs(DeclKind::Role)),
    key("max_size", KeyTy::Int),
    key("owns", KeyTy::Strs),
    key("cadence", KeyTy::Dur),
];
const SYSTEM: &[KeySpec] = &[
    key("kind", KeyTy::Str),
    key("owner", KeyTy::Ref(DeclKind::Role)),
    key("vendor", KeyTy::Str),
    key("hosting", KeyTy::Str),
];
const DATA: &[KeySpec] = &[
    key("classification", KeyTy::Word(WordSet::Classification)),
    key("owner", KeyTy::Ref(DeclKind::Role)),
    key("steward", KeyTy::Ref(DeclKind::Role)),
    key("system_of_record", KeyTy::Ref(DeclKind::System)),
    key("writers", KeyTy::Refs(DeclKind::System)),
    key("on_conflict", KeyTy::Ref(DeclKind::System)),
    key("required_fields", KeyTy::Strs),
    key("pii", KeyTy::Strs),
    key("max_sync_lag", KeyTy::Dur),
    key("retention", KeyTy::Dur),
    key("delete_within", KeyTy::Dur),
];
const TIER: &[KeySpec] = &[
    key("data", KeyTy::Refs(DeclKind::Data)),
    key("ai_outputs", KeyTy::Strs),
    key("roles", KeyTy::Refs(DeclKind::Role)),
];
const METRIC: &[KeySpec] = &[
    key("owner", KeyTy::Ref(DeclKind::Role)),
    key("unit", KeyTy::Str),
];
const WAIVER: &[KeySpec] = &[
    required("rule", KeyTy::RuleRef),
    required("target", KeyTy::Str),
    required("until", KeyTy::Date),
    required("approved", KeyTy::Refs(DeclKind::Role)),
    key("reason", KeyTy::Str),
];
const TEST: &[KeySpec] = &[required("document", KeyTy::Str)];
const GROUP: &[KeySpec] = &[
    key("applies", KeyTy::Kind),
    key("owner", KeyTy::Ref(DeclKind::Role)),
];
const RULE: &[KeySpec] = &[
    key("applies", KeyTy::Kind),
    key("owner", KeyTy::Ref(DeclKind::Role)),
    repeated("when", KeyTy::Cond),
    repeated("require", KeyTy::Cond),
    key("message", KeyTy::Message),
    key("cite", KeyTy::Str),
    key("weight", KeyTy::Num),
    key("section", KeyTy::Word(WordSet::Section)),
];
pub const POLICY: &[KeySpec] = &[key("version", KeyTy::Str), key("description", KeyTy::Str)];

pub fn keys(kind: BlockKind) -> &'static [KeySpec] {
    match kind {
        BlockKind::Role => ROLE,
        BlockKind::Committee => COMMITTEE,
        BlockKind::System => SYSTEM,
        BlockKind::Data => DATA,
        BlockKind::Tier => TIER,
        BlockKind::Waiver => WAIVER,
        BlockKind::Metric => METRIC,
        BlockKind::Test => TEST,
        BlockKind::Requirements | BlockKind::Gate => GROUP,
        BlockKind::Rule(_) => RULE,
    }
}

/// The fields a declaration has as a value, with their types.
pub fn decl_fields(kind: DeclKind) -> Vec<(&'static str, Ty)> {
    let mut fields: Vec<(&'static str, Ty)> = vec![("name", Ty::Str), ("title", Ty::Str)];
    let table: &[KeySpec] = match kind {
        DeclKind::Role => ROLE,
        DeclKind::Committee => COMMITTEE,
        DeclKind::System => SYSTEM,
        DeclKind::Data => DATA,
        DeclKind::Tier => TIER,
        DeclKind::Metric => {
            fields.push(("target", Ty::Num));
            METRIC
        }
        DeclKind::Waiver => WAIVER,
        DeclKind::Rule => {
            fields.extend([
                ("id", Ty::Str),
                ("level", Ty::Str),
                ("group", Ty::Str),
                ("applies", Ty::Str),
                ("owner", Ty::Decl(DeclKind::Role)),
                ("section", Ty::Word(WordSet::Section)),
                ("weight", Ty::Num),
                ("cite", Ty::Str),
            ]);
            return fields;
        }
    };
    fields.extend(table.iter().map(|k| (k.key, k.ty.value_ty())));
    fields
}

pub fn decl_kind(kind: BlockKind) -> Option<DeclKind> {
    Some(match kind {
        BlockKind::Role => DeclKind::Role,
        BlockKind::Committee => DeclKind::Committee,
        BlockKind::System => DeclKind::System,
        BlockKind::Data => DeclKind::Data,
        BlockKind::Tier => DeclKind::Tier,
        BlockKind::Waiver => DeclKind::Waiver,
        BlockKind::Metric => DeclKind::Metric,
        BlockKind::Rule(_) => DeclKind::Rule,
        _ => return None,
    })
}

/// Every word that can start a declaration or an entry: what a misspelled
/// word at the start of a line was probably meant to be.
pub fn all_words() -> Vec<&'static str> {
    let mut words: Vec<&'static str> = crate::syntax::DECLARATION_KEYWORDS.to_vec();
    words.extend_from_slice(crate::syntax::ENTRY_KEYWORDS);
    for table in [
        ROLE, COMMITTEE, SYSTEM, DATA, TIER, METRIC, WAIVER, TEST, GROUP, RULE, POLICY,
    ] {
        for spec in table {
            if !words.contains(&spec.key) {
                words.push(spec.key);
            }
        }
    }
    words
}
