//! `policy fmt`: prints a parsed policy file in the one canonical layout,
//! keeping every comment. Formatting is done from the AST; comments, which
//! the AST does not hold, are read from the source text with their positions
//! and put back next to the code they were next to.
//!
//! # The layout
//!
//! - Indentation is 2 spaces per block level; every line ends without
//!   trailing whitespace and the file ends with exactly one newline.
//! - One top-level declaration per line group; a declaration's header is one
//!   line: `KIND NAME "TITLE" {`, `schema NAME {`, `policy NAME "TITLE"`,
//!   `import std.NAME`, and `fn name(a, b) = EXPR`.
//! - A block or schema body with no entries is `{}` (a `policy` header with
//!   no entries loses its braces).
//! - A body whose first entry starts on the line of its `{` in the source,
//!   that holds no comment, whose nested bodies could all be printed on one
//!   line, and that fits in 100 columns on one line, is printed on one line:
//!   `role cio "CIO" { department it }`, with two spaces between entries.
//!   Otherwise it has one entry per line and the `}` on a line of its own
//!   (`}]` for a list of records). As prettier does for object literals, the
//!   newline after the `{` is the author's choice: adding it keeps the body
//!   expanded, removing it lets a short body collapse onto one line.
//! - In a multi-line block, the values of plain `KEY VALUE` entries (and of
//!   `target`) start in one column: one space after the longest key of the
//!   block. `each`, `let`, `expect` and nested rules are not aligned. In a
//!   multi-line schema body, the types of plain fields start one space after
//!   the longest plain field name of the body; a record (`name? { ... }`) or
//!   a list of records (`name [{ ... }]`) follows its name after one space.
//! - `?` is written after the type of a plain field (`tags [string]?`) and
//!   after the name of a record or a list of records (`sso? { ... }`,
//!   `access? [{ ... }]`).
//! - Expressions are printed on one line with single spaces around binary
//!   operators, after `,` and `:`, and nothing else; parentheses are printed
//!   exactly where the source had them (the AST keeps them), and trailing
//!   commas are dropped. One exception: when the value of an entry (or the
//!   body of a `fn`) is a chain of `or` (or of `and`) and the source breaks a
//!   line between two of its operands, every operand after the first goes on
//!   its own line, starting with the operator, aligned with the value.
//! - Numbers, percentages, durations and dates are printed as written.
//!   Strings are re-escaped (`\"` `\\` `\n` `\t` `\{` `\}`, `\u{..}` for
//!   other control characters) with their interpolations `{expr}` printed as
//!   expressions; in titles, where `{...}` is kept as text, an interpolation
//!   is printed exactly as written.
//! - At most one blank line is kept where the source had one or more, between
//!   declarations, entries and comments, but never right after a `{` or right
//!   before a `}`.
//!
//! # Comments
//!
//! A comment that follows code on its line stays at the end of the line that
//! prints that code. A comment on a line of its own is printed on a line of
//! its own, indented like the code after it, before the first line of code
//! that comes after it in the source; one that sits inside the code of a
//! line (between the lines of a multi-line expression or header) goes to the
//! end of that line. So `##` documentation stays directly above its
//! declaration, and nothing becomes documentation that was not.

use super::ast::*;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Formats one policy file. A file with syntax errors is not formatted: its
/// diagnostics are returned instead.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (ast, diagnostics) = super::parse_file(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    Ok(format_parsed(&ast, text))
}

/// Formats the AST `file` parsed from `text` (spans index into `text`).
pub fn format_parsed(file: &File, text: &str) -> String {
    let mut titles = Vec::new();
    for item in &file.items {
        title_spans(item, &mut titles);
    }
    // Titles are printed with their interpolations as written: a comment
    // inside one is printed with it.
    let comments = comments(text)
        .into_iter()
        .filter(|c| {
            !titles
                .iter()
                .any(|t| t.range().is_some_and(|r| r.contains(&c.start)))
        })
        .collect();
    let mut printer = Printer {
        src: text,
        comments,
        lines: Vec::new(),
    };
    for item in &file.items {
        printer.item(item);
    }
    printer.render()
}

/// The AST without its spans, as text: two files have the same shape when
/// they mean the same (documentation comments included).
pub fn shape(file: &File) -> String {
    let debug = format!("{:?}", file.items);
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    const REAL: &str = "Real { file: ";
    while let Some(at) = rest.find(REAL) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at..).unwrap_or("");
        match after.find('}') {
            Some(close) => {
                out.push_str("Span");
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------- comments

/// A comment of the source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Where its `#` is.
    pub start: usize,
    /// Where its line ends (the `\n`, or the end of the text).
    pub end: usize,
    /// The comment from its `#`, without trailing whitespace.
    pub text: String,
    /// Nothing but whitespace before it on its line.
    pub own_line: bool,
}

/// Strings nested (through interpolations) deeper than this are not looked
/// into; the parser refuses such files anyway.
const MAX_STRING_NESTING: usize = 512;

/// Every comment of `text`: a `#` outside strings, to the end of its line
/// (`##` documentation comments included). Comments inside the
/// interpolations of strings are found too.
pub fn comments(text: &str) -> Vec<Comment> {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        i: 0,
        found: Vec::new(),
    };
    scan.code(0);
    scan.found
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    i: usize,
    found: Vec<Comment>,
}

impl Scan<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    /// Code to the end of the text, or (inside an interpolation, `depth > 0`)
    /// to the `}` that closes it.
    fn code(&mut self, depth: usize) {
        while let Some(b) = self.at(self.i) {
            match b {
                b'#' => self.comment(),
                b'"' if depth < MAX_STRING_NESTING => self.string(depth + 1),
                b'}' if depth > 0 => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
    }

    /// A string from its opening quote, as the grammar reads it.
    fn string(&mut self, depth: usize) {
        self.i += 1;
        while let Some(b) = self.at(self.i) {
            match b {
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\n' => return,
                b'\\' => {
                    // `\u{...}` runs to the first `}`, unless a `"` comes first.
                    if self.at(self.i + 1) == Some(b'u') && self.at(self.i + 2) == Some(b'{') {
                        let rest = self.bytes.get(self.i + 3..).unwrap_or(&[]);
                        let stop = rest.iter().position(|c| *c == b'}' || *c == b'"');
                        if let Some(k) = stop.filter(|k| rest.get(*k) == Some(&b'}')) {
                            self.i += 3 + k + 1;
                            continue;
                        }
                    }
                    self.i += 2;
                }
                b'{' => {
                    self.i += 1;
                    self.code(depth);
                }
                _ => self.i += 1,
            }
        }
    }

    fn comment(&mut self) {
        let start = self.i;
        let end = self
            .bytes
            .get(start..)
            .and_then(|rest| rest.iter().position(|c| *c == b'\n'))
            .map_or(self.bytes.len(), |k| start + k);
        let line_start = self
            .text
            .get(..start)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |k| k + 1);
        let own_line = self
            .text
            .get(line_start..start)
            .is_some_and(|t| t.chars().all(|c| c.is_whitespace() || c == '\u{feff}'));
        self.found.push(Comment {
            start,
            end,
            text: self
                .text
                .get(start..end)
                .unwrap_or("")
                .trim_end()
                .to_string(),
            own_line,
        });
        self.i = end;
    }
}

fn title_spans(item: &Item, out: &mut Vec<Span>) {
    fn block(b: &Block, out: &mut Vec<Span>) {
        out.extend(b.title.as_ref().map(|t| t.span));
        for e in &b.entries {
            if let Entry::Rule(r) = e {
                block(r, out);
            }
        }
    }
    match item {
        Item::Policy(p) => {
            out.extend(p.title.as_ref().map(|t| t.span));
            for e in &p.entries {
                if let Entry::Rule(r) = e {
                    block(r, out);
                }
            }
        }
        Item::Block(b) => block(b, out),
        Item::Import(_) | Item::Fn(_) | Item::Schema(_) => {}
    }
}

// ---------------------------------------------------------------- lines

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    /// Ends with the `{` of a multi-line body.
    Open,
    /// The `}` of a multi-line body.
    Close,
}

/// One line of output, and the source range of the code it prints.
struct Line {
    indent: usize,
    text: String,
    start: usize,
    end: usize,
    kind: Kind,
    /// Comments printed at its end (indexes into `Printer::comments`).
    trailing: Vec<usize>,
}

struct Printer<'t> {
    src: &'t str,
    comments: Vec<Comment>,
    lines: Vec<Line>,
}

fn end_of(span: Span) -> usize {
    span.range().map_or(0, |r| r.end)
}

fn entry_start(e: &Entry) -> usize {
    e.span().start()
}

/// The operands of `e` if it is a chain of `or` or of `and`, and its operator.
fn chain(e: &Expr) -> Option<(BinOp, Vec<&Expr>)> {
    let ExprKind::Binary(op @ (BinOp::Or | BinOp::And), left, right) = &e.kind else {
        return None;
    };
    let mut rights = vec![right.as_ref()];
    let mut left = left.as_ref();
    while let ExprKind::Binary(inner, l, r) = &left.kind {
        if inner != op {
            break;
        }
        rights.push(r.as_ref());
        left = l.as_ref();
    }
    let mut operands = vec![left];
    operands.extend(rights.into_iter().rev());
    Some((*op, operands))
}

/// `s` as an Accord string literal: in double quotes, escaped (braces too,
/// so nothing interpolates).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(&mut out, s);
    out.push('"');
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
}

impl Printer<'_> {
    fn push(&mut self, indent: usize, text: String, start: usize, end: usize, kind: Kind) {
        self.lines.push(Line {
            indent,
            text,
            start,
            end,
            kind,
            trailing: Vec::new(),
        });
    }

    fn slice(&self, span: Span) -> &str {
        span.range()
            .and_then(|r| self.src.get(r))
            .unwrap_or_default()
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    /// The first position at or after `i` that is neither whitespace nor in a comment.
    fn skip_trivia(&self, mut i: usize) -> usize {
        let bytes = self.src.as_bytes();
        while let Some(&b) = bytes.get(i) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => {
                    while bytes.get(i).is_some_and(|c| *c != b'\n') {
                        i += 1;
                    }
                }
                // A byte-order mark (U+FEFF) is whitespace to the grammar.
                0xEF if bytes.get(i..i + 3) == Some(&[0xEF, 0xBB, 0xBF]) => i += 3,
                _ => break,
            }
        }
        i
    }

    /// Where the code of `span` ends. The parser's spans of some nodes (a
    /// quantifier, an entry, a field) run on over the whitespace and comments
    /// that follow them.
    fn code_end(&self, span: Span) -> usize {
        let mut end = end_of(span);
        loop {
            let trimmed = self.src.get(..end).map_or(end, |t| {
                t.trim_end_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .len()
            });
            let Some(last) = trimmed.checked_sub(1) else {
                return trimmed;
            };
            let k = self.comments.partition_point(|c| c.start <= last);
            match k.checked_sub(1).and_then(|i| self.comments.get(i)) {
                Some(c) if last < c.end => end = c.start,
                _ => return trimmed,
            }
        }
    }

    /// Whether a comment starts strictly between `from` and `to`.
    fn has_comment(&self, from: usize, to: usize) -> bool {
        let first = self.comments.partition_point(|c| c.start <= from);
        self.comments.get(first).is_some_and(|c| c.start < to)
    }

    fn has_newline(&self, from: usize, to: usize) -> bool {
        self.src.get(from..to).is_some_and(|t| t.contains('\n'))
    }

    // ------------------------------------------------------------ items

    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(i) => self.push(
                0,
                format!("import {}", i.module.text),
                i.span.start(),
                self.code_end(i.span),
                Kind::Plain,
            ),
            Item::Fn(f) => {
                let params: Vec<&str> = f.params.iter().map(|p| p.text.as_str()).collect();
                let prefix = format!("fn {}({}) = ", f.name.text, params.join(", "));
                self.value(0, prefix, f.span.start(), &f.body);
            }
            Item::Policy(p) => {
                let header = format!("policy {}{}", p.name.text, self.title(p.title.as_ref()));
                let after = p
                    .title
                    .as_ref()
                    .map_or(end_of(p.name.span), |t| end_of(t.span));
                let open = self.skip_trivia(after);
                let close = self.code_end(p.span).saturating_sub(1);
                let has_body = self.byte(open) == Some(b'{') && open < close;
                if has_body && (!p.entries.is_empty() || self.has_comment(open, close)) {
                    self.body(0, header, p.span.start(), open, close, &p.entries);
                } else {
                    self.push(
                        0,
                        header,
                        p.span.start(),
                        self.code_end(p.span),
                        Kind::Plain,
                    );
                }
            }
            Item::Schema(s) => {
                let open = self.skip_trivia(end_of(s.name.span));
                let close = end_of(s.span).saturating_sub(1);
                let body = SchemaBody {
                    start: s.span.start(),
                    open,
                    close,
                    end: close + 1,
                    list: false,
                };
                self.schema_body(0, format!("schema {}", s.name.text), &body, &s.fields);
            }
            Item::Block(b) => self.block(b, 0),
        }
    }

    fn title(&self, title: Option<&Name>) -> String {
        match title {
            Some(t) => format!(" {}", self.title_literal(t)),
            None => String::new(),
        }
    }

    /// A title: its text re-escaped, its interpolations as written.
    fn title_literal(&self, title: &Name) -> String {
        let raw = self.slice(title.span);
        let Ok(Expr {
            kind: ExprKind::Str(parts),
            ..
        }) = super::parse_expr(FileId(0), raw)
        else {
            return quote(&title.text);
        };
        let mut out = String::from("\"");
        for part in &parts {
            match part {
                StrPart::Text(text) => escape_into(&mut out, text),
                StrPart::Interpolation(e) => {
                    out.push('{');
                    out.push_str(e.span.range().and_then(|r| raw.get(r)).unwrap_or(""));
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    // ------------------------------------------------------------ blocks

    /// Where the `{` and the `}` of a block are.
    fn block_braces(&self, b: &Block) -> (usize, usize) {
        let after = b
            .title
            .as_ref()
            .map_or(end_of(b.name.span), |t| end_of(t.span));
        (self.skip_trivia(after), end_of(b.span).saturating_sub(1))
    }

    fn block_header(&self, b: &Block) -> String {
        format!(
            "{} {}{}",
            b.kind.keyword(),
            b.name.text,
            self.title(b.title.as_ref())
        )
    }

    fn block(&mut self, b: &Block, indent: usize) {
        let (open, close) = self.block_braces(b);
        let header = self.block_header(b);
        self.body(indent, header, b.span.start(), open, close, &b.entries);
    }

    /// Whether a block prints as one line.
    fn block_is_one_line(&self, b: &Block) -> bool {
        let (open, close) = self.block_braces(b);
        (b.entries.is_empty() && !self.has_comment(open, close))
            || self.entries_fit_one_line(&b.entries, open, close)
    }

    fn entries_fit_one_line(&self, entries: &[Entry], open: usize, close: usize) -> bool {
        let Some(first) = entries.first() else {
            return false;
        };
        !self.has_comment(open, close)
            && !self.has_newline(open, entry_start(first))
            && entries.iter().all(|e| match e {
                Entry::Rule(b) => self.block_is_one_line(b),
                _ => true,
            })
    }

    fn body(
        &mut self,
        indent: usize,
        header: String,
        start: usize,
        open: usize,
        close: usize,
        entries: &[Entry],
    ) {
        if entries.is_empty() && !self.has_comment(open, close) {
            self.push(
                indent,
                format!("{header} {{}}"),
                start,
                close + 1,
                Kind::Plain,
            );
            return;
        }
        if self.entries_fit_one_line(entries, open, close) {
            let inner: Vec<String> = entries.iter().map(|e| self.entry_inline(e)).collect();
            let text = format!("{header} {{ {} }}", inner.join("  "));
            if fits(indent, &text) {
                self.push(indent, text, start, close + 1, Kind::Plain);
                return;
            }
        }
        self.push(indent, format!("{header} {{"), start, open + 1, Kind::Open);
        let width = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Key { key, .. } => Some(key.text.chars().count()),
                Entry::Target { .. } => Some("target".len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for e in entries {
            self.entry(e, indent + 2, width);
        }
        self.push(indent, "}".into(), close, close + 1, Kind::Close);
    }

    fn entry_inline(&self, e: &Entry) -> String {
        match e {
            Entry::Key { key, value } => format!("{} {}", key.text, self.expr(value)),
            Entry::Each { var, list, .. } => format!("each {} in {}", var.text, self.expr(list)),
            Entry::Let { var, value, .. } => format!("let {} = {}", var.text, self.expr(value)),
            Entry::Expect { what, arg, .. } => format!("expect {} {}", what.text, arg.text),
            Entry::Target { op, value, .. } => {
                format!("target {} {}", op.symbol(), self.expr(value))
            }
            Entry::Rule(b) => {
                let header = self.block_header(b);
                if b.entries.is_empty() {
                    format!("{header} {{}}")
                } else {
                    let inner: Vec<String> =
                        b.entries.iter().map(|e| self.entry_inline(e)).collect();
                    format!("{header} {{ {} }}", inner.join("  "))
                }
            }
        }
    }

    fn entry(&mut self, e: &Entry, indent: usize, width: usize) {
        match e {
            Entry::Key { key, value } => {
                let prefix = format!("{:<width$} ", key.text);
                self.value(indent, prefix, key.span.start(), value);
            }
            Entry::Target {
                op, value, span, ..
            } => {
                let prefix = format!("{:<width$} {} ", "target", op.symbol());
                self.value(indent, prefix, span.start(), value);
            }
            Entry::Each { var, list, span } => {
                self.value(indent, format!("each {} in ", var.text), span.start(), list);
            }
            Entry::Let { var, value, span } => {
                self.value(indent, format!("let {} = ", var.text), span.start(), value);
            }
            Entry::Expect { what, arg, span } => self.push(
                indent,
                format!("expect {} {}", what.text, arg.text),
                span.start(),
                self.code_end(*span),
                Kind::Plain,
            ),
            Entry::Rule(b) => self.block(b, indent),
        }
    }

    /// `prefix` then the value `e`, the line's code starting at `start`. A
    /// chain of `or`/`and` the source broke between operands is printed one
    /// operand per line.
    fn value(&mut self, indent: usize, prefix: String, start: usize, e: &Expr) {
        if let Some((op, operands)) = chain(e) {
            let broken = operands.windows(2).any(|pair| match pair {
                [a, b] => self.has_newline(self.code_end(a.span), b.span.start()),
                _ => false,
            });
            if broken {
                let column = indent + prefix.chars().count();
                let mut from = start;
                for (i, operand) in operands.iter().enumerate() {
                    let text = self.expr(operand);
                    let to = self.code_end(operand.span);
                    if i == 0 {
                        self.push(indent, format!("{prefix}{text}"), from, to, Kind::Plain);
                    } else {
                        let text = format!("{} {text}", op.symbol());
                        self.push(column, text, from, to, Kind::Plain);
                    }
                    from = to;
                }
                return;
            }
        }
        let text = format!("{prefix}{}", self.expr(e));
        self.push(indent, text, start, self.code_end(e.span), Kind::Plain);
    }

    // ------------------------------------------------------------ schemas

    fn schema_body(
        &mut self,
        indent: usize,
        header: String,
        at: &SchemaBody,
        fields: &[SchemaField],
    ) {
        let (open_tok, close_tok) = if at.list { ("[{", "}]") } else { ("{", "}") };
        if fields.is_empty() && !self.has_comment(at.open, at.close) {
            let text = format!("{header} {open_tok}{close_tok}");
            self.push(indent, text, at.start, at.end, Kind::Plain);
            return;
        }
        if self.fields_fit_one_line(fields, at.open, at.close) {
            let inner: Vec<String> = fields.iter().map(|f| self.field_inline(f)).collect();
            let text = format!("{header} {open_tok} {} {close_tok}", inner.join("  "));
            if fits(indent, &text) {
                self.push(indent, text, at.start, at.end, Kind::Plain);
                return;
            }
        }
        let text = format!("{header} {open_tok}");
        self.push(indent, text, at.start, at.open + 1, Kind::Open);
        let width = fields
            .iter()
            .filter(|f| !matches!(f.ty, TypeExpr::Record(..) | TypeExpr::RecordList(..)))
            .map(|f| f.name.text.chars().count())
            .max()
            .unwrap_or(0);
        for f in fields {
            self.field(f, indent + 2, width);
        }
        self.push(indent, close_tok.into(), at.close, at.end, Kind::Close);
    }

    /// Where the braces of a record field are.
    fn record_body(&self, f: &SchemaField, fields: &[SchemaField], list: bool) -> SchemaBody {
        let mut open = self.skip_trivia(end_of(f.name.span));
        if self.byte(open) == Some(b'?') {
            open = self.skip_trivia(open + 1);
        }
        if list && self.byte(open) == Some(b'[') {
            open = self.skip_trivia(open + 1);
        }
        let end = self.code_end(f.span);
        let close = if list {
            self.skip_trivia(fields.last().map_or(open + 1, |l| end_of(l.span)))
        } else {
            end.saturating_sub(1)
        };
        SchemaBody {
            start: f.span.start(),
            open,
            close,
            end: if list { end } else { close + 1 },
            list,
        }
    }

    fn fields_fit_one_line(&self, fields: &[SchemaField], open: usize, close: usize) -> bool {
        let Some(first) = fields.first() else {
            return false;
        };
        !self.has_comment(open, close)
            && !self.has_newline(open, first.span.start())
            && fields.iter().all(|f| match &f.ty {
                TypeExpr::Record(inner, _) | TypeExpr::RecordList(inner, _) => {
                    let at = self.record_body(f, inner, matches!(f.ty, TypeExpr::RecordList(..)));
                    inner.is_empty() || self.fields_fit_one_line(inner, at.open, at.close)
                }
                _ => true,
            })
    }

    fn field(&mut self, f: &SchemaField, indent: usize, width: usize) {
        match &f.ty {
            TypeExpr::Record(fields, _) | TypeExpr::RecordList(fields, _) => {
                let at = self.record_body(f, fields, matches!(f.ty, TypeExpr::RecordList(..)));
                self.schema_body(indent, field_name(f), &at, fields);
            }
            ty => {
                let name = format!("{:<width$}", f.name.text);
                let text = format!("{name} {}{}", self.type_text(ty), mark(f.optional));
                self.push(
                    indent,
                    text,
                    f.span.start(),
                    self.code_end(f.span),
                    Kind::Plain,
                );
            }
        }
    }

    fn field_inline(&self, f: &SchemaField) -> String {
        let name = field_name(f);
        match &f.ty {
            TypeExpr::Record(fields, _) | TypeExpr::RecordList(fields, _) => {
                let (open, close) = match f.ty {
                    TypeExpr::RecordList(..) => ("[{", "}]"),
                    _ => ("{", "}"),
                };
                if fields.is_empty() {
                    format!("{name} {open}{close}")
                } else {
                    let inner: Vec<String> = fields.iter().map(|f| self.field_inline(f)).collect();
                    format!("{name} {open} {} {close}", inner.join("  "))
                }
            }
            ty => format!("{name} {}{}", self.type_text(ty), mark(f.optional)),
        }
    }

    fn type_text(&self, ty: &TypeExpr) -> String {
        match ty {
            TypeExpr::Named(n) => n.text.clone(),
            TypeExpr::List(t, _) => format!("[{}]", self.type_text(t)),
            TypeExpr::Map(t, _) => format!("map({})", self.type_text(t)),
            // Records are fields of their own; the grammar has no others.
            TypeExpr::Record(_, span) | TypeExpr::RecordList(_, span) => {
                self.slice(*span).to_string()
            }
        }
    }

    // ------------------------------------------------------------ expressions

    fn expr(&self, e: &Expr) -> String {
        let mut out = String::new();
        self.write_expr(&mut out, e);
        out
    }

    fn write_expr(&self, out: &mut String, e: &Expr) {
        match &e.kind {
            ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // As written: `1%`, `2.50`, `72h`, `2027-03-31`.
            ExprKind::Number(_) | ExprKind::Duration(_) | ExprKind::Date(_) | ExprKind::Invalid => {
                out.push_str(self.slice(e.span))
            }
            ExprKind::Str(parts) => {
                out.push('"');
                for part in parts {
                    match part {
                        StrPart::Text(text) => escape_into(out, text),
                        StrPart::Interpolation(inner) => {
                            out.push('{');
                            self.write_expr(out, inner);
                            out.push('}');
                        }
                    }
                }
                out.push('"');
            }
            ExprKind::List(items) => {
                out.push('[');
                self.write_list(out, items);
                out.push(']');
            }
            ExprKind::Comprehension {
                element,
                var,
                list,
                filter,
            } => {
                out.push('[');
                self.write_expr(out, element);
                out.push_str(" for ");
                out.push_str(&var.text);
                out.push_str(" in ");
                self.write_expr(out, list);
                if let Some(filter) = filter {
                    out.push_str(" if ");
                    self.write_expr(out, filter);
                }
                out.push(']');
            }
            ExprKind::Name(n) => out.push_str(&n.text),
            ExprKind::Field(inner, name) => {
                self.write_expr(out, inner);
                out.push('.');
                out.push_str(&name.text);
            }
            ExprKind::Index(inner, index) => {
                self.write_expr(out, inner);
                out.push('[');
                self.write_expr(out, index);
                out.push(']');
            }
            ExprKind::Call(name, args) => {
                out.push_str(&name.text);
                out.push('(');
                self.write_list(out, args);
                out.push(')');
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                out.push_str("not ");
                self.write_expr(out, inner);
            }
            ExprKind::Unary(UnOp::Neg, inner) => {
                out.push('-');
                self.write_expr(out, inner);
            }
            ExprKind::Binary(op, left, right) => {
                self.write_expr(out, left);
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                self.write_expr(out, right);
            }
            ExprKind::Quantifier(q, var, list, body) => {
                out.push_str(q.word());
                out.push(' ');
                out.push_str(&var.text);
                out.push_str(" in ");
                self.write_expr(out, list);
                out.push_str(": ");
                self.write_expr(out, body);
            }
            ExprKind::Paren(inner) => {
                out.push('(');
                self.write_expr(out, inner);
                out.push(')');
            }
        }
    }

    fn write_list(&self, out: &mut String, items: &[Expr]) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_expr(out, item);
        }
    }

    // ------------------------------------------------------------ output

    /// The lines with the comments put back and blank lines kept.
    fn render(mut self) -> String {
        // Own-line comments printed before line `i` (`lines.len()`: at the end).
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); self.lines.len() + 1];
        for (ci, c) in self.comments.iter().enumerate() {
            let anchor = if c.own_line {
                c.start
            } else {
                // The last character of the code the comment follows.
                let line = self.src.get(..c.start).unwrap_or("");
                let code = line.trim_end_matches([' ', '\t']).len();
                code.saturating_sub(1)
            };
            // The lines that start at or before the anchor.
            let k = self.lines.partition_point(|l| l.start <= anchor);
            let inside = k
                .checked_sub(1)
                .and_then(|i| self.lines.get(i))
                .is_some_and(|l| anchor < l.end);
            match k.checked_sub(1).and_then(|i| self.lines.get_mut(i)) {
                Some(line) if !c.own_line || inside => line.trailing.push(ci),
                _ => {
                    if let Some(list) = before.get_mut(k) {
                        list.push(ci);
                    }
                }
            }
        }
        let mut out = String::new();
        let mut prev_end: Option<usize> = None;
        let mut after_open = false;
        let blank = |prev_end: Option<usize>, start: usize| {
            prev_end
                .and_then(|p| self.src.get(p..start))
                .is_some_and(|gap| gap.matches('\n').count() >= 2)
        };
        for (i, own) in before.iter().enumerate() {
            let line = self.lines.get(i);
            let indent = match line {
                Some(l) if l.kind == Kind::Close => l.indent + 2,
                Some(l) => l.indent,
                None => 0,
            };
            for &ci in own {
                let Some(c) = self.comments.get(ci) else {
                    continue;
                };
                if !after_open && blank(prev_end, c.start) {
                    out.push('\n');
                }
                push_line(&mut out, indent, &c.text);
                prev_end = Some(c.end);
                after_open = false;
            }
            let Some(line) = line else { continue };
            if !after_open && line.kind != Kind::Close && blank(prev_end, line.start) {
                out.push('\n');
            }
            let mut text = line.text.clone();
            let mut end = line.end;
            for &ci in &line.trailing {
                if let Some(c) = self.comments.get(ci) {
                    text.push(' ');
                    text.push_str(&c.text);
                    end = end.max(c.end);
                }
            }
            push_line(&mut out, line.indent, &text);
            prev_end = Some(end);
            after_open = line.kind == Kind::Open;
        }
        out
    }
}

/// The widest line a body is collapsed onto (indentation included).
const MAX_WIDTH: usize = 100;

/// Whether `text` indented by `indent` fits in [`MAX_WIDTH`] characters.
fn fits(indent: usize, text: &str) -> bool {
    indent + text.chars().count() <= MAX_WIDTH
}

fn push_line(out: &mut String, indent: usize, text: &str) {
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(text);
    out.push('\n');
}

/// Where a schema body is: the field (or schema) starts at `start`, its `{`
/// is at `open`, its `}` at `close`, and it ends at `end` (after `]?`).
struct SchemaBody {
    start: usize,
    open: usize,
    close: usize,
    end: usize,
    list: bool,
}

/// A field's name as printed before its type: `sso?` for an optional record.
fn field_name(f: &SchemaField) -> String {
    match f.ty {
        TypeExpr::Record(..) | TypeExpr::RecordList(..) if f.optional => {
            format!("{}?", f.name.text)
        }
        _ => f.name.text.clone(),
    }
}

fn mark(optional: bool) -> &'static str {
    if optional {
        "?"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn fmt(text: &str) -> String {
        format(FileId(0), text).unwrap()
    }

    #[test]
    fn blocks_keys_and_comments() {
        let text = "# head\n\n\n## Doc\nrole a \"A\" {department hr}\nmust m {   # why\n applies questionnaire\n\n\n  require x and # one\n   y\n  owner    r }\n";
        let want = "# head\n\n## Doc\nrole a \"A\" { department hr }\nmust m { # why\n  applies questionnaire\n\n  require x\n          and y # one\n  owner   r\n}\n";
        assert_eq!(fmt(text), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn one_line_bodies_and_schemas() {
        let text = "role a { department hr  } system s {kind \"x\" owner a}\nschema q { a string?  b? { c bool } d [{ e int }]? }\nschema r {\nlong_name string\nx? [{ y [string] }]\n}\n";
        let want = "role a { department hr }\nsystem s { kind \"x\"  owner a }\nschema q { a string?  b? { c bool }  d? [{ e int }] }\nschema r {\n  long_name string\n  x? [{ y [string] }]\n}\n";
        assert_eq!(fmt(text), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn strings_numbers_and_titles() {
        let text = "must m \"a {x} \\u{41} \\\"q\\\"\" { message \"n={ n }% \\{ \\t\" target  < 1%  weight 2.50 until 2027-03-31 within 72h }\npolicy p.q \"T\" {}\n";
        let want = "must m \"a {x} A \\\"q\\\"\" {\n  message \"n={n}% \\{ \\t\"\n  target  < 1%\n  weight  2.50\n  until   2027-03-31\n  within  72h\n}\npolicy p.q \"T\"\n";
        assert_eq!(fmt(text), want);
        assert_eq!(fmt(want), want);
    }

    #[test]
    fn comments_are_found_outside_strings() {
        let found: Vec<String> = comments("a \"# no {b # yes\n}\" # end\n")
            .into_iter()
            .map(|c| c.text)
            .collect();
        assert_eq!(found, vec!["# yes", "# end"]);
    }
}
