//! Checked expressions: names resolved to slots and declarations, paths
//! checked against schemas. The evaluator runs these and never looks a name up.

use std::sync::Arc;

use super::model::{Const, DeclId, DeclKind};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Quantifier};

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Len,
    Lower,
    Upper,
    StartsWith,
    EndsWith,
    Today,
    Date,
    Sum,
    Min,
    Max,
    Exists,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin, usize); 11] = [
        ("len", Builtin::Len, 1),
        ("lower", Builtin::Lower, 1),
        ("upper", Builtin::Upper, 1),
        ("starts_with", Builtin::StartsWith, 2),
        ("ends_with", Builtin::EndsWith, 2),
        ("today", Builtin::Today, 0),
        ("date", Builtin::Date, 1),
        ("sum", Builtin::Sum, 1),
        ("min", Builtin::Min, 1),
        ("max", Builtin::Max, 1),
        ("exists", Builtin::Exists, 1),
    ];

    pub fn lookup(name: &str) -> Option<(Builtin, usize)> {
        Builtin::ALL
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, b, arity)| (*b, *arity))
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Const),
    /// An interpolated string.
    Interp(Vec<InterpPart>),
    List(Vec<Expr>),
    Local(usize),
    Input,
    Collection(DeclKind),
    Decl(DeclId),
    /// `base.name`. `path` is the source text up to here, for messages about
    /// missing values; `path_end` marks the outermost step of a path, where
    /// the read is recorded for result locations.
    Field {
        base: Box<Expr>,
        name: Arc<str>,
        /// The name's number in the set's [`FieldKeys`](super::model::FieldKeys).
        key: u32,
        path: Arc<str>,
        path_end: bool,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
        path: Arc<str>,
        path_end: bool,
    },
    /// A document string that names a declaration of this kind.
    AsDecl(DeclKind, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Matches(Box<Expr>, Arc<regex::Regex>),
    MatchesDynamic(Box<Expr>, Box<Expr>),
    Quantifier {
        q: Quantifier,
        slot: usize,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    Comprehension {
        slot: usize,
        list: Box<Expr>,
        element: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Builtin(Builtin, Vec<Expr>),
    CallFn {
        instance: usize,
        args: Vec<Expr>,
    },
    /// `body` reads one document value, `read`, and otherwise only
    /// constants and declarations: its definite answers are kept by that
    /// value (see `check/memo.rs`). Made after checking.
    Memo {
        /// Unique in the set.
        id: u32,
        read: Box<Expr>,
        body: Box<Expr>,
    },
    /// Something that did not check; never evaluated (the set has errors).
    Error,
}

#[derive(Clone, Debug)]
pub enum InterpPart {
    Text(String),
    Expr(Expr),
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}
