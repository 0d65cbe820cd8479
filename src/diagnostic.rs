//! The one diagnostic type. Parsing, checking and loading produce these; the
//! renderers in `report/` turn them into text, JSON and the rest.

use crate::source::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// A stable code from `docs/diagnostics.md`.
    pub code: &'static str,
    pub severity: Severity,
    /// One line: lowercase, no final period, identifiers in backticks.
    pub message: String,
    pub labels: Vec<Label>,
    /// Help and explanations, each shown on its own line.
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// The main place of the diagnostic.
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// A further place that explains it.
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        if span != Span::Synthetic {
            self.labels.push(Label {
                span,
                message: message.into(),
                primary: false,
            });
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Adds "did you mean" help when a suggestion exists.
    pub fn suggest(self, suggestion: Option<&str>) -> Diagnostic {
        match suggestion {
            Some(s) => self.note(format!("help: did you mean `{s}`?")),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, or the first label's.
    pub fn primary_span(&self) -> Span {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
            .unwrap_or(Span::Synthetic)
    }

    /// File, line and column of the primary span, for machine output.
    pub fn location<'a>(&self, sources: &'a SourceMap) -> Option<(&'a str, usize, usize)> {
        sources.location(self.primary_span())
    }
}
