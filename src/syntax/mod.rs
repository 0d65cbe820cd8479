//! Policy text to AST. Parsing never fails: it returns what it could build and
//! every error it found. A file is first split into top-level items, so a
//! broken item is skipped and the ones after it are still parsed.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod ast;
pub mod fmt;
mod lower;
mod parser;
mod split;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Words that start a top-level declaration (or a rule, inside a group).
pub const DECLARATION_KEYWORDS: &[&str] = &[
    "policy",
    "import",
    "fn",
    "schema",
    "role",
    "committee",
    "system",
    "data",
    "tier",
    "waiver",
    "metric",
    "test",
    "requirements",
    "gate",
    "must",
    "should",
    "may",
];

/// Words that start an entry with a syntax of its own.
pub const ENTRY_KEYWORDS: &[&str] = &["each", "let", "expect", "target"];

/// Words reserved by expressions: not names.
pub const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "matches", "true", "false", "all", "any", "none", "count", "for",
    "if",
];

/// Parses one policy file.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut items = Vec::new();
    for chunk in split::split_items(text) {
        if let Some(problem) = chunk.problem {
            diagnostics.push(problem.into_diagnostic(file));
            continue;
        }
        // An item whose brackets are still open where the next one starts is
        // parsed with them closed, so its declarations are not lost.
        let mut item_text = text.get(chunk.range.clone()).unwrap_or("").to_string();
        if let Some(&(opener, bracket)) = chunk.unclosed.first() {
            item_text.push('\n');
            for (_, b) in chunk.unclosed.iter().rev() {
                item_text.push(match b {
                    b'{' => '}',
                    b'(' => ')',
                    _ => ']',
                });
            }
            let next = chunk.range.end;
            let what = bracket as char;
            let mut d = Diagnostic::error("A001", format!("`{what}` is never closed"))
                .at(span(file, opener, opener + 1), "opened here");
            let following = text
                .get(next..)
                .map(|r| next + (r.len() - r.trim_start().len()))
                .unwrap_or(next);
            if following < text.len() {
                d = d.also(
                    span(file, following, following),
                    "the next declaration starts here",
                );
            }
            diagnostics.push(d.note(format!(
                "help: add `{}` where the block ends",
                match bracket {
                    b'{' => '}',
                    b'(' => ')',
                    _ => ']',
                }
            )));
        }
        match parser::parse_items(&item_text) {
            Ok(pairs) => {
                for pair in pairs {
                    let mut lowering =
                        lower::Lowering::new(file, text, chunk.range.start, chunk.range.end);
                    let item = lowering.item(pair);
                    diagnostics.append(&mut lowering.diagnostics);
                    items.extend(item);
                }
            }
            Err(error) => diagnostics.push(parser::syntax_diagnostic(
                file,
                text,
                chunk.range.start,
                &error,
            )),
        }
    }
    (ast::File { items }, diagnostics)
}

/// Parses a standalone expression (used by tests and tools).
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Diagnostic> {
    match parser::parse_expr(text) {
        Ok(pair) => {
            let mut lowering = lower::Lowering::new(file, text, 0, text.len());
            let expr = lowering.expr(pair);
            match lowering.diagnostics.into_iter().next() {
                Some(d) => Err(d),
                None => Ok(expr),
            }
        }
        Err(error) => Err(parser::syntax_diagnostic(file, text, 0, &error)),
    }
}

/// The `##` lines directly above byte `start`, joined, without their markers.
pub(crate) fn doc_comment_above(text: &str, start: usize) -> Option<String> {
    let before = text.get(..start)?;
    let mut lines: Vec<&str> = Vec::new();
    // The declaration's own line may start with indentation; skip it.
    let mut rest = match before.rfind('\n') {
        Some(i) => &before[..i],
        None => return None,
    };
    loop {
        let (line, above) = match rest.rfind('\n') {
            Some(i) => (&rest[i + 1..], Some(&rest[..i])),
            None => (rest, None),
        };
        let trimmed = line.trim();
        if let Some(doc) = trimmed.strip_prefix("##") {
            lines.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end());
        } else {
            break;
        }
        match above {
            Some(a) => rest = a,
            None => break,
        }
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

pub(crate) fn span(file: FileId, start: usize, end: usize) -> Span {
    Span::new(file, start..end)
}
