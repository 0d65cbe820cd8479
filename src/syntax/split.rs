//! Splits a policy file into top-level items before parsing, so that the
//! parser can recover: an item that does not parse is reported and skipped,
//! and the next one is parsed as if nothing happened. An item starts at a
//! declaration keyword that begins a line, either outside all brackets or at
//! column 0 (where an unclosed brace of the item above is the likelier story).

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// Nesting deeper than this is refused before pest sees it: pest recurses.
pub const MAX_NESTING: usize = 200;

pub struct Chunk {
    pub range: Range<usize>,
    /// A problem found while splitting, reported instead of parsing.
    pub problem: Option<Problem>,
}

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

const TOP_KEYWORDS: &[&str] = &[
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

/// Keywords that never start an entry inside a block.
fn only_top_level(word: &str) -> bool {
    !matches!(word, "must" | "should" | "may")
}

/// If `line` (without its indentation) starts with a declaration keyword
/// followed by a name, that keyword.
fn declaration_keyword(line: &str) -> Option<&'static str> {
    for keyword in TOP_KEYWORDS {
        if let Some(rest) = line.strip_prefix(keyword) {
            let mut chars = rest.chars();
            let first = chars.next();
            if !matches!(first, Some(' ') | Some('\t')) {
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

pub fn split_items(text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut start: Option<usize> = None;
    let mut problem: Option<Problem> = None;
    let mut depth: usize = 0;
    let mut i = 0;
    let mut at_line_start = true;

    let finish = |chunks: &mut Vec<Chunk>,
                  start: &mut Option<usize>,
                  end: usize,
                  problem: &mut Option<Problem>| {
        if let Some(s) = start.take() {
            let trimmed_end = s + text[s..end].trim_end().len();
            if trimmed_end > s {
                chunks.push(Chunk {
                    range: s..trimmed_end,
                    problem: problem.take(),
                });
            }
        }
        *problem = None;
    };

    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start {
            let indent = text[i..]
                .bytes()
                .take_while(|c| *c == b' ' || *c == b'\t')
                .count();
            let line_start = i + indent;
            if let Some(keyword) = declaration_keyword(&text[line_start..]) {
                if depth == 0 || (indent == 0 && only_top_level(keyword)) {
                    finish(&mut chunks, &mut start, i, &mut problem);
                    start = Some(line_start);
                    depth = 0;
                }
            }
            at_line_start = false;
            i = line_start;
            continue;
        }
        match b {
            b'\n' => {
                at_line_start = true;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let open = i;
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
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
                    if start.is_none() {
                        start = Some(open);
                    }
                    if problem.is_none() {
                        problem = Some(Problem::UnterminatedString(open));
                    }
                    continue;
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > MAX_NESTING && problem.is_none() {
                    problem = Some(Problem::TooDeep(i));
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            b' ' | b'\t' | b'\r' => {}
            _ => {
                if start.is_none() {
                    // Text before any declaration keyword: parse it anyway, so
                    // the user hears what is wrong with it.
                    start = Some(i);
                }
            }
        }
        i += 1;
    }
    finish(&mut chunks, &mut start, text.len(), &mut problem);
    chunks
}

#[cfg(test)]
mod tests {
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
}
