//! Static types of expressions, as far as the checker can know them.

use super::model::{DeclKind, FieldTy, RecordId};
use super::words::WordSet;

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// Not known statically: every operation is allowed.
    Any,
    Bool,
    Num,
    Str,
    Date,
    Dur,
    List(Box<Ty>),
    Map(Box<Ty>),
    Record(RecordId),
    Decl(DeclKind),
    /// A document string naming a declaration of this kind.
    DeclName(DeclKind),
    Collection(DeclKind),
    Word(WordSet),
    /// `input` of an `applies policy` rule.
    PolicyInput,
}

impl Ty {
    pub fn from_field(ty: &FieldTy) -> Ty {
        match ty {
            FieldTy::String => Ty::Str,
            FieldTy::Int | FieldTy::Number => Ty::Num,
            FieldTy::Bool => Ty::Bool,
            FieldTy::Date => Ty::Date,
            FieldTy::Duration => Ty::Dur,
            FieldTy::List(t) => Ty::List(Box::new(Ty::from_field(t))),
            FieldTy::Map(t) => Ty::Map(Box::new(Ty::from_field(t))),
            FieldTy::Record(id) => Ty::Record(*id),
            FieldTy::DeclRef(k) => Ty::DeclName(*k),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Ty::Any => "any value".into(),
            Ty::Bool => "bool".into(),
            Ty::Num => "number".into(),
            Ty::Str => "string".into(),
            Ty::Date => "date".into(),
            Ty::Dur => "duration".into(),
            Ty::List(t) => format!("[{}]", t.describe()),
            Ty::Map(t) => format!("map({})", t.describe()),
            Ty::Record(_) => "record".into(),
            Ty::Decl(k) => k.word().into(),
            Ty::DeclName(k) => format!("{} name", k.word()),
            Ty::Collection(k) => format!("collection `{}`", k.collection()),
            Ty::Word(w) => w.describe().into(),
            Ty::PolicyInput => "policy set".into(),
        }
    }

    /// Can this be a string at run time?
    pub fn stringy(&self) -> bool {
        matches!(
            self,
            Ty::Any | Ty::Str | Ty::DeclName(_) | Ty::Word(_) | Ty::Decl(_)
        )
    }

    pub fn is_list_like(&self) -> bool {
        matches!(self, Ty::Any | Ty::List(_) | Ty::Collection(_))
    }

    /// The type of the elements when iterated.
    pub fn element(&self) -> Option<Ty> {
        match self {
            Ty::Any => Some(Ty::Any),
            Ty::List(t) => Some((**t).clone()),
            Ty::Collection(k) => Some(Ty::Decl(*k)),
            _ => None,
        }
    }

    pub fn definitely_not_bool(&self) -> bool {
        !matches!(self, Ty::Any | Ty::Bool)
    }
}
