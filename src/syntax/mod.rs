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

/// Policy files from this size on have their items parsed on two threads.
const PARALLEL_FROM_BYTES: usize = 8 * 1024;

/// Parses one policy file. Its items are parsed one by one (an error in one
/// does not hide the others); a large file's items on two threads, since
/// the parser takes a few milliseconds for ten kilobytes and a run waits
/// for the policy before checking any document.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let chunks = split::split_items(text);
    let parse = |chunks: Vec<split::Chunk>| {
        let mut items = Vec::new();
        let mut diagnostics = Vec::new();
        for chunk in chunks {
            let (mut its, mut ds) = parse_chunk(file, text, chunk);
            items.append(&mut its);
            diagnostics.append(&mut ds);
        }
        (items, diagnostics)
    };
    if text.len() < PARALLEL_FROM_BYTES || chunks.len() < 2 {
        let (items, diagnostics) = parse(chunks);
        return (ast::File { items }, diagnostics);
    }
    // Two halves of about the same size, in order.
    let mut first = chunks;
    let mut bytes = 0;
    let half = first
        .iter()
        .position(|c| {
            bytes += c.range.len();
            bytes * 2 >= text.len()
        })
        .map_or(first.len(), |i| i + 1);
    let second = first.split_off(half.min(first.len()));
    let (mut items, mut diagnostics, rest) = std::thread::scope(|scope| {
        // If no thread starts, this one parses the second half too.
        let spare = second.clone();
        let other = std::thread::Builder::new()
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || {
                crate::threads::started();
                parse(second)
            });
        let (items, diagnostics) = parse(first);
        let rest = match other {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            Err(_) => parse(spare),
        };
        (items, diagnostics, rest)
    });
    items.extend(rest.0);
    diagnostics.extend(rest.1);
    (ast::File { items }, diagnostics)
}

/// The parser and the lowering recurse over nested expressions.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// Parses one item of a file (or reports why it cannot be).
fn parse_chunk(file: FileId, text: &str, chunk: split::Chunk) -> (Vec<ast::Item>, Vec<Diagnostic>) {
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    if let Some(problem) = chunk.problem {
        diagnostics.push(problem.into_diagnostic(file));
        return (items, diagnostics);
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
    (items, diagnostics)
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]

    use super::*;

    /// The items and diagnostics of a file parsed item by item on this thread.
    fn one_by_one(text: &str) -> String {
        let mut items = Vec::new();
        let mut diagnostics = Vec::new();
        for chunk in split::split_items(text) {
            let (mut i, mut d) = parse_chunk(FileId(0), text, chunk);
            items.append(&mut i);
            diagnostics.append(&mut d);
        }
        format!("{items:?}\n{diagnostics:?}")
    }

    /// A Debug rendering with every span moved `by` bytes to the left.
    fn shifted(debug: &str, by: usize) -> String {
        let re = regex::Regex::new(r"(start|end): (\d+)").expect("a valid pattern");
        re.replace_all(debug, |c: &regex::Captures<'_>| {
            let n: usize = c[2].parse().expect("a number");
            format!("{}: {}", &c[1], n - by)
        })
        .into_owned()
    }

    #[test]
    fn a_lone_value_reads_as_the_expression_it_is() {
        // Values read by the grammar's short paths (`lone_value`, `item_value`)
        // and values that need the whole expression grammar, each compared
        // with the same text read as an expression.
        let values = [
            "hr",
            "\"SOC 2 Type II\"",
            "\"{x} and {y.z}\"",
            "3",
            "2.5",
            "[a, \"b\", 3]",
            "[a]",
            "[]",
            "[a, b,]",
            "[[a, b], [c], \"d\"]",
            "f(a, \"b\", 3)",
            "f()",
            "[f(a), g(b, [c])]",
            "[x for x in xs]",
            "[x for x in xs if x]",
            "x.y",
            "a and b",
            "a in [b, c]",
            "3%",
            "15min",
            "2027-03-31",
            "true",
            "-1",
            "not x",
            "x ?? \"y\"",
            "[a ?? b, c]",
            "f(a == b)",
        ];
        for value in values {
            let alone = parse_expr(FileId(0), value).expect(value);
            for after in ["}", "  next 1 }", "\n}"] {
                let text = format!("data x {{ k {value} {after}");
                let (file, diagnostics) = parse_file(FileId(0), &text);
                assert!(diagnostics.is_empty(), "{text}: {diagnostics:?}");
                let Some(ast::Item::Block(block)) = file.items.first() else {
                    panic!("{text}: not a block")
                };
                let Some(ast::Entry::Key { value: read, .. }) = block.entries.first() else {
                    panic!("{text}: no entry")
                };
                assert_eq!(
                    shifted(&format!("{read:?}"), "data x { k ".len()),
                    format!("{alone:?}"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn a_large_file_parsed_on_two_threads_is_the_same_file() {
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(&format!("system s{i} {{ kind \"app\" }}\n"));
            if i % 50 == 7 {
                // An error in each half: both must be reported, in order.
                text.push_str("must broken { applies manifest require ( }\n");
            }
        }
        assert!(text.len() >= PARALLEL_FROM_BYTES);
        let (file, diagnostics) = parse_file(FileId(0), &text);
        assert_eq!(
            format!("{:?}\n{diagnostics:?}", file.items),
            one_by_one(&text)
        );
        assert_eq!(file.items.len(), 300);
        let starts: Vec<usize> = diagnostics
            .iter()
            .map(|d| d.primary_span().start())
            .collect();
        assert!(starts.len() >= 6, "{diagnostics:?}");
        assert!(starts.is_sorted(), "out of order: {starts:?}");
    }
}
