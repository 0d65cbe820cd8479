//! The editor features, in plain terms: paths and byte offsets. The `accord`
//! crate implements [`Analysis`] (in its `ide` module); this crate turns it
//! into the Language Server Protocol. No URI, UTF-16 position or async code
//! crosses this boundary.

use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub path: PathBuf,
    pub range: Range<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diag {
    pub range: Range<usize>,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub range: Range<usize>,
    pub new_text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Declaration,
    Field,
    Function,
    Variable,
    Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Policy,
    Role,
    Committee,
    System,
    Data,
    Tier,
    Metric,
    Waiver,
    Test,
    Group,
    Rule,
    Function,
    Schema,
    Field,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole declaration.
    pub range: Range<usize>,
    /// Its name.
    pub selection: Range<usize>,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    /// A declaration's name, or a use of one.
    Type,
    Function,
    Variable,
    Property,
    String,
    Number,
    Comment,
    Operator,
}

impl TokenKind {
    pub const ALL: [TokenKind; 9] = [
        TokenKind::Keyword,
        TokenKind::Type,
        TokenKind::Function,
        TokenKind::Variable,
        TokenKind::Property,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Comment,
        TokenKind::Operator,
    ];
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub range: Range<usize>,
    pub kind: TokenKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<FileEdit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub offset: usize,
    pub label: String,
}

/// Everything an editor asks about a workspace of policies and documents.
/// Implementations keep per-version caches: a request after no change costs
/// a lookup, not an analysis.
pub trait Analysis: Send + 'static {
    /// The workspace folders (policy files on disk under them are part of the set).
    fn set_roots(&mut self, roots: Vec<PathBuf>);
    /// A file opened or changed in the editor (its whole text).
    fn open(&mut self, path: &Path, text: String);
    /// A file closed in the editor (its disk content counts again).
    fn close(&mut self, path: &Path);
    /// The text of a file as the analysis sees it (open buffer, disk, or an
    /// embedded standard library module, whose path starts with `<`).
    fn text(&self, path: &Path) -> Option<String>;
    /// Diagnostics to publish: every file that has or had some.
    fn diagnostics(&mut self) -> Vec<(PathBuf, Vec<Diag>)>;
    fn hover(&mut self, path: &Path, offset: usize) -> Option<String>;
    fn definition(&mut self, path: &Path, offset: usize) -> Vec<FileRange>;
    fn references(
        &mut self,
        path: &Path,
        offset: usize,
        include_declaration: bool,
    ) -> Vec<FileRange>;
    fn rename(
        &mut self,
        path: &Path,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<FileEdit>, String>;
    fn completion(&mut self, path: &Path, offset: usize) -> Vec<Completion>;
    fn document_symbols(&mut self, path: &Path) -> Vec<Symbol>;
    fn workspace_symbols(&mut self, query: &str) -> Vec<(PathBuf, Symbol)>;
    /// The formatted text, or `None` when the file does not parse.
    fn format(&mut self, path: &Path) -> Option<String>;
    fn semantic_tokens(&mut self, path: &Path) -> Vec<Token>;
    fn code_actions(&mut self, path: &Path, range: Range<usize>) -> Vec<Fix>;
    fn inlay_hints(&mut self, path: &Path) -> Vec<Hint>;
    fn folding(&mut self, path: &Path) -> Vec<Range<usize>>;
}
