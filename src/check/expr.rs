//! Type checking of expressions, and their lowering to [`ir`]: every name is
//! resolved here, every path is checked against the schema of the rule's
//! document kind, and every mistake gets a located diagnostic.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::ir::{self, Builtin, ExprKind as Ir, InterpPart};
use super::keys::decl_fields;
use super::model::{Const, DeclKind, FnInstance, PolicySet, RefKind, Resolution};
use super::suggest::did_you_mean;
use super::types::Ty;
use super::words::WordSet;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, BinOp, ExprKind, Quantifier, StrPart, UnOp};

/// What `input` is in the expression being checked.
#[derive(Clone, Debug, PartialEq)]
pub enum InputTy {
    /// A document of a kind with this schema.
    Document(String, usize),
    /// The policy set (`applies policy`).
    Policy,
    /// Unknown (the rule's `applies` is missing or wrong): paths are not checked.
    Unknown,
}

#[derive(Clone)]
struct Local {
    name: String,
    ty: Ty,
    slot: usize,
    span: Span,
}

/// The names visible to an expression.
pub struct Scope {
    locals: Vec<Local>,
    pub input: InputTy,
    /// Inside a `requirements` or `gate`: the document's top-level fields by name.
    pub group_fields: bool,
    /// The standard library module the code belongs to, for its functions.
    pub module: Option<String>,
    next_slot: usize,
    pub frame_size: usize,
}

impl Scope {
    pub fn new(input: InputTy, group_fields: bool, module: Option<String>) -> Scope {
        Scope {
            locals: Vec::new(),
            input,
            group_fields,
            module,
            next_slot: 0,
            frame_size: 0,
        }
    }

    /// Binds a name for the rest of the scope (or until [`Scope::pop`]).
    pub fn bind(&mut self, name: &str, span: Span, ty: Ty) -> usize {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.frame_size = self.frame_size.max(self.next_slot);
        self.locals.push(Local {
            name: name.to_string(),
            ty,
            slot,
            span,
        });
        slot
    }

    fn pop(&mut self) {
        if self.locals.pop().is_some() {
            self.next_slot -= 1;
        }
    }
}

/// A `fn` as declared, with the module it belongs to.
pub struct FnDef {
    pub decl: ast::FnDecl,
    pub module: Option<String>,
}

pub struct ExprChecker<'a> {
    pub set: &'a mut PolicySet,
    pub sources: &'a SourceMap,
    pub functions: &'a HashMap<String, FnDef>,
    /// Functions in a cycle: calls to them are not checked again.
    pub cyclic: &'a HashSet<String>,
    pub instances: &'a mut HashMap<String, (usize, Ty)>,
    pub diagnostics: Vec<Diagnostic>,
}

type Checked = (ir::Expr, Ty);

fn error(span: Span) -> Checked {
    (ir::Expr::new(Ir::Error, span), Ty::Any)
}

impl ExprChecker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Records what a use of a name refers to (for editors).
    pub fn resolve(&mut self, use_span: Span, target: Span, what: RefKind, ty: Option<&Ty>) {
        let ty = ty.map(|t| self.type_name(t));
        self.set.resolutions.push(Resolution {
            use_span,
            target,
            what,
            ty,
        });
    }

    /// A type as an editor shows it: records by their schema path.
    pub fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Record(id) => self
                .set
                .record_names
                .get(*id)
                .cloned()
                .unwrap_or_else(|| "record".into()),
            Ty::List(t) => format!("[{}]", self.type_name(t)),
            Ty::Map(t) => format!("map({})", self.type_name(t)),
            other => other.describe(),
        }
    }

    /// Binds a local name and records the binding.
    pub fn bind(&mut self, scope: &mut Scope, name: &ast::Name, ty: Ty) -> usize {
        self.resolve(name.span, name.span, RefKind::Local, Some(&ty));
        scope.bind(&name.text, name.span, ty)
    }

    pub fn check(&mut self, e: &ast::Expr, scope: &mut Scope) -> Checked {
        self.check_inner(e, scope, false)
    }

    /// Checks a condition (`when`, `require`): it must be able to be a bool.
    pub fn check_condition(&mut self, e: &ast::Expr, scope: &mut Scope, what: &str) -> ir::Expr {
        let (ir, ty) = self.check(e, scope);
        if ty.definitely_not_bool() {
            let found = ty.describe();
            self.push(
                Diagnostic::error(
                    "A202",
                    format!("`{what}` needs a condition, found {}", with_article(&found)),
                )
                .at(e.span, format!("this is a {found}, not true or false"))
                .note("help: compare it, e.g. `== \"EU\"`, or test it with `exists(...)`"),
            );
        }
        ir
    }

    fn path_text(&self, span: Span) -> Arc<str> {
        Arc::from(self.sources.snippet(span).trim())
    }

    fn check_inner(&mut self, e: &ast::Expr, scope: &mut Scope, in_path: bool) -> Checked {
        let span = e.span;
        match &e.kind {
            ExprKind::Bool(b) => (ir::Expr::new(Ir::Const(Const::Bool(*b)), span), Ty::Bool),
            ExprKind::Number(n) => (ir::Expr::new(Ir::Const(Const::Num(*n)), span), Ty::Num),
            ExprKind::Duration(d) => (ir::Expr::new(Ir::Const(Const::Dur(*d)), span), Ty::Dur),
            ExprKind::Date(d) => (ir::Expr::new(Ir::Const(Const::Date(*d)), span), Ty::Date),
            ExprKind::Str(parts) => self.string(parts, span, scope),
            ExprKind::Paren(inner) => self.check_inner(inner, scope, in_path),
            ExprKind::Invalid => error(span),
            ExprKind::List(items) => {
                let mut elem_ty = None;
                let mut out = Vec::new();
                for item in items {
                    let (ir, ty) = self.check(item, scope);
                    elem_ty.get_or_insert(ty);
                    out.push(ir);
                }
                (
                    ir::Expr::new(Ir::List(out), span),
                    Ty::List(Box::new(elem_ty.unwrap_or(Ty::Any))),
                )
            }
            ExprKind::Name(name) => self.name(name, scope, in_path),
            ExprKind::Field(base, name) => self.field(base, name, span, scope, in_path),
            ExprKind::Index(base, index) => self.index(base, index, span, scope, in_path),
            ExprKind::Call(name, args) => self.call(name, args, span, scope),
            ExprKind::Unary(op, operand) => {
                let (ir, ty) = self.check(operand, scope);
                match op {
                    UnOp::Not => {
                        self.expect_bool(&ty, operand.span, "not");
                        (ir::Expr::new(Ir::Not(Box::new(ir)), span), Ty::Bool)
                    }
                    UnOp::Neg => {
                        if !matches!(ty, Ty::Any | Ty::Num | Ty::Dur) {
                            self.mismatch(span, format!("cannot negate a {}", self.describe(&ty)));
                        }
                        (ir::Expr::new(Ir::Neg(Box::new(ir)), span), ty)
                    }
                }
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, span, scope),
            ExprKind::Quantifier(q, var, list, body) => {
                let (list_ir, list_ty) = self.check(list, scope);
                let elem = self.element_type(&list_ty, list.span, q.word());
                let slot = self.bind(scope, var, elem);
                let (body_ir, body_ty) = self.check(body, scope);
                scope.pop();
                self.expect_bool(&body_ty, body.span, q.word());
                let ty = if *q == Quantifier::Count {
                    Ty::Num
                } else {
                    Ty::Bool
                };
                (
                    ir::Expr::new(
                        Ir::Quantifier {
                            q: *q,
                            slot,
                            list: Box::new(list_ir),
                            body: Box::new(body_ir),
                        },
                        span,
                    ),
                    ty,
                )
            }
            ExprKind::Comprehension {
                element,
                var,
                list,
                filter,
            } => {
                let (list_ir, list_ty) = self.check(list, scope);
                let elem = self.element_type(&list_ty, list.span, "for");
                let slot = self.bind(scope, var, elem);
                let (element_ir, element_ty) = self.check(element, scope);
                let filter_ir = filter.as_ref().map(|f| {
                    let (ir, ty) = self.check(f, scope);
                    self.expect_bool(&ty, f.span, "if");
                    Box::new(ir)
                });
                scope.pop();
                (
                    ir::Expr::new(
                        Ir::Comprehension {
                            slot,
                            list: Box::new(list_ir),
                            element: Box::new(element_ir),
                            filter: filter_ir,
                        },
                        span,
                    ),
                    Ty::List(Box::new(element_ty)),
                )
            }
        }
    }

    fn describe(&self, ty: &Ty) -> String {
        ty.describe()
    }

    fn mismatch(&mut self, span: Span, message: String) {
        self.push(Diagnostic::error("A202", message).at(span, "here"));
    }

    fn expect_bool(&mut self, ty: &Ty, span: Span, what: &str) {
        if ty.definitely_not_bool() {
            let found = self.describe(ty);
            self.push(
                Diagnostic::error(
                    "A202",
                    format!(
                        "`{what}` needs true or false, found {}",
                        with_article(&found)
                    ),
                )
                .at(span, format!("this is a {found}")),
            );
        }
    }

    fn element_type(&mut self, ty: &Ty, span: Span, what: &str) -> Ty {
        match ty.element() {
            Some(t) => t,
            None => {
                let found = self.describe(ty);
                self.push(
                    Diagnostic::error(
                        "A206",
                        format!("`{what}` needs a list, found {}", with_article(&found)),
                    )
                    .at(span, format!("this is a {found}, not a list")),
                );
                Ty::Any
            }
        }
    }

    fn string(&mut self, parts: &[StrPart], span: Span, scope: &mut Scope) -> Checked {
        if let [StrPart::Text(t)] = parts {
            return (
                ir::Expr::new(Ir::Const(Const::Str(t.clone())), span),
                Ty::Str,
            );
        }
        let mut out = Vec::new();
        for part in parts {
            match part {
                StrPart::Text(t) => out.push(InterpPart::Text(t.clone())),
                StrPart::Interpolation(e) => {
                    let (ir, _) = self.check(e, scope);
                    out.push(InterpPart::Expr(ir));
                }
            }
        }
        (ir::Expr::new(Ir::Interp(out), span), Ty::Str)
    }

    fn input_ty(&self, scope: &Scope) -> Ty {
        match &scope.input {
            InputTy::Document(_, record) => Ty::Record(*record),
            InputTy::Policy => Ty::PolicyInput,
            InputTy::Unknown => Ty::Any,
        }
    }

    fn name(&mut self, name: &ast::Name, scope: &mut Scope, in_path: bool) -> Checked {
        let span = name.span;
        let text = name.text.as_str();
        if let Some(local) = scope.locals.iter().rev().find(|l| l.name == text).cloned() {
            self.resolve(span, local.span, RefKind::Local, Some(&local.ty));
            return (ir::Expr::new(Ir::Local(local.slot), span), local.ty);
        }
        if text == "input" {
            return (ir::Expr::new(Ir::Input, span), self.input_ty(scope));
        }
        if let Some(kind) = DeclKind::from_collection(text) {
            if DeclKind::VALUE_KINDS.contains(&kind) {
                return (
                    ir::Expr::new(Ir::Collection(kind), span),
                    Ty::Collection(kind),
                );
            }
        }
        if self.find_fn(text, scope).is_some() || Builtin::lookup(text).is_some() {
            self.push(
                Diagnostic::error("A202", format!("`{text}` is a function, not a value"))
                    .at(span, "a function")
                    .note(format!("help: call it: `{text}(...)`")),
            );
            return error(span);
        }
        if scope.group_fields && scope.input == InputTy::Unknown {
            // The group's `applies` did not check (already reported): its
            // fields are unknown, not wrong.
            let (name, key) = self.set.field_keys.key(text);
            let ir = ir::Expr::new(
                Ir::Field {
                    base: Box::new(ir::Expr::new(Ir::Input, Span::Synthetic)),
                    name,
                    key,
                    path: Arc::from(text),
                    path_end: !in_path,
                },
                span,
            );
            return (ir, Ty::Any);
        }
        if scope.group_fields {
            if let InputTy::Document(_, record) = &scope.input {
                let field = self
                    .set
                    .records
                    .get(*record)
                    .and_then(|r| r.fields.get(text))
                    .map(|f| (Ty::from_field(&f.ty), f.span));
                if let Some((ty, def)) = field {
                    self.resolve(span, def, RefKind::SchemaField, Some(&ty));
                    let (name, key) = self.set.field_keys.key(text);
                    let ir = ir::Expr::new(
                        Ir::Field {
                            base: Box::new(ir::Expr::new(Ir::Input, Span::Synthetic)),
                            name,
                            key,
                            path: Arc::from(text),
                            path_end: !in_path,
                        },
                        span,
                    );
                    return (ir, ty);
                }
            }
        }
        for kind in DeclKind::VALUE_KINDS {
            if let Some(id) = self.set.lookup(kind, text) {
                let target = self
                    .set
                    .decl(id)
                    .map(|d| d.name_span)
                    .unwrap_or(Span::Synthetic);
                self.resolve(span, target, RefKind::Decl(kind), Some(&Ty::Decl(kind)));
                return (ir::Expr::new(Ir::Decl(id), span), Ty::Decl(kind));
            }
        }
        // Unknown: suggest from everything that would have been in scope.
        let mut candidates: Vec<String> = scope.locals.iter().map(|l| l.name.clone()).collect();
        candidates.push("input".into());
        candidates.extend(
            DeclKind::VALUE_KINDS
                .iter()
                .map(|k| k.collection().to_string()),
        );
        if scope.group_fields {
            if let InputTy::Document(_, record) = &scope.input {
                if let Some(r) = self.set.records.get(*record) {
                    candidates.extend(r.fields.keys().cloned());
                }
            }
        }
        for kind in DeclKind::VALUE_KINDS {
            candidates.extend(self.set.names(kind).map(String::from));
        }
        let suggestion = did_you_mean(text, candidates.iter().map(|s| s.as_str()));
        let mut d = Diagnostic::error("A102", format!("unknown name `{text}`"))
            .at(span, "not found in this scope")
            .suggest(suggestion);
        if !scope.group_fields && matches!(scope.input, InputTy::Document(..)) {
            if let InputTy::Document(_, record) = &scope.input {
                if self
                    .set
                    .records
                    .get(*record)
                    .is_some_and(|r| r.fields.contains_key(text))
                {
                    d = d.note(format!(
                        "help: outside a `requirements` or `gate` group, document fields are read through `input`: `input.{text}`"
                    ));
                }
            }
        }
        self.push(d);
        error(span)
    }

    fn field(
        &mut self,
        base: &ast::Expr,
        name: &ast::Name,
        span: Span,
        scope: &mut Scope,
        in_path: bool,
    ) -> Checked {
        let (base_ir, base_ty) = self.check_inner(base, scope, true);
        let field = name.text.as_str();
        let path = self.path_text(span);
        let (shared, key) = self.set.field_keys.key(field);
        let make = |base_ir: ir::Expr| {
            ir::Expr::new(
                Ir::Field {
                    base: Box::new(base_ir),
                    name: shared.clone(),
                    key,
                    path: path.clone(),
                    path_end: !in_path,
                },
                span,
            )
        };
        match base_ty {
            Ty::Any => (make(base_ir), Ty::Any),
            Ty::Record(record) => {
                let found = self
                    .set
                    .records
                    .get(record)
                    .and_then(|r| r.fields.get(field))
                    .map(|f| (Ty::from_field(&f.ty), f.span));
                match found {
                    Some((ty, def)) => {
                        self.resolve(name.span, def, RefKind::SchemaField, Some(&ty));
                        (make(base_ir), ty)
                    }
                    None => {
                        let names: Vec<String> = self
                            .set
                            .records
                            .get(record)
                            .map(|r| r.fields.keys().cloned().collect())
                            .unwrap_or_default();
                        let base_text = self.sources.snippet(base.span).to_string();
                        let suggestion = did_you_mean(field, names.iter().map(|s| s.as_str()));
                        let mut d = Diagnostic::error(
                            "A201",
                            format!("`{base_text}` has no field `{field}`"),
                        )
                        .at(name.span, "unknown field")
                        .suggest(suggestion);
                        if suggestion.is_none() && !names.is_empty() {
                            d = d.note(format!(
                                "its fields are {}",
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        if let InputTy::Document(kind, _) = &scope.input {
                            d = d.note(format!(
                                "the schema of `{kind}` documents defines the fields; a `schema {kind} {{ ... }}` block can add fields"
                            ));
                        }
                        self.push(d);
                        error(span)
                    }
                }
            }
            Ty::DeclName(kind) => {
                let as_decl = ir::Expr::new(Ir::AsDecl(kind, Box::new(base_ir)), base.span);
                self.decl_field(kind, as_decl, name, span, path, in_path)
            }
            Ty::Decl(kind) => self.decl_field(kind, base_ir, name, span, path, in_path),
            Ty::Collection(kind) => match self.set.lookup(kind, field) {
                Some(id) => {
                    let target = self
                        .set
                        .decl(id)
                        .map(|d| d.name_span)
                        .unwrap_or(Span::Synthetic);
                    self.resolve(
                        name.span,
                        target,
                        RefKind::Decl(kind),
                        Some(&Ty::Decl(kind)),
                    );
                    (ir::Expr::new(Ir::Decl(id), span), Ty::Decl(kind))
                }
                None => {
                    let suggestion = did_you_mean(field, self.set.names(kind)).map(String::from);
                    self.push(
                        Diagnostic::error("A104", format!("unknown {} `{field}`", kind.word()))
                            .at(name.span, format!("no {} has this name", kind.word()))
                            .suggest(suggestion.as_deref()),
                    );
                    error(span)
                }
            },
            Ty::PolicyInput => match DeclKind::from_collection(field) {
                Some(kind) => (make(base_ir), Ty::Collection(kind)),
                None => {
                    let names: Vec<&str> = DeclKind::ALL.iter().map(|k| k.collection()).collect();
                    let suggestion = did_you_mean(field, names.iter().copied());
                    self.push(
                        Diagnostic::error("A201", format!("the policy set has no `{field}`"))
                            .at(name.span, "unknown collection")
                            .suggest(suggestion)
                            .note(format!("the policy set has {}", names.join(", "))),
                    );
                    error(span)
                }
            },
            Ty::Map(value) => (make(base_ir), *value),
            other => {
                let found = self.describe(&other);
                self.push(
                    Diagnostic::error("A202", format!("a {found} has no field `{field}`"))
                        .at(name.span, "no such field")
                        .also(base.span, format!("this is a {found}")),
                );
                error(span)
            }
        }
    }

    fn decl_field(
        &mut self,
        kind: DeclKind,
        base_ir: ir::Expr,
        name: &ast::Name,
        span: Span,
        path: Arc<str>,
        in_path: bool,
    ) -> Checked {
        let field = name.text.as_str();
        let fields = decl_fields(kind);
        match fields.iter().find(|(n, _)| *n == field) {
            Some((_, ty)) => {
                self.resolve(name.span, Span::Synthetic, RefKind::DeclField, Some(ty));
                let (shared, key) = self.set.field_keys.key(field);
                (
                    ir::Expr::new(
                        Ir::Field {
                            base: Box::new(base_ir),
                            name: shared,
                            key,
                            path,
                            path_end: !in_path,
                        },
                        span,
                    ),
                    ty.clone(),
                )
            }
            None => {
                let suggestion = did_you_mean(field, fields.iter().map(|(n, _)| *n));
                self.push(
                    Diagnostic::error("A201", format!("a {} has no field `{field}`", kind.word()))
                        .at(name.span, "unknown field")
                        .suggest(suggestion)
                        .note(format!(
                            "a {} has {}",
                            kind.word(),
                            fields
                                .iter()
                                .map(|(n, _)| format!("`{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                );
                error(span)
            }
        }
    }

    fn index(
        &mut self,
        base: &ast::Expr,
        index: &ast::Expr,
        span: Span,
        scope: &mut Scope,
        in_path: bool,
    ) -> Checked {
        let (base_ir, base_ty) = self.check_inner(base, scope, true);
        let (index_ir, index_ty) = self.check(index, scope);
        let path = self.path_text(span);
        let ty = match &base_ty {
            Ty::Any => Ty::Any,
            Ty::List(t) => {
                if !matches!(index_ty, Ty::Any | Ty::Num) {
                    let found = self.describe(&index_ty);
                    self.mismatch(
                        index.span,
                        format!("a list is indexed by a number, found {found}"),
                    );
                }
                (**t).clone()
            }
            Ty::Map(t) => (**t).clone(),
            Ty::Collection(kind) => {
                if let ExprKind::Str(parts) = &index.kind {
                    if let [StrPart::Text(name)] = parts.as_slice() {
                        if self.set.lookup(*kind, name).is_none() {
                            let suggestion =
                                did_you_mean(name, self.set.names(*kind)).map(String::from);
                            self.push(
                                Diagnostic::error(
                                    "A104",
                                    format!("unknown {} `{name}`", kind.word()),
                                )
                                .at(index.span, format!("no {} has this name", kind.word()))
                                .suggest(suggestion.as_deref()),
                            );
                        }
                    }
                }
                Ty::Decl(*kind)
            }
            Ty::Record(record) => match &index.kind {
                ExprKind::Str(parts) => match parts.as_slice() {
                    [StrPart::Text(name)] => self
                        .set
                        .records
                        .get(*record)
                        .and_then(|r| r.fields.get(name))
                        .map(|f| Ty::from_field(&f.ty))
                        .unwrap_or(Ty::Any),
                    _ => Ty::Any,
                },
                _ => Ty::Any,
            },
            other => {
                let found = self.describe(other);
                self.mismatch(span, format!("a {found} cannot be indexed"));
                return error(span);
            }
        };
        (
            ir::Expr::new(
                Ir::Index {
                    base: Box::new(base_ir),
                    index: Box::new(index_ir),
                    path,
                    path_end: !in_path,
                },
                span,
            ),
            ty,
        )
    }

    /// Compile-time check of `word == "string"`: the string must be a word.
    fn check_word_literal(&mut self, set: WordSet, other: &ast::Expr) {
        let lit = match &other.kind {
            ExprKind::Str(parts) => match parts.as_slice() {
                [StrPart::Text(t)] => t,
                _ => return,
            },
            _ => return,
        };
        if set.index(lit).is_none() {
            let suggestion = did_you_mean(lit, set.words().iter().copied());
            self.push(
                Diagnostic::error("A112", format!("`{lit}` is not a {}", set.describe()))
                    .at(other.span, format!("not a {}", set.describe()))
                    .suggest(suggestion)
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
        }
    }

    fn binary(
        &mut self,
        op: BinOp,
        left: &ast::Expr,
        right: &ast::Expr,
        span: Span,
        scope: &mut Scope,
    ) -> Checked {
        let (l, lt) = self.check(left, scope);
        if op == BinOp::Matches {
            if !lt.stringy() {
                let found = self.describe(&lt);
                self.mismatch(
                    left.span,
                    format!("`matches` needs a string, found {found}"),
                );
            }
            if let ExprKind::Str(parts) = &right.kind {
                if let [StrPart::Text(pattern)] = parts.as_slice() {
                    return match regex::Regex::new(pattern) {
                        Ok(re) => (
                            ir::Expr::new(Ir::Matches(Box::new(l), Arc::new(re)), span),
                            Ty::Bool,
                        ),
                        Err(e) => {
                            let text = e.to_string();
                            let why = text.lines().last().unwrap_or("invalid").trim();
                            let why = why.strip_prefix("error: ").unwrap_or(why).to_string();
                            self.push(
                                Diagnostic::error(
                                    "A209",
                                    format!("invalid regular expression: {why}"),
                                )
                                .at(right.span, why),
                            );
                            error(span)
                        }
                    };
                }
            }
            let (r, _) = self.check(right, scope);
            return (
                ir::Expr::new(Ir::MatchesDynamic(Box::new(l), Box::new(r)), span),
                Ty::Bool,
            );
        }
        let (r, rt) = self.check(right, scope);
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.expect_bool(&lt, left.span, op.symbol());
                self.expect_bool(&rt, right.span, op.symbol());
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if let Ty::Word(set) = lt {
                    self.check_word_literal(set, right);
                }
                if let Ty::Word(set) = rt {
                    self.check_word_literal(set, left);
                }
                if op.is_ordering() {
                    self.check_ordering(&lt, &rt, span);
                } else {
                    self.check_comparable(&lt, &rt, span);
                }
                Ty::Bool
            }
            BinOp::In => {
                if let (Ty::Word(set), ExprKind::List(items)) = (&lt, &right.kind) {
                    for item in items {
                        self.check_word_literal(*set, item);
                    }
                }
                match &rt {
                    Ty::List(elem) => {
                        if let Ty::Word(set) = **elem {
                            self.check_word_literal(set, left);
                        }
                    }
                    Ty::Any | Ty::Str | Ty::Collection(_) | Ty::Map(_) | Ty::DeclName(_) => {}
                    other => {
                        let found = self.describe(other);
                        self.push(
                            Diagnostic::error(
                                "A202",
                                format!(
                                    "`in` needs a list or a string on its right, found {found}"
                                ),
                            )
                            .at(right.span, format!("this is a {found}")),
                        );
                    }
                }
                Ty::Bool
            }
            BinOp::Coalesce => {
                if let Ty::Word(set) = lt {
                    self.check_word_literal(set, right);
                }
                if lt == Ty::Any {
                    rt
                } else {
                    lt
                }
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                self.arithmetic(op, &lt, &rt, span)
            }
            BinOp::Matches => Ty::Bool,
        };
        (
            ir::Expr::new(Ir::Binary(op, Box::new(l), Box::new(r)), span),
            ty,
        )
    }

    fn check_comparable(&mut self, lt: &Ty, rt: &Ty, span: Span) {
        let class = |t: &Ty| -> Option<u8> {
            Some(match t {
                Ty::Any => return None,
                // Declarations and words compare with strings holding their names.
                Ty::Str | Ty::Decl(_) | Ty::DeclName(_) | Ty::Word(_) => 1,
                Ty::List(_) => 6,
                Ty::Record(_) | Ty::Map(_) => 7,
                Ty::Num => 2,
                Ty::Bool => 3,
                // A date compares with a string holding a date.
                Ty::Date => 1,
                Ty::Dur => 5,
                _ => return None,
            })
        };
        if let (Some(a), Some(b)) = (class(lt), class(rt)) {
            if a != b {
                let (l, r) = (self.describe(lt), self.describe(rt));
                self.mismatch(
                    span,
                    format!(
                        "{} is never equal to {}",
                        with_article(&l),
                        with_article(&r)
                    ),
                );
            }
        }
    }

    fn check_ordering(&mut self, lt: &Ty, rt: &Ty, span: Span) {
        let ordered = |t: &Ty| match t {
            Ty::Word(set) => set.is_ordered(),
            Ty::Any | Ty::Num | Ty::Date | Ty::Dur | Ty::Str | Ty::DeclName(_) => true,
            _ => false,
        };
        for t in [lt, rt] {
            if !ordered(t) {
                let found = self.describe(t);
                self.mismatch(span, format!("{found} values have no order"));
                return;
            }
        }
        let kind = |t: &Ty| match t {
            Ty::Num => Some(1),
            Ty::Date => Some(2),
            Ty::Dur => Some(3),
            Ty::Str | Ty::Word(_) | Ty::DeclName(_) => Some(4),
            _ => None,
        };
        if let (Some(a), Some(b)) = (kind(lt), kind(rt)) {
            // A date may be compared with a string holding a date.
            if a != b && !matches!((a, b), (2, 4) | (4, 2)) {
                let (l, r) = (self.describe(lt), self.describe(rt));
                self.mismatch(
                    span,
                    format!(
                        "cannot compare {} with {}",
                        with_article(&l),
                        with_article(&r)
                    ),
                );
            }
        }
    }

    fn arithmetic(&mut self, op: BinOp, lt: &Ty, rt: &Ty, span: Span) -> Ty {
        use Ty::*;
        let result = match (op, lt, rt) {
            (_, Any, Any) => Some(Any),
            (BinOp::Add | BinOp::Sub, Date, Dur | Any) | (BinOp::Add, Dur | Any, Date) => {
                Some(Date)
            }
            (BinOp::Sub, Date, Date) => Some(Dur),
            (BinOp::Sub, Any, Date) => Some(Any),
            (BinOp::Add | BinOp::Sub, Dur, Dur | Any) | (BinOp::Add | BinOp::Sub, Any, Dur) => {
                Some(Dur)
            }
            (BinOp::Mul, Dur, Num | Any) | (BinOp::Mul, Num | Any, Dur) => Some(Dur),
            (BinOp::Div, Dur, Num) => Some(Dur),
            (BinOp::Div, Dur, Dur) => Some(Num),
            (BinOp::Div, Dur, Any) => Some(Any),
            (_, Num | Any, Num | Any) => Some(Num),
            _ => None,
        };
        match result {
            Some(t) => t,
            None => {
                let (l, r) = (self.describe(lt), self.describe(rt));
                self.mismatch(
                    span,
                    format!("cannot use `{}` on a {l} and a {r}", op.symbol()),
                );
                Any
            }
        }
    }

    fn find_fn(&self, name: &str, scope: &Scope) -> Option<String> {
        if let Some(module) = &scope.module {
            let qualified = format!("{module}.{name}");
            if self.functions.contains_key(&qualified) {
                return Some(qualified);
            }
        }
        self.functions
            .get(name)
            .filter(|f| f.module.is_none())
            .map(|_| name.to_string())
    }

    fn call(
        &mut self,
        name: &ast::Name,
        args: &[ast::Expr],
        span: Span,
        scope: &mut Scope,
    ) -> Checked {
        let text = name.text.as_str();
        if let Some(key) = self.find_fn(text, scope) {
            return self.call_fn(&key, name, args, span, scope);
        }
        let Some((builtin, arity)) = Builtin::lookup(text) else {
            let mut names: Vec<String> =
                Builtin::ALL.iter().map(|(n, _, _)| n.to_string()).collect();
            names.extend(
                self.functions
                    .iter()
                    .filter(|(_, f)| f.module.is_none() || f.module == scope.module)
                    .map(|(k, _)| k.rsplit('.').next().unwrap_or(k).to_string()),
            );
            let suggestion = did_you_mean(text, names.iter().map(|s| s.as_str()));
            self.push(
                Diagnostic::error("A106", format!("unknown function `{text}`"))
                    .at(name.span, "no function has this name")
                    .suggest(suggestion),
            );
            for a in args {
                self.check(a, scope);
            }
            return error(span);
        };
        if args.len() != arity {
            self.push(
                Diagnostic::error(
                    "A203",
                    format!(
                        "`{text}` takes {arity} argument{}, found {}",
                        if arity == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .at(span, "wrong number of arguments"),
            );
        }
        let mut irs = Vec::new();
        let mut tys = Vec::new();
        for a in args {
            let (ir, ty) = self.check(a, scope);
            irs.push(ir);
            tys.push(ty);
        }
        let first = tys.first().cloned().unwrap_or(Ty::Any);
        let ty = match builtin {
            Builtin::Len | Builtin::Sum => {
                if builtin == Builtin::Sum {
                    match first.element() {
                        Some(Ty::Dur) => Ty::Dur,
                        _ => Ty::Num,
                    }
                } else {
                    Ty::Num
                }
            }
            Builtin::Lower | Builtin::Upper => Ty::Str,
            Builtin::StartsWith | Builtin::EndsWith | Builtin::Exists => Ty::Bool,
            Builtin::Today | Builtin::Date => Ty::Date,
            Builtin::Min | Builtin::Max => first.element().unwrap_or(Ty::Any),
        };
        let measurable = matches!(
            first,
            Ty::Any | Ty::List(_) | Ty::Collection(_) | Ty::Map(_) | Ty::Record(_)
        ) || first.stringy();
        if builtin == Builtin::Len && !measurable {
            let found = self.describe(&first);
            self.push(
                Diagnostic::error(
                    "A202",
                    format!(
                        "`len` needs a list or a string, found {}",
                        with_article(&found)
                    ),
                )
                .at(args.first().map(|a| a.span).unwrap_or(span), "no length"),
            );
        }
        if matches!(
            builtin,
            Builtin::Lower | Builtin::Upper | Builtin::StartsWith | Builtin::EndsWith
        ) && tys.iter().any(|t| !t.stringy())
        {
            let found = tys
                .iter()
                .find(|t| !t.stringy())
                .map(|t| self.describe(t))
                .unwrap_or_default();
            self.push(
                Diagnostic::error(
                    "A202",
                    format!("`{text}` needs strings, found {}", with_article(&found)),
                )
                .at(span, "not a string"),
            );
        }
        if matches!(builtin, Builtin::Sum | Builtin::Min | Builtin::Max) && !first.is_list_like() {
            let found = self.describe(&first);
            self.push(
                Diagnostic::error(
                    "A206",
                    format!("`{text}` needs a list, found {}", with_article(&found)),
                )
                .at(args.first().map(|a| a.span).unwrap_or(span), "not a list"),
            );
        }
        (ir::Expr::new(Ir::Builtin(builtin, irs), span), ty)
    }

    fn call_fn(
        &mut self,
        key: &str,
        name: &ast::Name,
        args: &[ast::Expr],
        span: Span,
        scope: &mut Scope,
    ) -> Checked {
        let Some(def) = self.functions.get(key) else {
            return error(span);
        };
        self.set.resolutions.push(Resolution {
            use_span: name.span,
            target: def.decl.name.span,
            what: RefKind::Function,
            ty: None,
        });
        let params = def.decl.params.len();
        if args.len() != params {
            self.push(
                Diagnostic::error(
                    "A203",
                    format!(
                        "`{}` takes {params} argument{}, found {}",
                        name.text,
                        if params == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .at(span, "wrong number of arguments")
                .also(def.decl.span, "defined here"),
            );
        }
        let mut irs = Vec::new();
        let mut tys = Vec::new();
        for a in args {
            let (ir, ty) = self.check(a, scope);
            irs.push(ir);
            tys.push(ty);
        }
        if self.cyclic.contains(key) {
            return error(span);
        }
        let memo = format!("{key}|{:?}|{:?}", scope.input, tys);
        let (instance, ty) = match self.instances.get(&memo) {
            Some(found) => found.clone(),
            None => {
                let index = self.set.functions.len();
                self.set.functions.push(FnInstance {
                    name: key.to_string(),
                    params,
                    frame_size: params,
                    body: ir::Expr::new(Ir::Error, Span::Synthetic),
                });
                self.instances.insert(memo.clone(), (index, Ty::Any));
                let mut inner = Scope::new(scope.input.clone(), false, def.module.clone());
                for (i, param) in def.decl.params.iter().enumerate() {
                    self.bind(&mut inner, param, tys.get(i).cloned().unwrap_or(Ty::Any));
                }
                let before = self.diagnostics.len();
                let body = def.decl.body.clone();
                let (ir, body_ty) = self.check(&body, &mut inner);
                for d in self.diagnostics.iter_mut().skip(before) {
                    d.labels.push(crate::diagnostic::Label {
                        span,
                        message: format!("in this call of `{}`", name.text),
                        primary: false,
                    });
                }
                if let Some(f) = self.set.functions.get_mut(index) {
                    f.body = ir;
                    f.frame_size = inner.frame_size.max(params);
                }
                self.instances.insert(memo, (index, body_ty.clone()));
                (index, body_ty)
            }
        };
        (
            ir::Expr::new(
                Ir::CallFn {
                    instance,
                    args: irs,
                },
                span,
            ),
            ty,
        )
    }
}

/// A type's description with its article: "a string", "an int", "a [string]".
fn with_article(found: &str) -> String {
    if found.starts_with("collection") || found.starts_with("any ") {
        return found.to_string();
    }
    match found.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {found}"),
        Some('[') => format!("a list {found}"),
        _ => format!("a {found}"),
    }
}
