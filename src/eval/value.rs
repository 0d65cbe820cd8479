//! Run-time values. Document values are borrowed nodes, never copied.

use std::rc::Rc;

use crate::check::model::{Const, DeclId, DeclKind, PolicySet};
use crate::check::words::WordSet;
use crate::input::{Node, NodeValue};
use crate::source::Span;

/// Why a value is missing: the absent path, and where it was expected (its
/// nearest present parent in the document, or `Synthetic` if not a document's).
#[derive(Debug)]
pub struct Missing {
    /// The absent path, or (when `computed`) why the value is undefined.
    pub path: Rc<str>,
    pub at: Span,
    /// Undefined by a computation (division by zero, `min` of nothing), not
    /// by an absent answer.
    pub computed: bool,
}

#[derive(Clone, Debug)]
pub enum Value<'a> {
    Missing(Rc<Missing>),
    Bool(bool),
    Num(f64),
    Str(Text<'a>),
    Date(i32),
    Dur(i64),
    Word(WordSet, u8),
    List(Items<'a>),
    Node(&'a Node),
    /// A declaration; `origin` is the document value that named it, if any.
    Decl(DeclId, Span),
    Collection(DeclKind),
    PolicyInput,
}

/// A string value: made while evaluating, or one of the policy's own
/// (borrowed: a constant costs nothing to evaluate).
#[derive(Clone, Debug)]
pub enum Text<'a> {
    Made(Rc<str>),
    Policy(&'a str),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Made(s) => s,
            Text::Policy(s) => s,
        }
    }
}

impl From<String> for Text<'_> {
    fn from(s: String) -> Self {
        Text::Made(Rc::from(s))
    }
}

/// A list value: made while evaluating, or a constant list of the policy
/// (its elements made into values only when they are read).
#[derive(Clone, Debug)]
pub enum Items<'a> {
    Made(Rc<Vec<Value<'a>>>),
    Policy(&'a [Const]),
}

impl<'a> Items<'a> {
    pub fn made(values: Vec<Value<'a>>) -> Items<'a> {
        Items::Made(Rc::new(values))
    }

    pub fn len(&self) -> usize {
        match self {
            Items::Made(v) => v.len(),
            Items::Policy(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        match self {
            Items::Made(v) => v.get(i).cloned(),
            Items::Policy(c) => c.get(i).map(Value::from_const),
        }
    }

    pub fn to_vec(&self) -> Vec<Value<'a>> {
        match self {
            Items::Made(v) => v.as_ref().clone(),
            Items::Policy(c) => c.iter().map(Value::from_const).collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl<'a> Value<'a> {
    pub fn missing(path: impl Into<Rc<str>>, at: Span) -> Value<'a> {
        Value::Missing(Rc::new(Missing {
            path: path.into(),
            at,
            computed: false,
        }))
    }

    /// A value no computation defines; `reason` reads as a sentence.
    pub fn undefined(reason: impl Into<Rc<str>>, at: Span) -> Value<'a> {
        Value::Missing(Rc::new(Missing {
            path: reason.into(),
            at,
            computed: true,
        }))
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }

    pub fn from_const(c: &'a Const) -> Value<'a> {
        match c {
            Const::Bool(b) => Value::Bool(*b),
            Const::Num(n) => Value::Num(*n),
            Const::Str(s) => Value::Str(Text::Policy(s)),
            Const::Date(d) => Value::Date(*d),
            Const::Dur(d) => Value::Dur(*d),
            Const::Word(set, i) => Value::Word(*set, *i),
            Const::Decl(id) => Value::Decl(*id, Span::Synthetic),
            Const::List(items) => Value::List(Items::Policy(items)),
        }
    }

    /// Scalars of a document node as plain values; collections stay nodes.
    pub fn scalar(&self) -> Value<'a> {
        match self {
            Value::Node(n) => match &n.value {
                NodeValue::Bool(b) => Value::Bool(*b),
                NodeValue::Num(x) => Value::Num(*x),
                NodeValue::Date(d) => Value::Date(*d),
                NodeValue::Dur(d) => Value::Dur(*d),
                _ => self.clone(),
            },
            _ => self.clone(),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Node(Node {
                value: NodeValue::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Node(Node {
                value: NodeValue::Num(n),
                ..
            }) => Some(*n),
            _ => None,
        }
    }

    /// The text of a string-like value: strings, words, declarations' names.
    pub fn as_text<'s>(&'s self, set: &'s PolicySet) -> Option<&'s str> {
        match self {
            Value::Str(s) => Some(&**s),
            Value::Node(Node {
                value: NodeValue::Str(s),
                ..
            }) => Some(s),
            Value::Word(set_, i) => Some(set_.word(*i)),
            Value::Decl(id, _) => set.decl(*id).map(|d| d.name.as_str()),
            _ => None,
        }
    }

    /// A document's location for this value, if it is a document's.
    pub fn location(&self) -> Option<Span> {
        match self {
            Value::Node(n) => Some(n.loc()),
            Value::Missing(m) if m.at != Span::Synthetic => Some(m.at),
            Value::Decl(_, origin) if *origin != Span::Synthetic => Some(*origin),
            _ => None,
        }
    }
}

/// Text of a value inside a message.
pub fn display(value: &Value<'_>, set: &PolicySet) -> String {
    match value {
        Value::Missing(_) => "(missing)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Num(n) => number(*n),
        Value::Str(s) => s.to_string(),
        Value::Date(d) => crate::time::format_date(*d),
        Value::Dur(d) => crate::time::format_duration(*d),
        Value::Word(set_, i) => set_.word(*i).into(),
        Value::Decl(id, _) => set.decl(*id).map(|d| d.name.clone()).unwrap_or_default(),
        Value::Collection(kind) => kind.collection().into(),
        Value::PolicyInput => "the policy set".into(),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| display(&v, set))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Node(n) => display_node(n),
    }
}

fn display_node(node: &Node) -> String {
    match &node.value {
        NodeValue::Null => "(missing)".into(),
        NodeValue::Bool(b) => b.to_string(),
        NodeValue::Num(n) => number(*n),
        NodeValue::Str(s) => s.to_string(),
        NodeValue::Date(d) => crate::time::format_date(*d),
        NodeValue::Dur(d) => crate::time::format_duration(*d),
        NodeValue::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(display_node)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        NodeValue::Map(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", display_node(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Numbers as people write them: no `.0` on whole numbers.
pub fn number(n: f64) -> String {
    let n = super::expr::tidy(n);
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
