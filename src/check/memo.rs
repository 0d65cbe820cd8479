//! Conditions that depend on one document value only, remembered by that
//! value. In `each f in input.flows when data[f.data].classification >
//! "public"`, the condition reads the flow's `data` and nothing else of the
//! document: a manifest of 100,000 flows over 60 data categories has 60
//! answers to it. After checking, such a part of a `when` or a `require`
//! (one that also looks a declaration up, or it would cost more to look up
//! than to evaluate) is wrapped in [`ExprKind::Memo`]; the evaluator keeps
//! its definite (true or false) answers by the document string it read.

use super::ir::{Expr, ExprKind};
use super::model::{PolicySet, Step};
use crate::syntax::ast::BinOp;

/// Wraps the parts of every rule's conditions that qualify: a whole `when`
/// or `require`, or an operand of `and`, `or` or `not` in one.
pub fn apply(set: &mut PolicySet) {
    let mut next = 0;
    for rule in &mut set.rules {
        for step in &mut rule.steps {
            if let Step::When(cond) = step {
                wrap(cond, &mut next);
            }
        }
        for require in &mut rule.requires {
            wrap(require, &mut next);
        }
    }
}

/// What an expression reads of the document.
#[derive(Clone, Copy, PartialEq)]
enum Reads {
    /// Nothing: constants and declarations only.
    Nothing,
    /// One path, `VARIABLE.NAME` (by slot and field number), nothing else.
    One(usize, u32),
    /// Anything else: several paths, a whole variable, `input`, a function,
    /// a builtin, a quantifier.
    Other,
}

fn both(a: Reads, b: Reads) -> Reads {
    match (a, b) {
        (Reads::Nothing, x) | (x, Reads::Nothing) => x,
        (x, y) if x == y => x,
        _ => Reads::Other,
    }
}

/// What `e` reads, and whether it looks a declaration up.
fn reads(e: &Expr) -> (Reads, bool) {
    match &e.kind {
        ExprKind::Const(_) | ExprKind::Collection(_) | ExprKind::Decl(_) => (Reads::Nothing, false),
        ExprKind::Field {
            base,
            key,
            path_end,
            ..
        } => match base.kind {
            // Only a whole path, read where it ends, names one value.
            ExprKind::Local(slot) if *path_end => (Reads::One(slot, *key), false),
            ExprKind::Local(_) | ExprKind::Input => (Reads::Other, false),
            _ => reads(base),
        },
        ExprKind::Index { base, index, .. } => match base.kind {
            ExprKind::Collection(_) => (reads(index).0, true),
            _ => (Reads::Other, false),
        },
        ExprKind::Not(inner) => reads(inner),
        ExprKind::Binary(op, l, r) => match op {
            BinOp::And
            | BinOp::Or
            | BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::In => {
                let ((lr, ll), (rr, rl)) = (reads(l), reads(r));
                // `x in COLLECTION` looks a declaration up too.
                let collection = *op == BinOp::In && matches!(r.kind, ExprKind::Collection(_));
                (both(lr, rr), ll || rl || collection)
            }
            _ => (Reads::Other, false),
        },
        _ => (Reads::Other, false),
    }
}

/// The read of `VARIABLE.NAME` in `e`.
fn find_read(e: &Expr, slot: usize, key: u32) -> Option<&Expr> {
    match &e.kind {
        ExprKind::Field { base, key: k, .. } => match base.kind {
            ExprKind::Local(s) if s == slot && *k == key => Some(e),
            _ => find_read(base, slot, key),
        },
        ExprKind::Index { index, .. } => find_read(index, slot, key),
        ExprKind::Not(inner) => find_read(inner, slot, key),
        ExprKind::Binary(_, l, r) => find_read(l, slot, key).or_else(|| find_read(r, slot, key)),
        _ => None,
    }
}

/// Wraps the largest parts of `e` that qualify.
fn wrap(e: &mut Expr, next: &mut u32) {
    if let (Reads::One(slot, key), true) = reads(e) {
        if let Some(read) = find_read(e, slot, key).cloned() {
            let span = e.span;
            let error = Expr {
                kind: ExprKind::Error,
                span,
            };
            let body = std::mem::replace(e, error);
            *e = Expr {
                kind: ExprKind::Memo {
                    id: *next,
                    read: Box::new(read),
                    body: Box::new(body),
                },
                span,
            };
            *next += 1;
            return;
        }
    }
    // Only where a truth value is wanted: only true and false are kept, and
    // a part that answers something else would be read twice for nothing.
    match &mut e.kind {
        ExprKind::Not(inner) => wrap(inner, next),
        ExprKind::Binary(BinOp::And | BinOp::Or, l, r) => {
            wrap(l, next);
            wrap(r, next);
        }
        _ => {}
    }
}

/// The set as it was before [`apply`]: every kept condition evaluated in
/// full (for the tests that compare the two).
#[cfg(test)]
pub(crate) fn strip(set: &mut PolicySet) -> usize {
    fn unwrap(e: &mut Expr) -> usize {
        match &mut e.kind {
            ExprKind::Memo { body, .. } => {
                let body = std::mem::replace(
                    &mut **body,
                    Expr {
                        kind: ExprKind::Error,
                        span: e.span,
                    },
                );
                *e = body;
                1 + unwrap(e)
            }
            ExprKind::Not(inner) => unwrap(inner),
            ExprKind::Binary(_, l, r) => unwrap(l) + unwrap(r),
            _ => 0,
        }
    }
    let mut stripped = 0;
    for rule in &mut set.rules {
        for step in &mut rule.steps {
            if let Step::When(cond) = step {
                stripped += unwrap(cond);
            }
        }
        for require in &mut rule.requires {
            stripped += unwrap(require);
        }
    }
    stripped
}
