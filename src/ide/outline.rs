//! Document and workspace symbols, folding ranges and inlay hints.

use std::ops::Range;
use std::path::{Path, PathBuf};

use accord_lsp::analysis::{Hint, Symbol, SymbolKind};

use super::Analyzed;
use crate::check::model::RefKind;
use crate::syntax::ast::{Block, BlockKind, Entry, Item, SchemaField, TypeExpr};

fn block_kind(kind: BlockKind) -> SymbolKind {
    match kind {
        BlockKind::Role => SymbolKind::Role,
        BlockKind::Committee => SymbolKind::Committee,
        BlockKind::System => SymbolKind::System,
        BlockKind::Data => SymbolKind::Data,
        BlockKind::Tier => SymbolKind::Tier,
        BlockKind::Waiver => SymbolKind::Waiver,
        BlockKind::Metric => SymbolKind::Metric,
        BlockKind::Test => SymbolKind::Test,
        BlockKind::Requirements | BlockKind::Gate => SymbolKind::Group,
        BlockKind::Rule(_) => SymbolKind::Rule,
    }
}

fn block_symbol(b: &Block) -> Symbol {
    Symbol {
        name: b.name.text.clone(),
        detail: Some(match &b.title {
            Some(t) => format!("{} — {}", b.kind.keyword(), t.text),
            None => b.kind.keyword().to_string(),
        }),
        kind: block_kind(b.kind),
        range: b.span.range().unwrap_or(0..0),
        selection: b.name.span.range().unwrap_or(0..0),
        children: b
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Rule(r) => Some(block_symbol(r)),
                _ => None,
            })
            .collect(),
    }
}

fn field_symbols(fields: &[SchemaField]) -> Vec<Symbol> {
    fields
        .iter()
        .map(|f| Symbol {
            name: f.name.text.clone(),
            detail: None,
            kind: SymbolKind::Field,
            range: f.span.range().unwrap_or(0..0),
            selection: f.name.span.range().unwrap_or(0..0),
            children: match &f.ty {
                TypeExpr::Record(inner, _) | TypeExpr::RecordList(inner, _) => field_symbols(inner),
                _ => Vec::new(),
            },
        })
        .collect()
}

fn item_symbol(item: &Item) -> Option<Symbol> {
    Some(match item {
        Item::Block(b) => block_symbol(b),
        Item::Fn(f) => Symbol {
            name: f.name.text.clone(),
            detail: Some("fn".into()),
            kind: SymbolKind::Function,
            range: f.span.range()?,
            selection: f.name.span.range()?,
            children: Vec::new(),
        },
        Item::Schema(s) => Symbol {
            name: s.name.text.clone(),
            detail: Some("schema".into()),
            kind: SymbolKind::Schema,
            range: s.span.range()?,
            selection: s.name.span.range()?,
            children: field_symbols(&s.fields),
        },
        Item::Policy(p) => Symbol {
            name: p.name.text.clone(),
            detail: p.title.as_ref().map(|t| t.text.clone()),
            kind: SymbolKind::Policy,
            range: p.span.range()?,
            selection: p.name.span.range()?,
            children: Vec::new(),
        },
        Item::Import(_) => return None,
    })
}

pub fn document_symbols(a: &Analyzed, path: &Path) -> Vec<Symbol> {
    let Some(ast) = a.file_id(path).and_then(|f| a.ast(f)) else {
        return Vec::new();
    };
    ast.items.iter().filter_map(item_symbol).collect()
}

pub fn workspace_symbols(a: &Analyzed, query: &str) -> Vec<(PathBuf, Symbol)> {
    let query = query.to_lowercase();
    let mut out = Vec::new();
    fn walk(path: &PathBuf, s: Symbol, query: &str, out: &mut Vec<(PathBuf, Symbol)>) {
        let children = s.children.clone();
        if s.name.to_lowercase().contains(query) {
            out.push((
                path.clone(),
                Symbol {
                    children: Vec::new(),
                    ..s
                },
            ));
        }
        for c in children {
            walk(path, c, query, out);
        }
    }
    for (file, ast) in &a.asts {
        let path = PathBuf::from(a.engine.sources.name(*file));
        for s in ast.items.iter().filter_map(item_symbol) {
            walk(&path, s, &query, &mut out);
        }
    }
    out.truncate(500);
    out
}

pub fn folding(a: &Analyzed, path: &Path) -> Vec<Range<usize>> {
    let Some(ast) = a.file_id(path).and_then(|f| a.ast(f)) else {
        return Vec::new();
    };
    fn collect(s: &Symbol, out: &mut Vec<Range<usize>>) {
        out.push(s.range.clone());
        for c in &s.children {
            collect(c, out);
        }
    }
    let mut out = Vec::new();
    for s in ast.items.iter().filter_map(item_symbol) {
        collect(&s, &mut out);
    }
    out
}

/// The type of every `each`, `let`, quantifier and comprehension variable.
pub fn inlay_hints(a: &Analyzed, path: &Path) -> Vec<Hint> {
    let Some(file) = a.file_id(path) else {
        return Vec::new();
    };
    let mut hints: Vec<Hint> = a
        .engine
        .set
        .resolutions
        .iter()
        .filter(|r| {
            r.what == RefKind::Local && r.use_span == r.target && r.use_span.file() == Some(file)
        })
        .filter_map(|r| {
            Some(Hint {
                offset: r.use_span.range()?.end,
                label: format!(": {}", r.ty.clone()?),
            })
        })
        .collect();
    hints.sort_by_key(|h| h.offset);
    hints.dedup();
    hints
}
