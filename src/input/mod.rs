//! Documents: YAML and JSON read into [`Node`] trees that keep the place of
//! every key and value. Loading never panics and is bounded by [`crate::limits`].

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod json;
mod yaml;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceMap, Span};

/// A value of a document, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    /// The value itself.
    pub span: Span,
    /// The key, when the node is the value of a mapping entry.
    pub key: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Converted from a string by a `date` schema field: days since 1970-01-01.
    Date(i32),
    /// Converted from a string by a `duration` schema field: minutes.
    Dur(i64),
    List(Vec<Node>),
    Map(IndexMap<String, Node>),
}

impl Node {
    /// Where a result about this node points: a field's key, a list element's value.
    pub fn loc(&self) -> Span {
        self.key.unwrap_or(self.span)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(m) => m.get(key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "bool",
            NodeValue::Num(_) => "number",
            NodeValue::Str(_) => "string",
            NodeValue::Date(_) => "date",
            NodeValue::Dur(_) => "duration",
            NodeValue::List(_) => "list",
            NodeValue::Map(_) => "mapping",
        }
    }
}

/// One document read from a file (a YAML file may hold several).
pub struct Document {
    pub file: FileId,
    pub root: Node,
}

/// Which parser reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// By extension; standard input is sniffed by its first character.
    pub fn guess(name: &str, text: &str) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else if text.trim_start().starts_with(['{', '[']) {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// Reads the documents of a file already added to `sources`. Errors are
/// returned with the documents that could be read before them.
pub fn load(sources: &SourceMap, file: FileId, format: Format) -> (Vec<Document>, Vec<Diagnostic>) {
    let text = sources.text(file);
    if text.len() > crate::limits::MAX_DOCUMENT_BYTES {
        return (
            Vec::new(),
            vec![Diagnostic::error(
                "A311",
                format!(
                    "the file is {} MB, more than the limit of {} MB",
                    text.len() / 1_000_000,
                    crate::limits::MAX_DOCUMENT_BYTES / 1_000_000
                ),
            )
            .at(Span::new(file, 0..0), "file starts here")],
        );
    }
    match format {
        Format::Json => json::load(file, text),
        Format::Yaml => yaml::load(file, text),
    }
}
