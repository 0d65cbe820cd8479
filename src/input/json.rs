//! A JSON reader that keeps the byte span of every key and value.

use super::{Document, FieldsBuilder, Interner, Node, NodeValue, Text};
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
}

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

    fn string(&mut self) -> Result<Text, Fail> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut plain = true;
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
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

    fn object(&mut self, depth: usize) -> Result<NodeValue, Fail> {
        self.pos += 1;
        let mut map = FieldsBuilder::default();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(NodeValue::Map(map.finish()));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(
                    self.error("expected a key in double quotes", "a key was expected here")
                );
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = self.span(key_start, self.pos);
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:` after the key", "`:` expected"));
            }
            self.pos += 1;
            self.skip_ws();
            let mut node = self.value(depth + 1)?;
            node.key = Some(key_span);
            if let Err(first) = map.insert(key.clone(), node) {
                self.problems.push(
                    Diagnostic::error("A307", format!("duplicate key `{key}`"))
                        .at(key_span, "given again here")
                        .also(first.loc(), "first given here"),
                );
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(NodeValue::Map(map.finish()));
                }
                _ => return Err(self.error("expected `,` or `}`", "`,` or `}` expected")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<NodeValue, Fail> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(NodeValue::List(items.into_boxed_slice()));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(NodeValue::List(items.into_boxed_slice()));
                }
                _ => return Err(self.error("expected `,` or `]`", "`,` or `]` expected")),
            }
        }
    }
}
