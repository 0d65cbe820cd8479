//! Policy files to a checked [`PolicySet`]: names declared and resolved,
//! blocks' keys checked, schemas merged, rules' expressions typed and
//! lowered. Checking never evaluates anything and never stops at the first
//! error: it reports every problem of the set in one run.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod expr;
pub mod ir;
pub mod keys;
pub(crate) mod memo;
pub mod model;
pub mod schema;
pub mod suggest;
pub mod types;
pub mod validate;
pub mod words;

use std::collections::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use crate::stdlib;
use crate::syntax::ast::{self, Block, BlockKind, Entry, ExprKind, Item, Level, StrPart};
use expr::{ExprChecker, FnDef, InputTy, Scope};
use keys::{KeySpec, KeyTy};
use model::{
    Applies, Const, Decl, DeclId, DeclKind, FastMap, MetricTarget, PolicySet, Rule, Step, Test,
    Waiver,
};
use suggest::did_you_mean;

/// An item with the standard library module it came from (`None` for the policy's own).
struct Sourced {
    module: Option<String>,
    item: Item,
}

/// Parses and checks policy files (already in `sources`) as one set, with
/// the prelude and every imported standard library module.
pub fn compile(sources: &mut SourceMap, files: &[FileId]) -> (PolicySet, Vec<Diagnostic>) {
    compile_with(sources, files, &mut crate::syntax::parse_file)
}

/// Parses a file: `compile_with` lets a caller (the language server) answer
/// from a cache of files that did not change.
pub type Parse<'p> = dyn FnMut(FileId, &str) -> (ast::File, Vec<Diagnostic>) + 'p;

/// [`compile`], with the parsing of each file (the set's and the standard
/// library's) done by `parse`.
pub fn compile_with(
    sources: &mut SourceMap,
    files: &[FileId],
    parse: &mut Parse<'_>,
) -> (PolicySet, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut items: Vec<Sourced> = Vec::new();
    let mut set_files = Vec::new();

    let prelude = sources.add(stdlib::PRELUDE_NAME, stdlib::PRELUDE);
    set_files.push(prelude);
    let (file, mut ds) = parse(prelude, stdlib::PRELUDE);
    diagnostics.append(&mut ds);
    items.extend(
        file.items
            .into_iter()
            .map(|item| Sourced { module: None, item }),
    );

    // Modules load in the order they are imported (their rules report in that order).
    let mut pending: std::collections::VecDeque<(ast::Name, Option<String>)> = Default::default();
    for &id in files {
        set_files.push(id);
        let text = sources.text(id).to_string();
        let (file, mut ds) = parse(id, &text);
        diagnostics.append(&mut ds);
        for item in file.items {
            if let Item::Import(import) = &item {
                pending.push_back((import.module.clone(), None));
            }
            items.push(Sourced { module: None, item });
        }
    }

    // Standard library modules, each loaded once, imports followed.
    let mut loaded: HashSet<String> = HashSet::new();
    while let Some((name, _from)) = pending.pop_front() {
        let module = name.text.clone();
        if loaded.contains(&module) {
            continue;
        }
        let Some(short) = module.strip_prefix("std.") else {
            diagnostics.push(
                Diagnostic::error("A109", format!("cannot import `{module}`"))
                    .at(name.span, "not a standard library module")
                    .note("only modules of the standard library are imported; give your own policy files to the checker with `--policy`"),
            );
            continue;
        };
        let Some(text) = stdlib::module(short) else {
            let names: Vec<String> = stdlib::MODULES
                .iter()
                .map(|(n, _)| format!("std.{n}"))
                .collect();
            diagnostics.push(
                Diagnostic::error(
                    "A109",
                    format!("unknown standard library module `{module}`"),
                )
                .at(name.span, "no such module")
                .suggest(did_you_mean(&module, names.iter().map(|s| s.as_str())))
                .note(format!("the modules are {}", names.join(", "))),
            );
            continue;
        };
        loaded.insert(module.clone());
        let id = sources.add(format!("<stdlib/{short}.policy>"), text);
        set_files.push(id);
        let (file, mut ds) = parse(id, text);
        diagnostics.append(&mut ds);
        for item in file.items {
            if let Item::Import(import) = &item {
                pending.push_back((import.module.clone(), Some(module.clone())));
            }
            items.push(Sourced {
                module: Some(module.clone()),
                item,
            });
        }
    }

    let mut checker = Checker {
        sources,
        set: PolicySet {
            files: set_files,
            ..PolicySet::default()
        },
        diagnostics,
        names: HashMap::new(),
        functions: HashMap::new(),
    };
    checker.run(&items);
    let Checker {
        mut set,
        mut diagnostics,
        ..
    } = checker;
    memo::apply(&mut set);
    diagnostics.sort_by_key(|d| {
        let span = d.primary_span();
        (span.file(), span.start())
    });
    let mut seen = HashSet::new();
    diagnostics.retain(|d| seen.insert((d.code, d.primary_span(), d.message.clone())));
    (set, diagnostics)
}

/// The context a rule inherits from its group.
struct GroupCtx {
    name: String,
    /// The group has an `applies` entry (even one that did not check).
    applies_given: bool,
    is_gate: bool,
    applies: Option<(Applies, InputTy)>,
    owner: Option<DeclId>,
}

struct Checker<'s> {
    sources: &'s SourceMap,
    set: PolicySet,
    diagnostics: Vec<Diagnostic>,
    /// The one namespace of declarations: name to where it was declared.
    names: HashMap<String, Span>,
    functions: HashMap<String, FnDef>,
}

fn qualify(module: &Option<String>, name: &str) -> String {
    match module {
        Some(m) => format!("{m}.{name}"),
        None => name.to_string(),
    }
}

impl Checker<'_> {
    fn run(&mut self, items: &[Sourced]) {
        // Schemas first: rules are checked against them.
        let mut builder = schema::SchemaBuilder {
            set: &mut self.set,
            diagnostics: Vec::new(),
        };
        for s in items {
            if let Item::Schema(decl) = &s.item {
                builder.add(decl);
            }
        }
        let mut ds = builder.diagnostics;
        self.diagnostics.append(&mut ds);

        self.check_headers(items);
        // Pass 1: every name, so that forward references work.
        for s in items {
            self.declare(s);
        }
        // Pass 2: the entries of plain declarations.
        for s in items {
            if let Item::Block(block) = &s.item {
                if !matches!(
                    block.kind,
                    BlockKind::Rule(_)
                        | BlockKind::Requirements
                        | BlockKind::Gate
                        | BlockKind::Test
                ) {
                    self.fill_decl(block, &s.module);
                }
            }
            if let Item::Policy(policy) = &s.item {
                if self.set.name.is_none() {
                    self.set.name = Some(policy.name.text.clone());
                    self.set.title = policy.title.as_ref().map(|t| t.text.clone());
                }
                let entries: Vec<&Entry> = policy.entries.iter().collect();
                self.check_keys(&entries, keys::POLICY, "policy", policy.name.span, &[]);
            }
        }
        // Pass 3: rules, with functions checked at each call.
        let cyclic = self.function_cycles();
        let mut instances = HashMap::new();
        for s in items {
            if let Item::Block(block) = &s.item {
                match block.kind {
                    BlockKind::Rule(_) => {
                        self.rule(block, None, &s.module, &cyclic, &mut instances)
                    }
                    BlockKind::Requirements | BlockKind::Gate => {
                        self.group(block, &s.module, &cyclic, &mut instances)
                    }
                    _ => {}
                }
            }
        }
        // Functions no rule calls are still checked, with an unknown input.
        let mut keys: Vec<String> = self.functions.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let called = instances
                .keys()
                .any(|k: &String| k.starts_with(&format!("{key}|")));
            if called || cyclic.contains(&key) {
                continue;
            }
            let Some(def) = self.functions.get(&key) else {
                continue;
            };
            let body = def.decl.body.clone();
            let mut scope = Scope::new(InputTy::Unknown, false, def.module.clone());
            for p in &def.decl.params {
                scope.bind(&p.text, p.span, types::Ty::Any);
            }
            let mut ec = ExprChecker {
                set: &mut self.set,
                sources: self.sources,
                functions: &self.functions,
                cyclic: &cyclic,
                instances: &mut instances,
                diagnostics: Vec::new(),
            };
            ec.check(&body, &mut scope);
            let mut ds = ec.diagnostics;
            self.diagnostics.append(&mut ds);
        }
        // Pass 4: what refers to rules.
        for s in items {
            if let Item::Block(block) = &s.item {
                match block.kind {
                    BlockKind::Waiver => self.waiver(block, &s.module),
                    BlockKind::Test => self.test(block),
                    _ => {}
                }
            }
        }
    }

    /// A file has at most one `policy` header, and it comes first.
    fn check_headers(&mut self, items: &[Sourced]) {
        let mut seen: HashMap<FileId, (bool, Option<Span>)> = HashMap::new();
        for s in items.iter().filter(|s| s.module.is_none()) {
            let span = item_span(&s.item);
            let Some(file) = span.file() else { continue };
            let entry = seen.entry(file).or_insert((false, None));
            if let Item::Policy(policy) = &s.item {
                if let Some(first) = entry.1 {
                    self.diagnostics.push(
                        Diagnostic::error("A101", "a second `policy` header in this file")
                            .at(policy.name.span, "another header")
                            .also(first, "the file's header")
                            .note("a file names its module once; split it into two files for two modules"),
                    );
                } else if entry.0 {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "A001",
                            "the `policy` header must come first in its file",
                        )
                        .at(policy.name.span, "after other declarations")
                        .note("help: move it to the top of the file"),
                    );
                }
                entry.1.get_or_insert(policy.name.span);
            }
            entry.0 = true;
        }
    }

    fn claim(&mut self, name: &str, span: Span, what: &str) -> bool {
        if let Some(first) = self.names.get(name) {
            self.diagnostics.push(
                Diagnostic::error("A101", format!("`{name}` is declared twice"))
                    .at(span, format!("{what} `{name}` declared again here"))
                    .also(*first, "first declared here")
                    .note("declarations share one namespace: give one of them another name"),
            );
            return false;
        }
        self.names.insert(name.to_string(), span);
        true
    }

    fn add_decl(&mut self, kind: DeclKind, name: String, block: &Block) -> DeclId {
        let id = self.set.decls.len() as DeclId;
        self.set.decls.push(Decl {
            kind,
            name: name.clone(),
            title: block.title.as_ref().map(|t| t.text.clone()),
            doc: block.doc.clone(),
            name_span: block.name.span,
            span: block.span,
            fields: FastMap::default(),
        });
        self.set.by_kind.entry(kind).or_default().insert(name, id);
        id
    }

    fn declare(&mut self, s: &Sourced) {
        match &s.item {
            Item::Fn(f) => {
                for (i, p) in f.params.iter().enumerate() {
                    if let Some(first) = f.params.iter().take(i).find(|q| q.text == p.text) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "A101",
                                format!("parameter `{}` is declared twice", p.text),
                            )
                            .at(p.span, "declared again here")
                            .also(first.span, "first declared here"),
                        );
                    }
                }
                let name = qualify(&s.module, &f.name.text);
                if self.claim(&name, f.name.span, "function") {
                    self.functions.insert(
                        name,
                        FnDef {
                            decl: f.clone(),
                            module: s.module.clone(),
                        },
                    );
                }
            }
            Item::Block(block) => {
                let name = qualify(&s.module, &block.name.text);
                match block.kind {
                    BlockKind::Requirements | BlockKind::Gate => {
                        self.claim(&name, block.name.span, block.kind.keyword());
                        let mut seen: HashMap<&str, Span> = HashMap::new();
                        for entry in &block.entries {
                            if let Entry::Rule(rule) = entry {
                                if let Some(first) = seen.get(rule.name.text.as_str()) {
                                    self.diagnostics.push(
                                        Diagnostic::error(
                                            "A101",
                                            format!(
                                                "`{name}.{}` is declared twice",
                                                rule.name.text
                                            ),
                                        )
                                        .at(rule.name.span, "rule declared again here")
                                        .also(*first, "first declared here"),
                                    );
                                    continue;
                                }
                                seen.insert(&rule.name.text, rule.name.span);
                                self.add_decl(
                                    DeclKind::Rule,
                                    format!("{name}.{}", rule.name.text),
                                    rule,
                                );
                            }
                        }
                    }
                    BlockKind::Test => {
                        self.claim(&name, block.name.span, "test");
                    }
                    kind => {
                        if self.claim(&name, block.name.span, kind.keyword()) {
                            if let Some(decl_kind) = keys::decl_kind(kind) {
                                self.add_decl(decl_kind, name, block);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Checks a block's keys: unknown, repeated, missing.
    fn check_keys(
        &mut self,
        entries: &[&Entry],
        specs: &[KeySpec],
        what: &str,
        name_span: Span,
        extra: &[&str],
    ) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for entry in entries {
            let Entry::Key { key, .. } = entry else {
                continue;
            };
            let k = key.text.as_str();
            match specs.iter().find(|s| s.key == k) {
                None => {
                    let mut names: Vec<&str> = specs.iter().map(|s| s.key).collect();
                    names.extend_from_slice(extra);
                    self.diagnostics.push(
                        Diagnostic::error("A103", format!("unknown key `{k}` in {what}"))
                            .at(key.span, "unknown key")
                            .suggest(did_you_mean(k, names.iter().copied()))
                            .note(format!(
                                "{what} accepts {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                    );
                }
                Some(spec) => {
                    if let Some(first) = seen.get(k) {
                        if !spec.repeat {
                            self.diagnostics.push(
                                Diagnostic::error("A111", format!("`{k}` is given twice"))
                                    .at(key.span, "given again here")
                                    .also(*first, "first given here"),
                            );
                        }
                    } else {
                        seen.insert(k, key.span);
                    }
                }
            }
        }
        for spec in specs.iter().filter(|s| s.required) {
            if !seen.contains_key(spec.key) {
                self.diagnostics.push(
                    Diagnostic::error("A110", format!("{what} has no `{}`", spec.key))
                        .at(name_span, format!("`{}` is required here", spec.key))
                        .note(format!(
                            "help: add `{} ...` ({})",
                            spec.key,
                            spec.ty.describe()
                        )),
                );
            }
        }
    }

    /// A key's value as a constant of its declared type.
    fn constant(&mut self, spec: &KeySpec, value: &ast::Expr) -> Option<Const> {
        if matches!(value.kind, ExprKind::Invalid) {
            return None; // already reported where it was read
        }
        let wrong = |me: &mut Self| {
            me.diagnostics.push(
                Diagnostic::error(
                    "A113",
                    format!("`{}` needs {}", spec.key, spec.ty.describe()),
                )
                .at(value.span, format!("expected {}", spec.ty.describe())),
            );
            None
        };
        let word = |e: &ast::Expr| -> Option<String> {
            match &e.kind {
                ExprKind::Name(n) => Some(n.text.clone()),
                ExprKind::Str(parts) => match parts.as_slice() {
                    [StrPart::Text(t)] => Some(t.clone()),
                    _ => None,
                },
                _ => None,
            }
        };
        match spec.ty {
            KeyTy::Word(set) => {
                let Some(w) = word(value) else {
                    return wrong(self);
                };
                match set.index(&w) {
                    Some(i) => Some(Const::Word(set, i)),
                    None => {
                        self.diagnostics.push(
                            Diagnostic::error("A112", format!("`{w}` is not a {}", set.describe()))
                                .at(value.span, format!("not a {}", set.describe()))
                                .suggest(did_you_mean(&w, set.words().iter().copied()))
                                .note(format!(
                                    "the {}s are {}",
                                    set.describe(),
                                    set.words()
                                        .iter()
                                        .map(|w| format!("`{w}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                        );
                        None
                    }
                }
            }
            KeyTy::Ref(kind) => {
                let Some(w) = word(value) else {
                    return wrong(self);
                };
                self.reference(kind, &w, value.span)
            }
            KeyTy::Refs(kind) => {
                let ExprKind::List(items) = &value.kind else {
                    // A single name is accepted for a list of one.
                    if let Some(w) = word(value) {
                        return Some(Const::List(
                            self.reference(kind, &w, value.span).into_iter().collect(),
                        ));
                    }
                    return wrong(self);
                };
                let mut out = Vec::new();
                for item in items {
                    match word(item) {
                        Some(w) => out.extend(self.reference(kind, &w, item.span)),
                        None => {
                            wrong(self);
                        }
                    }
                }
                Some(Const::List(out))
            }
            KeyTy::Str | KeyTy::Message => match &value.kind {
                ExprKind::Str(parts) => Some(Const::Str(
                    parts
                        .iter()
                        .map(|p| match p {
                            StrPart::Text(t) => t.clone(),
                            StrPart::Interpolation(e) => {
                                format!("{{{}}}", self.sources.snippet(e.span))
                            }
                        })
                        .collect(),
                )),
                _ => wrong(self),
            },
            KeyTy::Strs => {
                let ExprKind::List(items) = &value.kind else {
                    return wrong(self);
                };
                let mut out = Vec::new();
                for item in items {
                    match &item.kind {
                        ExprKind::Str(parts) => out.push(Const::Str(
                            parts
                                .iter()
                                .map(|p| match p {
                                    StrPart::Text(t) => t.as_str(),
                                    StrPart::Interpolation(_) => "",
                                })
                                .collect(),
                        )),
                        _ => {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "A113",
                                    format!("`{}` needs a list of strings", spec.key),
                                )
                                .at(item.span, "not a string")
                                .note("help: quote it: `\"...\"`"),
                            );
                        }
                    }
                }
                Some(Const::List(out))
            }
            KeyTy::Int | KeyTy::Num => {
                let n = match &value.kind {
                    ExprKind::Number(n) => *n,
                    ExprKind::Unary(ast::UnOp::Neg, inner) => match inner.kind {
                        ExprKind::Number(n) => -n,
                        _ => return wrong(self),
                    },
                    _ => return wrong(self),
                };
                if spec.ty == KeyTy::Int && n.fract() != 0.0 {
                    return wrong(self);
                }
                Some(Const::Num(n))
            }
            KeyTy::Dur => match value.kind {
                ExprKind::Duration(d) => Some(Const::Dur(d)),
                _ => wrong(self),
            },
            KeyTy::Date => match value.kind {
                ExprKind::Date(d) => Some(Const::Date(d)),
                _ => wrong(self),
            },
            KeyTy::Kind | KeyTy::RuleRef => match dotted(value) {
                Some(text) => Some(Const::Str(text)),
                None => wrong(self),
            },
            KeyTy::Cond => None,
        }
    }

    fn reference(&mut self, kind: DeclKind, name: &str, span: Span) -> Option<Const> {
        match self.set.lookup(kind, name) {
            Some(id) => {
                let target = self
                    .set
                    .decl(id)
                    .map(|d| d.name_span)
                    .unwrap_or(Span::Synthetic);
                self.set.resolutions.push(model::Resolution {
                    use_span: span,
                    target,
                    what: model::RefKind::Decl(kind),
                    ty: None,
                });
                Some(Const::Decl(id))
            }
            None => {
                let suggestion = did_you_mean(name, self.set.names(kind)).map(String::from);
                let mut d = Diagnostic::error("A104", format!("unknown {} `{name}`", kind.word()))
                    .at(span, format!("no {} has this name", kind.word()))
                    .suggest(suggestion.as_deref());
                if suggestion.is_none() {
                    d = d.note(format!(
                        "help: declare it: `{} {name} {{ ... }}`",
                        kind_keyword(kind)
                    ));
                }
                self.diagnostics.push(d);
                None
            }
        }
    }

    fn decl_id(&self, kind: DeclKind, module: &Option<String>, name: &str) -> Option<DeclId> {
        self.set.lookup(kind, &qualify(module, name))
    }

    fn fill_decl(&mut self, block: &Block, module: &Option<String>) {
        let Some(kind) = keys::decl_kind(block.kind) else {
            return;
        };
        let specs = keys::keys(block.kind);
        let entries: Vec<&Entry> = block.entries.iter().collect();
        let what = format!("{} `{}`", block.kind.keyword(), block.name.text);
        let extra: &[&str] = if block.kind == BlockKind::Metric {
            &["target"]
        } else {
            &[]
        };
        self.check_keys(&entries, specs, &what, block.name.span, extra);
        let Some(id) = self.decl_id(kind, module, &block.name.text) else {
            return;
        };
        // A duplicate declaration keeps the first one's entries.
        if self.set.decl(id).is_some_and(|d| d.span != block.span) {
            return;
        }
        let mut fields = FastMap::default();
        fields.insert(
            "name".to_string(),
            (Const::Str(block.name.text.clone()), block.name.span),
        );
        if let Some(title) = &block.title {
            fields.insert(
                "title".to_string(),
                (Const::Str(title.text.clone()), title.span),
            );
        }
        for entry in &block.entries {
            match entry {
                Entry::Key { key, value } => {
                    let Some(spec) = specs.iter().find(|s| s.key == key.text) else {
                        continue;
                    };
                    if fields.contains_key(spec.key) {
                        continue;
                    }
                    if let Some(c) = self.constant(spec, value) {
                        fields.insert(spec.key.to_string(), (c, key.span));
                    }
                }
                Entry::Target {
                    op, value, span, ..
                } if block.kind == BlockKind::Metric => {
                    let n = match &value.kind {
                        ExprKind::Number(n) => Some(*n),
                        ExprKind::Unary(ast::UnOp::Neg, inner) => match inner.kind {
                            ExprKind::Number(n) => Some(-n),
                            _ => None,
                        },
                        _ => None,
                    };
                    match n {
                        Some(n)
                            if matches!(
                                op,
                                ast::BinOp::Lt
                                    | ast::BinOp::Le
                                    | ast::BinOp::Gt
                                    | ast::BinOp::Ge
                                    | ast::BinOp::Eq
                                    | ast::BinOp::Ne
                            ) =>
                        {
                            fields.insert("target".to_string(), (Const::Num(n), *span));
                            self.set.metric_targets.push(MetricTarget {
                                decl: id,
                                op: *op,
                                value: n,
                                span: *span,
                            });
                        }
                        _ => self.diagnostics.push(
                            Diagnostic::error(
                                "A113",
                                "a metric's `target` needs a comparison and a number",
                            )
                            .at(*span, "e.g. `target < 1%` or `target >= 0.95`"),
                        ),
                    }
                }
                other => self.unexpected_entry(other, &what),
            }
        }
        if let Some(decl) = self.set.decls.get_mut(id as usize) {
            decl.fields = fields;
        }
    }

    fn unexpected_entry(&mut self, entry: &Entry, what: &str) {
        let (word, span) = match entry {
            Entry::Each { span, .. } => ("each", *span),
            Entry::Let { span, .. } => ("let", *span),
            Entry::Expect { span, .. } => ("expect", *span),
            Entry::Target { span, .. } => ("target", *span),
            Entry::Rule(block) => (block.kind.keyword(), block.keyword_span),
            Entry::Key { .. } => return,
        };
        self.diagnostics.push(
            Diagnostic::error("A103", format!("`{word}` is not allowed in {what}"))
                .at(span, "not allowed here"),
        );
    }

    fn applies(&mut self, value: &ast::Expr) -> Option<(Applies, InputTy)> {
        let Some(kind) = dotted(value) else {
            self.diagnostics.push(
                Diagnostic::error("A113", "`applies` needs a document kind or `policy`")
                    .at(value.span, "not a document kind"),
            );
            return None;
        };
        if kind == "policy" {
            return Some((Applies::Policy, InputTy::Policy));
        }
        if let Some(target) = self.set.schema_spans.get(&kind).copied() {
            self.set.resolutions.push(model::Resolution {
                use_span: value.span,
                target,
                what: model::RefKind::Kind,
                ty: None,
            });
        }
        match self.set.schemas.get(&kind) {
            Some(record) => Some((
                Applies::Kind(kind.clone()),
                InputTy::Document(kind, *record),
            )),
            None => {
                let mut names: Vec<&str> = self.set.schemas.keys().map(|s| s.as_str()).collect();
                names.push("policy");
                self.diagnostics.push(
                    Diagnostic::error("A105", format!("unknown document kind `{kind}`"))
                        .at(value.span, "no schema for this kind")
                        .suggest(did_you_mean(&kind, names.iter().copied()))
                        .note(format!("the kinds are {}", names.join(", "))),
                );
                None
            }
        }
    }

    fn group(
        &mut self,
        block: &Block,
        module: &Option<String>,
        cyclic: &HashSet<String>,
        instances: &mut HashMap<String, (usize, types::Ty)>,
    ) {
        let what = format!("{} `{}`", block.kind.keyword(), block.name.text);
        let entries: Vec<&Entry> = block.entries.iter().collect();
        self.check_keys(
            &entries,
            keys::keys(block.kind),
            &what,
            block.name.span,
            &["must", "should", "may"],
        );
        let mut ctx = GroupCtx {
            name: qualify(module, &block.name.text),
            applies_given: has_key(&block.entries, "applies"),
            is_gate: block.kind == BlockKind::Gate,
            applies: None,
            owner: None,
        };
        for entry in &block.entries {
            match entry {
                Entry::Key { key, value } if key.text == "applies" && ctx.applies.is_none() => {
                    ctx.applies = self.applies(value);
                }
                Entry::Key { key, value } if key.text == "owner" && ctx.owner.is_none() => {
                    let spec = KeySpec {
                        key: "owner",
                        ty: KeyTy::Ref(DeclKind::Role),
                        repeat: false,
                        required: false,
                    };
                    if let Some(Const::Decl(id)) = self.constant(&spec, value) {
                        ctx.owner = Some(id);
                    }
                }
                Entry::Key { .. } | Entry::Rule(_) => {}
                other => self.unexpected_entry(other, &what),
            }
        }
        let rules_without_applies = block
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Rule(rule) if !has_key(&rule.entries, "applies")));
        if !ctx.applies_given && rules_without_applies {
            self.diagnostics.push(
                Diagnostic::error("A110", format!("{what} has no `applies`"))
                    .at(block.name.span, "what do its rules check?")
                    .note("help: add `applies KIND` to the group (its rules inherit it) or to each rule"),
            );
        }
        for entry in &block.entries {
            if let Entry::Rule(rule) = entry {
                self.rule(rule, Some(&ctx), module, cyclic, instances);
            }
        }
    }

    fn rule(
        &mut self,
        block: &Block,
        group: Option<&GroupCtx>,
        module: &Option<String>,
        cyclic: &HashSet<String>,
        instances: &mut HashMap<String, (usize, types::Ty)>,
    ) {
        let BlockKind::Rule(level) = block.kind else {
            return;
        };
        let id = match group {
            Some(g) => format!("{}.{}", g.name, block.name.text),
            None => qualify(module, &block.name.text),
        };
        let Some(decl) = self.set.lookup(DeclKind::Rule, &id) else {
            return;
        };
        if self.set.decl(decl).is_some_and(|d| d.span != block.span) {
            return; // a duplicate, already reported
        }
        let what = format!("rule `{id}`");
        let entries: Vec<&Entry> = block.entries.iter().collect();
        self.check_keys(
            &entries,
            keys::keys(block.kind),
            &what,
            block.name.span,
            &["each", "let"],
        );

        let mut applies = None;
        let mut owner = group.and_then(|g| g.owner);
        let mut section = None;
        let mut weight = 1.0;
        let mut cite = None;
        let mut applies_given = false;
        for entry in &block.entries {
            let Entry::Key { key, value } = entry else {
                continue;
            };
            match key.text.as_str() {
                "applies" if !applies_given => {
                    applies_given = true;
                    applies = self.applies(value);
                }
                "owner" => {
                    if let Some(spec) = keys::keys(block.kind).iter().find(|s| s.key == "owner") {
                        if let Some(Const::Decl(id)) = self.constant(spec, value) {
                            owner = Some(id);
                        }
                    }
                }
                "section" => {
                    if let Some(spec) = keys::keys(block.kind).iter().find(|s| s.key == "section") {
                        if let Some(Const::Word(set, i)) = self.constant(spec, value) {
                            section = Some(set.word(i));
                        }
                    }
                }
                "weight" => {
                    if level != Level::Should {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "A210",
                                format!("`weight` on a `{}` rule", level.word()),
                            )
                            .at(key.span, "only `should` rules are weighted")
                            .note("`must` rules eliminate, `may` rules are never scored"),
                        );
                    }
                    if let Some(spec) = keys::keys(block.kind).iter().find(|s| s.key == "weight") {
                        if let Some(Const::Num(n)) = self.constant(spec, value) {
                            if n < 0.0 {
                                self.diagnostics.push(
                                    Diagnostic::error("A113", "`weight` cannot be negative")
                                        .at(value.span, "negative"),
                                );
                            } else {
                                weight = n;
                            }
                        }
                    }
                }
                "cite" => {
                    if let Some(spec) = keys::keys(block.kind).iter().find(|s| s.key == "cite") {
                        if let Some(Const::Str(s)) = self.constant(spec, value) {
                            cite = Some(s);
                        }
                    }
                }
                _ => {}
            }
        }
        if !applies_given {
            match group {
                Some(g) => applies = g.applies.clone(),
                None => {
                    self.diagnostics.push(
                        Diagnostic::error("A110", format!("{what} has no `applies`"))
                            .at(block.name.span, "what does this rule check?")
                            .note("help: add `applies KIND` (`questionnaire`, `manifest`, `change_request`, `readiness`, `scorecard`) or `applies policy`"),
                    );
                }
            }
        }
        let (applies_kind, input) = match applies {
            Some((a, i)) => (Some(a), i),
            None => (None, InputTy::Unknown),
        };

        let mut scope = Scope::new(input, group.is_some(), module.clone());
        let mut ec = ExprChecker {
            set: &mut self.set,
            sources: self.sources,
            functions: &self.functions,
            cyclic,
            instances,
            diagnostics: Vec::new(),
        };
        let mut steps = Vec::new();
        for entry in &block.entries {
            match entry {
                Entry::Each { var, list, span } => {
                    let (ir, ty) = ec.check(list, &mut scope);
                    let elem = match ty.element() {
                        Some(t) => t,
                        None => {
                            let found = ty.describe();
                            ec.diagnostics.push(
                                Diagnostic::error(
                                    "A206",
                                    format!("`each` needs a list, found {found}"),
                                )
                                .at(list.span, format!("this is a {found}, not a list")),
                            );
                            types::Ty::Any
                        }
                    };
                    let slot = ec.bind(&mut scope, var, elem);
                    steps.push(Step::Each {
                        slot,
                        list: ir,
                        span: *span,
                    });
                }
                Entry::Let { var, value, .. } => {
                    let (ir, ty) = ec.check(value, &mut scope);
                    let slot = ec.bind(&mut scope, var, ty);
                    steps.push(Step::Let { slot, value: ir });
                }
                Entry::Key { key, value } if key.text == "when" => {
                    steps.push(Step::When(ec.check_condition(value, &mut scope, "when")));
                }
                _ => {}
            }
        }
        let mut requires = Vec::new();
        let mut message = None;
        for entry in &block.entries {
            match entry {
                Entry::Key { key, value } if key.text == "require" => {
                    requires.push(ec.check_condition(value, &mut scope, "require"));
                }
                Entry::Key { key, value } if key.text == "message" && message.is_none() => {
                    if matches!(value.kind, ExprKind::Str(_)) {
                        message = Some(ec.check(value, &mut scope).0);
                    } else {
                        ec.diagnostics.push(
                            Diagnostic::error("A113", "`message` needs a string")
                                .at(value.span, "not a string"),
                        );
                    }
                }
                _ => {}
            }
        }
        let mut ds = ec.diagnostics;
        self.diagnostics.append(&mut ds);
        for entry in &block.entries {
            if let Entry::Expect { span, .. } | Entry::Target { span, .. } = entry {
                self.diagnostics.push(
                    Diagnostic::error("A103", format!("this entry is not allowed in {what}"))
                        .at(*span, "not allowed here"),
                );
            }
            if let Entry::Rule(inner) = entry {
                self.diagnostics.push(
                    Diagnostic::error("A103", "rules cannot be nested in rules")
                        .at(inner.keyword_span, "a rule inside a rule")
                        .note("help: put related rules in a `requirements` or `gate` group"),
                );
            }
        }
        if requires.is_empty() && has_no_key(&block.entries, "require") {
            self.diagnostics.push(
                Diagnostic::error("A110", format!("{what} has no `require`"))
                    .at(block.name.span, "nothing to check")
                    .note("help: add `require CONDITION`"),
            );
        }

        let title = block.title.as_ref().map(|t| t.text.clone());
        // The rule as a value, for `applies policy` rules.
        let mut fields = FastMap::default();
        let mut put = |k: &str, c: Const| {
            fields.insert(k.to_string(), (c, block.name.span));
        };
        put("name", Const::Str(block.name.text.clone()));
        put("id", Const::Str(id.clone()));
        put("level", Const::Str(level.word().to_string()));
        if let Some(t) = &title {
            put("title", Const::Str(t.clone()));
        }
        if let Some(g) = group {
            put("group", Const::Str(g.name.clone()));
        }
        match &applies_kind {
            Some(Applies::Kind(k)) => put("applies", Const::Str(k.clone())),
            Some(Applies::Policy) => put("applies", Const::Str("policy".into())),
            None => {}
        }
        if let Some(o) = owner {
            put("owner", Const::Decl(o));
        }
        if let Some(s) = section {
            if let Some(i) = words::WordSet::Section.index(s) {
                put("section", Const::Word(words::WordSet::Section, i));
            }
        }
        if level == Level::Should {
            put("weight", Const::Num(weight));
        }
        if let Some(c) = &cite {
            put("cite", Const::Str(c.clone()));
        }
        if let Some(d) = self.set.decls.get_mut(decl as usize) {
            d.fields = fields;
        }

        let Some(applies) = applies_kind else { return };
        self.set.rules.push(Rule {
            id,
            level,
            applies,
            title,
            doc: block.doc.clone(),
            group: group.map(|g| g.name.clone()),
            group_is_gate: group.is_some_and(|g| g.is_gate),
            owner,
            section,
            weight,
            cite,
            message,
            steps,
            requires,
            frame_size: scope.frame_size,
            span: block.keyword_span,
            decl,
        });
    }

    fn rule_exists(&self, id: &str) -> bool {
        self.set.lookup(DeclKind::Rule, id).is_some()
    }

    /// Records a use of a rule id (a waiver's `rule`, a test's `expect`).
    fn resolve_rule(&mut self, id: &str, span: Span) {
        let target = self
            .set
            .lookup(DeclKind::Rule, id)
            .and_then(|d| self.set.decl(d))
            .map(|d| d.name_span);
        if let Some(target) = target {
            self.set.resolutions.push(model::Resolution {
                use_span: span,
                target,
                what: model::RefKind::Decl(DeclKind::Rule),
                ty: None,
            });
        }
    }

    fn unknown_rule(&mut self, id: &str, span: Span) {
        let ids: Vec<String> = self.set.names(DeclKind::Rule).map(String::from).collect();
        self.diagnostics.push(
            Diagnostic::error("A108", format!("unknown rule `{id}`"))
                .at(span, "no rule has this id")
                .suggest(did_you_mean(id, ids.iter().map(|s| s.as_str())))
                .note("a rule in a group is named `GROUP.RULE`; a standard library rule `std.MODULE.RULE`"),
        );
    }

    fn waiver(&mut self, block: &Block, module: &Option<String>) {
        let Some(id) = self.decl_id(DeclKind::Waiver, module, &block.name.text) else {
            return;
        };
        let Some(decl) = self.set.decl(id) else {
            return;
        };
        if decl.span != block.span {
            return;
        }
        let fields = decl.fields.clone();
        let rule = match fields.get("rule") {
            Some((Const::Str(r), span)) => {
                let value_span = block
                    .entries
                    .iter()
                    .find_map(|e| match e {
                        Entry::Key { key, value } if key.text == "rule" => Some(value.span),
                        _ => None,
                    })
                    .unwrap_or(*span);
                self.resolve_rule(r, value_span);
                if !self.rule_exists(r) {
                    self.unknown_rule(r, value_span);
                }
                r.clone()
            }
            _ => String::new(),
        };
        let text = |k: &str| match fields.get(k) {
            Some((Const::Str(s), _)) => Some(s.clone()),
            _ => None,
        };
        let approved = match fields.get("approved") {
            Some((Const::List(items), _)) => items
                .iter()
                .filter_map(|c| match c {
                    Const::Decl(d) => Some(*d),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        self.set.waivers.push(Waiver {
            name: decl_name(&block.name.text, module),
            rule,
            target: text("target").unwrap_or_default(),
            until: match fields.get("until") {
                Some((Const::Date(d), _)) => Some(*d),
                _ => None,
            },
            approved,
            reason: text("reason"),
            span: block.keyword_span,
            decl: id,
        });
    }

    fn test(&mut self, block: &Block) {
        let what = format!("test `{}`", block.name.text);
        let entries: Vec<&Entry> = block.entries.iter().collect();
        self.check_keys(
            &entries,
            keys::keys(BlockKind::Test),
            &what,
            block.name.span,
            &["expect"],
        );
        let mut test = Test {
            name: block.name.text.clone(),
            document: None,
            expectations: Vec::new(),
            span: block.keyword_span,
        };
        for entry in &block.entries {
            match entry {
                Entry::Key { key, value } if key.text == "document" => {
                    if let ExprKind::Str(parts) = &value.kind {
                        if let [StrPart::Text(path)] = parts.as_slice() {
                            test.document = Some((path.clone(), value.span));
                        }
                    }
                }
                Entry::Expect { what: w, arg, span } => {
                    match w.text.as_str() {
                        "pass" | "fail" | "indeterminate" | "waived" | "not_applicable" => {
                            self.resolve_rule(&arg.text, arg.span);
                            if !self.rule_exists(&arg.text) && !arg.text.starts_with("waiver.") {
                                self.unknown_rule(&arg.text, arg.span);
                            }
                        }
                        "verdict" => {
                            if !matches!(arg.text.as_str(), "pass" | "warn" | "fail") {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        "A113",
                                        format!("`{}` is not a verdict", arg.text),
                                    )
                                    .at(arg.span, "not a verdict")
                                    .suggest(did_you_mean(&arg.text, ["pass", "warn", "fail"]))
                                    .note("the verdicts are `pass`, `warn`, `fail`"),
                                );
                            }
                        }
                        other => {
                            let names = [
                                "pass",
                                "fail",
                                "indeterminate",
                                "waived",
                                "not_applicable",
                                "verdict",
                            ];
                            self.diagnostics.push(
                                Diagnostic::error("A113", format!("cannot expect `{other}`"))
                                    .at(w.span, "not an outcome")
                                    .suggest(did_you_mean(other, names))
                                    .note("help: `expect pass RULE`, `expect fail RULE`, ..., or `expect verdict fail`"),
                            );
                        }
                    }
                    test.expectations
                        .push((w.text.clone(), arg.text.clone(), *span));
                }
                Entry::Key { .. } => {}
                other => self.unexpected_entry(other, &what),
            }
        }
        self.set.tests.push(test);
    }

    /// Functions that can reach themselves through calls; each cycle reported once.
    fn function_cycles(&mut self) -> HashSet<String> {
        let mut calls: HashMap<String, Vec<String>> = HashMap::new();
        for (key, def) in &self.functions {
            let mut names = Vec::new();
            collect_calls(&def.decl.body, &mut names);
            let resolved = names
                .into_iter()
                .filter_map(|n| {
                    let qualified = qualify(&def.module, &n);
                    if self.functions.contains_key(&qualified) {
                        Some(qualified)
                    } else if self.functions.get(&n).is_some_and(|f| f.module.is_none()) {
                        Some(n)
                    } else {
                        None
                    }
                })
                .collect();
            calls.insert(key.clone(), resolved);
        }
        let mut cyclic = HashSet::new();
        let mut keys: Vec<&String> = calls.keys().collect();
        keys.sort();
        for start in keys {
            // Depth-first search for a path back to `start`.
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            let mut seen = HashSet::new();
            while let Some((node, path)) = stack.pop() {
                for next in calls.get(&node).into_iter().flatten() {
                    if next == start {
                        if !cyclic.contains(start) {
                            let mut cycle = path.clone();
                            cycle.push(start.clone());
                            for f in &path {
                                cyclic.insert(f.clone());
                            }
                            let mut d = Diagnostic::error(
                                "A107",
                                format!("`{start}` calls itself through {}", cycle.join(" → ")),
                            );
                            for f in &path {
                                if let Some(def) = self.functions.get(f) {
                                    d = d
                                        .also(def.decl.name.span, format!("`{f}` is in the cycle"));
                                }
                            }
                            if let Some(first) = d.labels.first_mut() {
                                first.primary = true;
                            }
                            d = d
                                .note("functions may not be recursive: evaluation must always end");
                            self.diagnostics.push(d);
                        }
                    } else if seen.insert(next.clone()) {
                        let mut p = path.clone();
                        p.push(next.clone());
                        stack.push((next.clone(), p));
                    }
                }
            }
        }
        cyclic
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Policy(p) => p.span,
        Item::Import(i) => i.span,
        Item::Fn(f) => f.span,
        Item::Schema(s) => s.span,
        Item::Block(b) => b.span,
    }
}

fn decl_name(name: &str, module: &Option<String>) -> String {
    qualify(module, name)
}

fn kind_keyword(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Role => "role",
        DeclKind::Committee => "committee",
        DeclKind::System => "system",
        DeclKind::Data => "data",
        DeclKind::Tier => "tier",
        DeclKind::Metric => "metric",
        DeclKind::Rule => "must",
        DeclKind::Waiver => "waiver",
    }
}

fn has_key(entries: &[Entry], key: &str) -> bool {
    entries
        .iter()
        .any(|e| matches!(e, Entry::Key { key: k, .. } if k.text == key))
}

fn has_no_key(entries: &[Entry], key: &str) -> bool {
    !has_key(entries, key)
}

/// The text of a dotted name expression (`ai_vendor.soc2`, `manifest`).
fn dotted(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.text.clone()),
        ExprKind::Field(base, name) => Some(format!("{}.{}", dotted(base)?, name.text)),
        ExprKind::Str(parts) => match parts.as_slice() {
            [StrPart::Text(t)] => Some(t.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn collect_calls(e: &ast::Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Call(name, args) => {
            out.push(name.text.clone());
            for a in args {
                collect_calls(a, out);
            }
        }
        ExprKind::Str(parts) => {
            for p in parts {
                if let StrPart::Interpolation(e) = p {
                    collect_calls(e, out);
                }
            }
        }
        ExprKind::List(items) => items.iter().for_each(|i| collect_calls(i, out)),
        ExprKind::Comprehension {
            element,
            list,
            filter,
            ..
        } => {
            collect_calls(element, out);
            collect_calls(list, out);
            if let Some(f) = filter {
                collect_calls(f, out);
            }
        }
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => collect_calls(b, out),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Quantifier(_, _, a, b) => {
            collect_calls(a, out);
            collect_calls(b, out);
        }
        ExprKind::Bool(_)
        | ExprKind::Invalid
        | ExprKind::Number(_)
        | ExprKind::Duration(_)
        | ExprKind::Date(_)
        | ExprKind::Name(_) => {}
    }
}
