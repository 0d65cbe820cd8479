//! A fast path for the YAML nearly every document is written in: block
//! mappings and sequences indented with spaces, scalars on one line, flow
//! collections on one line, comments. It reads the text directly instead of
//! going through saphyr's tokens and events, and builds the very trees
//! `yaml.rs` builds: the same values (the same scalar resolution), the same
//! spans (saphyr's, quirks included; they are noted where they show) and the
//! same interning.
//!
//! On anything else, and on anything wrong, it gives up (`None`) without a
//! word and `yaml.rs` reads the file: every diagnostic still comes from one
//! reader. The unit tests compare the two readers on many documents.

use std::borrow::Cow;

use saphyr_parser::ScalarStyle;

use super::yaml::resolve;
use super::{Document, FieldsBuilder, Interner, Node, NodeValue, Text};
use crate::limits::Limits;
use crate::source::{FileId, Span};

/// Nesting deeper than this is left to saphyr, which reports it against the
/// limit; it also bounds this reader's recursion.
const DEEPEST: usize = 64;

/// saphyr stops taking a block key as a key when its `:` comes more than 1024
/// characters after its start; longer keys are left to it. Bytes count at
/// least as many as characters, so this stays under its bound.
const LONGEST_KEY: usize = 1000;

/// Reads `text` when it is one simple YAML document (or none); `None` means
/// "read it with saphyr".
pub(super) fn load(file: FileId, text: &str, limits: &Limits) -> Option<Vec<Document>> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line_start: 0,
        file,
        interner: Interner::default(),
        max_depth: limits.document_depth.min(DEEPEST),
    };
    let markers = reader.check_characters()?;
    reader.frame_document(&markers)?;
    let (at, col) = reader.skip_to_content();
    if at >= reader.end() {
        return Some(Vec::new());
    }
    let root = reader.block_node(col, 0)?;
    // A bare scalar is a rare document; saphyr reads it.
    if !matches!(root.value, NodeValue::Map(_) | NodeValue::List(_)) {
        return None;
    }
    let (at, _) = reader.skip_to_content();
    if at < reader.end() {
        return None;
    }
    Some(vec![Document { file, root }])
}

/// A `---` or `...` line.
#[derive(Clone, Copy, PartialEq)]
enum Marker {
    Start(usize),
    End(usize),
}

/// A scalar as written: its text with escapes resolved, and where it is.
struct Scalar<'t> {
    value: Cow<'t, str>,
    style: ScalarStyle,
    start: usize,
    /// Past the last character of a plain scalar, past the closing quote of
    /// a quoted one.
    end: usize,
}

impl Scalar<'_> {
    fn quoted(&self) -> bool {
        self.style != ScalarStyle::Plain
    }
}

struct Reader<'t> {
    /// The text up to the end of the document: the end of the file or a
    /// `...` line.
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// The start of the line `pos` is on: columns count from here.
    line_start: usize,
    file: FileId,
    interner: Interner,
    max_depth: usize,
}

fn is_blank_or_eol(b: u8) -> bool {
    b == b' ' || b == b'\n'
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// A plain scalar in block context may end at this byte.
const BLOCK_STOP: u8 = 1;
/// A plain scalar in flow context may end at this byte.
const FLOW_STOP: u8 = 2;
/// [`Reader::check_characters`] must look at this byte.
const CHECK: u8 = 4;

/// What the scans that visit every byte must look at; the other bytes are
/// ordinary text.
const fn class_of(b: u8) -> u8 {
    match b {
        b'\n' => BLOCK_STOP | FLOW_STOP | CHECK,
        b' ' | b'#' | b':' => BLOCK_STOP | FLOW_STOP,
        b',' | b'[' | b']' | b'{' | b'}' | b'-' => FLOW_STOP,
        0..0x20 | 0x7f | 0xef | b'&' | b'*' | b'!' | b'|' | b'>' => CHECK,
        _ => 0,
    }
}

/// [`class_of`] as a table, for those scans: they are most of the work.
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    // Filled without indexing, which this module's lints forbid.
    let mut rest: &mut [u8] = &mut table;
    let mut b = 0u8;
    while let [slot, tail @ ..] = rest {
        *slot = class_of(b);
        rest = tail;
        b = b.wrapping_add(1);
    }
    table
};

fn class(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// Looks at the line starting at `i`: a directive gives up, a `---` or
/// `...` line is recorded.
fn check_line_start(bytes: &[u8], i: usize, markers: &mut Vec<Marker>) -> Option<()> {
    let indicator = bytes.get(i..i + 3);
    let separated = bytes.get(i + 3).is_none_or(|&c| is_blank_or_eol(c));
    if bytes.get(i) == Some(&b'%') {
        return None;
    } else if separated && indicator == Some(b"---") {
        markers.push(Marker::Start(i));
    } else if separated && indicator == Some(b"...") {
        markers.push(Marker::End(i));
    }
    Some(())
}

impl<'t> Reader<'t> {
    /// The byte at `i`; the end of the document reads as a line break, so
    /// that every scan within a line stops there.
    fn peek(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(b'\n')
    }

    fn end(&self) -> usize {
        self.bytes.len()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    /// The position of the line break ending the line `i` is on (or the end).
    fn line_end(&self, i: usize) -> usize {
        let rest = self.bytes.get(i..).unwrap_or_default();
        rest.iter()
            .position(|&b| b == b'\n')
            .map_or(self.end(), |n| i + n)
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.peek(i) == b' ' {
            i += 1;
        }
        i
    }

    /// Gives up on characters whose handling differs or needs care (tabs,
    /// CR, control characters, byte order marks), on directives, and early
    /// on the most common constructs it would give up on later; returns the
    /// `---` and `...` lines in order.
    fn check_characters(&self) -> Option<Vec<Marker>> {
        let bytes = self.bytes;
        let mut markers = Vec::new();
        check_line_start(bytes, 0, &mut markers)?;
        for (i, &b) in bytes.iter().enumerate() {
            if class(b) & CHECK == 0 {
                continue;
            }
            match b {
                b'\n' => check_line_start(bytes, i + 1, &mut markers)?,
                // U+FEFF, which saphyr takes as a byte order mark, starts with 0xef.
                0xef => {
                    if bytes.get(i + 1..i + 3) == Some(&[0xbb, 0xbf]) {
                        return None;
                    }
                }
                // An anchor, alias, tag or block scalar after `: ` or `- `
                // would make the reader give up late; give up now.
                b'&' | b'*' | b'!' | b'|' | b'>' => {
                    let before = i.checked_sub(2).and_then(|j| bytes.get(j..i));
                    if matches!(before, Some(b": " | b"- ")) {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        Some(markers)
    }

    /// Narrows the reader to the one document's body: after an optional
    /// `---` line, before an optional `...` line. Gives up on a second
    /// document.
    fn frame_document(&mut self, markers: &[Marker]) -> Option<()> {
        let mut markers = markers.iter().copied().peekable();
        let (first, _) = self.content_from(0);
        if markers.peek() == Some(&Marker::Start(first)) {
            markers.next();
            self.pos = self.line_rest(first + 3)?;
        } else {
            self.pos = 0;
        }
        match markers.next() {
            None => {}
            Some(Marker::Start(_)) => return None,
            Some(Marker::End(at)) => {
                if markers.next().is_some() {
                    return None;
                }
                let after = self.line_rest(at + 3)?;
                if self.content_from(after).0 < self.end() {
                    return None;
                }
                self.text = self.text.get(..at)?;
                self.bytes = self.text.as_bytes();
            }
        }
        Some(())
    }

    /// From the end (or start) of a line, the next line with content: the
    /// position of its first character and its column. Blank lines and
    /// comment lines are passed over. At the end of the document, `end`.
    fn content_from(&self, mut pos: usize) -> (usize, usize) {
        loop {
            if pos >= self.end() {
                return (self.end(), 0);
            }
            let line = pos;
            pos = self.skip_spaces(pos);
            match self.peek(pos) {
                b'\n' => pos += 1,
                b'#' => pos = self.line_end(pos),
                _ => return (pos, pos - line),
            }
        }
    }

    /// Moves to the next line with content (see [`Self::content_from`]). A
    /// block collection that has ended leaves `pos` at the start of that
    /// line, so that its parent gets the line's column again.
    fn skip_to_content(&mut self) -> (usize, usize) {
        let (at, col) = self.content_from(self.pos);
        self.pos = at;
        self.line_start = at - col;
        (at, col)
    }

    /// Checks that only blanks and a comment follow `pos` on its line, and
    /// returns the line's end: where saphyr ends a quoted scalar or a flow
    /// collection, taking the blanks and comment after it.
    fn line_rest(&self, pos: usize) -> Option<usize> {
        let after = self.skip_spaces(pos);
        match self.peek(after) {
            b'\n' => Some(after),
            // A comment must be separated from what it follows.
            b'#' if after > 0 && self.peek(after - 1) == b' ' => Some(self.line_end(after)),
            _ => None,
        }
    }

    fn is_block_entry(&self, at: usize) -> bool {
        self.peek(at) == b'-' && is_blank_or_eol(self.peek(at + 1))
    }

    /// A node starting at `pos`, at column `col`: a block collection (whose
    /// later lines are at `col`), a flow collection or a scalar.
    fn block_node(&mut self, col: usize, depth: usize) -> Option<Node> {
        match self.peek(self.pos) {
            _ if self.is_block_entry(self.pos) => self.block_sequence(col, depth, false),
            b'[' | b'{' => self.flow_in_block(depth),
            _ => {
                let scalar = self.scalar(false)?;
                if self.at_key_colon() {
                    self.block_mapping(col, depth, scalar)
                } else {
                    self.scalar_value(scalar)
                }
            }
        }
    }

    /// After a scalar in block context: is it a key? If so, moves to the `:`.
    fn at_key_colon(&mut self) -> bool {
        let at = self.skip_spaces(self.pos);
        if self.peek(at) == b':' && is_blank_or_eol(self.peek(at + 1)) {
            self.pos = at;
            return true;
        }
        false
    }

    /// A scalar that is a whole value in block context: nothing but a
    /// comment may follow it on its line.
    fn scalar_value(&mut self, scalar: Scalar<'_>) -> Option<Node> {
        let after = self.line_rest(scalar.end)?;
        Some(self.scalar_node(scalar, after))
    }

    /// The node of a scalar followed by blanks (or a comment) up to `after`,
    /// where reading goes on. saphyr ends a quoted scalar after those; a
    /// plain one ends with its last character.
    fn scalar_node(&mut self, scalar: Scalar<'_>, after: usize) -> Node {
        self.pos = after;
        let end = if scalar.quoted() { after } else { scalar.end };
        Node {
            value: resolve(&scalar.value, scalar.style, None, &mut self.interner),
            span: self.span(scalar.start, end),
            key: None,
        }
    }

    /// A block mapping at column `col` whose first key has been read; `pos`
    /// is at its `:`.
    fn block_mapping(&mut self, col: usize, depth: usize, first: Scalar<'_>) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let start = first.start;
        let mut fields = FieldsBuilder::default();
        let mut key = first;
        loop {
            let colon = self.pos;
            if colon.saturating_sub(key.start) > LONGEST_KEY {
                return None;
            }
            // A quoted key's span runs up to the `:`, over any blanks.
            let key_end = if key.quoted() { colon } else { key.end };
            let key_span = self.span(key.start, key_end);
            let name = self.interner.text(&key.value);
            let mut value = self.mapping_value(col, depth, colon)?;
            value.key = Some(key_span);
            // Duplicate keys are reported by saphyr's path.
            fields.insert(name, value).ok()?;

            let (at, next_col) = self.skip_to_content();
            if at >= self.end() || next_col < col {
                self.pos = self.line_start;
                return Some(Node {
                    value: NodeValue::Map(fields.finish()),
                    span: self.span(start, at),
                    key: None,
                });
            }
            if next_col > col {
                return None;
            }
            key = self.scalar(false)?;
            if !self.at_key_colon() {
                return None;
            }
        }
    }

    /// The value after the `:` at `colon` of a key of the block mapping at
    /// column `col`: on the same line, on the lines below, or none (null).
    fn mapping_value(&mut self, col: usize, depth: usize, colon: usize) -> Option<Node> {
        let at = self.skip_spaces(colon + 1);
        match self.peek(at) {
            b'\n' | b'#' => {
                self.pos = self.line_rest(colon + 1)?;
                let (next, next_col) = self.content_from(self.pos);
                if next < self.end() && next_col > col {
                    self.skip_to_content();
                    return self.block_node(next_col, depth + 1);
                }
                // A sequence may sit at its key's column.
                if next < self.end() && next_col == col && self.is_block_entry(next) {
                    self.skip_to_content();
                    return self.block_sequence(col, depth + 1, true);
                }
                // saphyr puts an empty value at its key's `:`.
                Some(Node {
                    value: NodeValue::Null,
                    span: self.span(colon, colon),
                    key: None,
                })
            }
            b'[' | b'{' => {
                self.pos = at;
                self.flow_in_block(depth + 1)
            }
            // A block sequence cannot start on its key's line.
            _ if self.is_block_entry(at) => None,
            _ => {
                self.pos = at;
                let scalar = self.scalar(false)?;
                self.scalar_value(scalar)
            }
        }
    }

    /// A block sequence whose first `-` is at `pos`, at column `col`. An
    /// indentless one (at its key's column) ends at the first line at `col`
    /// that is not an entry.
    fn block_sequence(&mut self, col: usize, depth: usize, indentless: bool) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let mut start = self.pos;
        let mut items = Vec::new();
        loop {
            let dash = self.pos;
            let mut entry = self.skip_spaces(dash + 1);
            if self.peek(entry) == b'#' {
                entry = self.line_end(entry);
            }
            // saphyr starts an indentless sequence where its first entry's
            // content (or line end) is, not at the `-`.
            if indentless && items.is_empty() {
                start = entry;
            }
            let item = if self.peek(entry) == b'\n' {
                self.pos = entry;
                let (next, next_col) = self.content_from(entry);
                if next < self.end() && next_col > col {
                    self.skip_to_content();
                    self.block_node(next_col, depth + 1)?
                } else {
                    // saphyr puts an empty entry after the blanks and comment.
                    Node {
                        value: NodeValue::Null,
                        span: self.span(entry, entry),
                        key: None,
                    }
                }
            } else {
                self.pos = entry;
                self.block_node(entry.checked_sub(self.line_start)?, depth + 1)?
            };
            items.push(item);

            let (at, next_col) = self.skip_to_content();
            let ended = at >= self.end()
                || next_col < col
                || (indentless && next_col == col && !self.is_block_entry(at));
            if ended {
                self.pos = self.line_start;
                return Some(Node {
                    value: NodeValue::List(items.into_boxed_slice()),
                    span: self.span(start, at),
                    key: None,
                });
            }
            if next_col > col || !self.is_block_entry(at) {
                return None;
            }
        }
    }

    /// A flow collection that is a value in block context: it must end on
    /// its line, where only a comment may follow it.
    fn flow_in_block(&mut self, depth: usize) -> Option<Node> {
        let mut node = self.flow_collection(depth)?;
        // saphyr ends the collection after the blanks and comment that follow.
        let end = self.line_rest(self.pos)?;
        self.pos = end;
        node.span = self.span(node.span.start(), end);
        Some(node)
    }

    /// A flow collection at `pos`, all on one line. Leaves `pos` after it and
    /// the blanks that follow, where its span ends.
    fn flow_collection(&mut self, depth: usize) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let open = self.pos;
        let is_map = self.peek(open) == b'{';
        let close = if is_map { b'}' } else { b']' };
        let mut fields = FieldsBuilder::default();
        let mut items = Vec::new();
        self.pos = self.skip_spaces(open + 1);
        if self.peek(self.pos) != close {
            loop {
                if is_map {
                    let (name, value) = self.flow_entry(depth)?;
                    fields.insert(name, value).ok()?;
                } else {
                    let item = self.flow_node(depth + 1)?;
                    // `[a: b]` is a mapping in a sequence; left to saphyr.
                    if self.peek(self.pos) == b':' {
                        return None;
                    }
                    items.push(item);
                }
                match self.peek(self.pos) {
                    b',' => {
                        self.pos = self.skip_spaces(self.pos + 1);
                        // A trailing comma is valid but rare; left to saphyr.
                        if self.peek(self.pos) == close {
                            return None;
                        }
                    }
                    b if b == close => break,
                    _ => return None,
                }
            }
        }
        self.pos = self.skip_spaces(self.pos + 1);
        let value = if is_map {
            NodeValue::Map(fields.finish())
        } else {
            NodeValue::List(items.into_boxed_slice())
        };
        Some(Node {
            value,
            span: self.span(open, self.pos),
            key: None,
        })
    }

    /// One `key: value` of a flow mapping; leaves `pos` after the value and
    /// the blanks that follow.
    fn flow_entry(&mut self, depth: usize) -> Option<(Text, Node)> {
        let key = self.scalar(true)?;
        let colon = self.skip_spaces(self.pos);
        if self.peek(colon) != b':' {
            return None;
        }
        // Only a quoted key's `:` may touch its value (JSON style); saphyr
        // refuses `{a:[b]}` and reads `{a:}` as null.
        if !key.quoted() && self.peek(colon + 1) != b' ' {
            return None;
        }
        let key_end = if key.quoted() { colon } else { key.end };
        let key_span = self.span(key.start, key_end);
        let name = self.interner.text(&key.value);
        self.pos = self.skip_spaces(colon + 1);
        // An empty value (`{a: }`, `{a:, b: 1}`) is left to saphyr.
        if matches!(self.peek(self.pos), b',' | b'}' | b']' | b'\n' | b'#') {
            return None;
        }
        let mut value = self.flow_node(depth + 1)?;
        value.key = Some(key_span);
        Some((name, value))
    }

    /// A node inside a flow collection; leaves `pos` after it and the blanks
    /// that follow.
    fn flow_node(&mut self, depth: usize) -> Option<Node> {
        if matches!(self.peek(self.pos), b'[' | b'{') {
            return self.flow_collection(depth);
        }
        let scalar = self.scalar(true)?;
        let after = self.skip_spaces(self.pos);
        Some(self.scalar_node(scalar, after))
    }

    /// A one-line scalar at `pos`; leaves `pos` at its `end`.
    fn scalar(&mut self, flow: bool) -> Option<Scalar<'t>> {
        let start = self.pos;
        let scalar = match self.peek(start) {
            b'\'' => self.single_quoted(start)?,
            b'"' => self.double_quoted(start)?,
            _ if self.starts_plain(start, flow) => {
                let end = self.plain_end(start, flow)?;
                Scalar {
                    value: Cow::Borrowed(self.text.get(start..end)?),
                    style: ScalarStyle::Plain,
                    start,
                    end,
                }
            }
            _ => return None,
        };
        self.pos = scalar.end;
        Some(scalar)
    }

    /// Whether a plain scalar may start at `at`: not at an indicator, save
    /// `-` before a character that keeps it from being one. `?` and `:`
    /// can start one too, in some places; those are left to saphyr.
    fn starts_plain(&self, at: usize, flow: bool) -> bool {
        let next = self.peek(at + 1);
        match self.peek(at) {
            b'-' => !(is_blank_or_eol(next) || (flow && is_flow_indicator(next))),
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' => false,
            _ => true,
        }
    }

    /// Where the plain scalar starting at `start` ends on its line: before
    /// a `: `, a ` #`, the line's end (trailing blanks are not part of it),
    /// and in flow context before a flow indicator.
    fn plain_end(&self, start: usize, flow: bool) -> Option<usize> {
        let stop = if flow { FLOW_STOP } else { BLOCK_STOP };
        let mut i = start;
        let mut end = start;
        loop {
            let b = self.peek(i);
            if class(b) & stop == 0 {
                i += 1;
                end = i;
                continue;
            }
            match b {
                b'\n' => return Some(end),
                b' ' => {
                    i += 1;
                    continue;
                }
                b'#' if i > end => return Some(end),
                b':' => {
                    let next = self.peek(i + 1);
                    if is_blank_or_eol(next) || (flow && is_flow_indicator(next)) {
                        return Some(end);
                    }
                }
                // saphyr refuses `-` before a flow indicator at some places
                // in a flow plain scalar; all are left to it.
                b'-' if flow && is_flow_indicator(self.peek(i + 1)) => return None,
                _ if flow && is_flow_indicator(b) => return Some(end),
                _ => {}
            }
            i += 1;
            end = i;
        }
    }

    /// A single-quoted scalar on one line (`''` is a quote).
    fn single_quoted(&self, start: usize) -> Option<Scalar<'t>> {
        let mut i = start + 1;
        let mut owned: Option<String> = None;
        let mut piece = i;
        loop {
            match self.peek(i) {
                b'\n' => return None,
                b'\'' if self.peek(i + 1) == b'\'' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(piece..i)?);
                    s.push('\'');
                    i += 2;
                    piece = i;
                }
                b'\'' => break,
                _ => i += 1,
            }
        }
        self.quoted_scalar(owned, piece, i, start, ScalarStyle::SingleQuoted)
    }

    /// A double-quoted scalar on one line, with YAML's escapes.
    fn double_quoted(&self, start: usize) -> Option<Scalar<'t>> {
        let mut i = start + 1;
        let mut owned: Option<String> = None;
        let mut piece = i;
        loop {
            match self.peek(i) {
                b'\n' => return None,
                b'"' => break,
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(piece..i)?);
                    let (c, len) = self.escape(i)?;
                    s.push(c);
                    i += len;
                    piece = i;
                }
                _ => i += 1,
            }
        }
        self.quoted_scalar(owned, piece, i, start, ScalarStyle::DoubleQuoted)
    }

    /// A quoted scalar from `start` to its closing quote at `close`: its text
    /// is the source's own unless escapes made a copy (`owned`, to which the
    /// text from `piece` on is still to be added).
    fn quoted_scalar(
        &self,
        owned: Option<String>,
        piece: usize,
        close: usize,
        start: usize,
        style: ScalarStyle,
    ) -> Option<Scalar<'t>> {
        let rest = self.text.get(piece..close)?;
        let value = match owned {
            None => Cow::Borrowed(rest),
            Some(mut s) => {
                s.push_str(rest);
                Cow::Owned(s)
            }
        };
        Some(Scalar {
            value,
            style,
            start,
            end: close + 1,
        })
    }

    /// The escape sequence at `at` (a `\`): the character and its length.
    /// An escaped line break continues the scalar on the next line; it and
    /// unknown escapes are left to saphyr.
    fn escape(&self, at: usize) -> Option<(char, usize)> {
        let c = match self.peek(at + 1) {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex_escape(at, 2),
            b'u' => return self.hex_escape(at, 4),
            b'U' => return self.hex_escape(at, 8),
            _ => return None,
        };
        Some((c, 2))
    }

    /// `\x`, `\u` or `\U` at `at` with `digits` hex digits.
    fn hex_escape(&self, at: usize, digits: usize) -> Option<(char, usize)> {
        let hex = self.bytes.get(at + 2..at + 2 + digits)?;
        // Checked first: `from_str_radix` would also take a sign.
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        Some((char::from_u32(code)?, 2 + digits))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use std::path::{Path, PathBuf};

    use super::*;
    use crate::input::yaml::load_events;

    const QUESTIONNAIRE: &str = "kind: questionnaire\nid: vendor-0\nvendor:\n  name: Vendor 0\n  product: Product 0\n  certifications: []\n  data_residency: EU\n  sso: { saml: true, oidc: true }\n  breach_notification_hours: 24\n  subprocessors: [\"Cloud 0\", \"Support 0\"]\n";

    /// Compares everything a node holds, spans and key spans included, and
    /// numbers bit for bit (`-0` is not `0`).
    fn same(fast: &Node, slow: &Node, path: &str) -> Result<(), String> {
        if fast.span != slow.span {
            return Err(format!("{path}: span {:?} != {:?}", fast.span, slow.span));
        }
        if fast.key != slow.key {
            return Err(format!("{path}: key span {:?} != {:?}", fast.key, slow.key));
        }
        match (&fast.value, &slow.value) {
            (NodeValue::Null, NodeValue::Null) => Ok(()),
            (NodeValue::Bool(a), NodeValue::Bool(b)) if a == b => Ok(()),
            (NodeValue::Num(a), NodeValue::Num(b)) if a.to_bits() == b.to_bits() => Ok(()),
            (NodeValue::Str(a), NodeValue::Str(b)) if a == b => Ok(()),
            (NodeValue::List(a), NodeValue::List(b)) if a.len() == b.len() => a
                .iter()
                .zip(b.iter())
                .enumerate()
                .try_for_each(|(i, (a, b))| same(a, b, &format!("{path}[{i}]"))),
            (NodeValue::Map(a), NodeValue::Map(b)) if a.len() == b.len() => {
                a.iter().zip(b.iter()).try_for_each(|((ka, a), (kb, b))| {
                    if ka != kb {
                        return Err(format!("{path}: key `{ka}` != `{kb}`"));
                    }
                    same(a, b, &format!("{path}.{ka}"))
                })
            }
            (a, b) => Err(format!("{path}: {a:?} != {b:?}")),
        }
    }

    /// Whether the fast path read `text`; panics when what it read differs
    /// from what saphyr's path reads.
    fn check_with(text: &str, limits: &Limits) -> bool {
        let file = FileId(7);
        let Some(fast) = load(file, text, limits) else {
            return false;
        };
        let (slow, problems) = load_events(file, text, limits);
        assert!(
            problems.is_empty(),
            "the fast path read a document saphyr refuses ({}):\n{text}\n---- fast path:\n{:#?}",
            problems
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join("; "),
            fast.iter().map(|d| &d.root).collect::<Vec<_>>()
        );
        assert_eq!(fast.len(), slow.len(), "documents of\n{text}");
        for (f, s) in fast.iter().zip(&slow) {
            if let Err(e) = same(&f.root, &s.root, "$") {
                panic!(
                    "{e} in\n{text}\n---- fast:\n{:#?}\n---- saphyr:\n{:#?}",
                    f.root, s.root
                );
            }
        }
        true
    }

    fn check(text: &str) -> bool {
        check_with(text, &Limits::default())
    }

    #[test]
    fn reads_the_questionnaire() {
        assert!(check(QUESTIONNAIRE));
        let docs = load(FileId(0), QUESTIONNAIRE, &Limits::default()).unwrap();
        let root = &docs[0].root;
        assert_eq!(root.span.range(), Some(0..QUESTIONNAIRE.len()));
        let sso = root.get("vendor").unwrap().get("sso").unwrap();
        assert_eq!(sso.get("oidc").unwrap().value, NodeValue::Bool(true));
    }

    /// Small documents at the edges of the subset, each read by both paths
    /// when the fast path takes it.
    const EDGES: &[&str] = &[
        "",
        "\n\n",
        "# only a comment\n",
        "---\n",
        "--- # c\n",
        "---\n...\n",
        "...\n",
        "a: 1\n...\n",
        "a: 1\n... # c\n# after\n",
        "a: 1\n...\nb: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n---\n",
        "--- a: 1\n",
        "---\na: 1\n",
        "# c\n\n---\na:\n  - x\n  -   y  # c\n  - k: v\n    k2: \"q\"  # cc\n  -\n  - \nb:\n- 1\n- 2\nc:\nd: ~\n...\n",
        "a: {x: 1,  y: [1, 2 ] , z: \"s\"  }  \nb: [ a , b ]\n",
        "a:\n- k: v\n- \nb:\n-\n- x\nc:\n-   # cc\n  - y\nd:   # c\ne :\nf:\n  # c\n\n  g: 1\n  h:    \n",
        "--- # c\n# c2\n[1, {a: b}]   # c\n",
        "  a: 1\n  b: 2\n",
        "  a: 1\nb: 2\n",
        "x:\n  - # c\n  - \n  -\n  - - a\n    - b\n  - k:\n    j:   \n  -   k: 1\n      l: 2\n",
        "a: \"x\\\"y\\\\z\\n\\t\\/\"\nb: 'it''s'\nc: \"a#b\" #c\nd: a#b  # x\ne: a:b\n",
        "a: \"\\x41\\u00e9\\U0001F600\\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\L\\P\"\n",
        "a: \"\\q\"\n",
        "a: \"\\uD800\"\n",
        "a: \"\\x4\"\n",
        "a: \"\\u+041\"\n",
        "a: \"x\"#c\n",
        "a: [1]#c\n",
        "a: [1] #c\n",
        "a: [1]   \n",
        "a: {}\nb: []\nc: { }\nd: [ ]\n",
        "a: [a, [b, [c, {d: e}]], {f: [g]}]\n",
        "a: [a,]\n",
        "a: [a, , b]\n",
        "a: {b}\n",
        "a: {b: }\n",
        "a: {b:, c: 1}\n",
        "a: {\"b\":1, 'c' :2, \"d\"  : [3]}\n",
        "a: {b:1}\n",
        "a: {b :1}\n",
        "a: [b: 1]\n",
        "a: [a:b, c:d]\n",
        "a: [-1, -a, -]\n",
        "a: [a -]\n",
        "a: [a-, -b-]\n",
        "a: [a #b]\n",
        "a: [a#b]\n",
        "a: [1,\n  2]\n",
        "a: - b\n",
        "a: b: c\n",
        "a: b :c\n",
        "a: b : c\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: >\n  text\n",
        "? a\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\na: 2\n",
        "a: 1\n\"a\": 2\n",
        "a:\n  b: 1\n  b: 2\n",
        "a: b\n  c\n",
        "a: b # c\n  d\n",
        "a: b\n\n  c\n",
        "a: \"b\"\n  c: 1\n",
        "a:\n    b: 1\n  c: 2\n",
        "- a\nb: 1\n",
        "a: 1\n- b\n",
        "- a\n  - b\n",
        "a:\tb\n",
        "a: b\r\nc: d\r\n",
        "\u{feff}a: 1\n",
        "a: \u{feff}\n",
        "a: é\nb: 'ü'\nc: \"→\"\nd: [ä, ö]\n# ß\ne: x # ç\nf: \"y\" # ç\n",
        "é: 1\n\"ü\": 2\n",
        "a: ~\nb: null\nc: Null\nd: NULL\ne: true\nf: True\ng: FALSE\nh: yes\ni: no\nj: on\n",
        "a: 0x1F\nb: 0o17\nc: 1e3\nd: .inf\ne: -.inf\nf: .nan\ng: -0\nh: 010\ni: +1\nj: \"123\"\nk: '1.5'\nl: 1_000\nm: 0x\nn: 1.\no: .5\np: 1e\nq: 0xFFFFFFFFFFFFFFFFFF\nr: 1e400\n",
        "1: a\ntrue: b\n~: c\nnull: d\n\"\": e\n'x: y': f\n\"a#b\": g\n",
        "a b: c d\na#b: c#d\n[x]: 1\n",
        "a: [x]: 1\n",
        "a:\n  - b\n  -\n    c: 1\n    d: [1]\n  - - - x\n      - y\n    - z\n",
        "-\n  a: 1\n- b\n-\n- [c]\n- {d: e}\n- \"f\"  \n- 'g' # h\n",
        "- a: 1\n  b:\n  - c\n  - d\n  e: 2\n-   f: 3\n    g: 4\n",
        "a:\n  b:\n    c:\n      d: 1\ne: 2\n",
        "a: 1  \nb:  2  # c  \n  \nc: x  \n",
        "a: -\nb: --\nc: ---\nd: -a\ne: a-\n",
        "---a: 1\n",
        "...a: 1\n",
        "a: 1\n---b: 2\n",
        "a: ?x\nb: :x\n",
        "a: @x\n",
        "a: `x`\n",
        "a: %x\n",
        "a: ,x\n",
        "a: ]x\n",
        "a: x]\nb: x}\nc: x,y\nd: x[0]\n",
        "a: 'x\n  y'\n",
        "a: \"x\n  y\"\n",
        "a: \"x\\\n  y\"\n",
        "a\n",
        "[a\n",
        "{a: 1}\n",
        "[1, 2]\n",
        "[1, 2] # c\n\n",
        "a: 1\n  # c\nb: 2\n",
        "a:\n# c\n  b: 1\n",
        "a: # c\n  b: 1\n",
        "a: # c\n  - 1\n",
        "a: # c\n- 1\n",
        "a:\n- 1\n- 2\nb:\n- 3\n",
        "- - - a\n",
        "-\n-\n",
        "- # c\n",
        "-",
        "a:",
        "a: 1",
        "a: \"1\"",
        "a: [1]",
        "- \"x\"",
        "a: 'x'  ",
        "k\u{e9}y: v\u{e9}\n",
        "\"a\"  : 1\n'b' : 2\n",
        "\"a\":1\n",
        "a:1\n",
        "a: \"x\" y\n",
        "a: 'x''y'''\nb: ''\nc: \"\"\n",
        "a: ' '\nb: \"  x  \"\n",
        "a: x  y  # z\n",
    ];

    #[test]
    fn edges_read_alike() {
        let mut taken = 0;
        for text in EDGES {
            if check(text) {
                taken += 1;
            }
        }
        eprintln!(
            "edge cases: {} compared, {taken} taken by the fast path",
            EDGES.len()
        );
    }

    #[test]
    fn depth_limit_is_left_to_saphyr() {
        let nested = |n: usize| {
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&" ".repeat(i * 2));
                s.push_str("a:\n");
            }
            s.push_str(&" ".repeat(n * 2));
            s.push_str("b: 1\n");
            s
        };
        let limits = |depth| Limits {
            document_depth: depth,
            ..Limits::default()
        };
        // A root mapping and 3 more levels: 4 collections.
        let text = nested(3);
        assert!(check_with(&text, &limits(4)));
        assert!(!check_with(&text, &limits(3)));
        assert!(!check_with(&text, &limits(0)));
        assert!(!check_with("a: [[[1]]]\n", &limits(3)));
        assert!(check_with("a: [[[1]]]\n", &limits(4)));
        // Deeper than the fast path goes at all.
        assert!(!check(&nested(DEEPEST + 2)));
        let flow = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(!check(&flow));
    }

    #[test]
    fn long_keys_are_left_to_saphyr() {
        let key = "k".repeat(1100);
        assert!(!check(&format!("{key}: 1\n")));
        assert!(!check(&format!("\"{key}\": 1\n")));
        let key = "k".repeat(900);
        assert!(check(&format!("{key}: 1\n")));
        let value = "v".repeat(3000);
        assert!(check(&format!("a: {value}\nb: \"{value}\"\n")));
        // Flow collections longer than saphyr's simple keys.
        let items = vec!["item"; 400].join(", ");
        assert!(check(&format!("a: [{items}]\nb: {{c: [{items}]}}\n")));
        assert!(check(&format!("- [{items}]\n- x\n")));
        assert!(check(&format!("[{items}]\n")));
    }

    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                files_under(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The YAML files of the repository and the YAML inside the test cases.
    fn corpus() -> Vec<(String, String)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in ["examples", "tests", "stdlib"] {
            files_under(&root.join(dir), &mut paths);
        }
        let mut out = Vec::new();
        for path in paths {
            let name = path.display().to_string();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            } else if name.ends_with(".case") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut section: Option<(String, String)> = None;
                for line in text.split_inclusive('\n') {
                    if let Some(header) = line.strip_prefix("===") {
                        if let Some(done) = section.take() {
                            out.push(done);
                        }
                        let header = header.trim();
                        let file = header.strip_prefix("file ").map(str::trim);
                        let yaml =
                            file.is_some_and(|f| f.ends_with(".yaml") || f.ends_with(".yml"));
                        if yaml || header == "stdin" {
                            section = Some((format!("{name}: {header}"), String::new()));
                        }
                    } else if let Some((_, body)) = &mut section {
                        body.push_str(line);
                    }
                }
                out.extend(section);
            }
        }
        out
    }

    #[test]
    fn repository_yaml_reads_alike() {
        let corpus = corpus();
        let mut taken = 0;
        let mut examples = 0;
        let mut examples_taken = 0;
        let mut bailed = Vec::new();
        for (name, text) in &corpus {
            let fast = check(text);
            if fast {
                taken += 1;
            } else {
                bailed.push(name.as_str());
            }
            if name.contains("/examples/") {
                examples += 1;
                examples_taken += usize::from(fast);
            }
        }
        eprintln!(
            "repository: {} documents compared, {taken} taken by the fast path ({examples_taken} of {examples} under examples/)",
            corpus.len()
        );
        for name in &bailed {
            eprintln!("  left to saphyr: {name}");
        }
        assert!(corpus.len() > 200, "the corpus was not found");
        // Every example is plain block YAML.
        assert_eq!(examples_taken, examples, "left to saphyr: {bailed:#?}");
    }

    /// xorshift64*: the same documents on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// Scalars of everyday documents.
    const ORDINARY: &[&str] = &[
        "a",
        "b",
        "name",
        "Vendor 0",
        "EU",
        "x y",
        "a:b",
        "a#b",
        "24",
        "true",
        "false",
        "~",
        "null",
        "1.5",
        "-3",
        "ISO 27001",
        "vendor-managed (HSM, Frankfurt)",
        "2026-06-30",
        "é",
    ];

    /// Scalars that are numbers or not, strings or not, or not scalars.
    const WORDS: &[&str] = &[
        "a\u{a0}b",
        "😀x",
        "\u{2028}",
        "\u{85}x",
        "-",
        "a -b",
        "a-]",
        "a :b",
        "a",
        "b",
        "name",
        "Vendor 0",
        "EU",
        "x y",
        "a:b",
        "a#b",
        "a,b",
        "a]",
        "a}",
        "-a",
        "--",
        "-1",
        "+1",
        "-0",
        "0",
        "010",
        "0x1F",
        "0o17",
        "0x",
        "1e3",
        "1.5e-3",
        "1.",
        ".5",
        ".inf",
        "-.Inf",
        ".nan",
        "~",
        "null",
        "Null",
        "true",
        "False",
        "yes",
        "no",
        "on",
        "é",
        "→x",
        "1_000",
        "2026-01-01",
        "a b c",
        "http://x.y/z?q=1",
        "x: y",
        "x #y",
        "a'b",
        "a\"b",
        "a\\b",
        "%x",
        "@x",
        "?x",
        ":x",
        "!x",
        "&x",
        "*x",
        "|",
        ">",
        "[x",
        "{x",
    ];

    fn plain(rng: &mut Rng) -> String {
        if rng.chance(70) {
            rng.pick(ORDINARY).to_string()
        } else {
            rng.pick(WORDS).to_string()
        }
    }

    fn single_quoted(rng: &mut Rng) -> String {
        let w = rng.pick(WORDS).replace('\'', "''");
        format!("'{w}'")
    }

    fn double_quoted(rng: &mut Rng) -> String {
        const ESCAPES: &[&str] = &[
            "\\\"",
            "\\\\",
            "\\n",
            "\\t",
            "\\/",
            "\\x41",
            "\\u00e9",
            "\\U0001F600",
            "\\0",
            "\\q",
            "\\ ",
            "\\_",
            "\\u12",
            "#",
            " # ",
            "'",
        ];
        let mut s = String::from("\"");
        for _ in 0..rng.below(3) {
            if rng.chance(25) {
                s.push_str(rng.pick(ESCAPES));
            } else {
                s.push_str(&rng.pick(WORDS).replace(['"', '\\'], ""));
            }
        }
        s.push('"');
        s
    }

    fn scalar(rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=5 => plain(rng),
            6 | 7 => double_quoted(rng),
            _ => single_quoted(rng),
        }
    }

    fn key(rng: &mut Rng) -> String {
        const KEYS: &[&str] = &[
            "kind", "id", "name", "sso", "a", "b", "c", "x y", "a#b", "1", "true", "~", "-k", "k-",
            "é",
        ];
        match rng.below(10) {
            0 => format!("\"{}{}\"", rng.pick(KEYS), rng.pick(&[":", ": x", "#", ""])),
            1 => format!("'{}'", rng.pick(KEYS)),
            2 => plain(rng),
            _ => format!("{}{}", rng.pick(KEYS), rng.below(30)),
        }
    }

    fn flow(rng: &mut Rng, depth: usize) -> String {
        let n = rng.below(4);
        let map = rng.chance(40);
        let sp = |rng: &mut Rng| " ".repeat(rng.below(3));
        let mut s = String::from(if map { "{" } else { "[" });
        s.push_str(&sp(rng));
        for i in 0..n {
            if i > 0 {
                s.push_str(&sp(rng));
                s.push(',');
                s.push_str(&sp(rng));
            }
            if map {
                s.push_str(&key(rng));
                s.push_str(&sp(rng));
                s.push(':');
                // Now and then a value touching its `:`, or none.
                match rng.below(20) {
                    0 => {}
                    1 => continue,
                    _ => s.push_str(&" ".repeat(1 + rng.below(2))),
                }
            }
            if depth < 3 && rng.chance(20) {
                s.push_str(&flow(rng, depth + 1));
            } else {
                s.push_str(&scalar(rng));
            }
        }
        s.push_str(&sp(rng));
        s.push(if map { '}' } else { ']' });
        s
    }

    fn comment(rng: &mut Rng) -> String {
        match rng.below(8) {
            0 => "  # note".to_string(),
            1 => " #".to_string(),
            2 => "   ".to_string(),
            _ => String::new(),
        }
    }

    fn filler(rng: &mut Rng, s: &mut String, indent: usize) {
        if rng.chance(8) {
            s.push('\n');
        }
        if rng.chance(6) {
            s.push_str(&" ".repeat(rng.below(indent + 3)));
            s.push_str("# comment é\n");
        }
    }

    /// A value after `key:` (or `-`): on the line, or on the lines below.
    fn value(rng: &mut Rng, s: &mut String, indent: usize, depth: usize, in_map: bool) {
        match rng.below(12) {
            0 if depth < 5 => {
                s.push_str(&comment(rng));
                s.push('\n');
                filler(rng, s, indent);
                let inner = indent + 1 + rng.below(3);
                mapping(rng, s, inner, depth + 1);
            }
            1 if depth < 5 => {
                s.push_str(&comment(rng));
                s.push('\n');
                filler(rng, s, indent);
                // At the key's column (indentless) or deeper.
                let inner = if in_map && rng.chance(50) {
                    indent
                } else {
                    indent + 1 + rng.below(3)
                };
                sequence(rng, s, inner, depth + 1);
            }
            2 => {
                s.push_str(&comment(rng));
                s.push('\n');
            }
            3 | 4 => {
                s.push(' ');
                s.push_str(&flow(rng, 0));
                s.push_str(&comment(rng));
                s.push('\n');
            }
            _ => {
                s.push_str(&" ".repeat(1 + usize::from(rng.chance(10))));
                s.push_str(&scalar(rng));
                s.push_str(&comment(rng));
                s.push('\n');
            }
        }
    }

    fn mapping(rng: &mut Rng, s: &mut String, indent: usize, depth: usize) {
        for i in 0..1 + rng.below(5) {
            if i > 0 {
                filler(rng, s, indent);
                s.push_str(&" ".repeat(indent));
            }
            s.push_str(&key(rng));
            if rng.chance(5) {
                s.push(' ');
            }
            s.push(':');
            value(rng, s, indent, depth, true);
        }
    }

    /// Starts at the `-` (the caller has indented the first line).
    fn sequence(rng: &mut Rng, s: &mut String, indent: usize, depth: usize) {
        s.push_str(&" ".repeat(indent));
        for i in 0..1 + rng.below(4) {
            if i > 0 {
                filler(rng, s, indent);
                s.push_str(&" ".repeat(indent));
            }
            s.push('-');
            if depth < 5 && rng.chance(25) {
                // `- key: value` and the mapping's further keys below.
                let gap = 1 + rng.below(3);
                s.push_str(&" ".repeat(gap));
                mapping(rng, s, indent + 1 + gap, depth + 1);
            } else if depth < 5 && rng.chance(8) {
                s.push(' ');
                sequence(rng, s, 0, depth + 1);
            } else {
                value(rng, s, indent, depth, false);
            }
        }
    }

    fn document(rng: &mut Rng) -> String {
        let mut s = String::new();
        if rng.chance(10) {
            s.push_str("# head\n\n");
        }
        if rng.chance(15) {
            s.push_str(rng.pick(&["---\n", "--- # c\n", "---   \n"]));
        }
        match rng.below(10) {
            0 => sequence(rng, &mut s, 0, 0),
            1 => {
                s.push_str(&flow(rng, 0));
                s.push('\n');
            }
            _ => mapping(rng, &mut s, 0, 0),
        }
        if rng.chance(10) {
            s.push_str("...\n");
        }
        if rng.chance(10) {
            s.push_str("# tail\n");
        }
        if rng.chance(5) {
            s.pop();
        }
        s
    }

    /// Small edits that leave the subset, or break the document.
    fn mutate(rng: &mut Rng, text: &str) -> String {
        const BITS: &[&str] = &[
            " ", "  ", "\n", ":", ": ", "-", "- ", "#", " #", "\"", "'", "[", "]", "{", "}", ",",
            "\t", "\\", "é", "&a ", "*a", "!", "|", ">", "?", "%", "---\n", "...\n", "\r", ":[",
            "{}", "[]", "\"a\":",
        ];
        let mut s = text.to_string();
        for _ in 0..1 + rng.below(3) {
            let mut at = rng.below(s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            match rng.below(4) {
                0 => {
                    let mut end = (at + 1 + rng.below(3)).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(at..end, "");
                }
                1 => {
                    // Shift a line's indentation.
                    let line = s[..at].rfind('\n').map_or(0, |i| i + 1);
                    if rng.chance(50) {
                        s.insert(line, ' ');
                    } else if s[line..].starts_with(' ') {
                        s.remove(line);
                    }
                }
                _ => s.insert_str(at, rng.pick(BITS)),
            }
        }
        s
    }

    #[test]
    fn generated_documents_read_alike() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let (mut compared, mut taken) = (0, 0);
        let (mut mutants, mut mutants_taken) = (0, 0);
        for _ in 0..30_000 {
            let text = document(&mut rng);
            compared += 1;
            taken += usize::from(check(&text));
            for _ in 0..3 {
                let mutant = mutate(&mut rng, &text);
                mutants += 1;
                mutants_taken += usize::from(check(&mutant));
            }
        }
        eprintln!(
            "generated: {compared} documents compared, {taken} taken by the fast path; {mutants} mutants compared, {mutants_taken} taken"
        );
        // The generator stays mostly within the subset.
        assert!(taken * 2 > compared, "{taken} of {compared}");
    }

    /// Mutants of the repository's own documents.
    #[test]
    fn mutated_repository_yaml_reads_alike() {
        let mut rng = Rng(0x00dd_ba11_5eed_0002);
        let corpus = corpus();
        let (mut compared, mut taken) = (0, 0);
        for (_, text) in corpus.iter().filter(|(_, t)| t.len() < 20_000) {
            for _ in 0..20 {
                let mutant = mutate(&mut rng, text);
                compared += 1;
                taken += usize::from(check(&mutant));
            }
        }
        eprintln!("repository mutants: {compared} compared, {taken} taken by the fast path");
    }
}
