//! The abstract syntax tree. Every node carries the span it was parsed from.

use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// One parsed policy file.
#[derive(Clone, Debug, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Policy(PolicyDecl),
    Import(Import),
    Fn(FnDecl),
    Schema(SchemaDecl),
    Block(Block),
}

/// `policy acme.hr_ai "Title" { ... }`
#[derive(Clone, Debug)]
pub struct PolicyDecl {
    pub name: Name,
    pub title: Option<Name>,
    pub entries: Vec<Entry>,
    pub span: Span,
}

/// `import std.vendor`
#[derive(Clone, Debug)]
pub struct Import {
    pub module: Name,
    pub span: Span,
}

/// `fn name(params) = body`
#[derive(Clone, Debug)]
pub struct FnDecl {
    pub name: Name,
    pub params: Vec<Name>,
    pub body: Expr,
    pub doc: Option<String>,
    pub span: Span,
}

/// `schema KIND { ... }`
#[derive(Clone, Debug)]
pub struct SchemaDecl {
    pub name: Name,
    pub fields: Vec<SchemaField>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct SchemaField {
    pub name: Name,
    pub optional: bool,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Named(Name),
    List(Box<TypeExpr>, Span),
    Map(Box<TypeExpr>, Span),
    Record(Vec<SchemaField>, Span),
    RecordList(Vec<SchemaField>, Span),
}

/// The kinds of declarations that share the block shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Role,
    Committee,
    System,
    Data,
    Tier,
    Waiver,
    Metric,
    Test,
    Requirements,
    Gate,
    Rule(Level),
}

impl BlockKind {
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Role => "role",
            BlockKind::Committee => "committee",
            BlockKind::System => "system",
            BlockKind::Data => "data",
            BlockKind::Tier => "tier",
            BlockKind::Waiver => "waiver",
            BlockKind::Metric => "metric",
            BlockKind::Test => "test",
            BlockKind::Requirements => "requirements",
            BlockKind::Gate => "gate",
            BlockKind::Rule(level) => level.word(),
        }
    }

    pub fn from_keyword(word: &str) -> Option<BlockKind> {
        Some(match word {
            "role" => BlockKind::Role,
            "committee" => BlockKind::Committee,
            "system" => BlockKind::System,
            "data" => BlockKind::Data,
            "tier" => BlockKind::Tier,
            "waiver" => BlockKind::Waiver,
            "metric" => BlockKind::Metric,
            "test" => BlockKind::Test,
            "requirements" => BlockKind::Requirements,
            "gate" => BlockKind::Gate,
            "must" => BlockKind::Rule(Level::Must),
            "should" => BlockKind::Rule(Level::Should),
            "may" => BlockKind::Rule(Level::May),
            _ => return None,
        })
    }
}

/// The RFC 2119 level of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// `KIND NAME ["TITLE"] { ENTRY* }`
#[derive(Clone, Debug)]
pub struct Block {
    pub kind: BlockKind,
    pub keyword_span: Span,
    pub name: Name,
    pub title: Option<Name>,
    pub entries: Vec<Entry>,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Entry {
    /// `KEY VALUE`
    Key { key: Name, value: Expr },
    /// `each x in EXPR`
    Each { var: Name, list: Expr, span: Span },
    /// `let x = EXPR`
    Let { var: Name, value: Expr, span: Span },
    /// `expect WHAT ARG`
    Expect { what: Name, arg: Name, span: Span },
    /// `target OP EXPR`
    Target {
        op: BinOp,
        op_span: Span,
        value: Expr,
        span: Span,
    },
    /// A nested rule.
    Rule(Block),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Key { key, value } => key.span.to(value.span),
            Entry::Each { span, .. }
            | Entry::Let { span, .. }
            | Entry::Expect { span, .. }
            | Entry::Target { span, .. } => *span,
            Entry::Rule(block) => block.span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Bool(bool),
    Number(f64),
    /// Minutes.
    Duration(i64),
    /// Days since 1970-01-01.
    Date(i32),
    Str(Vec<StrPart>),
    List(Vec<Expr>),
    Comprehension {
        element: Box<Expr>,
        var: Name,
        list: Box<Expr>,
        filter: Option<Box<Expr>>,
    },
    Name(Name),
    Field(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Call(Name, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Quantifier(Quantifier, Name, Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
    /// A literal that did not read (already reported): checks as nothing.
    Invalid,
}

#[derive(Clone, Debug)]
pub enum StrPart {
    Text(String),
    Interpolation(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Matches,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Matches => "matches",
            BinOp::Coalesce => "??",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn is_ordering(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    All,
    Any,
    None,
    Count,
}

impl Quantifier {
    pub fn word(self) -> &'static str {
        match self {
            Quantifier::All => "all",
            Quantifier::Any => "any",
            Quantifier::None => "none",
            Quantifier::Count => "count",
        }
    }
}
