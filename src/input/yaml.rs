//! A YAML reader on saphyr-parser's events, which carry positions. Scalars are
//! resolved with the YAML 1.2 core schema: `yes`, `no` and `on` are strings.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use super::{Document, FieldsBuilder, Interner, Node, NodeValue, Text};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{FileId, Span};

/// saphyr counts characters; spans are bytes. Markers arrive nearly in
/// order, so a cursor that walks from the last position is cheap.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    char_pos: usize,
    byte_pos: usize,
}

impl Offsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        if char_index < self.char_pos / 2 {
            self.char_pos = 0;
            self.byte_pos = 0;
        }
        while self.char_pos < char_index {
            match self.text[self.byte_pos..].chars().next() {
                Some(c) => {
                    self.byte_pos += c.len_utf8();
                    self.char_pos += 1;
                }
                None => break,
            }
        }
        while self.char_pos > char_index && self.byte_pos > 0 {
            self.byte_pos -= 1;
            while !self.text.is_char_boundary(self.byte_pos) {
                self.byte_pos -= 1;
            }
            self.char_pos -= 1;
        }
        self.byte_pos
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
    },
    Map {
        map: FieldsBuilder,
        start: usize,
        anchor: usize,
        key: Option<(Text, Span)>,
    },
}

struct Builder<'t> {
    file: FileId,
    offsets: Offsets<'t>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    expanded: usize,
    root: Option<Node>,
    problems: Vec<Diagnostic>,
    interner: Interner,
    limits: Limits,
}

pub fn load(file: FileId, text: &str, limits: &Limits) -> (Vec<Document>, Vec<Diagnostic>) {
    // Most documents are simple YAML, which the fast path reads about three
    // times faster; it gives up on anything else, and on any error, so that
    // every diagnostic comes from the events below.
    if let Some(documents) = super::yaml_fast::load(file, text, limits) {
        return (documents, Vec::new());
    }
    load_events(file, text, limits)
}

/// [`load`] on saphyr's events, without the fast path.
pub(super) fn load_events(
    file: FileId,
    text: &str,
    limits: &Limits,
) -> (Vec<Document>, Vec<Diagnostic>) {
    let mut builder = Builder {
        file,
        offsets: Offsets {
            text,
            ascii: text.is_ascii(),
            char_pos: 0,
            byte_pos: 0,
        },
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        root: None,
        problems: Vec::new(),
        interner: Interner::default(),
        limits: *limits,
    };
    let mut documents = Vec::new();
    let max_depth = limits.document_depth;
    let parser = Parser::new_from_str(text);
    for event in parser {
        match event {
            Err(e) => {
                let at = builder.offsets.byte(e.marker().index());
                let d = if e.info().contains("recursion limit") {
                    Diagnostic::error(
                        "A311",
                        format!("the document nests more than {max_depth} levels deep"),
                    )
                    .at(Span::new(file, at..at), "too deep from here on")
                    .note("help: raise the limit with `--max-depth`")
                } else {
                    Diagnostic::error("A301", format!("malformed YAML: {}", e.info()))
                        .at(Span::new(file, at..at), "here")
                };
                builder.problems.push(d);
                return (documents, builder.problems);
            }
            Ok((event, span)) => match builder.event(event, span) {
                // An empty document (a file ending in `---`) holds nothing to check.
                Ok(Some(root)) if root.value == NodeValue::Null => {}
                Ok(Some(root)) => documents.push(Document { file, root }),
                Ok(None) => {}
                Err(fatal) => {
                    builder.problems.push(*fatal);
                    return (documents, builder.problems);
                }
            },
        }
    }
    (documents, builder.problems)
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        NodeValue::List(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeValue::Map(map) => 1 + map.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

impl Builder<'_> {
    fn span(&mut self, span: YamlSpan) -> Span {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index()).max(start);
        Span::new(self.file, start..end)
    }

    /// Handles one event; returns a finished document's root.
    fn event(
        &mut self,
        event: Event<'_>,
        yspan: YamlSpan,
    ) -> Result<Option<Node>, Box<Diagnostic>> {
        match event {
            Event::DocumentStart(_) => {
                self.root = None;
                self.stack.clear();
                self.anchors.clear();
                self.expanded = 0;
                Ok(None)
            }
            Event::DocumentEnd => Ok(self.root.take()),
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.span(yspan);
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    *key = Some((self.interner.text(&value), span));
                    return Ok(None);
                }
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let node = Node {
                    value: resolve(&value, style, tag.as_deref(), &mut self.interner),
                    span,
                    key: None,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
                Ok(None)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.expect_value_position(yspan)?;
                if self.stack.len() >= self.limits.document_depth {
                    let span = self.span(yspan);
                    return Err(Box::new(
                        Diagnostic::error(
                            "A311",
                            format!(
                                "the document nests more than {} levels deep",
                                self.limits.document_depth
                            ),
                        )
                        .at(span, "too deep from here on")
                        .note("help: raise the limit with `--max-depth`"),
                    ));
                }
                let start = self.offsets.byte(yspan.start.index());
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        start,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        map: FieldsBuilder::default(),
                        start,
                        anchor,
                        key: None,
                    }
                };
                self.stack.push(frame);
                Ok(None)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = self.offsets.byte(yspan.end.index());
                let Some(frame) = self.stack.pop() else {
                    return Ok(None);
                };
                let (value, start, anchor) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    } => (NodeValue::List(items.into_boxed_slice()), start, anchor),
                    Frame::Map {
                        map, start, anchor, ..
                    } => (NodeValue::Map(map.finish()), start, anchor),
                };
                let node = Node {
                    value,
                    span: Span::new(self.file, start..end.max(start)),
                    key: None,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.add(node)?;
                Ok(None)
            }
            Event::Alias(id) => {
                let span = self.span(yspan);
                let Some(target) = self.anchors.get(&id) else {
                    return Err(Box::new(
                        Diagnostic::error("A301", "malformed YAML: unknown alias")
                            .at(span, "no anchor"),
                    ));
                };
                self.expanded += count_nodes(target);
                if self.expanded > self.limits.alias_nodes {
                    return Err(Box::new(
                        Diagnostic::error(
                            "A311",
                            format!("aliases expand the document to more than {} nodes", self.limits.alias_nodes),
                        )
                        .at(span, "expansion stopped here")
                        .note("a document that references anchors this often is refused (it looks like a \"billion laughs\" bomb)"),
                    ));
                }
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    let text = match &target.value {
                        NodeValue::Str(t) => Some(t.clone()),
                        _ => None,
                    };
                    return match text {
                        Some(t) => {
                            *key = Some((t, span));
                            Ok(None)
                        }
                        None => Err(Box::new(
                            Diagnostic::error("A301", "a mapping key must be a string")
                                .at(span, "not a string key"),
                        )),
                    };
                }
                let mut node = target.clone();
                node.span = span;
                self.add(node)?;
                Ok(None)
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(None),
        }
    }

    /// A collection cannot be a mapping key here.
    fn expect_value_position(&mut self, yspan: YamlSpan) -> Result<(), Box<Diagnostic>> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            let span = self.span(yspan);
            return Err(Box::new(
                Diagnostic::error("A301", "a mapping key must be a string")
                    .at(span, "a list or mapping used as a key"),
            ));
        }
        Ok(())
    }

    fn add(&mut self, mut node: Node) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { map, key, .. }) => {
                let Some((k, key_span)) = key.take() else {
                    return Ok(());
                };
                node.key = Some(key_span);
                if let Err(first) = map.insert(k.clone(), node) {
                    self.problems.push(
                        Diagnostic::error("A307", format!("duplicate key `{k}`"))
                            .at(key_span, "given again here")
                            .also(first.loc(), "first given here"),
                    );
                }
            }
        }
        Ok(())
    }
}

/// The YAML 1.2 core schema for plain scalars; quoted scalars are strings.
pub(super) fn resolve(
    value: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    interner: &mut Interner,
) -> NodeValue {
    let text = value;
    match tag {
        Some("!!str") | Some("tag:yaml.org,2002:str") => {
            return NodeValue::Str(interner.text(text))
        }
        Some("!!null") => return NodeValue::Null,
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return NodeValue::Str(interner.text(text));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return NodeValue::Str(interner.text(text)),
        _ => {}
    }
    if let Some(n) = core_number(text) {
        return NodeValue::Num(n);
    }
    NodeValue::Str(interner.text(text))
}

fn core_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(|n| n as f64);
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while bytes.get(i).is_some_and(|b| b.is_ascii_digit()) {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while bytes.get(i).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while bytes.get(i).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;
    use crate::source::SourceMap;

    #[test]
    fn spans_of_block_mappings() {
        let mut sources = SourceMap::new();
        let text = "kind: q\nid: X\nvendor:\n  name: A\n";
        let file = sources.add("t.yaml", text);
        let (docs, problems) = load(file, text, &Limits::default());
        assert!(problems.is_empty());
        let root = &docs[0].root;
        assert_eq!(root.span.range(), Some(0..text.len()));
        let vendor = root.get("vendor").unwrap();
        assert_eq!(sources.location(vendor.loc()), Some(("t.yaml", 3, 1)));
        assert_eq!(
            sources.location(vendor.get("name").unwrap().loc()),
            Some(("t.yaml", 4, 3))
        );
    }
}
