//! Evaluation of checked expressions, with the missing semantics and
//! three-valued logic of the language, and the record of which document
//! paths were read (for result locations).

use std::rc::Rc;

use super::value::{display, Items, Value};
use crate::check::ir::{Builtin, Expr, ExprKind, InterpPart};
use crate::check::model::{Const, DeclId, DeclKind, PolicySet};
use crate::check::words::WordSet;
use crate::input::{Fields, Node, NodeValue};
use crate::source::Span;
use crate::syntax::ast::{BinOp, Quantifier};

/// Element `i` of the document list `list` evaluated to: a null is missing.
#[inline]
pub(crate) fn element_value<'a>(list: &Expr, i: usize, node: &'a Node) -> Value<'a> {
    if matches!(node.value, NodeValue::Null) {
        null_element(list, i, node)
    } else {
        Value::Node(node)
    }
}

/// The value of a mapping's entry `child` (`None`: absent) at `path`: a null
/// or absent entry is missing, where it is or else at its mapping.
fn mapping_entry<'a>(mapping: &'a Node, child: Option<&'a Node>, path: &str) -> Value<'a> {
    match child {
        Some(child) if child.value == NodeValue::Null => Value::missing(path, child.loc()),
        Some(child) => Value::Node(child),
        None => Value::missing(path, mapping.loc()),
    }
}

#[cold]
fn null_element<'a>(list: &Expr, i: usize, node: &'a Node) -> Value<'a> {
    Value::missing(format!("{}[{i}]", source_path(list)), node.loc())
}

/// The elements of a list being iterated (see [`Evaluator::elements`]).
pub enum Elements<'a> {
    /// A document's list: a null element is missing.
    Nodes {
        nodes: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
        list: &'a Expr,
    },
    Made(std::vec::IntoIter<Value<'a>>),
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        match self {
            Elements::Nodes { nodes, list } => {
                nodes.next().map(|(i, node)| element_value(list, i, node))
            }
            Elements::Made(values) => values.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Elements::Nodes { nodes, .. } => nodes.size_hint(),
            Elements::Made(values) => values.size_hint(),
        }
    }
}

impl ExactSizeIterator for Elements<'_> {}

pub struct Evaluator<'a> {
    pub set: &'a PolicySet,
    pub input: Value<'a>,
    pub today: i32,
    /// The first document path read since the last [`Evaluator::reset_reads`].
    pub first_read: Option<Span>,
    /// A bare document value read (a variable, `input`) when no path was.
    pub fallback_read: Option<Span>,
    /// The policy's sources, for default messages that quote a rule.
    pub sources_text: Option<&'a crate::source::SourceMap>,
    /// Rendering a message: missing values are shown, not propagated.
    pub in_message: bool,
    /// For `policy explain`: every sub-expression evaluated, with its value.
    pub trace: Option<Vec<TraceEntry>>,
    pub trace_depth: usize,
    /// Evaluations left before the document is given up (`--max-steps`): a
    /// quadratic rule over a large document must end, and not in a pass.
    pub budget: u64,
    /// The budget ran out: every value since is undefined.
    pub stopped: bool,
    /// Where more budget comes from when `budget` runs out: the document's
    /// steps, shared by the threads that evaluate its rules.
    pub pool: Option<&'a std::sync::atomic::AtomicU64>,
    /// Declarations named by document strings, by the string's address.
    named: std::cell::RefCell<rustc_hash::FxHashMap<(usize, DeclKind), Option<DeclId>>>,
    keys: DocumentKeys,
    /// Declaration fields by declaration and field key: hashing two numbers
    /// is cheaper than hashing the name.
    decl_fields: rustc_hash::FxHashMap<(DeclId, u32), Option<&'a (Const, Span)>>,
    /// The definite answers of [`ExprKind::Memo`] conditions, by the
    /// condition and the address of the document string it read (shared
    /// strings, which live as long as the evaluator, as for `named`).
    memo: rustc_hash::FxHashMap<(u32, usize), bool>,
}

/// Where the document keeps each field name of the policy. A document's
/// keys are interned while it loads, so `data` in every flow of a manifest is
/// one allocation: once found by its text, a name is found again by that
/// allocation's address, without comparing text. Sound because the policy's
/// names and the document's keys both live as long as the evaluator (`'a`),
/// so no address is reused meanwhile; a name not found by address (a key
/// not interned, or absent) is looked up by its text.
struct DocumentKeys {
    /// By the name's number in the set's field keys; 0 while unknown.
    addresses: Vec<usize>,
}

impl DocumentKeys {
    fn new(names: usize) -> DocumentKeys {
        DocumentKeys {
            addresses: vec![0; names],
        }
    }

    #[inline]
    fn find<'a>(&mut self, map: &'a Fields, key: u32, name: &str) -> Option<&'a Node> {
        let known = self.addresses.get(key as usize).copied().unwrap_or(0);
        if known != 0 {
            if let Some(node) = map.find_by_address(known) {
                return Some(node);
            }
        }
        let (text, node) = map.entry_named(name)?;
        if let Some(slot) = self.addresses.get_mut(key as usize) {
            *slot = text.as_ptr() as usize;
        }
        Some(node)
    }
}

/// One evaluated sub-expression, for `policy explain`.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    pub depth: usize,
    pub span: Span,
    pub value: String,
    /// Where in the document the value came from.
    pub location: Option<Span>,
}

/// A trace stops growing here: a quantifier over a long list would
/// otherwise bury the answer.
const MAX_TRACE: usize = 400;

type Env<'a> = Vec<Value<'a>>;

impl<'a> Evaluator<'a> {
    pub fn new(
        set: &'a PolicySet,
        sources: &'a crate::source::SourceMap,
        input: Value<'a>,
        today: i32,
    ) -> Evaluator<'a> {
        Evaluator {
            set,
            input,
            today,
            first_read: None,
            fallback_read: None,
            sources_text: Some(sources),
            in_message: false,
            trace: None,
            trace_depth: 0,
            budget: u64::MAX,
            stopped: false,
            pool: None,
            named: Default::default(),
            keys: DocumentKeys::new(set.field_keys.len()),
            decl_fields: Default::default(),
            memo: Default::default(),
        }
    }

    pub fn reset_reads(&mut self) {
        self.first_read = None;
        self.fallback_read = None;
    }

    fn record(&mut self, value: &Value<'a>) {
        if self.first_read.is_none() {
            self.first_read = value.location();
        }
    }

    fn record_fallback(&mut self, value: &Value<'a>) {
        if self.fallback_read.is_none() {
            self.fallback_read = value.location();
        }
    }

    /// In `applies policy` rules the policy is the document: a declaration's
    /// place is where it is declared.
    fn policy_origin(&self, id: crate::check::model::DeclId) -> Span {
        match self.input {
            Value::PolicyInput => self
                .set
                .decl(id)
                .map(|d| d.name_span)
                .unwrap_or(Span::Synthetic),
            _ => Span::Synthetic,
        }
    }

    /// A field of a declaration read by an `applies policy` rule is located
    /// at its entry (or, when absent, at the declaration).
    fn record_policy_read(&mut self, base: &Value<'a>, name: &str) {
        if self.first_read.is_some() || !matches!(self.input, Value::PolicyInput) {
            return;
        }
        if let Value::Decl(id, origin) = base {
            if let Some(decl) = self.set.decl(*id) {
                let own = decl
                    .fields
                    .get(name)
                    .map(|(_, span)| *span)
                    .unwrap_or(decl.name_span);
                // Reached through another declaration's entry: point at that entry.
                let referenced = *origin != Span::Synthetic && *origin != decl.name_span;
                self.first_read = Some(if referenced { *origin } else { own });
            }
        }
    }

    #[inline]
    pub fn eval(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        if self.budget == 0 || self.trace.is_some() {
            return self.eval_counted(e, env);
        }
        self.budget -= 1;
        self.eval_node(e, env)
    }

    /// Takes more steps from the shared pool; `false` when none are left.
    #[cold]
    fn refill(&mut self) -> bool {
        const CHUNK: u64 = 4096;
        let Some(pool) = self.pool else {
            return false;
        };
        let taken = pool.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |left| (left > 0).then(|| left - left.min(CHUNK)),
        );
        match taken {
            Ok(left) => {
                self.budget = left.min(CHUNK);
                true
            }
            Err(_) => false,
        }
    }

    /// [`Evaluator::eval`] when the budget has run out or a trace is kept.
    #[cold]
    #[inline(never)]
    fn eval_counted(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        if self.budget == 0 && !self.refill() {
            self.stopped = true;
            return Value::undefined("the evaluation was stopped after too many steps", e.span);
        }
        self.budget -= 1;
        let traced = match &self.trace {
            Some(t) => {
                t.len() < MAX_TRACE
                    && !matches!(
                        e.kind,
                        ExprKind::Const(_)
                            | ExprKind::Collection(_)
                            | ExprKind::Decl(_)
                            | ExprKind::Error
                            | ExprKind::Interp(_)
                    )
            }
            None => false,
        };
        if !traced {
            return self.eval_node(e, env);
        }
        let index = self.trace.as_ref().map_or(0, |t| t.len());
        if let Some(t) = self.trace.as_mut() {
            t.push(TraceEntry {
                depth: self.trace_depth,
                span: e.span,
                value: String::new(),
                location: None,
            });
        }
        self.trace_depth += 1;
        let v = self.eval_node(e, env);
        self.trace_depth -= 1;
        let shown = display(&v, self.set);
        let location = v.location();
        if let Some(entry) = self.trace.as_mut().and_then(|t| t.get_mut(index)) {
            entry.value = shown;
            entry.location = location;
        }
        v
    }

    fn eval_node(&mut self, e: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        match &e.kind {
            ExprKind::Const(c) => Value::from_const(c),
            ExprKind::Interp(parts) => self.interpolate(parts, env),
            ExprKind::List(items) => Value::List(Items::made(
                items.iter().map(|i| self.eval(i, env)).collect(),
            )),
            ExprKind::Local(slot) => {
                let v = env
                    .get(*slot)
                    .cloned()
                    .unwrap_or_else(|| Value::missing("?", Span::Synthetic));
                self.record_fallback(&v);
                v
            }
            ExprKind::Input => {
                let v = self.input.clone();
                self.record_fallback(&v);
                v
            }
            ExprKind::Collection(kind) => Value::Collection(*kind),
            ExprKind::Decl(id) => Value::Decl(*id, Span::Synthetic),
            ExprKind::Field {
                base,
                name,
                key,
                path,
                path_end,
            } => {
                // A variable's value is read where it is, not copied.
                if let ExprKind::Local(slot) = base.kind {
                    if let Some(b) = env.get(slot) {
                        return self.read_field(b, name, *key, path, *path_end);
                    }
                }
                let b = self.eval_base(base, env);
                self.read_field(&b, name, *key, path, *path_end)
            }
            ExprKind::Index {
                base,
                index,
                path,
                path_end,
            } => {
                let v = match base.kind {
                    // `data[f.data]`: the declaration a document string names.
                    ExprKind::Collection(kind) => {
                        let i = self.eval(index, env);
                        if i.is_missing() {
                            i
                        } else {
                            let origin = i.location().unwrap_or(Span::Synthetic);
                            match self.decl_named(kind, &i) {
                                Some(id) => Value::Decl(id, origin),
                                None => Value::missing(&**path, origin),
                            }
                        }
                    }
                    _ => {
                        let b = self.eval_base(base, env);
                        let i = self.eval(index, env);
                        self.index(&b, &i, path)
                    }
                };
                if *path_end {
                    self.record(&v);
                }
                v
            }
            ExprKind::AsDecl(kind, inner) => {
                let v = self.eval(inner, env);
                self.as_decl(*kind, &v, inner)
            }
            ExprKind::Not(inner) => match self.eval(inner, env) {
                m @ Value::Missing(_) => m,
                v => match v.as_bool() {
                    Some(b) => Value::Bool(!b),
                    None => Value::undefined(
                        format!(
                            "`not` of `{}`, which is neither true nor false",
                            display(&v, self.set)
                        ),
                        Span::Synthetic,
                    ),
                },
            },
            ExprKind::Neg(inner) => match self.eval(inner, env).scalar() {
                Value::Num(n) => Value::Num(-n),
                Value::Dur(d) => Value::Dur(-d),
                m @ Value::Missing(_) => m,
                _ => Value::undefined("`-` of a value that is not a number", Span::Synthetic),
            },
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, env),
            ExprKind::Matches(l, re) => match self.eval(l, env) {
                m @ Value::Missing(_) => m,
                v => match v.as_text(self.set) {
                    Some(s) => Value::Bool(re.is_match(s)),
                    None => Value::Bool(false),
                },
            },
            ExprKind::MatchesDynamic(l, r) => self.matches_dynamic(l, r, env),
            ExprKind::Quantifier {
                q,
                slot,
                list,
                body,
            } => self.quantifier(*q, *slot, list, body, env),
            ExprKind::Comprehension {
                slot,
                list,
                element,
                filter,
            } => self.comprehension(*slot, list, element, filter.as_deref(), env),
            ExprKind::Builtin(b, args) => self.builtin(*b, args, env, e.span),
            ExprKind::CallFn { instance, args } => self.call(*instance, args, env, e.span),
            ExprKind::Memo { id, read, body } => self.memo(*id, read, body, env),
            ExprKind::Error => Value::undefined("an expression with errors", Span::Synthetic),
        }
    }

    /// A condition that reads one document value: answered from what it
    /// answered before for the same string, if it was true or false. The
    /// read is made, and recorded, either way, so the result is placed as
    /// the full evaluation places it; a trace sees the full evaluation.
    fn memo(&mut self, id: u32, read: &'a Expr, body: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        if self.trace.is_some() {
            return self.eval_node(body, env);
        }
        let address = match self.eval(read, env) {
            // A longer string is one node's own: nothing to share.
            Value::Node(Node {
                value: NodeValue::Str(text),
                ..
            }) if text.len() <= crate::input::SHARED_UP_TO => text.as_ptr() as usize,
            _ => return self.eval_node(body, env),
        };
        if let Some(&known) = self.memo.get(&(id, address)) {
            return Value::Bool(known);
        }
        let v = self.eval_node(body, env);
        if let Value::Bool(answer) = v {
            self.memo.insert((id, address), answer);
        }
        v
    }

    #[inline(never)]
    fn interpolate(&mut self, parts: &'a [InterpPart], env: &mut Env<'a>) -> Value<'a> {
        let mut out = String::new();
        for part in parts {
            match part {
                InterpPart::Text(t) => out.push_str(t),
                InterpPart::Expr(e) => {
                    let v = self.eval(e, env);
                    // In a condition a string built from a missing value is
                    // missing too; in a message it says "(missing)".
                    if v.is_missing() && !self.in_message {
                        return v;
                    }
                    out.push_str(&display(&v, self.set));
                }
            }
        }
        Value::Str(out.into())
    }

    #[inline(never)]
    fn matches_dynamic(&mut self, l: &'a Expr, r: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        let lv = self.eval(l, env);
        let rv = self.eval(r, env);
        if lv.is_missing() {
            return lv;
        }
        if rv.is_missing() {
            return rv;
        }
        match (lv.as_text(self.set), rv.as_text(self.set)) {
            (Some(s), Some(p)) => match regex::Regex::new(p) {
                Ok(re) => Value::Bool(re.is_match(s)),
                Err(_) => Value::undefined(
                    format!("`{p}` is not a regular expression"),
                    Span::Synthetic,
                ),
            },
            _ => Value::Bool(false),
        }
    }

    #[inline(never)]
    fn comprehension(
        &mut self,
        slot: usize,
        list: &'a Expr,
        element: &'a Expr,
        filter: Option<&'a Expr>,
        env: &mut Env<'a>,
    ) -> Value<'a> {
        let listv = self.eval(list, env);
        let items = match self.items(&listv, list) {
            Ok(items) => items,
            Err(m) => return m,
        };
        let mut out = Vec::new();
        for item in items {
            set_slot(env, slot, item);
            if let Some(f) = filter {
                let keep = self.eval(f, env);
                match keep.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None if keep.is_missing() => return keep,
                    None => {
                        return Value::undefined(
                            "the `if` of a comprehension is neither true nor false",
                            Span::Synthetic,
                        )
                    }
                }
            }
            out.push(self.eval(element, env));
        }
        Value::List(Items::made(out))
    }

    #[inline(never)]
    fn call(
        &mut self,
        instance: usize,
        args: &'a [Expr],
        env: &mut Env<'a>,
        span: Span,
    ) -> Value<'a> {
        let Some(f) = self.set.functions.get(instance) else {
            return Value::missing("?", span);
        };
        let mut frame: Env<'a> = Vec::with_capacity(f.frame_size);
        // A document value passed in counts only if the body reads
        // nothing deeper: `eu(input.vendor)` reads `vendor.data_residency`.
        let before = self.first_read;
        for a in args {
            let v = self.eval(a, env);
            frame.push(v);
        }
        if before.is_none() {
            if let Some(arg_read) = self.first_read.take() {
                self.fallback_read.get_or_insert(arg_read);
            }
        }
        frame.resize(f.frame_size.max(args.len()), Value::Bool(false));
        self.eval(&f.body, &mut frame)
    }

    /// `b.name`, recorded as the read of a path when it ends one.
    #[inline]
    fn read_field(
        &mut self,
        b: &Value<'a>,
        name: &str,
        key: u32,
        path: &str,
        path_end: bool,
    ) -> Value<'a> {
        let v = match b {
            Value::Node(
                node @ Node {
                    value: NodeValue::Map(map),
                    ..
                },
            ) => mapping_entry(node, self.keys.find(map, key, name), path),
            Value::Decl(id, origin) => {
                let entry = *self
                    .decl_fields
                    .entry((*id, key))
                    .or_insert_with(|| self.set.decl(*id).and_then(|d| d.fields.get(name)));
                self.decl_field(entry, *origin, path)
            }
            _ => self.field(b, name, path),
        };
        if path_end {
            self.record(&v);
            self.record_policy_read(b, name);
            // A declaration named by a document value (`input.owner.department`
            // with `owner` typed `role`) is read where the document names it.
            if self.first_read.is_none() {
                if let Value::Decl(_, origin) = b {
                    if *origin != Span::Synthetic {
                        self.first_read = Some(*origin);
                    }
                }
            }
        }
        v
    }

    /// A path's base: reading `f` in `f.x` is not a read of `f` itself.
    fn eval_base(&mut self, base: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        match &base.kind {
            ExprKind::Local(slot) => env
                .get(*slot)
                .cloned()
                .unwrap_or_else(|| Value::missing("?", Span::Synthetic)),
            ExprKind::Input => self.input.clone(),
            _ => self.eval(base, env),
        }
    }

    /// The declaration of `kind` a value names. A document names the same
    /// few declarations thousands of times with shared strings, which live
    /// as long as the evaluation: their address stands for their text.
    fn decl_named(&self, kind: DeclKind, v: &Value<'a>) -> Option<DeclId> {
        if let Value::Node(Node {
            value: NodeValue::Str(text),
            ..
        }) = v
        {
            let key = (text.as_ptr() as usize, kind);
            if let Some(known) = self.named.borrow().get(&key) {
                return *known;
            }
            let found = self.set.lookup(kind, text);
            self.named.borrow_mut().insert(key, found);
            return found;
        }
        v.as_text(self.set)
            .and_then(|name| self.set.lookup(kind, name))
    }

    fn as_decl(&self, kind: DeclKind, v: &Value<'a>, inner: &Expr) -> Value<'a> {
        if v.is_missing() {
            return v.clone();
        }
        let origin = v.location().unwrap_or(Span::Synthetic);
        match self.decl_named(kind, v) {
            Some(id) => Value::Decl(id, origin),
            None => {
                let _ = inner;
                Value::undefined(
                    format!("no {} is named `{}`", kind.word(), display(v, self.set)),
                    origin,
                )
            }
        }
    }

    /// The value of a declaration's field entry (`None`: not given).
    fn decl_field(&self, entry: Option<&'a (Const, Span)>, origin: Span, path: &str) -> Value<'a> {
        match entry {
            Some((c, entry)) => match Value::from_const(c) {
                // In a policy rule, a declaration reached through another's
                // entry points at that entry; from a document, at the document.
                Value::Decl(d, _) if matches!(self.input, Value::PolicyInput) => {
                    Value::Decl(d, *entry)
                }
                Value::Decl(d, _) => Value::Decl(d, origin),
                other => other,
            },
            None => Value::missing(path, origin),
        }
    }

    pub fn field(&self, base: &Value<'a>, name: &str, path: &str) -> Value<'a> {
        match base {
            Value::Missing(_) => base.clone(),
            Value::Node(node) => match &node.value {
                NodeValue::Map(map) => mapping_entry(node, map.get(name), path),
                _ => Value::missing(path, node.loc()),
            },
            Value::Decl(id, origin) => self.decl_field(
                self.set.decl(*id).and_then(|d| d.fields.get(name)),
                *origin,
                path,
            ),
            Value::Collection(kind) => match self.set.lookup(*kind, name) {
                Some(id) => Value::Decl(id, Span::Synthetic),
                None => Value::missing(path, Span::Synthetic),
            },
            Value::PolicyInput => match DeclKind::from_collection(name) {
                Some(kind) => Value::Collection(kind),
                None => Value::missing(path, Span::Synthetic),
            },
            _ => Value::missing(path, Span::Synthetic),
        }
    }

    fn index(&self, base: &Value<'a>, index: &Value<'a>, path: &str) -> Value<'a> {
        if base.is_missing() {
            return base.clone();
        }
        if index.is_missing() {
            return index.clone();
        }
        let origin = index.location().unwrap_or(Span::Synthetic);
        match base {
            Value::Collection(kind) => match self.decl_named(*kind, index) {
                Some(id) => Value::Decl(id, origin),
                None => Value::missing(path, origin),
            },
            Value::Node(node) => match &node.value {
                NodeValue::List(items) => match index.as_num() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 => match items.get(n as usize) {
                        Some(item) if item.value == NodeValue::Null => {
                            Value::missing(path, item.loc())
                        }
                        Some(item) => Value::Node(item),
                        None => Value::missing(path, node.loc()),
                    },
                    _ => Value::missing(path, node.loc()),
                },
                NodeValue::Map(_) => match index.as_text(self.set) {
                    Some(key) => self.field(base, key, path),
                    None => Value::missing(path, node.loc()),
                },
                _ => Value::missing(path, node.loc()),
            },
            Value::List(items) => match index.as_num() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 => items
                    .get(n as usize)
                    .unwrap_or_else(|| Value::missing(path, Span::Synthetic)),
                _ => Value::missing(path, Span::Synthetic),
            },
            Value::Decl(..) | Value::PolicyInput => match index.as_text(self.set) {
                Some(key) => self.field(base, key, path),
                None => Value::missing(path, origin),
            },
            _ => Value::missing(path, origin),
        }
    }

    /// The elements of a list-like value, one at a time (a document's list
    /// is not copied), or the missing value to return.
    pub fn elements(&self, v: &Value<'a>, list: &'a Expr) -> Result<Elements<'a>, Value<'a>> {
        match v {
            Value::Node(Node {
                value: NodeValue::List(nodes),
                ..
            }) => Ok(Elements::Nodes {
                nodes: nodes.iter().enumerate(),
                list,
            }),
            _ => self
                .items(v, list)
                .map(|items| Elements::Made(items.into_iter())),
        }
    }

    /// The elements of a list-like value, or the missing value to return.
    pub fn items(&self, v: &Value<'a>, list: &Expr) -> Result<Vec<Value<'a>>, Value<'a>> {
        match v {
            Value::Missing(_) => Err(v.clone()),
            Value::List(items) => Ok(items.to_vec()),
            Value::Node(node) => match &node.value {
                NodeValue::List(items) => Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| element_value(list, i, item))
                    .collect()),
                _ => Err(Value::missing(source_path(list), node.loc())),
            },
            Value::Collection(kind) => Ok(self
                .set
                .collection(*kind)
                .into_iter()
                .map(|id| Value::Decl(id, self.policy_origin(id)))
                .collect()),
            _ => Err(Value::missing(source_path(list), Span::Synthetic)),
        }
    }

    fn quantifier(
        &mut self,
        q: Quantifier,
        slot: usize,
        list: &'a Expr,
        body: &'a Expr,
        env: &mut Env<'a>,
    ) -> Value<'a> {
        let listv = self.eval(list, env);
        let items = match self.items(&listv, list) {
            Ok(items) => items,
            Err(m) => return m,
        };
        let mut first_missing: Option<Value<'a>> = None;
        let mut trues = 0usize;
        let mut any_false = false;
        for item in items {
            set_slot(env, slot, item);
            let v = self.eval(body, env);
            match v.as_bool() {
                Some(true) => {
                    trues += 1;
                    if q == Quantifier::Any {
                        return Value::Bool(true);
                    }
                    if q == Quantifier::None {
                        return Value::Bool(false);
                    }
                }
                Some(false) => {
                    any_false = true;
                    if q == Quantifier::All {
                        return Value::Bool(false);
                    }
                }
                None => {
                    if first_missing.is_none() {
                        first_missing = Some(match v {
                            m @ Value::Missing(_) => m,
                            other => Value::undefined(
                                format!(
                                    "`{}` is neither true nor false",
                                    display(&other, self.set)
                                ),
                                Span::Synthetic,
                            ),
                        });
                    }
                }
            }
        }
        let _ = any_false;
        match (q, first_missing) {
            (_, Some(m)) => m,
            (Quantifier::All, None) => Value::Bool(true),
            (Quantifier::Any, None) => Value::Bool(false),
            (Quantifier::None, None) => Value::Bool(true),
            (Quantifier::Count, None) => Value::Num(trues as f64),
        }
    }

    fn binary(&mut self, op: BinOp, l: &'a Expr, r: &'a Expr, env: &mut Env<'a>) -> Value<'a> {
        match op {
            BinOp::And => {
                let lv = self.eval(l, env);
                if lv.as_bool() == Some(false) {
                    return Value::Bool(false);
                }
                let rv = self.eval(r, env);
                match (lv.as_bool(), rv.as_bool()) {
                    (_, Some(false)) => Value::Bool(false),
                    (Some(true), Some(true)) => Value::Bool(true),
                    _ => first_missing(lv, rv),
                }
            }
            BinOp::Or => {
                let lv = self.eval(l, env);
                if lv.as_bool() == Some(true) {
                    return Value::Bool(true);
                }
                let rv = self.eval(r, env);
                match (lv.as_bool(), rv.as_bool()) {
                    (_, Some(true)) => Value::Bool(true),
                    (Some(false), Some(false)) => Value::Bool(false),
                    _ => first_missing(lv, rv),
                }
            }
            BinOp::Coalesce => {
                let lv = self.eval(l, env);
                if lv.is_missing() {
                    self.eval(r, env)
                } else {
                    lv
                }
            }
            _ => {
                let lv = self.eval(l, env);
                let rv = self.eval(r, env);
                if lv.is_missing() {
                    return lv;
                }
                if op != BinOp::In && rv.is_missing() {
                    return rv;
                }
                match op {
                    BinOp::Eq => self.equal(&lv, &rv).map_or_else(|m| m, Value::Bool),
                    BinOp::Ne => self
                        .equal(&lv, &rv)
                        .map_or_else(|m| m, |eq| Value::Bool(!eq)),
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match self.order(&lv, &rv) {
                        Some(ord) => Value::Bool(match op {
                            BinOp::Lt => ord.is_lt(),
                            BinOp::Le => ord.is_le(),
                            BinOp::Gt => ord.is_gt(),
                            _ => ord.is_ge(),
                        }),
                        None => Value::undefined(
                            format!(
                                "`{}` and `{}` cannot be ordered",
                                display(&lv, self.set),
                                display(&rv, self.set)
                            ),
                            lv.location().unwrap_or(Span::Synthetic),
                        ),
                    },
                    BinOp::In => self.contains(&rv, &lv, r),
                    _ => self.arithmetic(op, &lv, &rv),
                }
            }
        }
    }

    /// The elements of a list value or a document list (null elements missing).
    fn list_elements(&self, v: &Value<'a>) -> Option<Vec<Value<'a>>> {
        match v {
            Value::List(items) => Some(items.to_vec()),
            Value::Node(Node {
                value: NodeValue::List(items),
                ..
            }) => Some(
                items
                    .iter()
                    .map(|item| {
                        if item.value == NodeValue::Null {
                            Value::missing("a list element", item.loc())
                        } else {
                            Value::Node(item)
                        }
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Equality with missing: `Err` holds the missing value that decides
    /// nothing (a list holding a missing element equals nothing for sure).
    pub fn equal(&self, a: &Value<'a>, b: &Value<'a>) -> Result<bool, Value<'a>> {
        if a.is_missing() {
            return Err(a.clone());
        }
        if b.is_missing() {
            return Err(b.clone());
        }
        if let (Some(x), Some(y)) = (self.list_elements(a), self.list_elements(b)) {
            if x.len() != y.len() {
                return Ok(false);
            }
            let mut missing = None;
            for (p, q) in x.iter().zip(y.iter()) {
                match self.equal(p, q) {
                    Ok(true) => {}
                    Ok(false) => return Ok(false),
                    Err(m) => {
                        missing.get_or_insert(m);
                    }
                }
            }
            return missing.map_or(Ok(true), Err);
        }
        if let (
            Value::Node(Node {
                value: NodeValue::Map(x),
                ..
            }),
            Value::Node(Node {
                value: NodeValue::Map(y),
                ..
            }),
        ) = (a, b)
        {
            if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
                return Ok(false);
            }
            let mut missing = None;
            for (k, p) in x.iter() {
                let Some(q) = y.get(k) else { return Ok(false) };
                let (p, q) = (self.node_value(p), self.node_value(q));
                match self.equal(&p, &q) {
                    Ok(true) => {}
                    Ok(false) => return Ok(false),
                    Err(m) => {
                        missing.get_or_insert(m);
                    }
                }
            }
            return missing.map_or(Ok(true), Err);
        }
        let (a, b) = (a.scalar(), b.scalar());
        Ok(match (&a, &b) {
            (Value::Decl(x, _), Value::Decl(y, _)) => x == y,
            (Value::Num(x), Value::Num(y)) => x == y,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Date(x), Value::Date(y)) => x == y,
            (Value::Dur(x), Value::Dur(y)) => x == y,
            (Value::Date(x), other) | (other, Value::Date(x)) => other
                .as_text(self.set)
                .and_then(crate::time::parse_date)
                .is_some_and(|d| d == *x),
            _ => match (a.as_text(self.set), b.as_text(self.set)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        })
    }

    fn node_value(&self, node: &'a Node) -> Value<'a> {
        if node.value == NodeValue::Null {
            Value::missing("a value", node.loc())
        } else {
            Value::Node(node)
        }
    }

    fn order(&self, a: &Value<'a>, b: &Value<'a>) -> Option<std::cmp::Ordering> {
        let (a, b) = (a.scalar(), b.scalar());
        match (&a, &b) {
            (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
            (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
            (Value::Dur(x), Value::Dur(y)) => Some(x.cmp(y)),
            (Value::Date(x), other) => other
                .as_text(self.set)
                .and_then(crate::time::parse_date)
                .map(|d| x.cmp(&d)),
            (other, Value::Date(y)) => other
                .as_text(self.set)
                .and_then(crate::time::parse_date)
                .map(|d| d.cmp(y)),
            (Value::Word(WordSet::Classification, x), other) => {
                let y = other
                    .as_text(self.set)
                    .and_then(|t| WordSet::Classification.index(t))?;
                Some(x.cmp(&y))
            }
            (other, Value::Word(WordSet::Classification, y)) => {
                let x = other
                    .as_text(self.set)
                    .and_then(|t| WordSet::Classification.index(t))?;
                Some(x.cmp(y))
            }
            _ => match (a.as_text(self.set), b.as_text(self.set)) {
                (Some(x), Some(y)) => Some(x.cmp(y)),
                _ => None,
            },
        }
    }

    fn contains(
        &mut self,
        container: &Value<'a>,
        item: &Value<'a>,
        container_expr: &'a Expr,
    ) -> Value<'a> {
        if container.is_missing() {
            return container.clone();
        }
        match container {
            Value::Collection(kind) => return Value::Bool(self.decl_named(*kind, item).is_some()),
            Value::Str(_)
            | Value::Node(Node {
                value: NodeValue::Str(_),
                ..
            }) => {
                let hay = container.as_text(self.set).unwrap_or("");
                return match item.as_text(self.set) {
                    Some(needle) => Value::Bool(hay.contains(needle)),
                    None => Value::Bool(false),
                };
            }
            Value::Node(Node {
                value: NodeValue::Map(map),
                ..
            }) => return Value::Bool(item.as_text(self.set).is_some_and(|k| map.contains_key(k))),
            _ => {}
        }
        // Lists are searched where they are, not copied.
        match container {
            Value::List(items) => self.search(items.iter(), item, container_expr),
            Value::Node(Node {
                value: NodeValue::List(items),
                ..
            }) => self.search(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, element)| element_value(container_expr, i, element)),
                item,
                container_expr,
            ),
            _ => match self.items(container, container_expr) {
                Ok(items) => self.search(items.into_iter(), item, container_expr),
                Err(m) => m,
            },
        }
    }

    /// Whether `item` is one of `candidates`, in three-valued logic.
    fn search(
        &mut self,
        candidates: impl Iterator<Item = Value<'a>>,
        item: &Value<'a>,
        container_expr: &'a Expr,
    ) -> Value<'a> {
        let mut missing = None;
        for candidate in candidates {
            // Each element searched is a step: `x in LIST` inside a loop over
            // another list is quadratic, and the budget must see it.
            if self.budget == 0 && !self.refill() {
                self.stopped = true;
                return Value::undefined(
                    "the evaluation was stopped after too many steps",
                    container_expr.span,
                );
            }
            self.budget -= 1;
            match self.equal(&candidate, item) {
                Ok(true) => return Value::Bool(true),
                Ok(false) => {}
                Err(m) => {
                    missing.get_or_insert(m);
                }
            }
        }
        missing.unwrap_or(Value::Bool(false))
    }

    fn arithmetic(&self, op: BinOp, a: &Value<'a>, b: &Value<'a>) -> Value<'a> {
        let (a, b) = (a.scalar(), b.scalar());
        let day = crate::time::MINUTES_PER_DAY;
        let result = match (op, &a, &b) {
            (BinOp::Add, Value::Num(x), Value::Num(y)) => Some(Value::Num(tidy(x + y))),
            (BinOp::Sub, Value::Num(x), Value::Num(y)) => Some(Value::Num(tidy(x - y))),
            (BinOp::Mul, Value::Num(x), Value::Num(y)) => Some(Value::Num(tidy(x * y))),
            (BinOp::Div, Value::Num(x), Value::Num(y)) if *y != 0.0 => {
                Some(Value::Num(tidy(x / y)))
            }
            (BinOp::Add, Value::Date(d), Value::Dur(m))
            | (BinOp::Add, Value::Dur(m), Value::Date(d)) => i32::try_from(m.div_euclid(day))
                .ok()
                .and_then(|days| d.checked_add(days))
                .map(Value::Date),
            (BinOp::Sub, Value::Date(d), Value::Dur(m)) => i32::try_from(m.div_euclid(day))
                .ok()
                .and_then(|days| d.checked_sub(days))
                .map(Value::Date),
            (BinOp::Sub, Value::Date(x), Value::Date(y)) => {
                Some(Value::Dur((*x as i64 - *y as i64) * day))
            }
            (BinOp::Add, Value::Dur(x), Value::Dur(y)) => x.checked_add(*y).map(Value::Dur),
            (BinOp::Sub, Value::Dur(x), Value::Dur(y)) => x.checked_sub(*y).map(Value::Dur),
            (BinOp::Mul, Value::Dur(x), Value::Num(n))
            | (BinOp::Mul, Value::Num(n), Value::Dur(x)) => {
                let v = *x as f64 * n;
                v.is_finite().then_some(Value::Dur(v as i64))
            }
            (BinOp::Div, Value::Dur(x), Value::Num(n)) if *n != 0.0 => {
                Some(Value::Dur((*x as f64 / n) as i64))
            }
            (BinOp::Div, Value::Dur(x), Value::Dur(y)) if *y != 0 => {
                Some(Value::Num(*x as f64 / *y as f64))
            }
            _ => None,
        };
        result.unwrap_or_else(|| {
            Value::undefined(
                format!(
                    "`{} {} {}` has no value",
                    display(&a, self.set),
                    op.symbol(),
                    display(&b, self.set)
                ),
                a.location().or(b.location()).unwrap_or(Span::Synthetic),
            )
        })
    }

    fn builtin(
        &mut self,
        b: Builtin,
        args: &'a [Expr],
        env: &mut Env<'a>,
        span: Span,
    ) -> Value<'a> {
        if b == Builtin::Today {
            return Value::Date(self.today);
        }
        let mut values: Vec<Value<'a>> = args.iter().map(|a| self.eval(a, env)).collect();
        if b == Builtin::Exists {
            return Value::Bool(values.first().is_some_and(|v| !v.is_missing()));
        }
        if let Some(m) = values.iter().find(|v| v.is_missing()) {
            return m.clone();
        }
        let first = values.first().cloned().unwrap_or(Value::Bool(false));
        let _ = span;
        let bad = || {
            Value::undefined(
                "a function was given an argument of the wrong type",
                Span::Synthetic,
            )
        };
        match b {
            Builtin::Len => match &first {
                Value::List(items) => Value::Num(items.len() as f64),
                Value::Node(n) => match &n.value {
                    NodeValue::List(items) => Value::Num(items.len() as f64),
                    NodeValue::Map(map) => Value::Num(map.len() as f64),
                    NodeValue::Str(s) => Value::Num(s.chars().count() as f64),
                    _ => bad(),
                },
                Value::Collection(kind) => Value::Num(self.set.collection(*kind).len() as f64),
                other => match other.as_text(self.set) {
                    Some(s) => Value::Num(s.chars().count() as f64),
                    None => bad(),
                },
            },
            Builtin::Lower | Builtin::Upper => match first.as_text(self.set) {
                Some(s) => Value::Str(
                    if b == Builtin::Lower {
                        s.to_lowercase()
                    } else {
                        s.to_uppercase()
                    }
                    .into(),
                ),
                None => bad(),
            },
            Builtin::StartsWith | Builtin::EndsWith => {
                let second = values.pop().unwrap_or(Value::Bool(false));
                match (first.as_text(self.set), second.as_text(self.set)) {
                    (Some(s), Some(p)) => Value::Bool(if b == Builtin::StartsWith {
                        s.starts_with(p)
                    } else {
                        s.ends_with(p)
                    }),
                    _ => bad(),
                }
            }
            Builtin::Date => match first.as_text(self.set).and_then(crate::time::parse_date) {
                Some(d) => Value::Date(d),
                None => Value::undefined(
                    format!("`{}` is not a date", display(&first, self.set)),
                    first.location().unwrap_or(Span::Synthetic),
                ),
            },
            Builtin::Sum | Builtin::Min | Builtin::Max => {
                let Some(list_expr) = args.first() else {
                    return bad();
                };
                let items = match self.items(&first, list_expr) {
                    Ok(items) => items,
                    Err(m) => return m,
                };
                if let Some(m) = items.iter().find(|v| v.is_missing()) {
                    return m.clone();
                }
                let items: Vec<Value<'a>> = items.iter().map(|v| v.scalar()).collect();
                if b == Builtin::Sum {
                    if items.iter().all(|v| matches!(v, Value::Dur(_))) && !items.is_empty() {
                        let mut total: i64 = 0;
                        for v in &items {
                            if let Value::Dur(d) = v {
                                total = total.saturating_add(*d);
                            }
                        }
                        return Value::Dur(total);
                    }
                    let mut total = 0.0;
                    for v in &items {
                        match v.as_num() {
                            Some(n) => total += n,
                            None => return bad(),
                        }
                    }
                    return Value::Num(tidy(total));
                }
                let mut best: Option<Value<'a>> = None;
                for v in items {
                    best = Some(match best {
                        None => v,
                        Some(cur) => match self.order(&v, &cur) {
                            Some(o)
                                if (b == Builtin::Min && o.is_lt())
                                    || (b == Builtin::Max && o.is_gt()) =>
                            {
                                v
                            }
                            Some(_) => cur,
                            None => return bad(),
                        },
                    });
                }
                best.unwrap_or_else(|| {
                    Value::undefined(
                        format!(
                            "`{}` of an empty list has no value",
                            if b == Builtin::Min { "min" } else { "max" }
                        ),
                        first.location().unwrap_or(Span::Synthetic),
                    )
                })
            }
            Builtin::Today | Builtin::Exists => Value::Bool(false),
        }
    }
}

/// Numbers are decimal to 15 significant digits: binary noise such as
/// `0.1 + 0.2 = 0.30000000000000004` would otherwise decide a comparison.
pub fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{x:.14e}").parse().unwrap_or(x)
}

fn first_missing<'a>(a: Value<'a>, b: Value<'a>) -> Value<'a> {
    if a.is_missing() {
        a
    } else if b.is_missing() {
        b
    } else {
        // A non-bool operand: treated as missing (never true).
        Value::undefined("a condition is neither true nor false", Span::Synthetic)
    }
}

#[inline]
fn set_slot<'a>(env: &mut Env<'a>, slot: usize, v: Value<'a>) {
    if env.len() <= slot {
        env.resize(slot + 1, Value::Bool(false));
    }
    if let Some(s) = env.get_mut(slot) {
        *s = v;
    }
}

#[inline]
pub(crate) fn set_local<'a>(env: &mut Env<'a>, slot: usize, v: Value<'a>) {
    set_slot(env, slot, v)
}

/// The path text of a list expression, for messages.
fn source_path(e: &Expr) -> Rc<str> {
    match &e.kind {
        ExprKind::Field { path, .. } | ExprKind::Index { path, .. } => Rc::from(&**path),
        ExprKind::Input => Rc::from("input"),
        _ => Rc::from("a list"),
    }
}

#[allow(dead_code)]
fn const_text(c: &Const) -> Option<&str> {
    match c {
        Const::Str(s) => Some(s),
        _ => None,
    }
}
