//! Reading a VSAQ questionnaire template (Google's Vendor Security Assessment
//! Questionnaire, <https://github.com/google/vsaq>).
//!
//! A template is *almost* JSON: it starts with `//` licence lines, and long
//! strings are split across lines as `"..." +` / `"..."`. [`clean`] undoes
//! both (outside strings only), keeping a map back to the original lines so
//! errors point at the file as written. [`read`] turns the JSON into a flat
//! list of [`Node`]s in document order, each knowing its enclosing block.
//!
//! Conditions (`cond`) are VSAQ's own little language, parsed by
//! [`parse_cond`]: names joined by `&&`, `||`, prefix `!` and parentheses.
//! VSAQ evaluates `&&` and `||` strictly **left to right, with no
//! precedence** (`a || b && c` is `(a || b) && c`), and so does the parse.

use serde_json::Value;

/// The kind of a template item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Block,
    /// Static text (`info`, `spacer`): no answer.
    Info,
    Tip,
    /// A one-line text answer.
    Line,
    /// A multi-line text answer.
    Box,
    /// An uploaded file (its name).
    Upload,
    /// One choice out of several.
    Radiogroup,
    /// Any number of choices.
    Checkgroup,
    /// A single checkbox (`check`, also written `checkbox`).
    Check,
    /// A yes/no question.
    YesNo,
}

impl Kind {
    /// Whether items of this kind hold an answer.
    pub fn is_question(&self) -> bool {
        !matches!(self, Kind::Block | Kind::Info | Kind::Tip)
    }
}

/// One item of the template.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    pub id: Option<String>,
    /// The question, heading or tip text as written (HTML and all).
    pub text: String,
    pub cond: Option<String>,
    /// The enclosing block (an index into [`Template::nodes`]).
    pub parent: Option<usize>,
    /// Radio and checkbox groups: (choice id, choice text).
    pub choices: Vec<(String, String)>,
    /// Tips: whether it is a warning (`"warn": "yes"`).
    pub warn: bool,
    /// Tips: the short name of the warning.
    pub name: Option<String>,
    /// Tips: `critical`, `high`, `medium`, `low`.
    pub severity: Option<String>,
    /// Questions: `"required": true` in the template.
    pub required: bool,
}

/// A template: its items in document order.
#[derive(Debug, Default)]
pub struct Template {
    pub nodes: Vec<Node>,
    /// Items that were skipped, and why.
    pub skipped: Vec<String>,
}

impl Template {
    /// The questionnaire's title: the text of the first block.
    pub fn title(&self) -> Option<&str> {
        self.nodes
            .iter()
            .find(|n| n.kind == Kind::Block && !n.text.trim().is_empty())
            .map(|n| n.text.as_str())
    }

    /// The blocks around node `i`, outermost first.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.nodes.get(i).and_then(|n| n.parent);
        while let Some(p) = at {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            at = self.nodes.get(p).and_then(|n| n.parent);
        }
        out.reverse();
        out
    }
}

/// A problem reading a template, located in the original text when possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    /// 1-based line and column in the original text.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{} (line {l}, column {c})", self.message),
            (Some(l), None) => write!(f, "{} (line {l})", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

fn error(message: impl Into<String>) -> ReadError {
    ReadError {
        message: message.into(),
        line: None,
        column: None,
    }
}

/// The template as strict JSON: lines starting with `//` dropped (kept as
/// empty lines) and `"..." +` string continuations joined. Returns the text
/// and, for each of its lines, the 1-based line of the original it starts on.
pub fn clean(text: &str) -> (String, Vec<usize>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut lines = vec![1];
    let mut line = 1;
    let mut i = 0;
    let mut in_string = false;
    let mut at_line_start = true;
    while let Some(&c) = chars.get(i) {
        if !in_string && at_line_start {
            // A `//` line (after indentation) is dropped, its newline kept.
            let mut k = i;
            while chars.get(k).is_some_and(|c| *c == ' ' || *c == '\t') {
                k += 1;
            }
            if chars.get(k) == Some(&'/') && chars.get(k + 1) == Some(&'/') {
                while chars.get(k).is_some_and(|c| *c != '\n') {
                    k += 1;
                }
                i = k;
                at_line_start = false;
                continue;
            }
        }
        at_line_start = false;
        match c {
            '\n' => {
                line += 1;
                out.push('\n');
                lines.push(line);
                at_line_start = true;
                // A raw newline ends a (broken) string: let the JSON reader say so.
                in_string = false;
                i += 1;
            }
            '\\' if in_string => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    if next != '\n' {
                        out.push(next);
                        i += 1;
                    }
                }
                i += 1;
            }
            '"' if in_string => {
                // `"` then optional whitespace, `+`, whitespace with a newline, `"`:
                // the string goes on.
                let mut k = i + 1;
                while chars.get(k).is_some_and(|c| *c == ' ' || *c == '\t') {
                    k += 1;
                }
                if chars.get(k) == Some(&'+') {
                    let mut m = k + 1;
                    let mut newlines = 0;
                    while let Some(&w) = chars.get(m) {
                        match w {
                            '\n' => newlines += 1,
                            ' ' | '\t' | '\r' => {}
                            _ => break,
                        }
                        m += 1;
                    }
                    if newlines > 0 && chars.get(m) == Some(&'"') {
                        line += newlines;
                        i = m + 1;
                        continue;
                    }
                }
                in_string = false;
                out.push(c);
                i += 1;
            }
            '"' => {
                in_string = true;
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, lines)
}

/// Reads a template from its text (as found on disk, comments and all).
pub fn read(text: &str) -> Result<Template, ReadError> {
    let (json, lines) = clean(text);
    let value: Value = serde_json::from_str(&json).map_err(|e| {
        let original = e
            .line()
            .checked_sub(1)
            .and_then(|l| lines.get(l))
            .copied()
            .unwrap_or(e.line());
        let message = e.to_string();
        // serde_json appends " at line L column C"; it is given separately.
        let message = match message.rfind(" at line ") {
            Some(at) => message.get(..at).unwrap_or(&message).to_string(),
            None => message,
        };
        ReadError {
            message: format!("not a VSAQ template: invalid JSON: {message}"),
            line: Some(original),
            column: (e.column() > 0).then_some(e.column()),
        }
    })?;
    let items = value
        .get("questionnaire")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            error("not a VSAQ template: the top level has no `questionnaire` list of items")
        })?;
    let mut template = Template::default();
    read_items(items, None, &mut template, "questionnaire");
    if !template.nodes.iter().any(|n| n.kind.is_question()) {
        return Err(error("not a VSAQ template: it holds no question"));
    }
    Ok(template)
}

fn string(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn truthy(item: &Value, key: &str) -> bool {
    match item.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.to_lowercase().as_str(), "yes" | "true"),
        _ => false,
    }
}

fn read_items(items: &[Value], parent: Option<usize>, t: &mut Template, at: &str) {
    for (n, item) in items.iter().enumerate() {
        let here = format!("{at}[{n}]");
        let Some(ty) = item.get("type").and_then(Value::as_str) else {
            t.skipped.push(format!("{here}: an item without a `type`"));
            continue;
        };
        let kind = match ty {
            "block" => Kind::Block,
            "info" | "spacer" => Kind::Info,
            "tip" => Kind::Tip,
            "line" => Kind::Line,
            "box" => Kind::Box,
            "upload" => Kind::Upload,
            "radiogroup" => Kind::Radiogroup,
            "checkgroup" => Kind::Checkgroup,
            "check" | "checkbox" => Kind::Check,
            "yesno" => Kind::YesNo,
            other => {
                let id = string(item, "id")
                    .map(|i| format!(" `{i}`"))
                    .unwrap_or_default();
                t.skipped
                    .push(format!("{here}{id}: unknown item type `{other}`, skipped"));
                continue;
            }
        };
        let choices =
            item.get("choices")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|c| match c {
                            Value::Object(m) => m.iter().next().map(|(k, v)| {
                                (k.clone(), v.as_str().unwrap_or_default().to_string())
                            }),
                            Value::String(s) => Some((s.clone(), s.clone())),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
        let node = Node {
            kind: kind.clone(),
            id: string(item, "id").filter(|s| !s.is_empty()),
            text: string(item, "text").unwrap_or_default(),
            cond: string(item, "cond").filter(|s| !s.trim().is_empty()),
            parent,
            choices,
            warn: truthy(item, "warn"),
            name: string(item, "name").filter(|s| !s.trim().is_empty()),
            severity: string(item, "severity"),
            required: truthy(item, "required"),
        };
        let index = t.nodes.len();
        t.nodes.push(node);
        if kind == Kind::Block {
            if let Some(children) = item.get("items").and_then(Value::as_array) {
                read_items(children, Some(index), t, &format!("{here}.items"));
            }
        }
    }
}

// ---------------------------------------------------------------- conditions

/// A VSAQ condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    /// A name: a choice, a question (`id`, `id/yes`, `id/no`), `^id` (whether
    /// the item is shown).
    Ref(String),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    /// The literal `false`.
    False,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Name(String),
    Not,
    And,
    Or,
    Open,
    Close,
}

/// Nesting of parentheses beyond this is refused.
use crate::limits::MAX_IMPORT_DEPTH as MAX_DEPTH;
/// A condition longer than this many tokens is refused (real ones have tens).
const MAX_TOKENS: usize = 2000;

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if out.len() > MAX_TOKENS {
            return Err("it is too long".into());
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '!' => {
                out.push(Token::Not);
                i += 1;
            }
            '&' | '|' => {
                if chars.get(i + 1) != Some(&c) {
                    return Err(format!("`{c}` must be doubled (`{c}{c}`)"));
                }
                out.push(if c == '&' { Token::And } else { Token::Or });
                i += 2;
            }
            '"' => return Err("strings and functions are not supported".into()),
            ',' => return Err("`,` is not supported".into()),
            _ => {
                let mut name = String::new();
                while let Some(&c) = chars.get(i) {
                    if " \t\n\r()!&|,\"".contains(c) {
                        break;
                    }
                    name.push(c);
                    i += 1;
                }
                out.push(Token::Name(name));
            }
        }
    }
    Ok(out)
}

/// Parses a VSAQ condition; `Err` says what is wrong with it.
pub fn parse_cond(text: &str) -> Result<Cond, String> {
    let tokens = tokenize(text)?;
    let mut parser = CondParser { tokens, at: 0 };
    let cond = parser.sequence(0)?;
    match parser.tokens.get(parser.at) {
        None => Ok(cond),
        Some(Token::Close) => Err("a `)` without its `(`".into()),
        Some(_) => Err("an operand follows another without `&&` or `||`".into()),
    }
}

struct CondParser {
    tokens: Vec<Token>,
    at: usize,
}

impl CondParser {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// Operands joined by `&&` / `||`, folded left to right.
    fn sequence(&mut self, depth: usize) -> Result<Cond, String> {
        let mut left = self.operand(depth)?;
        loop {
            match self.tokens.get(self.at) {
                Some(Token::And) => {
                    self.at += 1;
                    let right = self.operand(depth)?;
                    left = Cond::And(Box::new(left), Box::new(right));
                }
                Some(Token::Or) => {
                    self.at += 1;
                    let right = self.operand(depth)?;
                    left = Cond::Or(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn operand(&mut self, depth: usize) -> Result<Cond, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match self.next() {
            Some(Token::Not) => Ok(Cond::Not(Box::new(self.operand(depth + 1)?))),
            Some(Token::Open) => {
                let inner = self.sequence(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("a `(` without its `)`".into()),
                }
            }
            Some(Token::Name(n)) if n == "false" => Ok(Cond::False),
            Some(Token::Name(n)) => Ok(Cond::Ref(n)),
            Some(_) => Err("an operator where an operand was expected".into()),
            None => Err("it ends where an operand was expected".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cleaning_drops_comment_lines_and_joins_strings() {
        let text = "// licence\n{\n  // more\n  \"a\": \"one \" +\n     \"two\", \"b\": \"x\\\" + y\"\n}\n";
        let (json, lines) = clean(text);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["a"], "one two");
        assert_eq!(v["b"], "x\" + y");
        // The line after the joined string is line 6 of the original.
        assert_eq!(lines.get(4), Some(&6));
    }

    #[test]
    fn conditions_fold_left_to_right() {
        let c = parse_cond("a || b && !(c || d)").unwrap();
        let r = |s: &str| Box::new(Cond::Ref(s.into()));
        assert_eq!(
            c,
            Cond::And(
                Box::new(Cond::Or(r("a"), r("b"))),
                Box::new(Cond::Not(Box::new(Cond::Or(r("c"), r("d")))))
            )
        );
        assert!(parse_cond("a & b").is_err());
        assert!(parse_cond("(a").is_err());
        assert!(parse_cond("a b").is_err());
        assert!(parse_cond("matches(x/value, \"y\")").is_err());
        assert_eq!(parse_cond("!^w").unwrap(), Cond::Not(r("^w")));
    }

    #[test]
    fn errors_point_at_the_original_line() {
        let e = read("// c\n// c\n{\"questionnaire\": [\n}\n").unwrap_err();
        assert_eq!(e.line, Some(4));
        let e = read("{\"q\": []}").unwrap_err();
        assert!(e.message.contains("questionnaire"));
    }
}
