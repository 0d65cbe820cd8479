//! Completion: keywords, declared names, functions, local names, and schema
//! paths after a `.`. It reads the text around the cursor rather than the
//! AST, because the line being typed rarely parses.

use std::path::Path;

use accord_lsp::analysis::{Completion, CompletionKind};

use super::Analyzed;
use crate::check::ir::Builtin;
use crate::check::keys::{all_words, decl_fields};
use crate::check::model::DeclKind;
use crate::check::types::Ty;

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The text of the top-level item the cursor is in (from the last line that
/// starts a declaration at column 0).
fn chunk_before(text: &str, offset: usize) -> &str {
    let before = text.get(..offset).unwrap_or("");
    let mut start = 0;
    let mut pos = 0;
    for line in before.split_inclusive('\n') {
        let first = line.split_whitespace().next().unwrap_or("");
        let top =
            !line.starts_with([' ', '\t']) && crate::syntax::DECLARATION_KEYWORDS.contains(&first);
        if top {
            start = pos;
        }
        pos += line.len();
    }
    before.get(start..).unwrap_or("")
}

/// The document kind the rule at the cursor applies to, read from the text.
fn applies_kind(chunk: &str) -> Option<&str> {
    let mut found = None;
    let mut words = chunk
        .split(|c: char| !is_word(c))
        .filter(|w| !w.is_empty())
        .peekable();
    while let Some(w) = words.next() {
        if w == "applies" {
            found = words.peek().copied();
        }
    }
    found
}

/// The type of a dotted chain (`input.flows`, `f.encryption`), with the
/// names bound by `each`/`let` earlier in the item.
fn chain_type(a: &Analyzed, chunk: &str, chain: &[&str], depth: usize) -> Option<Ty> {
    let set = &a.engine.set;
    let (first, rest) = chain.split_first()?;
    let input = applies_kind(chunk).and_then(|k| {
        if k == "policy" {
            Some(Ty::PolicyInput)
        } else {
            set.schemas.get(k).map(|r| Ty::Record(*r))
        }
    });
    let in_group =
        chunk.trim_start().starts_with("requirements") || chunk.trim_start().starts_with("gate");
    let mut ty = if *first == "input" {
        input?
    } else if let Some(kind) =
        DeclKind::from_collection(first).filter(|k| DeclKind::VALUE_KINDS.contains(k))
    {
        Ty::Collection(kind)
    } else if let Some(local) = local_type(a, chunk, first, depth) {
        local
    } else if let (true, Some(Ty::Record(r))) = (in_group, &input) {
        let field = set.records.get(*r)?.fields.get(*first)?;
        Ty::from_field(&field.ty)
    } else {
        let decl = set
            .decls
            .iter()
            .find(|d| d.name == *first && d.kind != DeclKind::Rule)?;
        Ty::Decl(decl.kind)
    };
    for segment in rest {
        ty = match ty {
            Ty::Record(r) => Ty::from_field(&set.records.get(r)?.fields.get(*segment)?.ty),
            Ty::Decl(kind) | Ty::DeclName(kind) => {
                decl_fields(kind).into_iter().find(|(n, _)| n == segment)?.1
            }
            Ty::Collection(kind) => Ty::Decl(kind),
            Ty::PolicyInput => Ty::Collection(DeclKind::from_collection(segment)?),
            Ty::Map(inner) => *inner,
            _ => return None,
        };
    }
    Some(ty)
}

/// The type of a name bound by `each NAME in CHAIN` or `let NAME = CHAIN`.
fn local_type(a: &Analyzed, chunk: &str, name: &str, depth: usize) -> Option<Ty> {
    if depth > 8 {
        return None;
    }
    let words: Vec<&str> = chunk.split_whitespace().collect();
    for window in words.windows(4).rev() {
        let (kw, n, sep, value) = (window[0], window[1], window[2], window[3]);
        let chain: Vec<&str> = value
            .trim_end_matches(|c: char| !is_word(c))
            .split('.')
            .collect();
        if kw == "each" && n == name && sep == "in" {
            let list = chain_type(a, chunk, &chain, depth + 1)?;
            return list.element();
        }
        if kw == "let" && n == name && sep == "=" {
            return chain_type(a, chunk, &chain, depth + 1);
        }
    }
    None
}

fn members(a: &Analyzed, ty: &Ty) -> Vec<Completion> {
    let set = &a.engine.set;
    let item = |label: &str, kind, detail: String| Completion {
        label: label.to_string(),
        kind,
        detail: Some(detail),
    };
    match ty {
        Ty::Record(r) => set
            .records
            .get(*r)
            .map(|rec| {
                rec.fields
                    .iter()
                    .map(|(n, f)| {
                        let opt = if f.optional { "?" } else { "" };
                        item(
                            n,
                            CompletionKind::Field,
                            format!("{}{opt}", f.ty.describe()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Ty::Decl(kind) | Ty::DeclName(kind) => decl_fields(*kind)
            .into_iter()
            .map(|(n, t)| item(n, CompletionKind::Field, t.describe()))
            .collect(),
        Ty::Collection(kind) => set
            .names(*kind)
            .map(|n| item(n, CompletionKind::Declaration, kind.word().to_string()))
            .collect(),
        Ty::PolicyInput => DeclKind::ALL
            .iter()
            .map(|k| {
                item(
                    k.collection(),
                    CompletionKind::Field,
                    format!("every {}", k.word()),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub fn completion(a: &Analyzed, _path: &Path, text: &str, offset: usize) -> Vec<Completion> {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map(|(i, _)| i)
        .unwrap_or(offset);
    let prefix = before.get(word_start..).unwrap_or("");
    let head = before.get(..word_start).unwrap_or("");
    let chunk = chunk_before(text, word_start);
    let mut out: Vec<Completion> =
        if let Some(chain_text) = head.strip_suffix('.') {
            let start = chain_text
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_word(*c) || *c == '.')
                .last()
                .map(|(i, _)| i)
                .unwrap_or(chain_text.len());
            let chain: Vec<&str> = chain_text.get(start..).unwrap_or("").split('.').collect();
            if chain.iter().any(|s| s.is_empty()) {
                return Vec::new();
            }
            chain_type(a, chunk, &chain, 0)
                .map(|t| members(a, &t))
                .unwrap_or_default()
        } else {
            let line_start = head.rsplit('\n').next().unwrap_or("").trim().is_empty();
            let mut items = Vec::new();
            if line_start {
                items.extend(all_words().into_iter().map(|w| Completion {
                    label: w.to_string(),
                    kind: CompletionKind::Keyword,
                    detail: None,
                }));
            } else {
                items.extend(crate::syntax::RESERVED.iter().chain(&["input"]).map(|w| {
                    Completion {
                        label: w.to_string(),
                        kind: CompletionKind::Keyword,
                        detail: None,
                    }
                }));
                for d in a
                    .engine
                    .set
                    .decls
                    .iter()
                    .filter(|d| d.kind != DeclKind::Rule && !d.name.starts_with("std."))
                {
                    items.push(Completion {
                        label: d.name.clone(),
                        kind: CompletionKind::Declaration,
                        detail: Some(match &d.title {
                            Some(t) => format!("{} — {t}", d.kind.word()),
                            None => d.kind.word().to_string(),
                        }),
                    });
                }
                for kind in DeclKind::VALUE_KINDS {
                    items.push(Completion {
                        label: kind.collection().to_string(),
                        kind: CompletionKind::Variable,
                        detail: Some(format!("every {}", kind.word())),
                    });
                }
                for (name, _, arity) in Builtin::ALL {
                    items.push(Completion {
                        label: name.to_string(),
                        kind: CompletionKind::Function,
                        detail: Some(format!(
                            "{arity} argument{}",
                            if arity == 1 { "" } else { "s" }
                        )),
                    });
                }
                for (_, ast) in &a.asts {
                    for item in &ast.items {
                        if let crate::syntax::ast::Item::Fn(f) = item {
                            items.push(Completion {
                                label: f.name.text.clone(),
                                kind: CompletionKind::Function,
                                detail: Some(format!(
                                    "fn({})",
                                    f.params
                                        .iter()
                                        .map(|p| p.text.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            });
                        }
                    }
                }
                // Names bound earlier in the item.
                let words: Vec<&str> = chunk.split_whitespace().collect();
                for w in words.windows(2) {
                    if matches!(
                        w[0],
                        "each" | "let" | "all" | "any" | "none" | "count" | "for"
                    ) {
                        let name = w[1].trim_end_matches(|c: char| !is_word(c));
                        if !name.is_empty() {
                            items.push(Completion {
                                label: name.to_string(),
                                kind: CompletionKind::Variable,
                                detail: local_type(a, chunk, name, 0).map(|t| t.describe()),
                            });
                        }
                    }
                }
                // Document fields by name inside a group.
                let in_group = chunk.trim_start().starts_with("requirements")
                    || chunk.trim_start().starts_with("gate");
                if let (true, Some(kind)) = (in_group, applies_kind(chunk)) {
                    if let Some(Ty::Record(r)) =
                        a.engine.set.schemas.get(kind).map(|r| Ty::Record(*r))
                    {
                        items.extend(members(a, &Ty::Record(r)));
                    }
                }
            }
            items
        };
    out.retain(|c| c.label.starts_with(prefix) && c.label != prefix);
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.label.clone()));
    out
}
