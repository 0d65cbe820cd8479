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

pub(super) fn parse_items(
    text: &str,
) -> Result<Vec<Pair<'_, Rule>>, Box<pest::error::Error<Rule>>> {
    limit_calls();
    let pairs = AccordParser::parse(Rule::item_only, text).map_err(Box::new)?;
    let items: Vec<Pair<'_, Rule>> = pairs.filter(|p| p.as_rule() != Rule::EOI).collect();
    if items.is_empty() {
        return Err(Box::new(empty_error(text)));
    }
    Ok(items)
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
        | Rule::lone_value
        | Rule::item_value
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

/// The raw token at `offset` (an operator run, a word, or one character).
fn token_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    let len = match rest.chars().next() {
        None => 0,
        Some(c) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some(c) if "&|=!<>".contains(c) => rest
            .char_indices()
            .find(|(_, c)| !"&|=!<>".contains(*c))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
    };
    rest.get(..len).unwrap_or("")
}

/// The word just before `offset`, with its start.
fn word_before(text: &str, offset: usize) -> Option<(usize, &str)> {
    let before = text.get(..offset)?.trim_end();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map(|(i, _)| i)?;
    Some((start, before.get(start..)?))
}

/// Expectations that only say an expression could go on: noise when
/// something else was possible too.
fn is_continuation(what: &str) -> bool {
    matches!(
        what,
        "an operator" | "`.`" | "`[`" | "a comparison" | "`for`" | "`if`" | "end of item"
    )
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
    // Errors in the closers the parser added for an unclosed item land at its end.
    let offset = (base + local).min(text.len());
    let offset = offset
        + text
            .get(offset..)
            .map(|r| r.len() - r.trim_start_matches([' ', '\t']).len())
            .unwrap_or(0);
    let token = token_at(text, offset);
    let width = if token.is_empty() {
        text.get(offset..)
            .and_then(|r| r.chars().next())
            .filter(|c| *c != '\n')
            .map(|c| c.len_utf8())
            .unwrap_or(0)
    } else {
        token.len()
    };
    let end = offset + width;
    let here = super::span(file, offset, end.max(offset));
    if error.to_string().contains("call limit") {
        return Diagnostic::error("A005", "this item is too complex to parse")
            .at(here, "parsing gave up here");
    }
    let expected: Vec<&str> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut unique: Vec<&str> = Vec::new();
            for e in positives.iter().filter_map(|r| describe(*r)) {
                if !unique.contains(&e) {
                    unique.push(e);
                }
            }
            // A lone value (`lone_value`, `item_value`) is tried before an
            // expression where a value goes: its string and name are
            // expressions already.
            if unique.contains(&"an expression") {
                unique.retain(|e| !matches!(*e, "a string" | "a name"));
            }
            unique
        }
        ErrorVariant::CustomError { message } => {
            return Diagnostic::error("A001", message.clone()).at(here, "here");
        }
    };
    let found = found_at(text, offset);
    // Operators from other languages.
    let operator_help = match token {
        "&&" | "&" => Some(("and", token)),
        "||" | "|" => Some(("or", token)),
        "!" => Some(("not", token)),
        "===" => Some(("==", token)),
        _ => None,
    };
    if let Some((word, tok)) = operator_help {
        return Diagnostic::error("A001", format!("`{tok}` is not an operator"))
            .at(here, "not an Accord operator")
            .note(format!("help: write `{word}`"));
    }
    if token == "=" {
        return Diagnostic::error("A001", "unexpected `=`")
            .at(here, "not an operator here")
            .note("help: to compare, write `==`; to name a value, write `let NAME = ...`");
    }
    if text.get(offset..).is_some_and(|r| r.starts_with('\'')) {
        return Diagnostic::error("A001", "strings are written in double quotes")
            .at(here, "a single quote")
            .note("help: write `\"...\"`");
    }
    let d = message_for(file, text, base, offset, here, &expected, &found);
    // A misspelled keyword at the start of the line is the likeliest cause.
    let line_start = text
        .get(..offset)
        .and_then(|b| b.rfind('\n'))
        .map(|i| i + 1)
        .unwrap_or(0)
        .max(base);
    let first_word: String = text
        .get(line_start..)
        .unwrap_or("")
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let words = crate::check::keys::all_words();
    let before = word_before(text, offset)
        .filter(|(start, _)| *start >= base)
        .map(|(_, w)| w.to_string())
        .unwrap_or_default();
    for word in [first_word, before] {
        if !word.is_empty() && !words.contains(&word.as_str()) {
            if let Some(s) = crate::check::suggest::did_you_mean(&word, words.iter().copied()) {
                return d.note(format!("help: did you mean `{s}` instead of `{word}`?"));
            }
        }
    }
    d
}

fn message_for(
    file: FileId,
    text: &str,
    base: usize,
    offset: usize,
    here: crate::source::Span,
    expected: &[&str],
    found: &str,
) -> Diagnostic {
    let only_expression = expected
        .iter()
        .all(|e| *e == "an expression" || is_continuation(e));
    let at_end = matches!(found, "`}`" | "end of line" | "end of file" | "`)`" | "`]`");
    if only_expression && at_end {
        if let Some((start, word)) = word_before(text, offset) {
            if start >= base {
                return Diagnostic::error("A001", format!("`{word}` needs a value"))
                    .at(
                        super::span(file, start, start + word.len()),
                        "a value should follow",
                    )
                    .also(here, format!("found {found} instead"));
            }
        }
    }
    if expected.contains(&"an entry") {
        return Diagnostic::error("A001", format!("unexpected {found}"))
            .at(here, "not an entry of this block")
            .note("help: every entry starts with a key (such as `require`, `owner`, `applies`); `}` closes the block");
    }
    let mut shown: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|e| !is_continuation(e))
        .collect();
    if shown.is_empty() {
        shown = expected.to_vec();
    }
    let message = match shown.as_slice() {
        [] => format!("unexpected {found}"),
        [one] => format!("expected {one}, found {found}"),
        many => {
            let (last, rest) = many.split_last().unwrap_or((&"", &[]));
            format!("expected {} or {last}, found {found}", rest.join(", "))
        }
    };
    Diagnostic::error("A001", message).at(here, "unexpected here")
}
