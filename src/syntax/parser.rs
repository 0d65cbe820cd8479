//! The pest parser generated from `grammar/accord.pest`, and the translation
//! of pest's errors into diagnostics.

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/accord.pest"]
pub(super) struct AccordParser;

/// Bounds pest's work on hostile input (deep nesting, heavy backtracking).
const CALL_LIMIT: usize = 20_000_000;

fn limit_calls() {
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
}

pub(super) fn parse_item(text: &str) -> Result<Pair<'_, Rule>, Box<pest::error::Error<Rule>>> {
    limit_calls();
    let mut pairs = AccordParser::parse(Rule::item_only, text).map_err(Box::new)?;
    pairs
        .find(|p| p.as_rule() != Rule::EOI)
        .ok_or_else(|| Box::new(empty_error(text)))
}

pub(super) fn parse_expr(text: &str) -> Result<Pair<'_, Rule>, Box<pest::error::Error<Rule>>> {
    limit_calls();
    let mut pairs = AccordParser::parse(Rule::expr, text).map_err(Box::new)?;
    pairs.next().ok_or_else(|| Box::new(empty_error(text)))
}

fn empty_error(text: &str) -> pest::error::Error<Rule> {
    pest::error::Error::new_from_pos(
        ErrorVariant::CustomError {
            message: "expected a declaration".into(),
        },
        pest::Position::from_start(text),
    )
}

/// What a grammar rule looks like to a person reading an error.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::item_only | Rule::EOI => "end of item",
        Rule::policy_decl
        | Rule::import_decl
        | Rule::fn_decl
        | Rule::block_decl
        | Rule::group_decl
        | Rule::schema_decl
        | Rule::block_kind
        | Rule::group_kind
        | Rule::kw_policy
        | Rule::kw_import
        | Rule::kw_fn
        | Rule::kw_schema => "a declaration",
        Rule::rule_decl | Rule::level => "a rule",
        Rule::block_body | Rule::schema_body => "`{`",
        Rule::each_entry
        | Rule::let_entry
        | Rule::expect_entry
        | Rule::target_entry
        | Rule::key_entry
        | Rule::kw_each
        | Rule::kw_let
        | Rule::kw_expect
        | Rule::kw_target => "an entry",
        Rule::title | Rule::string => "a string",
        Rule::schema_field => "a field",
        Rule::record_list | Rule::type_ref | Rule::list_type | Rule::map_type | Rule::type_name => {
            "a type"
        }
        Rule::optional_mark => "`?`",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::not_op
        | Rule::cmp_expr
        | Rule::coalesce_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::unary_expr
        | Rule::neg_op
        | Rule::postfix_expr
        | Rule::paren
        | Rule::quantifier
        | Rule::quant_kind
        | Rule::call
        | Rule::list
        | Rule::name_ref
        | Rule::date
        | Rule::duration
        | Rule::percent
        | Rule::number
        | Rule::bad_number
        | Rule::boolean => "an expression",
        Rule::cmp_op | Rule::kw_in | Rule::kw_matches => "a comparison",
        Rule::add_op | Rule::mul_op | Rule::kw_and | Rule::kw_or | Rule::kw_not => "an operator",
        Rule::field_access => "`.`",
        Rule::index_access => "`[`",
        Rule::comprehension | Rule::kw_for => "`for`",
        Rule::kw_if => "`if`",
        Rule::duration_unit => "a duration unit (`min` `h` `d` `w` `mo` `y`)",
        Rule::text | Rule::escape | Rule::interpolation => "string text",
        Rule::ident_any | Rule::name | Rule::dotted_name | Rule::fn_params => "a name",
        Rule::reserved
        | Rule::ident_char
        | Rule::item
        | Rule::entry
        | Rule::type_base
        | Rule::primary
        | Rule::literal => return None,
        Rule::WHITESPACE | Rule::COMMENT => return None,
    })
}

/// The token at `offset`, as the "found" part of a message.
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let rest = rest.trim_start_matches([' ', '\t']);
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some('\n') | Some('\r') => "end of line".to_string(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            format!("`{word}`")
        }
        Some('"') => "a string".to_string(),
        Some(c) => format!("`{c}`"),
    }
}

pub(super) fn syntax_diagnostic(
    file: FileId,
    text: &str,
    base: usize,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let local = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let offset = base + local;
    let message = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
            expected.dedup();
            let mut unique = Vec::new();
            for e in expected {
                if !unique.contains(&e) {
                    unique.push(e);
                }
            }
            let found = found_at(text, offset);
            match unique.as_slice() {
                [] => format!("unexpected {found}"),
                [one] => format!("expected {one}, found {found}"),
                many => {
                    let (last, rest) = many.split_last().unwrap_or((&"", &[]));
                    format!("expected {} or {last}, found {found}", rest.join(", "))
                }
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let end = text[offset.min(text.len())..]
        .chars()
        .next()
        .filter(|c| *c != '\n')
        .map(|c| offset + c.len_utf8())
        .unwrap_or(offset);
    let mut diagnostic =
        Diagnostic::error("A001", message).at(super::span(file, offset, end), "unexpected here");
    if error.to_string().contains("call limit") {
        diagnostic = Diagnostic::error("A005", "this item is too complex to parse")
            .at(super::span(file, offset, end), "parsing gave up here");
    }
    diagnostic
}
