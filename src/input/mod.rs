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
mod yaml_fast;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
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
    /// Shared: equal short strings of a document are one allocation.
    Str(Text),
    /// Converted from a string by a `date` schema field: days since 1970-01-01.
    Date(i32),
    /// Converted from a string by a `duration` schema field: minutes.
    Dur(i64),
    List(Box<[Node]>),
    Map(Fields),
}

/// Text of a document: keys and short strings are interned while loading, so
/// a manifest of a million flows holds one copy of each system's name.
pub type Text = Arc<str>;

/// Maps of this many entries or more get a hash index; smaller ones (nearly
/// every mapping a document has) are searched in order, which is faster.
const INDEXED_FROM: usize = 12;

/// The entries of a mapping in document order, keys unique.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    entries: Box<[(Text, Node)]>,
    // Boxed so that the many small maps without an index stay one word smaller.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Text, u32, FxBuildHasher>>>,
}

impl PartialEq for Fields {
    fn eq(&self, other: &Fields) -> bool {
        self.entries == other.entries
    }
}

impl Fields {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).map(|&i| i as usize),
            None => self.entries.iter().position(|(k, _)| same_key(k, key)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        let i = self.position(key)?;
        self.entries.get(i).map(|(_, node)| node)
    }

    /// The entry of `key`, with the key as the mapping holds it.
    pub fn entry_named(&self, key: &str) -> Option<(&Text, &Node)> {
        let i = self.position(key)?;
        self.entries.get(i).map(|(k, n)| (k, n))
    }

    /// The value of the key whose text is at `address`: for a reader that
    /// knows how the document's interned keys are held. Small mappings only;
    /// large ones are indexed by text anyway.
    #[inline]
    pub fn find_by_address(&self, address: usize) -> Option<&Node> {
        if self.index.is_some() {
            return None;
        }
        self.entries
            .iter()
            .find(|(k, _)| k.as_ptr() as usize == address)
            .map(|(_, n)| n)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        let i = self.position(key)?;
        self.entries.get_mut(i).map(|(_, node)| node)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Text, &Node)> {
        self.entries.iter().map(|(k, n)| (k, n))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Text, &mut Node)> {
        self.entries.iter_mut().map(|(k, n)| (&*k, n))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Text> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Node> {
        self.entries.iter().map(|(_, n)| n)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Keys of one mapping mostly differ in length or in their first letter:
/// looking at those first spares a call to compare the rest.
#[inline]
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// The entries of the mappings being read, inner mappings' above their
/// parents': one buffer for a whole document, where a vector per mapping
/// would grow, shrink and be copied thousands of times.
#[derive(Default)]
pub struct EntryStack {
    entries: Vec<(Text, Node)>,
}

/// A mapping being read on an [`EntryStack`].
#[derive(Default)]
pub struct OpenMap {
    base: usize,
    index: Option<HashMap<Text, u32, FxBuildHasher>>,
}

impl EntryStack {
    pub fn open(&self) -> OpenMap {
        OpenMap {
            base: self.entries.len(),
            index: None,
        }
    }

    /// Adds an entry; a key given before is refused with the first entry's node.
    pub fn insert(&mut self, map: &mut OpenMap, key: Text, node: Node) -> Result<(), &Node> {
        let own = self.entries.get(map.base..).unwrap_or_default();
        let found = match &map.index {
            Some(index) => index.get(&*key).map(|&i| i as usize),
            None => own.iter().position(|(k, _)| *k == key),
        };
        if let Some(i) = found {
            return match self.entries.get(map.base + i) {
                Some((_, first)) => Err(first),
                None => Ok(()),
            };
        }
        let position = own.len() as u32;
        if let Some(index) = &mut map.index {
            index.insert(key.clone(), position);
        } else if own.len() + 1 >= INDEXED_FROM {
            let mut index: HashMap<Text, u32, FxBuildHasher> = HashMap::default();
            for (i, (k, _)) in own.iter().enumerate() {
                index.insert(k.clone(), i as u32);
            }
            index.insert(key.clone(), position);
            map.index = Some(index);
        }
        self.entries.push((key, node));
        Ok(())
    }

    /// The mapping's entries, taken off the stack.
    pub fn close(&mut self, map: OpenMap) -> Fields {
        let base = map.base.min(self.entries.len());
        Fields {
            entries: self.entries.drain(base..).collect(),
            index: map.index.map(Box::new),
        }
    }
}

/// Collects one mapping's entries while it is read: an [`EntryStack`] of
/// its own.
#[derive(Default)]
pub struct FieldsBuilder {
    stack: EntryStack,
    map: OpenMap,
}

impl FieldsBuilder {
    /// Adds an entry; a key given before is refused with the first entry's node.
    pub fn insert(&mut self, key: Text, node: Node) -> Result<(), &Node> {
        self.stack.insert(&mut self.map, key, node)
    }

    pub fn finish(mut self) -> Fields {
        self.stack.close(self.map)
    }
}

/// Shares the text of keys and short strings across one document's nodes.
pub struct Interner {
    seen: HashSet<Text, FxBuildHasher>,
}

thread_local! {
    /// The table of the thread's last document, emptied: a check of
    /// thousands of small documents would otherwise grow a table from
    /// nothing, rehashing it, for each one.
    static SPARE_TABLE: std::cell::RefCell<Option<HashSet<Text, FxBuildHasher>>> =
        const { std::cell::RefCell::new(None) };
}

/// A table kept for the next document holds at most this many strings.
const SPARE_TABLE_MAX: usize = 4096;

impl Default for Interner {
    fn default() -> Interner {
        let seen = SPARE_TABLE
            .try_with(|spare| spare.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_default();
        Interner { seen }
    }
}

impl Drop for Interner {
    fn drop(&mut self) {
        let mut seen = std::mem::take(&mut self.seen);
        if seen.capacity() <= SPARE_TABLE_MAX {
            // Emptied: the strings belong to the document, not the table.
            seen.clear();
            let _ = SPARE_TABLE.try_with(|spare| *spare.borrow_mut() = Some(seen));
        }
    }
}

/// Strings up to this long are shared by all the nodes of a document that
/// hold them; longer ones, rarely repeated, are stored as they come.
pub const SHARED_UP_TO: usize = 48;

impl Interner {
    const LONGEST: usize = SHARED_UP_TO;

    pub fn text(&mut self, s: &str) -> Text {
        if s.len() > Self::LONGEST {
            return Text::from(s);
        }
        if let Some(t) = self.seen.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.seen.insert(t.clone());
        t
    }
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
    load_limited(sources, file, format, &Limits::default())
}

/// [`load`] within the given limits.
pub fn load_limited(
    sources: &SourceMap,
    file: FileId,
    format: Format,
    limits: &Limits,
) -> (Vec<Document>, Vec<Diagnostic>) {
    let text = sources.text(file);
    if text.len() > limits.document_bytes {
        return (
            Vec::new(),
            vec![too_large(text.len(), limits).at(Span::new(file, 0..0), "file starts here")],
        );
    }
    match format {
        Format::Json => json::load(file, text, limits),
        Format::Yaml => yaml::load(file, text, limits),
    }
}

/// The error for a document file over the size limit.
pub fn too_large(bytes: usize, limits: &Limits) -> Diagnostic {
    Diagnostic::error(
        "A311",
        format!(
            "the file is {} MB, more than the limit of {} MB",
            bytes.div_ceil(1_000_000),
            limits.document_bytes / 1_000_000
        ),
    )
    .note("help: raise the limit with `--max-document-mb`")
}
