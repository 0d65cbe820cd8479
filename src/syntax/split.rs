//! Splits a policy file into top-level items before parsing, so that the
//! parser can recover: an item that does not parse is reported and skipped,
//! and the next one is parsed as if nothing happened. An item starts at a
//! declaration keyword that begins a line, either outside all brackets or at
//! column 0 (where an unclosed brace of the item above is the likelier story).

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// Nesting deeper than this is refused before pest sees it: pest recurses.
pub use crate::limits::MAX_POLICY_NESTING as MAX_NESTING;

#[derive(Clone)]
pub struct Chunk {
    pub range: Range<usize>,
    /// A problem found while splitting, reported instead of parsing.
    pub problem: Option<Problem>,
    /// Brackets still open where the next item starts: the parser closes them
    /// (so the item is not lost) and reports each opener.
    pub unclosed: Vec<(usize, u8)>,
}

#[derive(Clone, Copy)]
pub enum Problem {
    UnterminatedString(usize),
    TooDeep(usize),
}

impl Problem {
    pub fn into_diagnostic(self, file: FileId) -> Diagnostic {
        match self {
            Problem::UnterminatedString(at) => Diagnostic::error("A002", "unterminated string")
                .at(super::span(file, at, at + 1), "this string is never closed")
                .note("help: close the string with `\"` before the end of the line"),
            Problem::TooDeep(at) => Diagnostic::error(
                "A005",
                format!("brackets nested more than {MAX_NESTING} deep"),
            )
            .at(super::span(file, at, at + 1), "too deep from here on"),
        }
    }
}

use super::DECLARATION_KEYWORDS as TOP_KEYWORDS;

/// Keywords that never start an entry inside a block.
fn only_top_level(word: &str) -> bool {
    !matches!(word, "must" | "should" | "may")
}

/// If `line` (without its indentation) starts with a declaration keyword
/// followed by a name, that keyword.
fn declaration_keyword(line: &str) -> Option<&'static str> {
    for keyword in TOP_KEYWORDS {
        if let Some(rest) = line.strip_prefix(keyword) {
            if !rest.starts_with([' ', '\t']) {
                continue;
            }
            let next = rest.trim_start_matches([' ', '\t']).chars().next();
            if next.is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
                return Some(keyword);
            }
        }
    }
    None
}

/// Whether a line at column 0 inside an unclosed block surely starts a new
/// declaration (`data x {`, `role y "T" {`, `fn f(`, `import std.x`), and is
/// not a schema field that happens to be named like a keyword (`data string`).
fn opens_a_declaration(keyword: &str, line: &str) -> bool {
    if matches!(keyword, "import" | "policy") {
        return true;
    }
    let rest = line.get(keyword.len()..).unwrap_or("").trim_start();
    let after_name = rest
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .trim_start();
    if keyword == "fn" {
        return after_name.starts_with('(');
    }
    after_name.starts_with('{') || after_name.starts_with('"')
}

struct Splitter<'t> {
    text: &'t str,
    chunks: Vec<Chunk>,
    start: Option<usize>,
    problem: Option<Problem>,
    open: Vec<(usize, u8)>,
}

impl Splitter<'_> {
    fn finish(&mut self, end: usize) {
        if let Some(s) = self.start.take() {
            let body = self.text.get(s..end).unwrap_or("");
            let trimmed_end = s + body.trim_end().len();
            if trimmed_end > s {
                self.chunks.push(Chunk {
                    range: s..trimmed_end,
                    problem: self.problem.take(),
                    unclosed: std::mem::take(&mut self.open),
                });
            }
        }
        self.problem = None;
        self.open.clear();
    }
}

pub fn split_items(text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut sp = Splitter {
        text,
        chunks: Vec::new(),
        start: None,
        problem: None,
        open: Vec::new(),
    };
    let mut i = 0;
    let mut at_line_start = true;
    while let Some(&b) = bytes.get(i) {
        if at_line_start {
            let rest = text.get(i..).unwrap_or("");
            let indent = rest
                .bytes()
                .take_while(|c| *c == b' ' || *c == b'\t')
                .count();
            let line_start = i + indent;
            let line = rest.get(indent..).unwrap_or("");
            if let Some(keyword) = declaration_keyword(line) {
                let forced =
                    indent == 0 && only_top_level(keyword) && opens_a_declaration(keyword, line);
                if sp.open.is_empty() || forced {
                    sp.finish(i);
                    sp.start = Some(line_start);
                }
            }
            at_line_start = false;
            i = line_start;
            continue;
        }
        match b {
            b'\n' => at_line_start = true,
            b'#' => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let open = i;
                i += 1;
                let mut closed = false;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\n' => break,
                        _ => i += 1,
                    }
                }
                if !closed {
                    sp.start.get_or_insert(open);
                    if sp.problem.is_none() {
                        sp.problem = Some(Problem::UnterminatedString(open));
                    }
                    continue;
                }
            }
            b'{' | b'(' | b'[' => {
                sp.start.get_or_insert(i);
                sp.open.push((i, b));
                if sp.open.len() > MAX_NESTING && sp.problem.is_none() {
                    sp.problem = Some(Problem::TooDeep(i));
                }
            }
            b'}' | b')' | b']' => {
                sp.start.get_or_insert(i);
                sp.open.pop();
            }
            b' ' | b'\t' | b'\r' => {}
            _ => {
                // Text before any declaration keyword: parse it anyway, so
                // the user hears what is wrong with it.
                sp.start.get_or_insert(i);
            }
        }
        i += 1;
    }
    sp.finish(text.len());
    sp.chunks
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

    fn pieces(text: &str) -> Vec<&str> {
        split_items(text)
            .into_iter()
            .map(|c| &text[c.range])
            .collect()
    }

    #[test]
    fn splits_at_declarations() {
        let text = "role a { department hr }\n# c\nrole b {\n  department it\n}\n";
        assert_eq!(
            pieces(text),
            vec![
                "role a { department hr }\n# c",
                "role b {\n  department it\n}"
            ]
        );
    }

    #[test]
    fn nested_rules_stay_in_their_group() {
        let text = "requirements g {\n  applies questionnaire\n  must a { require true }\n}\nrole r { department hr }";
        assert_eq!(pieces(text).len(), 2);
    }

    #[test]
    fn unclosed_brace_recovers_at_column_zero() {
        let text = "role a {\n  department hr\nrole b { department it }";
        assert_eq!(
            pieces(text),
            vec!["role a {\n  department hr", "role b { department it }"]
        );
    }

    #[test]
    fn unterminated_string_is_a_problem() {
        let chunks = split_items("role a \"oops {\n}\nrole b {}");
        assert!(matches!(
            chunks[0].problem,
            Some(Problem::UnterminatedString(7))
        ));
        assert!(chunks[1].problem.is_none());
    }

    #[test]
    fn unclosed_brackets_are_remembered() {
        let chunks = split_items("role a {\n  department hr\nrole b { department it }");
        assert_eq!(chunks[0].unclosed, vec![(7, b'{')]);
        assert!(chunks[1].unclosed.is_empty());
    }
}
