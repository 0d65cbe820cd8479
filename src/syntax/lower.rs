//! pest pairs to AST. The only place that matches on grammar rules.

use pest::iterators::Pair;

use super::ast::*;
use super::parser::Rule;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Expressions nested deeper than this are refused: the checker and the
/// evaluator recurse over them.
use crate::limits::MAX_EXPR_DEPTH;

pub(super) struct Lowering<'t> {
    file: FileId,
    text: &'t str,
    base: usize,
    /// Where the item's own text ends: the parser closes an unclosed item
    /// with brackets of its own, and spans that reach into them end here.
    end: usize,
    depth: usize,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'t> Lowering<'t> {
    /// Lowers pairs parsed from `text[base..end]` (plus, for an unclosed
    /// item, the closing brackets the parser added after `end`).
    pub fn new(file: FileId, text: &'t str, base: usize, end: usize) -> Self {
        Lowering {
            file,
            text,
            base,
            end,
            depth: 0,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let at = |offset: usize| (self.base + offset).min(self.end);
        Span::new(self.file, at(s.start())..at(s.end()))
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            span: self.span(&pair),
            text: pair.as_str().to_string(),
        }
    }

    fn doc(&self, span: Span) -> Option<String> {
        super::doc_comment_above(self.text, span.start())
    }

    pub fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::policy_decl => {
                let mut inner = pair.into_inner();
                inner.next(); // keyword
                let name = self.name(inner.next()?);
                let mut title = None;
                let mut entries = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::title => title = self.title(p),
                        Rule::block_body => entries = self.body(p),
                        _ => {}
                    }
                }
                Some(Item::Policy(PolicyDecl {
                    name,
                    title,
                    entries,
                    span,
                }))
            }
            Rule::import_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                Some(Item::Import(Import {
                    module: self.name(inner.next()?),
                    span,
                }))
            }
            Rule::fn_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                let name = self.name(inner.next()?);
                let mut params = Vec::new();
                let mut body = None;
                for p in inner {
                    match p.as_rule() {
                        Rule::fn_params => params = p.into_inner().map(|n| self.name(n)).collect(),
                        Rule::expr => body = Some(self.expr(p)),
                        _ => {}
                    }
                }
                Some(Item::Fn(FnDecl {
                    name,
                    params,
                    body: body?,
                    doc: self.doc(span),
                    span,
                }))
            }
            Rule::schema_decl => {
                let mut inner = pair.into_inner();
                inner.next();
                let name = self.name(inner.next()?);
                let fields = self.schema_body(inner.next()?);
                Some(Item::Schema(SchemaDecl {
                    name,
                    fields,
                    doc: self.doc(span),
                    span,
                }))
            }
            Rule::block_decl | Rule::group_decl | Rule::rule_decl => {
                Some(Item::Block(self.block(pair)?))
            }
            _ => None,
        }
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Option<Block> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let keyword = inner.next()?;
        let keyword_span = self.span(&keyword);
        let kind = BlockKind::from_keyword(keyword.as_str())?;
        let name = self.name(inner.next()?);
        let mut title = None;
        let mut entries = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::title => title = self.title(p),
                Rule::block_body => entries = self.body(p),
                _ => {}
            }
        }
        Some(Block {
            kind,
            keyword_span,
            name,
            title,
            entries,
            doc: self.doc(span),
            span,
        })
    }

    /// A title is a plain string: its text with escapes applied.
    fn title(&mut self, pair: Pair<'_, Rule>) -> Option<Name> {
        let string = pair.into_inner().next()?;
        let span = self.span(&string);
        let parts = self.string_parts(string);
        let mut text = String::new();
        for part in parts {
            match part {
                StrPart::Text(t) => text.push_str(&t),
                StrPart::Interpolation(e) => {
                    text.push('{');
                    text.push_str(self.slice(e.span));
                    text.push('}');
                }
            }
        }
        Some(Name { text, span })
    }

    fn slice(&self, span: Span) -> &'t str {
        span.range().and_then(|r| self.text.get(r)).unwrap_or("")
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Vec<Entry> {
        let mut entries = Vec::new();
        for p in pair.into_inner() {
            let span = self.span(&p);
            let entry = match p.as_rule() {
                Rule::rule_decl => self.block(p).map(Entry::Rule),
                Rule::each_entry => {
                    let mut inner = p.into_inner();
                    inner.next();
                    let var = inner.next().map(|n| self.name(n));
                    inner.next();
                    let list = inner.next().map(|e| self.expr(e));
                    match (var, list) {
                        (Some(var), Some(list)) => Some(Entry::Each { var, list, span }),
                        _ => None,
                    }
                }
                Rule::let_entry => {
                    let mut inner = p.into_inner();
                    inner.next();
                    let var = inner.next().map(|n| self.name(n));
                    let value = inner.next().map(|e| self.expr(e));
                    match (var, value) {
                        (Some(var), Some(value)) => Some(Entry::Let { var, value, span }),
                        _ => None,
                    }
                }
                Rule::expect_entry => {
                    let mut inner = p.into_inner();
                    inner.next();
                    let what = inner.next().map(|n| self.name(n));
                    let arg = inner.next().map(|n| self.name(n));
                    match (what, arg) {
                        (Some(what), Some(arg)) => Some(Entry::Expect { what, arg, span }),
                        _ => None,
                    }
                }
                Rule::target_entry => {
                    let mut inner = p.into_inner();
                    inner.next();
                    let op = inner
                        .next()
                        .map(|o| (self.cmp_op(o.as_str()), self.span(&o)));
                    let value = inner.next().map(|e| self.expr(e));
                    match (op, value) {
                        (Some((op, op_span)), Some(value)) => Some(Entry::Target {
                            op,
                            op_span,
                            value,
                            span,
                        }),
                        _ => None,
                    }
                }
                Rule::key_entry => {
                    let mut inner = p.into_inner();
                    let key = inner.next().map(|n| self.name(n));
                    let value = inner.next().map(|e| self.expr(e));
                    match (key, value) {
                        (Some(key), Some(value)) => Some(Entry::Key { key, value }),
                        _ => None,
                    }
                }
                _ => None,
            };
            entries.extend(entry);
        }
        entries
    }

    fn schema_body(&mut self, pair: Pair<'_, Rule>) -> Vec<SchemaField> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::schema_field)
            .filter_map(|p| self.schema_field(p))
            .collect()
    }

    fn schema_field(&mut self, pair: Pair<'_, Rule>) -> Option<SchemaField> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.name(inner.next()?);
        let mut optional = false;
        let mut ty = None;
        for p in inner {
            match p.as_rule() {
                Rule::optional_mark => optional = true,
                Rule::schema_body => {
                    let s = self.span(&p);
                    ty = Some(TypeExpr::Record(self.schema_body(p), s));
                }
                Rule::record_list => {
                    let s = self.span(&p);
                    let mut fields = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::schema_body => fields = self.schema_body(q),
                            Rule::optional_mark => optional = true,
                            _ => {}
                        }
                    }
                    ty = Some(TypeExpr::RecordList(fields, s));
                }
                Rule::type_ref => {
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::optional_mark => optional = true,
                            _ => ty = self.type_expr(q),
                        }
                    }
                }
                _ => {}
            }
        }
        Some(SchemaField {
            name,
            optional,
            ty: ty?,
            span,
        })
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::type_name => Some(TypeExpr::Named(self.name(pair))),
            Rule::list_type => {
                let inner = pair.into_inner().next()?;
                Some(TypeExpr::List(Box::new(self.type_expr(inner)?), span))
            }
            Rule::map_type => {
                let inner = pair.into_inner().next()?;
                Some(TypeExpr::Map(Box::new(self.type_expr(inner)?), span))
            }
            _ => None,
        }
    }

    fn cmp_op(&self, text: &str) -> BinOp {
        match text {
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "matches" => BinOp::Matches,
            _ => BinOp::In,
        }
    }

    fn error_expr(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Bool(false),
            span,
        }
    }

    pub fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        // Only constructs that nest count; the grammar's precedence levels do not.
        let nests = matches!(
            pair.as_rule(),
            Rule::paren
                | Rule::list
                | Rule::call
                | Rule::quantifier
                | Rule::index_access
                | Rule::interpolation
        ) || (matches!(pair.as_rule(), Rule::postfix_expr)
            && pair.clone().into_inner().count() > 1);
        if nests {
            self.depth += 1;
            if self.depth > MAX_EXPR_DEPTH {
                self.depth -= 1;
                self.too_deep(span);
                return Self::error_expr(span);
            }
        }
        let expr = self.expr_inner(pair, span);
        if nests {
            self.depth -= 1;
        }
        expr
    }

    fn too_deep(&mut self, span: Span) {
        if !self.diagnostics.iter().any(|d| d.code == "A005") {
            self.diagnostics.push(
                Diagnostic::error(
                    "A005",
                    format!("expression nested more than {MAX_EXPR_DEPTH} deep"),
                )
                .at(span.start_point(), "too deep from here on")
                .note("help: split it with `let` or a `fn`"),
            );
        }
    }

    fn binary_chain(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut inner = pair.into_inner();
        let Some(first) = inner.next() else {
            return Self::error_expr(Span::Synthetic);
        };
        let mut left = self.expr(first);
        let mut operators = 0usize;
        while let Some(op) = inner.next() {
            // A long chain is a deep tree for the checker and the evaluator.
            operators += 1;
            if operators + self.depth > MAX_EXPR_DEPTH {
                let span = left.span;
                self.too_deep(span);
                return Self::error_expr(span);
            }
            let op = match op.as_rule() {
                Rule::kw_or => BinOp::Or,
                Rule::kw_and => BinOp::And,
                Rule::add_op if op.as_str() == "+" => BinOp::Add,
                Rule::add_op => BinOp::Sub,
                Rule::mul_op if op.as_str() == "*" => BinOp::Mul,
                Rule::mul_op => BinOp::Div,
                Rule::cmp_op => self.cmp_op(op.as_str()),
                _ => {
                    // `??` is a bare string in the grammar: the pair is the operand.
                    let right = self.expr(op);
                    let span = left.span.to(right.span);
                    left = Expr {
                        kind: ExprKind::Binary(BinOp::Coalesce, Box::new(left), Box::new(right)),
                        span,
                    };
                    continue;
                }
            };
            let Some(right) = inner.next() else { break };
            let right = self.expr(right);
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        left
    }

    fn expr_inner(&mut self, pair: Pair<'_, Rule>, span: Span) -> Expr {
        match pair.as_rule() {
            Rule::expr => match pair.into_inner().next() {
                Some(p) => self.expr(p),
                None => Self::error_expr(span),
            },
            Rule::or_expr
            | Rule::and_expr
            | Rule::cmp_expr
            | Rule::coalesce_expr
            | Rule::add_expr
            | Rule::mul_expr => {
                let single = pair.clone().into_inner().count() == 1;
                if single {
                    match pair.into_inner().next() {
                        Some(p) => self.expr(p),
                        None => Self::error_expr(span),
                    }
                } else {
                    self.binary_chain(pair)
                }
            }
            Rule::not_expr | Rule::unary_expr => {
                let parts: Vec<_> = pair.into_inner().collect();
                let mut ops = Vec::new();
                let mut operand = None;
                for p in parts {
                    match p.as_rule() {
                        Rule::not_op => ops.push((UnOp::Not, self.span(&p))),
                        Rule::neg_op => ops.push((UnOp::Neg, self.span(&p))),
                        _ => operand = Some(self.expr(p)),
                    }
                }
                let mut expr = operand.unwrap_or_else(|| Self::error_expr(span));
                if ops.len() + self.depth > MAX_EXPR_DEPTH {
                    self.too_deep(span);
                    return Self::error_expr(span);
                }
                for (op, op_span) in ops.into_iter().rev() {
                    let span = op_span.to(expr.span);
                    expr = Expr {
                        kind: ExprKind::Unary(op, Box::new(expr)),
                        span,
                    };
                }
                expr
            }
            Rule::postfix_expr => {
                let mut inner = pair.into_inner();
                let Some(first) = inner.next() else {
                    return Self::error_expr(span);
                };
                let mut expr = self.expr(first);
                for (steps, post) in inner.enumerate() {
                    if steps + self.depth > MAX_EXPR_DEPTH {
                        self.too_deep(span);
                        return Self::error_expr(span);
                    }
                    let post_span = self.span(&post);
                    match post.as_rule() {
                        Rule::field_access => {
                            let Some(n) = post.into_inner().next() else {
                                continue;
                            };
                            let name = self.name(n);
                            let span = expr.span.to(post_span);
                            expr = Expr {
                                kind: ExprKind::Field(Box::new(expr), name),
                                span,
                            };
                        }
                        Rule::index_access => {
                            let Some(i) = post.into_inner().next() else {
                                continue;
                            };
                            let index = self.expr(i);
                            let span = expr.span.to(post_span);
                            expr = Expr {
                                kind: ExprKind::Index(Box::new(expr), Box::new(index)),
                                span,
                            };
                        }
                        _ => {}
                    }
                }
                expr
            }
            Rule::paren => match pair.into_inner().next() {
                Some(p) => {
                    let inner = self.expr(p);
                    Expr {
                        kind: ExprKind::Paren(Box::new(inner)),
                        span,
                    }
                }
                None => Self::error_expr(span),
            },
            Rule::quantifier => {
                let mut inner = pair.into_inner();
                let q = match inner.next().map(|p| p.as_str().to_string()).as_deref() {
                    Some("all") => Quantifier::All,
                    Some("any") => Quantifier::Any,
                    Some("none") => Quantifier::None,
                    _ => Quantifier::Count,
                };
                let var = inner.next().map(|n| self.name(n));
                inner.next(); // in
                let list = inner.next().map(|e| self.expr(e));
                let body = inner.next().map(|e| self.expr(e));
                match (var, list, body) {
                    (Some(var), Some(list), Some(body)) => Expr {
                        kind: ExprKind::Quantifier(q, var, Box::new(list), Box::new(body)),
                        span,
                    },
                    _ => Self::error_expr(span),
                }
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let Some(name) = inner.next().map(|n| self.name(n)) else {
                    return Self::error_expr(span);
                };
                let args = inner.map(|a| self.expr(a)).collect();
                Expr {
                    kind: ExprKind::Call(name, args),
                    span,
                }
            }
            Rule::list => {
                let mut items = Vec::new();
                let mut comprehension = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::comprehension => comprehension = Some(p),
                        _ => items.push(self.expr(p)),
                    }
                }
                match comprehension {
                    Some(c) => {
                        let mut inner = c.into_inner();
                        inner.next(); // for
                        let var = inner.next().map(|n| self.name(n));
                        inner.next(); // in
                        let list = inner.next().map(|e| self.expr(e));
                        inner.next(); // if
                        let filter = inner.next().map(|e| Box::new(self.expr(e)));
                        match (items.pop(), var, list) {
                            (Some(element), Some(var), Some(list)) => Expr {
                                kind: ExprKind::Comprehension {
                                    element: Box::new(element),
                                    var,
                                    list: Box::new(list),
                                    filter,
                                },
                                span,
                            },
                            _ => Self::error_expr(span),
                        }
                    }
                    None => Expr {
                        kind: ExprKind::List(items),
                        span,
                    },
                }
            }
            Rule::name_ref => match pair.into_inner().next() {
                Some(n) => Expr {
                    kind: ExprKind::Name(self.name(n)),
                    span,
                },
                None => Self::error_expr(span),
            },
            Rule::boolean => Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                span,
            },
            Rule::number => match pair.as_str().parse::<f64>() {
                Ok(n) if n.is_finite() => Expr {
                    kind: ExprKind::Number(n),
                    span,
                },
                _ => self.invalid_literal(span, "this number is out of range"),
            },
            Rule::percent => {
                let text = pair.as_str().trim_end_matches('%');
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => Expr {
                        kind: ExprKind::Number(n / 100.0),
                        span,
                    },
                    _ => self.invalid_literal(span, "this number is out of range"),
                }
            }
            Rule::duration => match crate::time::parse_duration(pair.as_str()) {
                Some(minutes) => Expr {
                    kind: ExprKind::Duration(minutes),
                    span,
                },
                None => self.invalid_literal(span, "this duration is out of range"),
            },
            Rule::bad_number => {
                let text = pair.as_str();
                let unit: String = text
                    .chars()
                    .skip_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let why = format!(
                    "`{unit}` is not a duration unit: the units are `min` `h` `d` `w` `mo` `y`"
                );
                self.invalid_literal(span, &why)
            }
            Rule::date => match crate::time::parse_date(pair.as_str()) {
                Some(days) => Expr {
                    kind: ExprKind::Date(days),
                    span,
                },
                None => self.invalid_literal(span, "no such date in the calendar"),
            },
            Rule::string => {
                let before = self.diagnostics.len();
                let parts = self.string_parts(pair);
                // A string with a bad escape is reported once, not again by its users.
                let bad = self
                    .diagnostics
                    .iter()
                    .skip(before)
                    .any(|d| d.code == "A003");
                Expr {
                    kind: if bad {
                        ExprKind::Invalid
                    } else {
                        ExprKind::Str(parts)
                    },
                    span,
                }
            }
            _ => Self::error_expr(span),
        }
    }

    fn invalid_literal(&mut self, span: Span, why: &str) -> Expr {
        self.diagnostics.push(
            Diagnostic::error("A004", format!("invalid literal `{}`", self.slice(span)))
                .at(span, why),
        );
        Expr {
            kind: ExprKind::Invalid,
            span,
        }
    }

    fn string_parts(&mut self, pair: Pair<'_, Rule>) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::text => text.push_str(p.as_str()),
                Rule::escape => {
                    let span = self.span(&p);
                    match unescape(p.as_str()) {
                        Some(c) => text.push(c),
                        None => self.diagnostics.push(
                            Diagnostic::error(
                                "A003",
                                format!("invalid escape `{}` in a string", p.as_str()),
                            )
                            .at(span, "not an escape")
                            .note(
                                "help: the escapes are `\\\"` `\\\\` `\\n` `\\t` `\\{` `\\}` and `\\u{HEX}`",
                            ),
                        ),
                    }
                }
                Rule::interpolation => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    if let Some(e) = p.into_inner().next() {
                        let expr = self.expr(e);
                        parts.push(StrPart::Interpolation(expr));
                    }
                }
                _ => {}
            }
        }
        if !text.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(text));
        }
        parts
    }
}

fn unescape(escape: &str) -> Option<char> {
    let rest = escape.strip_prefix('\\')?;
    match rest {
        "\"" => Some('"'),
        "\\" => Some('\\'),
        "n" => Some('\n'),
        "t" => Some('\t'),
        "{" => Some('{'),
        "}" => Some('}'),
        _ => {
            let hex = rest.strip_prefix("u{")?.strip_suffix('}')?;
            if hex.is_empty() || hex.len() > 6 {
                return None;
            }
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)
        }
    }
}
