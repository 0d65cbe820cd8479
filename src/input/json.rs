//! A JSON reader that keeps the byte span of every key and value.

use super::{Document, EntryStack, Interner, Node, NodeValue, Text};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::source::{FileId, Span};

struct Reader<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    /// Recoverable problems (duplicate keys) found along the way.
    problems: Vec<Diagnostic>,
    interner: Interner,
    max_depth: usize,
    /// Entries of the mappings being read.
    entries: EntryStack,
    /// Elements of the lists being read, inner lists' above their parents'.
    items: Vec<Node>,
    /// The keys last read at each depth, by position: the mappings of a
    /// list mostly repeat their keys in order, and a key found here needs
    /// no hashing to be interned.
    recent_keys: Vec<Vec<Text>>,
}

/// Keys remembered per depth (see `recent_keys`).
const RECENT_KEYS: usize = 32;

type Fail = Box<Diagnostic>;

pub fn load(file: FileId, text: &str, limits: &Limits) -> (Vec<Document>, Vec<Diagnostic>) {
    let mut reader = Reader {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        problems: Vec::new(),
        interner: Interner::default(),
        max_depth: limits.document_depth,
        entries: EntryStack::default(),
        items: Vec::new(),
        recent_keys: Vec::new(),
    };
    reader.skip_ws();
    let result = reader.value(0).and_then(|root| {
        reader.skip_ws();
        if reader.pos < reader.bytes.len() {
            Err(reader.error(
                "unexpected text after the JSON value",
                "expected the end of the file",
            ))
        } else {
            Ok(root)
        }
    });
    let mut problems = reader.problems;
    match result {
        Ok(root) => (vec![Document { file, root }], problems),
        Err(e) => {
            problems.push(*e);
            (Vec::new(), problems)
        }
    }
}

impl Reader<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start..end)
    }

    fn error(&self, message: &str, label: &str) -> Fail {
        let end = self.text[self.pos.min(self.text.len())..]
            .chars()
            .next()
            .map(|c| self.pos + c.len_utf8())
            .unwrap_or(self.pos);
        Box::new(
            Diagnostic::error("A301", format!("malformed JSON: {message}"))
                .at(self.span(self.pos, end), label),
        )
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Node, Fail> {
        if depth > self.max_depth {
            let mut d = self.error("nested too deeply", "too deep from here on");
            d.code = "A311";
            d.message = format!(
                "the document nests more than {} levels deep",
                self.max_depth
            );
            d.notes
                .push("help: raise the limit with `--max-depth`".into());
            return Err(d);
        }
        let start = self.pos;
        let value = match self.peek() {
            None => return Err(self.error("unexpected end of file", "a value was expected here")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => NodeValue::Str(self.string()?),
            Some(b't') => self.word("true", NodeValue::Bool(true))?,
            Some(b'f') => self.word("false", NodeValue::Bool(false))?,
            Some(b'n') => self.word("null", NodeValue::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.error("expected a value", "not the start of a JSON value")),
        };
        Ok(Node {
            value,
            span: self.span(start, self.pos),
            key: None,
        })
    }

    fn word(&mut self, word: &str, value: NodeValue) -> Result<NodeValue, Fail> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value", "not a JSON value"))
        }
    }

    fn number(&mut self) -> Result<NodeValue, Fail> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let s = r.pos;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.pos += 1;
            }
            r.pos - s
        };
        if digits(self) == 0 {
            return Err(self.error("expected digits", "a number needs digits"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("expected digits after `.`", "digits expected"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected an exponent", "digits expected"));
            }
        }
        let text = &self.text[start..self.pos];
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(NodeValue::Num(n)),
            _ => {
                self.pos = start;
                Err(self.error("number out of range", "too large"))
            }
        }
    }

    /// Where the run of a string's text from `from` that needs no decoding
    /// ends: at the closing quote, an escape, a control character, or the end.
    fn plain_run_end(&self, from: usize) -> usize {
        let mut end = from;
        while let Some(&b) = self.bytes.get(end) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            end += 1;
        }
        end
    }

    fn string(&mut self) -> Result<Text, Fail> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut plain = true;
        loop {
            let run_start = self.pos;
            self.pos = self.plain_run_end(run_start);
            if !plain || self.peek() != Some(b'"') {
                out.push_str(&self.text[run_start..self.pos]);
            }
            match self.peek() {
                None => {
                    self.pos = open;
                    return Err(self.error("unterminated string", "this string is never closed"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    // Without escapes the text is the source's own: no copy to build.
                    let text = if plain {
                        self.text.get(open + 1..self.pos - 1).unwrap_or_default()
                    } else {
                        &out
                    };
                    return Ok(self.interner.text(text));
                }
                Some(b'\\') => {
                    plain = false;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if self.text[self.pos..].starts_with("\\u") {
                                    self.pos += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&low) {
                                        return Err(
                                            self.error("invalid surrogate pair", "bad escape")
                                        );
                                    }
                                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                                } else {
                                    return Err(self.error("unpaired surrogate", "bad escape"));
                                }
                            } else {
                                high
                            };
                            match char::from_u32(code) {
                                Some(c) => out.push(c),
                                None => return Err(self.error("invalid \\u escape", "bad escape")),
                            }
                            continue;
                        }
                        _ => return Err(self.error("invalid escape", "not a JSON escape")),
                    };
                    out.push(c);
                    self.pos += 1;
                }
                Some(_) => {
                    return Err(self.error(
                        "control character in a string",
                        "write it as an escape such as \\n",
                    ))
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Fail> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => Err(self.error("invalid \\u escape", "four hex digits expected")),
        }
    }

    /// A mapping's key: the key at this position of the last mapping at this
    /// depth when the text is the same, else a string read as any other.
    fn key(&mut self, depth: usize, position: usize) -> Result<Text, Fail> {
        let start = self.pos + 1;
        let end = self.plain_run_end(start);
        let plain = self.bytes.get(end) == Some(&b'"');
        if plain {
            let raw = self.text.get(start..end).unwrap_or_default();
            if let Some(recent) = self.recent_keys.get(depth).and_then(|k| k.get(position)) {
                if **recent == *raw {
                    self.pos = end + 1;
                    return Ok(recent.clone());
                }
            }
        }
        let key = self.string()?;
        if position < RECENT_KEYS {
            if self.recent_keys.len() <= depth {
                self.recent_keys.resize_with(depth + 1, Vec::new);
            }
            if let Some(recent) = self.recent_keys.get_mut(depth) {
                recent.truncate(position);
                if recent.len() == position {
                    recent.push(key.clone());
                }
            }
        }
        Ok(key)
    }

    fn object(&mut self, depth: usize) -> Result<NodeValue, Fail> {
        self.pos += 1;
        let mut map = self.entries.open();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(NodeValue::Map(self.entries.close(map)));
        }
        let mut position = 0;
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(
                    self.error("expected a key in double quotes", "a key was expected here")
                );
            }
            let key_start = self.pos;
            let key = self.key(depth, position)?;
            position += 1;
            let key_span = self.span(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key", "`:` expected"));
            }
            self.pos += 1;
            self.skip_ws();
            let mut node = self.value(depth + 1)?;
            node.key = Some(key_span);
            if let Err(first) = self.entries.insert(&mut map, key.clone(), node) {
                let first = first.loc();
                self.problems.push(
                    Diagnostic::error("A307", format!("duplicate key `{key}`"))
                        .at(key_span, "given again here")
                        .also(first, "first given here"),
                );
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(NodeValue::Map(self.entries.close(map)));
                }
                _ => return Err(self.error("expected `,` or `}`", "`,` or `}` expected")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<NodeValue, Fail> {
        self.pos += 1;
        let base = self.items.len();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(NodeValue::List(Box::new([])));
        }
        loop {
            self.skip_ws();
            let item = self.value(depth + 1)?;
            self.items.push(item);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    let base = base.min(self.items.len());
                    return Ok(NodeValue::List(self.items.drain(base..).collect()));
                }
                _ => return Err(self.error("expected `,` or `]`", "`,` or `]` expected")),
            }
        }
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

    use super::*;

    /// The tree without positions, as serde_json reads the same text.
    fn plain(node: &Node) -> serde_json::Value {
        match &node.value {
            NodeValue::Null => serde_json::Value::Null,
            NodeValue::Bool(b) => (*b).into(),
            NodeValue::Num(n) => (*n).into(),
            NodeValue::Str(s) => s.to_string().into(),
            NodeValue::Date(_) | NodeValue::Dur(_) => unreachable!("the loader makes no dates"),
            NodeValue::List(items) => items.iter().map(plain).collect(),
            NodeValue::Map(fields) => fields
                .iter()
                .map(|(k, v)| (k.to_string(), plain(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    fn numbers_as_floats(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Number(n) => n.as_f64().map(Into::into).unwrap_or_default(),
            serde_json::Value::Array(a) => a.into_iter().map(numbers_as_floats).collect(),
            serde_json::Value::Object(o) => o
                .into_iter()
                .map(|(k, v)| (k, numbers_as_floats(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            other => other,
        }
    }

    fn load_one(text: &str) -> (Node, Vec<Diagnostic>) {
        let (mut docs, problems) = load(FileId(0), text, &Limits::default());
        assert_eq!(docs.len(), 1, "{text}: {problems:?}");
        (docs.remove(0).root, problems)
    }

    fn same_as_serde(text: &str) {
        let (root, problems) = load_one(text);
        assert!(problems.is_empty(), "{text}: {problems:?}");
        let expected = numbers_as_floats(serde_json::from_str(text).expect("valid JSON"));
        assert_eq!(plain(&root), expected, "{text}");
    }

    #[test]
    fn mappings_in_a_list_read_the_same_in_any_key_order() {
        same_as_serde(r#"[{"a": 1, "b": 2, "c": 3}, {"a": 4, "b": 5, "c": 6}]"#);
        same_as_serde(
            r#"[{"a": 1, "b": 2}, {"b": 3, "a": 4}, {"c": 5}, {"a": 6, "c": 7, "b": 8}]"#,
        );
        same_as_serde(r#"[{"ab": 1}, {"a\u0062": 2}, {"ab": 3}, {"a\"b": 4}, {"ab": 5}]"#);
        same_as_serde(r#"{"x": {"k": [1, {"k": 2}]}, "y": {"k": [3, {"k": 4, "j": []}]}}"#);
        same_as_serde(r#"[[], [[]], [1, [2, [3, []]], 4], {"a": [], "b": {}}, {}]"#);
    }

    #[test]
    fn generated_documents_read_as_serde_json_reads_them() {
        // A small deterministic generator: nested lists and mappings whose
        // keys repeat, in and out of order, some escaped.
        let keys = ["id", "name", "a\\u0062", "ab", "x\\\"y", "n"];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        fn value(next: &mut dyn FnMut(u64) -> u64, keys: &[&str], depth: usize, out: &mut String) {
            match if depth > 4 { 3 + next(3) } else { next(6) } {
                0 | 1 => {
                    out.push('{');
                    let count = next(5);
                    let start = next(keys.len() as u64) as usize;
                    for i in 0..count as usize {
                        if i > 0 {
                            out.push(',');
                        }
                        // Mostly in order from `start`; sometimes shuffled.
                        let k = if next(4) == 0 {
                            next(keys.len() as u64) as usize
                        } else {
                            start + i
                        };
                        let key = keys[k % keys.len()];
                        if out.ends_with('{')
                            || !out.contains(&format!("\"{key}\""))
                            || next(2) == 0
                        {
                            out.push_str(&format!("\"{key}{i}\":"));
                        } else {
                            out.push_str(&format!("\"{key}\":"));
                        }
                        value(next, keys, depth + 1, out);
                    }
                    out.push('}');
                }
                2 => {
                    out.push('[');
                    for i in 0..next(6) {
                        if i > 0 {
                            out.push(',');
                        }
                        value(next, keys, depth + 1, out);
                    }
                    out.push(']');
                }
                3 => out.push_str(&format!("\"s{}\"", next(3))),
                4 => out.push_str(&next(100).to_string()),
                _ => out.push_str(["true", "false", "null"][next(3) as usize]),
            }
        }
        let mut compared = 0;
        for _ in 0..400 {
            let mut text = String::from("[");
            for i in 0..4 {
                if i > 0 {
                    text.push(',');
                }
                value(&mut next, &keys, 0, &mut text);
            }
            text.push(']');
            // Keys repeated within one mapping are duplicates: serde_json
            // keeps the last, the loader the first and a problem. Compare
            // only texts without them.
            let (root, problems) = load_one(&text);
            if problems.is_empty() {
                let expected = numbers_as_floats(serde_json::from_str(&text).expect("valid JSON"));
                assert_eq!(plain(&root), expected, "{text}");
                compared += 1;
            }
        }
        assert!(
            compared >= 200,
            "only {compared} documents without duplicates"
        );
    }

    #[test]
    fn duplicate_keys_are_found_in_small_and_indexed_mappings() {
        let small = r#"[{"a": 1, "b": 2}, {"b": 3, "b": 4}]"#;
        let (_, problems) = load_one(small);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].message, "duplicate key `b`");

        let many: Vec<String> = (0..14).map(|i| format!("\"k{i}\": {i}")).collect();
        let large = format!(
            "[{{{}}}, {{{}, \"k3\": 0}}]",
            many.join(", "),
            many.join(", ")
        );
        let (root, problems) = load_one(&large);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].message, "duplicate key `k3`");
        // The first entry stays.
        let NodeValue::List(items) = &root.value else {
            panic!("a list")
        };
        assert_eq!(
            items[1].get("k3").map(|n| n.value.clone()),
            Some(NodeValue::Num(3.0))
        );
        assert_eq!(
            items[1].get("k13").map(|n| n.value.clone()),
            Some(NodeValue::Num(13.0))
        );
    }
}
