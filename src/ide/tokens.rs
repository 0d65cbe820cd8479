//! Semantic tokens from a lexical scan: robust on half-typed text, with the
//! checked set telling declared names from other words.

use accord_lsp::analysis::{Token, TokenKind};

use super::Analyzed;

fn is_keyword(word: &str) -> bool {
    crate::syntax::DECLARATION_KEYWORDS.contains(&word)
        || crate::syntax::ENTRY_KEYWORDS.contains(&word)
        || crate::syntax::RESERVED.contains(&word)
}

pub fn semantic_tokens(a: &Analyzed, text: &str) -> Vec<Token> {
    let declared = |word: &str| a.engine.set.decls.iter().any(|d| d.name == word);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start_word = true;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        match b {
            b'\n' => {
                line_start_word = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                out.push(Token {
                    range: start..i,
                    kind: TokenKind::Comment,
                });
                continue;
            }
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                }
                out.push(Token {
                    range: start..i.min(text.len()),
                    kind: TokenKind::String,
                });
            }
            b'0'..=b'9' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'%'))
                {
                    i += 1;
                }
                out.push(Token {
                    range: start..i,
                    kind: TokenKind::Number,
                });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let word = text.get(start..i).unwrap_or("");
                let after_dot = start > 0 && bytes.get(start - 1) == Some(&b'.');
                let next = text
                    .get(i..)
                    .map(|r| r.trim_start_matches([' ', '\t']))
                    .unwrap_or("");
                let kind = if after_dot {
                    TokenKind::Property
                } else if is_keyword(word) {
                    TokenKind::Keyword
                } else if next.starts_with('(') {
                    TokenKind::Function
                } else if declared(word) {
                    TokenKind::Type
                } else if line_start_word {
                    TokenKind::Property
                } else {
                    TokenKind::Variable
                };
                out.push(Token {
                    range: start..i,
                    kind,
                });
            }
            b'=' | b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'?' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| matches!(c, b'=' | b'!' | b'<' | b'>' | b'?'))
                    && i < start + 2
                {
                    i += 1;
                }
                i = i.max(start + 1);
                out.push(Token {
                    range: start..i,
                    kind: TokenKind::Operator,
                });
            }
            _ => {
                // Multi-byte characters and punctuation: skip a whole character.
                i += text
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map(|c| c.len_utf8())
                    .unwrap_or(1);
            }
        }
        line_start_word = false;
    }
    out
}
