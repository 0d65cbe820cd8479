//! `--format json`: the stable `accord.check/v1` document.

use serde::ser::Serialize;
use serde_json::{json, Value};

use super::{Report, Tally};
use crate::check::model::{PolicySet, SetId};
use crate::diagnostic::Diagnostic;
use crate::eval::rules::source_info;
use crate::eval::rules::Source;
use crate::source::{SourceMap, Span};
use crate::CheckedDocument;

pub const FORMAT: &str = "accord.check/v1";

pub fn diagnostic(sources: &SourceMap, d: &Diagnostic, fallback_path: Option<&str>) -> Value {
    let (path, line, column) = match d.location(sources) {
        Some((p, l, c)) => (Value::from(p), Value::from(l), Value::from(c)),
        None => (
            fallback_path.map(Value::from).unwrap_or(Value::Null),
            Value::Null,
            Value::Null,
        ),
    };
    // Machine readers see no notes: the help ("did you mean") goes into the
    // message, and so do the other places (the first declaration, the call).
    let mut message = d.message.clone();
    for label in d.labels.iter().filter(|l| !l.primary) {
        if let Some((p, l, c)) = sources.location(label.span) {
            message.push_str(&format!(" ({} at {p}:{l}:{c})", label.message));
        }
    }
    for help in d.notes.iter().filter_map(|n| n.strip_prefix("help: ")) {
        message.push_str(&format!(" ({help})"));
    }
    json!({"path": path, "line": line, "column": column, "code": d.code, "message": message})
}

/// One document of the `documents` list, as [`Stream`] writes it: pretty
/// JSON, two spaces a level, as `serde_json::to_string_pretty` writes it, the
/// document two levels deep. Written by hand, because a manifest can have a
/// million results, and each result of a rule repeats the rule's own part
/// (its id, level, title and place), which is made once per document.
pub fn document(
    set: &PolicySet,
    sources: &SourceMap,
    doc: &CheckedDocument,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut w = Pretty {
        buf: Vec::with_capacity(rendered_size(doc).min(BLOCK)),
        out,
        paths: Vec::new(),
    };
    w.buf.push(b'{');
    w.key(3, "path", true);
    w.string(&doc.path);
    w.key(3, "kind", false);
    w.string(&doc.kind);
    w.key(3, "id", false);
    w.string(&doc.id);
    w.key(3, "verdict", false);
    w.string(doc.report.verdict.word());
    if let Some(score) = doc.report.score {
        w.key(3, "score", false);
        let _ = serde_json::to_writer(&mut w.buf, &score);
    }
    w.key(3, "results", false);
    if doc.report.results.is_empty() {
        w.buf.extend_from_slice(b"[]");
    } else {
        w.buf.push(b'[');
        RULE_PARTS.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache.0 != Some(set.id) {
                *cache = (Some(set.id), Default::default());
            }
            let parts = &mut cache.1;
            for (i, r) in doc.report.results.iter().enumerate() {
                if i > 0 {
                    w.buf.push(b',');
                }
                w.line(4);
                w.buf.push(b'{');
                let rule = parts
                    .entry(r.source)
                    .or_insert_with(|| RuleParts::new(&mut w, set, sources, r.source));
                w.buf.extend_from_slice(&rule.head);
                w.string(r.outcome.word());
                w.buf.extend_from_slice(&rule.middle);
                w.string(&r.message);
                w.key(5, "location", false);
                w.location(sources, r.location, 5);
                w.buf.extend_from_slice(&rule.tail);
                w.flush_if_full()?;
            }
            Ok::<(), std::io::Error>(())
        })?;
        w.line(3);
        w.buf.push(b']');
    }
    if !doc.report.gates.is_empty() {
        w.key(3, "gates", false);
        w.buf.push(b'[');
        for (i, (gate, open)) in doc.report.gates.iter().enumerate() {
            if i > 0 {
                w.buf.push(b',');
            }
            w.line(4);
            w.buf.push(b'{');
            w.key(5, "gate", true);
            w.string(gate);
            w.key(5, "status", false);
            w.string(if *open { "open" } else { "blocked" });
            w.line(4);
            w.buf.push(b'}');
        }
        w.line(3);
        w.buf.push(b']');
    }
    w.line(2);
    w.buf.push(b'}');
    w.out.write_all(&w.buf)
}

thread_local! {
    /// Each rule's part of a result, for the last policy set rendered on
    /// this thread: a run renders thousands of documents with the same rules.
    static RULE_PARTS: std::cell::RefCell<(Option<SetId>, rustc_hash::FxHashMap<Source, RuleParts>)> =
        std::cell::RefCell::new((None, Default::default()));
}

/// Output is handed on in blocks of about this many bytes.
const BLOCK: usize = 1 << 15;

/// About how many bytes a document's JSON takes: a small document's buffer
/// is made to measure, not a block.
pub fn rendered_size(doc: &CheckedDocument) -> usize {
    doc.report
        .results
        .len()
        .saturating_mul(640)
        .saturating_add(512)
}

/// Pretty JSON made in a buffer that is written out a block at a time.
struct Pretty<'o> {
    buf: Vec<u8>,
    out: &'o mut dyn std::io::Write,
    /// Each file's name, escaped, as locations repeat it.
    paths: Vec<(crate::source::FileId, Vec<u8>)>,
}

impl Pretty<'_> {
    fn line(&mut self, depth: usize) {
        const NEWLINE_AND_SPACES: &[u8; 33] = b"\n                                ";
        match NEWLINE_AND_SPACES.get(..1 + depth * 2) {
            Some(indented) => self.buf.extend_from_slice(indented),
            None => {
                self.buf.push(b'\n');
                self.buf.resize(self.buf.len() + depth * 2, b' ');
            }
        }
    }

    /// A key at `depth`, after a comma unless it is the first.
    fn key(&mut self, depth: usize, key: &str, first: bool) {
        if !first {
            self.buf.push(b',');
        }
        self.line(depth);
        // Keys are this module's own words: nothing in them needs escaping.
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\": ");
    }

    /// A JSON string, escaped as serde_json escapes it.
    fn string(&mut self, text: &str) {
        if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.buf.push(b'"');
            self.buf.extend_from_slice(text.as_bytes());
            self.buf.push(b'"');
        } else {
            let _ = serde_json::to_writer(&mut self.buf, text);
        }
    }

    /// A location object whose key is at `depth`, or `null`.
    fn location(&mut self, sources: &SourceMap, span: Span, depth: usize) {
        let (Some(file), Some((name, line, column))) = (span.file(), sources.location(span)) else {
            self.buf.extend_from_slice(b"null");
            return;
        };
        self.buf.push(b'{');
        self.key(depth + 1, "path", true);
        match self.paths.iter().find(|(f, _)| *f == file) {
            Some((_, escaped)) => self.buf.extend_from_slice(escaped),
            None => {
                let start = self.buf.len();
                self.string(name);
                let escaped = self.buf.get(start..).unwrap_or_default().to_vec();
                self.paths.push((file, escaped));
            }
        }
        self.key(depth + 1, "line", false);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
        self.key(depth + 1, "column", false);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(column).as_bytes());
        self.line(depth);
        self.buf.push(b'}');
    }

    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= BLOCK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// The bytes of a result that depend only on what produced it: before the
/// outcome, between the outcome and the message, and after the location.
struct RuleParts {
    head: Vec<u8>,
    middle: Vec<u8>,
    tail: Vec<u8>,
}

impl RuleParts {
    fn new(w: &mut Pretty<'_>, set: &PolicySet, sources: &SourceMap, source: Source) -> RuleParts {
        let info = source_info(set, source);
        let part = |w: &mut Pretty<'_>, make: &mut dyn FnMut(&mut Pretty<'_>)| {
            let start = w.buf.len();
            make(w);
            let bytes = w.buf.get(start..).unwrap_or_default().to_vec();
            w.buf.truncate(start);
            bytes
        };
        let head = part(w, &mut |w| {
            w.key(5, "rule", true);
            w.string(&info.id);
            w.key(5, "level", false);
            w.string(info.level.word());
            w.key(5, "outcome", false);
        });
        let middle = part(w, &mut |w| {
            w.key(5, "title", false);
            w.string(info.title.unwrap_or(&info.id));
            w.key(5, "message", false);
        });
        let tail = part(w, &mut |w| {
            w.key(5, "policy_location", false);
            w.location(sources, info.span, 5);
            w.line(4);
            w.buf.push(b'}');
        });
        RuleParts { head, middle, tail }
    }
}

/// `--format json` written a document at a time: the documents of a run are
/// forgotten as soon as they are written; only diagnostics wait for the end.
#[derive(Default)]
pub struct Stream {
    errors: Vec<Value>,
    warnings: Vec<Value>,
    tally: Tally,
}

/// Pretty JSON of `value`, its lines after the first indented by `indent`
/// spaces (it is nested that deep in the whole output).
fn nested<T: Serialize>(value: &T, indent: usize) -> String {
    let mut out = Vec::new();
    let _ = write_nested(value, indent, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`nested`], written as it is made (in blocks: serde writes many small pieces).
fn write_nested<T: Serialize>(
    value: &T,
    indent: usize,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut block = std::io::BufWriter::with_capacity(1 << 15, out);
    let formatter = Nested {
        depth: indent / 2,
        has_value: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut block, formatter);
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    std::io::Write::flush(&mut block)
}

/// Pretty JSON (two spaces a level, as `serde_json::to_string_pretty`) of a
/// value that sits `depth` levels deep in the whole output.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(b"\n")?;
        let mut left = self.depth * 2;
        while left > 0 {
            let n = left.min(SPACES.len());
            w.write_all(SPACES.get(..n).unwrap_or_default())?;
            left -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.line(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

impl Stream {
    /// The output up to the first document.
    pub fn start(&self) -> String {
        format!("{{\n  \"format\": \"{FORMAT}\",\n  \"documents\": [")
    }

    /// Writes a document after what came before.
    pub fn document(
        &mut self,
        set: &PolicySet,
        sources: &SourceMap,
        doc: &CheckedDocument,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let separator = if self.tally.documents == 0 { "" } else { "," };
        self.tally.document(doc, set);
        write!(out, "{separator}\n    ")?;
        document(set, sources, doc, out)
    }

    /// Writes a document already rendered by [`document`].
    pub fn rendered(
        &mut self,
        doc: &CheckedDocument,
        set: &PolicySet,
        output: &[u8],
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let separator = if self.tally.documents == 0 { "" } else { "," };
        self.tally.document(doc, set);
        write!(out, "{separator}\n    ")?;
        out.write_all(output)
    }

    /// Keeps a diagnostic for the end, located now (its file may be released).
    pub fn diagnostic(&mut self, sources: &SourceMap, d: &Diagnostic) {
        self.tally.diagnostic(d);
        let value = diagnostic(sources, d, None);
        if d.is_error() {
            self.errors.push(value);
        } else {
            self.warnings.push(value);
        }
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The rest of the output: the diagnostics and the summary.
    pub fn finish(&self) -> String {
        let t = &self.tally;
        let close = if t.documents == 0 { "]" } else { "\n  ]" };
        let summary = json!({
            "documents": t.documents,
            "pass": t.pass,
            "warn": t.warn,
            "fail": t.fail,
            "errors": t.errors,
        });
        format!(
            "{close},\n  \"errors\": {},\n  \"warnings\": {},\n  \"summary\": {}\n}}\n",
            nested(&self.errors, 2),
            nested(&self.warnings, 2),
            nested(&summary, 2)
        )
    }
}

pub fn render(report: &Report, set: &PolicySet, sources: &SourceMap) -> String {
    let mut stream = Stream::default();
    let mut text = stream.start();
    let mut documents = Vec::new();
    for doc in &report.documents {
        let _ = stream.document(set, sources, doc, &mut documents);
    }
    text.push_str(&String::from_utf8_lossy(&documents));
    for d in &report.diagnostics {
        stream.diagnostic(sources, d);
    }
    text.push_str(&stream.finish());
    text
}
