//! `--format json`: the stable `accord.check/v1` document.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use super::{Report, Tally};
use crate::check::model::PolicySet;
use crate::diagnostic::Diagnostic;
use crate::eval::rules::source_info;
use crate::eval::RuleResult;
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

/// What results are rendered with: serialised as they are written, nothing
/// is built in memory beside the output (a manifest can have a million results).
struct Output<'r> {
    set: &'r PolicySet,
    sources: &'r SourceMap,
}

struct Located<'r>(&'r SourceMap, Span);

impl Serialize for Located<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.location(self.1) {
            Some((path, line, column)) => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("line", &line)?;
                m.serialize_entry("column", &column)?;
                m.end()
            }
            None => s.serialize_none(),
        }
    }
}

struct ResultOut<'r>(&'r Output<'r>, &'r RuleResult);

impl Serialize for ResultOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (out, r) = (self.0, self.1);
        let info = source_info(out.set, r.source);
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("rule", &info.id)?;
        m.serialize_entry("level", info.level.word())?;
        m.serialize_entry("outcome", r.outcome.word())?;
        m.serialize_entry("title", info.title.unwrap_or(&info.id))?;
        m.serialize_entry("message", &r.message)?;
        m.serialize_entry("location", &Located(out.sources, r.location))?;
        m.serialize_entry("policy_location", &Located(out.sources, info.span))?;
        m.end()
    }
}

struct DocumentOut<'r>(&'r Output<'r>, &'r CheckedDocument);

impl Serialize for DocumentOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (out, doc) = (self.0, self.1);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("path", &doc.path)?;
        m.serialize_entry("kind", &doc.kind)?;
        m.serialize_entry("id", &doc.id)?;
        m.serialize_entry("verdict", doc.report.verdict.word())?;
        if let Some(score) = doc.report.score {
            m.serialize_entry("score", &score)?;
        }
        m.serialize_entry(
            "results",
            &Seq(|| doc.report.results.iter().map(|r| ResultOut(out, r))),
        )?;
        if !doc.report.gates.is_empty() {
            let gates: Vec<Value> = doc
                .report
                .gates
                .iter()
                .map(|(g, open)| json!({"gate": g, "status": if *open { "open" } else { "blocked" }}))
                .collect();
            m.serialize_entry("gates", &gates)?;
        }
        m.end()
    }
}

/// A sequence serialised from an iterator, without collecting it.
struct Seq<F>(F);

impl<F, I, T> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
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

/// One document of the `documents` list, as [`Stream`] writes it.
pub fn document(
    set: &PolicySet,
    sources: &SourceMap,
    doc: &CheckedDocument,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_nested(&DocumentOut(&Output { set, sources }, doc), 4, out)
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
