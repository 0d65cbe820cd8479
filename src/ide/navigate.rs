//! Hover, go to definition, find references, rename and quick fixes: all
//! read the resolutions the checker recorded (`PolicySet::resolutions`).

use std::ops::Range;
use std::path::Path;

use accord_lsp::analysis::{FileEdit, FileRange, Fix};

use super::Analyzed;
use crate::check::model::{Const, Decl, DeclKind, RefKind, Resolution};
use crate::source::{FileId, Span};
use crate::syntax::ast::Item;

use crate::syntax::RESERVED;

fn contains(span: Span, file: FileId, offset: usize) -> bool {
    span.file() == Some(file)
        && span
            .range()
            .is_some_and(|r| r.start <= offset && offset <= r.end)
}

fn width(span: Span) -> usize {
    span.range().map(|r| r.len()).unwrap_or(usize::MAX)
}

/// The resolution used at `offset` (the innermost).
fn resolution_at(a: &Analyzed, file: FileId, offset: usize) -> Option<&Resolution> {
    a.engine
        .set
        .resolutions
        .iter()
        .filter(|r| contains(r.use_span, file, offset))
        .min_by_key(|r| width(r.use_span))
}

/// A declaration whose name is at `offset`.
fn decl_at(a: &Analyzed, file: FileId, offset: usize) -> Option<&Decl> {
    a.engine
        .set
        .decls
        .iter()
        .find(|d| contains(d.name_span, file, offset))
}

/// A `fn` declared with its name at `offset` (or the one named by `target`).
fn function_named(a: &Analyzed, target: Span) -> Option<&crate::syntax::ast::FnDecl> {
    a.asts
        .iter()
        .flat_map(|(_, f)| &f.items)
        .find_map(|i| match i {
            Item::Fn(f) if f.name.span == target => Some(f),
            _ => None,
        })
}

/// What the name at `offset` refers to: where it is declared.
fn target_at(a: &Analyzed, path: &Path, offset: usize) -> Option<(Span, Option<RefKind>)> {
    let file = a.file_id(path)?;
    if let Some(r) = resolution_at(a, file, offset) {
        if r.target != Span::Synthetic {
            return Some((r.target, Some(r.what)));
        }
    }
    if let Some(d) = decl_at(a, file, offset) {
        return Some((d.name_span, Some(RefKind::Decl(d.kind))));
    }
    let f = a
        .asts
        .iter()
        .flat_map(|(_, f)| &f.items)
        .find_map(|i| match i {
            Item::Fn(f) if contains(f.name.span, file, offset) => Some(f.name.span),
            _ => None,
        });
    f.map(|s| (s, Some(RefKind::Function)))
}

fn const_text(a: &Analyzed, c: &Const) -> String {
    match c {
        Const::Bool(b) => b.to_string(),
        Const::Num(n) => crate::eval::value::number(*n),
        Const::Str(s) => format!("\"{s}\""),
        Const::Date(d) => crate::time::format_date(*d),
        Const::Dur(d) => crate::time::format_duration(*d),
        Const::Word(set, i) => set.word(*i).to_string(),
        Const::Decl(id) => a
            .engine
            .set
            .decl(*id)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        Const::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| const_text(a, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn describe_decl(a: &Analyzed, d: &Decl) -> String {
    let mut out = format!("**{}** `{}`", kind_word(d.kind), d.name);
    if let Some(t) = &d.title {
        out.push_str(&format!(" — {t}"));
    }
    if let Some(doc) = &d.doc {
        out.push_str(&format!("\n\n{doc}"));
    }
    let fields: Vec<String> = d
        .fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "name" | "title" | "id"))
        .map(|(k, (c, _))| format!("- `{k}`: {}", const_text(a, c)))
        .collect();
    if !fields.is_empty() {
        out.push_str("\n\n");
        out.push_str(&fields.join("\n"));
    }
    out
}

fn kind_word(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Rule => "rule",
        other => other.word(),
    }
}

pub fn hover(a: &Analyzed, path: &Path, offset: usize) -> Option<String> {
    let file = a.file_id(path)?;
    let resolution = resolution_at(a, file, offset);
    if let Some(r) = resolution {
        match r.what {
            RefKind::Local => {
                let name = a.engine.sources.snippet(r.use_span);
                return Some(format!(
                    "`{name}`: `{}`",
                    r.ty.clone().unwrap_or_else(|| "any value".into())
                ));
            }
            RefKind::SchemaField => {
                let name = a.engine.sources.snippet(r.use_span);
                let ty = r.ty.clone().unwrap_or_default();
                return Some(format!("**field** `{name}`: `{ty}`"));
            }
            RefKind::DeclField => {
                let name = a.engine.sources.snippet(r.use_span);
                let ty = r.ty.clone().unwrap_or_default();
                return Some(format!("**field** `{name}` of a declaration: `{ty}`"));
            }
            RefKind::Kind => {
                let name = a.engine.sources.snippet(r.use_span);
                return Some(format!("**document kind** `{name}`"));
            }
            RefKind::Function => {
                if let Some(f) = function_named(a, r.target) {
                    return Some(describe_fn(f));
                }
            }
            RefKind::Decl(_) => {}
        }
    }
    let (target, _) = target_at(a, path, offset)?;
    if let Some(d) = a.engine.set.decls.iter().find(|d| d.name_span == target) {
        if d.kind == DeclKind::Rule {
            if let Some(rule) = a.engine.set.rule(&d.name) {
                let mut out = format!(
                    "**{}** `{}`{}",
                    rule.level.word(),
                    rule.id,
                    rule.title
                        .as_ref()
                        .map(|t| format!(" — {t}"))
                        .unwrap_or_default()
                );
                if let Some(doc) = &rule.doc {
                    out.push_str(&format!("\n\n{doc}"));
                }
                let applies = match &rule.applies {
                    crate::check::model::Applies::Kind(k) => format!("`{k}` documents"),
                    crate::check::model::Applies::Policy => "the policy set".into(),
                };
                out.push_str(&format!("\n\nchecks {applies}"));
                if let Some(s) = rule.section {
                    out.push_str(&format!(", section {}", s.to_uppercase()));
                }
                if rule.level == crate::syntax::ast::Level::Should {
                    out.push_str(&format!(
                        ", weight {}",
                        crate::eval::value::number(rule.weight)
                    ));
                }
                if let Some(c) = &rule.cite {
                    out.push_str(&format!("\n\ncites {c}"));
                }
                return Some(out);
            }
        }
        return Some(describe_decl(a, d));
    }
    function_named(a, target).map(describe_fn)
}

fn describe_fn(f: &crate::syntax::ast::FnDecl) -> String {
    let params: Vec<&str> = f.params.iter().map(|p| p.text.as_str()).collect();
    let mut out = format!("**fn** `{}({})`", f.name.text, params.join(", "));
    if let Some(doc) = &f.doc {
        out.push_str(&format!("\n\n{doc}"));
    }
    out
}

pub fn definition(a: &Analyzed, path: &Path, offset: usize) -> Vec<FileRange> {
    target_at(a, path, offset)
        .and_then(|(t, _)| a.file_range(t))
        .into_iter()
        .collect()
}

/// Every use of what the name at `offset` names (and its declaration).
fn uses(a: &Analyzed, target: Span) -> Vec<Span> {
    let mut spans: Vec<Span> = a
        .engine
        .set
        .resolutions
        .iter()
        .filter(|r| r.target == target && r.use_span != target)
        .map(|r| r.use_span)
        .collect();
    spans.sort_by_key(|s| (s.file(), s.start()));
    spans.dedup();
    spans
}

pub fn references(
    a: &Analyzed,
    path: &Path,
    offset: usize,
    include_declaration: bool,
) -> Vec<FileRange> {
    let Some((target, _)) = target_at(a, path, offset) else {
        return Vec::new();
    };
    let mut spans = uses(a, target);
    if include_declaration {
        spans.insert(0, target);
    }
    spans.into_iter().filter_map(|s| a.file_range(s)).collect()
}

pub fn rename(
    a: &Analyzed,
    path: &Path,
    offset: usize,
    new_name: &str,
) -> Result<Vec<FileEdit>, String> {
    let valid = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&new_name);
    if !valid {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, not a reserved word"
        ));
    }
    let (target, what) = target_at(a, path, offset).ok_or("nothing to rename here")?;
    match what {
        Some(RefKind::Decl(_) | RefKind::Function | RefKind::Local) => {}
        _ => return Err("only declarations, functions and local names can be renamed".into()),
    }
    if target
        .file()
        .is_some_and(|f| a.engine.sources.name(f).starts_with('<'))
    {
        return Err("the standard library cannot be renamed".into());
    }
    let old = a.engine.sources.snippet(target).to_string();
    let mut edits = Vec::new();
    for span in std::iter::once(target).chain(uses(a, target)) {
        let Some(mut fr) = a.file_range(span) else {
            continue;
        };
        let text = a.engine.sources.snippet(span);
        // A rule named inside a group is used as `group.rule`: rename the last part.
        if text != old {
            if let Some(prefix) = text.strip_suffix(old.as_str()).filter(|p| p.ends_with('.')) {
                fr.range.start += prefix.len();
            } else {
                continue;
            }
        }
        edits.push(FileEdit {
            path: fr.path,
            range: fr.range,
            new_text: new_name.to_string(),
        });
    }
    Ok(edits)
}

/// Quick fixes for every "did you mean" in the given range.
pub fn quick_fixes(a: &Analyzed, path: &Path, range: Range<usize>) -> Vec<Fix> {
    let Some(file) = a.file_id(path) else {
        return Vec::new();
    };
    let text = a.text(file);
    let mut fixes = Vec::new();
    for d in &a.engine.diagnostics {
        let primary = d.primary_span();
        let Some(r) = primary.range() else { continue };
        if primary.file() != Some(file) || r.end < range.start || r.start > range.end {
            continue;
        }
        for note in &d.notes {
            let Some(rest) = note.split("did you mean `").nth(1) else {
                continue;
            };
            let Some((suggestion, tail)) = rest.split_once('`') else {
                continue;
            };
            // "did you mean `X` instead of `Y`": replace Y on that line.
            let mut target = r.clone();
            if let Some(wrong) = tail
                .split("instead of `")
                .nth(1)
                .and_then(|w| w.split('`').next())
            {
                let line_start = text
                    .get(..r.start)
                    .and_then(|b| b.rfind('\n'))
                    .map(|i| i + 1)
                    .unwrap_or(0);
                let line_end = text
                    .get(r.start..)
                    .and_then(|t| t.find('\n'))
                    .map(|i| r.start + i)
                    .unwrap_or(text.len());
                let Some(at) = text.get(line_start..line_end).and_then(|l| l.find(wrong)) else {
                    continue;
                };
                target = line_start + at..line_start + at + wrong.len();
            } else if target.is_empty() {
                continue;
            }
            // Keep quotes when the wrong text was a string literal.
            let original = text.get(target.clone()).unwrap_or("");
            let replacement = if original.starts_with('"') && !suggestion.starts_with('"') {
                format!("\"{suggestion}\"")
            } else {
                suggestion.to_string()
            };
            fixes.push(Fix {
                title: format!("Change to `{suggestion}`"),
                edits: vec![FileEdit {
                    path: path.to_path_buf(),
                    range: target,
                    new_text: replacement,
                }],
            });
        }
    }
    fixes
}
