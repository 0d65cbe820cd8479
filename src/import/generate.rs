//! From a read VSAQ [`Template`] to Accord policy text: one
//! `schema questionnaire` block with the questions and one `requirements`
//! group with the warnings. The text is written in the canonical layout of
//! `policy fmt` (see `crate::syntax::fmt`), so formatting it changes nothing.

pub use crate::syntax::fmt::quote;
use std::collections::{HashMap, HashSet};

use super::vsaq::{parse_cond, Cond, Kind, Template};
use super::{Imported, Options};

/// Titles are shortened to this many characters.
const TITLE_WIDTH: usize = 90;
/// Documentation lines are shortened to this many characters.
const DOC_WIDTH: usize = 110;
/// `^id` (is the item shown?) is expanded at most this deep.
use crate::limits::MAX_IMPORT_CONDITIONS as MAX_VISIBILITY_DEPTH;

/// Words that can never be a name in a policy.
const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "matches", "true", "false", "all", "any", "none", "count", "for",
    "if",
];

// ---------------------------------------------------------------- text

/// A valid Accord name made from `raw`: ASCII lowercase, every other
/// character `_`, not starting with a digit, not a reserved word.
pub fn ident(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('q');
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "q_");
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `text` without HTML tags and entities, on one line, whitespace collapsed.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                // A tag runs to its `>`; a lone `<` stays.
                let rest: String = chars.clone().take(2000).collect();
                let is_tag = rest
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
                match rest.find('>') {
                    Some(end) if is_tag => {
                        for _ in 0..=rest.get(..end).map_or(0, |s| s.chars().count()) {
                            chars.next();
                        }
                        out.push(' ');
                    }
                    _ => out.push('<'),
                }
            }
            '&' => {
                let rest: String = chars.clone().take(12).collect();
                let entity = rest.find(';').and_then(|end| {
                    let name = rest.get(..end)?;
                    let decoded = match name {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        "nbsp" => Some(' '),
                        _ => name
                            .strip_prefix("#x")
                            .or_else(|| name.strip_prefix("#X"))
                            .and_then(|h| u32::from_str_radix(h, 16).ok())
                            .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                            .and_then(char::from_u32),
                    }?;
                    Some((decoded, name.chars().count() + 1))
                });
                match entity {
                    Some((decoded, len)) => {
                        out.push(decoded);
                        for _ in 0..len {
                            chars.next();
                        }
                    }
                    None => out.push('&'),
                }
            }
            c if c.is_control() || c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut joined = words.join(" ");
    // Spaces left before punctuation by removed tags: `<b>x</b>:` is `x:`.
    for p in [" :", " .", " ,", " ;", " ?", " )"] {
        joined = joined.replace(p, p.get(1..).unwrap_or(""));
    }
    joined.replace("( ", "(")
}

/// `text` cut to at most `max` characters at a word boundary, with `…`.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at = cut
        .rfind(' ')
        .filter(|at| *at > max / 2)
        .unwrap_or(cut.len());
    let head = cut.get(..at).unwrap_or(&cut);
    format!(
        "{}…",
        head.trim_end_matches(|c: char| c.is_whitespace() || ",;:".contains(c))
    )
}

/// A comment's text on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- fields

/// A question of the template as a field of the record.
struct Field {
    node: usize,
    name: String,
}

/// Everything a condition can name.
struct Names<'t> {
    t: &'t Template,
    record: String,
    /// Item ids (blocks, tips and questions) to their node.
    items: HashMap<String, usize>,
    /// Choice ids to the node of their group.
    choices: HashMap<String, usize>,
    /// Question nodes to their field name.
    fields: HashMap<usize, String>,
}

/// The longest common prefix of the choice ids, cut at its last `_`.
fn choice_prefix(choices: &[(String, String)]) -> String {
    let Some((first, _)) = choices.first() else {
        return String::new();
    };
    let mut len = first.len();
    for (id, _) in choices {
        len = first
            .char_indices()
            .zip(id.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(len);
    }
    let common = first.get(..len).unwrap_or("");
    match common.rfind('_') {
        Some(at) => common.get(..at).unwrap_or("").to_string(),
        None => String::new(),
    }
}

fn fields(t: &Template) -> Vec<Field> {
    let mut used: HashSet<String> = HashSet::new();
    let mut names: HashMap<usize, String> = HashMap::new();
    let unique = |base: String, used: &mut HashSet<String>| -> String {
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        name
    };
    // Questions with an id first, so a derived name never takes an id's.
    for (i, node) in t.nodes.iter().enumerate() {
        if let (true, Some(id)) = (node.kind.is_question(), &node.id) {
            names.insert(i, unique(ident(id), &mut used));
        }
    }
    let mut count = 0;
    for (i, node) in t.nodes.iter().enumerate() {
        if !node.kind.is_question() {
            continue;
        }
        count += 1;
        if node.id.is_none() {
            let prefix = choice_prefix(&node.choices);
            let mut base = if prefix.is_empty() {
                format!("question_{count}")
            } else {
                ident(&prefix)
            };
            // `secprog` the question, `secprog_choices` the group of its details.
            if used.contains(&base) && !prefix.is_empty() {
                base.push_str("_choices");
            }
            names.insert(i, unique(base, &mut used));
        }
    }
    let mut out: Vec<Field> = names
        .into_iter()
        .map(|(node, name)| Field { node, name })
        .collect();
    out.sort_by_key(|f| f.node);
    out
}

// ---------------------------------------------------------------- conditions

/// A test of one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Atom {
    /// A radio question's answer is this choice.
    Chosen { path: String, choice: String },
    /// A checkbox group's answers include this choice.
    Checked { path: String, choice: String },
    /// A checkbox or yes/no question is true.
    True { path: String },
    /// A text answer is not empty.
    Text { path: String },
}

/// A condition in negation normal form.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ex {
    Atom(Atom, bool),
    And(Vec<Ex>),
    Or(Vec<Ex>),
    Const(bool),
}

fn and(items: Vec<Ex>) -> Ex {
    let mut out: Vec<Ex> = Vec::new();
    for item in items {
        match item {
            Ex::Const(true) => {}
            Ex::Const(false) => return Ex::Const(false),
            Ex::And(inner) => {
                for i in inner {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
            other => {
                if !out.contains(&other) {
                    out.push(other);
                }
            }
        }
    }
    match out.len() {
        0 => Ex::Const(true),
        1 => out.pop().unwrap_or(Ex::Const(true)),
        _ => Ex::And(out),
    }
}

fn or(items: Vec<Ex>) -> Ex {
    let mut out: Vec<Ex> = Vec::new();
    for item in items {
        match item {
            Ex::Const(false) => {}
            Ex::Const(true) => return Ex::Const(true),
            Ex::Or(inner) => {
                for i in inner {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
            other => {
                if !out.contains(&other) {
                    out.push(other);
                }
            }
        }
    }
    match out.len() {
        0 => Ex::Const(false),
        1 => out.pop().unwrap_or(Ex::Const(false)),
        _ => Ex::Or(out),
    }
}

/// Precedence of what a rendered expression is, loosest first.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const PRIMARY: u8 = 5;

fn render(e: &Ex) -> (String, u8) {
    match e {
        Ex::Const(b) => (b.to_string(), PRIMARY),
        Ex::Atom(atom, positive) => match (atom, positive) {
            (Atom::Chosen { path, choice }, true) => (format!("{path} == {}", quote(choice)), CMP),
            (Atom::Chosen { path, choice }, false) => (format!("{path} != {}", quote(choice)), CMP),
            (Atom::Checked { path, choice }, true) => (format!("{} in {path}", quote(choice)), CMP),
            (Atom::Checked { path, choice }, false) => {
                (format!("not {} in {path}", quote(choice)), NOT)
            }
            (Atom::True { path }, true) => (path.clone(), PRIMARY),
            (Atom::True { path }, false) => (format!("not {path}"), NOT),
            (Atom::Text { path }, true) => (format!("{path} != \"\""), CMP),
            (Atom::Text { path }, false) => (format!("{path} == \"\""), CMP),
        },
        Ex::And(items) => (join(items, " and ", AND), AND),
        // `a and b or c` needs no parentheses; they are written for the reader.
        Ex::Or(items) => (join(items, " or ", AND), OR),
    }
}

fn join(items: &[Ex], sep: &str, prec: u8) -> String {
    items
        .iter()
        .map(|i| {
            let (text, p) = render(i);
            if p <= prec {
                format!("({text})")
            } else {
                text
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// The translation of conditions, for one rule.
struct Translate<'n, 't> {
    names: &'n Names<'t>,
    /// Blocks whose conditions the rule's `when`s already hold.
    asserted: HashSet<usize>,
    /// Items being expanded by `^` (cycle guard).
    visiting: Vec<usize>,
    /// Questions the condition reads, in order.
    read: Vec<usize>,
}

impl Translate<'_, '_> {
    fn cond(&mut self, text: &str, negated: bool) -> Result<Ex, String> {
        let cond = parse_cond(text).map_err(|why| format!("condition `{text}`: {why}"))?;
        self.ex(&cond, negated)
    }

    fn ex(&mut self, c: &Cond, negated: bool) -> Result<Ex, String> {
        Ok(match c {
            Cond::False => Ex::Const(negated),
            Cond::Not(inner) => self.ex(inner, !negated)?,
            Cond::And(a, b) => {
                let (a, b) = (self.ex(a, negated)?, self.ex(b, negated)?);
                if negated {
                    or(vec![a, b])
                } else {
                    and(vec![a, b])
                }
            }
            Cond::Or(a, b) => {
                let (a, b) = (self.ex(a, negated)?, self.ex(b, negated)?);
                if negated {
                    and(vec![a, b])
                } else {
                    or(vec![a, b])
                }
            }
            Cond::Ref(name) => self.reference(name, negated)?,
        })
    }

    fn reference(&mut self, name: &str, negated: bool) -> Result<Ex, String> {
        let names = self.names;
        if let Some(id) = name.strip_prefix('^') {
            let node = *names
                .items
                .get(id)
                .ok_or_else(|| format!("`{name}` names no item"))?;
            return self.visible(node, negated);
        }
        let path = |node: usize| -> String {
            format!(
                "{}.{}",
                names.record,
                names.fields.get(&node).map_or("?", String::as_str)
            )
        };
        if let Some(&node) = names.choices.get(name) {
            let kind = names.t.nodes.get(node).map(|n| n.kind.clone());
            self.note_read(node);
            let atom = if kind == Some(Kind::Checkgroup) {
                Atom::Checked {
                    path: path(node),
                    choice: name.to_string(),
                }
            } else {
                Atom::Chosen {
                    path: path(node),
                    choice: name.to_string(),
                }
            };
            return Ok(Ex::Atom(atom, !negated));
        }
        let (id, no) = match name.rsplit_once('/') {
            Some((id, "yes")) => (id, false),
            Some((id, "no")) => (id, true),
            Some((_, other)) => return Err(format!("`{name}`: `/{other}` is not supported")),
            None => (name, false),
        };
        let node = *names
            .items
            .get(id)
            .ok_or_else(|| format!("`{name}` names no item or choice"))?;
        let kind = names.t.nodes.get(node).map(|n| n.kind.clone());
        let atom = match kind {
            Some(Kind::Check | Kind::YesNo) => Atom::True { path: path(node) },
            Some(Kind::Line | Kind::Box | Kind::Upload) if !no => Atom::Text { path: path(node) },
            _ => return Err(format!("`{name}` cannot be tested in a condition")),
        };
        self.note_read(node);
        Ok(Ex::Atom(atom, negated == no))
    }

    fn note_read(&mut self, node: usize) {
        if !self.read.contains(&node) {
            self.read.push(node);
        }
    }

    /// Whether item `node` is shown: the conditions of its blocks (those the
    /// rule does not already hold) and its own.
    fn visible(&mut self, node: usize, negated: bool) -> Result<Ex, String> {
        if self.visiting.contains(&node) || self.visiting.len() >= MAX_VISIBILITY_DEPTH {
            return Err("`^` conditions refer to each other in a cycle".into());
        }
        self.visiting.push(node);
        let t = self.names.t;
        let mut parts = Vec::new();
        let mut chain = t.ancestors(node);
        chain.push(node);
        for i in chain {
            if self.asserted.contains(&i) {
                continue;
            }
            if let Some(cond) = t.nodes.get(i).and_then(|n| n.cond.clone()) {
                // The questions read to decide visibility are not the ones warned about.
                let before = self.read.len();
                parts.push(self.cond(&cond, negated)?);
                self.read.truncate(before);
            }
        }
        self.visiting.pop();
        Ok(if negated { or(parts) } else { and(parts) })
    }
}

// ---------------------------------------------------------------- rules

struct Rule {
    name: String,
    title: String,
    doc: String,
    weight: Option<u8>,
    whens: Vec<String>,
    requires: Vec<String>,
    message: String,
}

/// The `when`s of a rule: the conditions under which the items it reads are
/// shown, the conditions those read coming first.
#[derive(Default)]
struct Whens {
    texts: Vec<String>,
    /// Items whose own condition was taken.
    done: HashSet<usize>,
}

impl Whens {
    /// The conditions that show item `node`: its blocks' and its own.
    fn visible(&mut self, tr: &mut Translate, node: usize, depth: usize) -> Result<(), String> {
        for b in tr.names.t.ancestors(node) {
            self.item(tr, b, depth)?;
        }
        self.item(tr, node, depth)
    }

    /// The condition of item `node` itself, after what shows what it reads.
    fn item(&mut self, tr: &mut Translate, node: usize, depth: usize) -> Result<(), String> {
        if depth > MAX_VISIBILITY_DEPTH {
            return Err("its conditions are nested too deeply".into());
        }
        if !self.done.insert(node) {
            return Ok(());
        }
        let Some(cond) = tr.names.t.nodes.get(node).and_then(|n| n.cond.clone()) else {
            return Ok(());
        };
        let before = std::mem::take(&mut tr.read);
        let ex = tr.cond(&cond, false);
        let read = std::mem::replace(&mut tr.read, before);
        let ex = ex?;
        for q in read {
            self.visible(tr, q, depth + 1)?;
        }
        let parts = match ex {
            Ex::Const(true) => Vec::new(),
            Ex::Const(false) => return Err("it is inside a part that is never shown".into()),
            Ex::And(items) => items,
            other => vec![other],
        };
        for part in parts {
            let text = render(&part).0;
            if !self.texts.contains(&text) {
                self.texts.push(text);
            }
        }
        Ok(())
    }
}

fn weight(severity: Option<&str>) -> Option<u8> {
    match severity.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => Some(4),
        Some("high") => Some(3),
        Some("medium") => Some(2),
        _ => None,
    }
}

fn rule_for(
    names: &Names,
    tip: usize,
    cond: &str,
    used: &mut HashSet<String>,
) -> Result<Rule, String> {
    let t = names.t;
    let node = t.nodes.get(tip).ok_or("no such item")?;
    let ancestors = t.ancestors(tip);
    let mut tr = Translate {
        names,
        asserted: ancestors.iter().copied().collect(),
        visiting: vec![tip],
        read: Vec::new(),
    };
    // The warning shows when its condition holds: the rule requires it not to.
    let shown = tr.cond(cond, true)?;
    let read = std::mem::take(&mut tr.read);
    let requires: Vec<String> = match &shown {
        Ex::Const(true) => return Err("its condition can never hold".into()),
        Ex::Const(false) => return Err("its condition always holds".into()),
        Ex::And(items) => items.iter().map(|i| render(i).0).collect(),
        other => vec![render(other).0],
    };
    // It applies where the warning could be shown: inside its blocks, and
    // where the questions it reads were asked (and so on, transitively).
    let mut whens = Whens::default();
    for b in &ancestors {
        whens.item(&mut tr, *b, 0)?;
    }
    for q in &read {
        whens.visible(&mut tr, *q, 0)?;
    }
    let whens = whens.texts;
    let base = node
        .id
        .as_deref()
        .map(ident)
        .unwrap_or_else(|| format!("warning_{}", used.len() + 1));
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    used.insert(name.clone());

    // The title is the question the warning is about: the last one it reads.
    let question = read
        .iter()
        .copied()
        .filter(|q| *q < tip)
        .max()
        .or(read.iter().copied().max())
        .and_then(|q| t.nodes.get(q))
        .map(|q| plain(&q.text))
        .filter(|s| !s.is_empty());
    let warning = node.name.as_deref().map(plain).filter(|s| !s.is_empty());
    let title = question
        .or(warning.clone())
        .unwrap_or_else(|| format!("VSAQ warning {name}"));
    let title = shorten(title.trim_end_matches(':'), TITLE_WIDTH);
    let text = plain(&node.text);
    let message = match (&warning, text.is_empty()) {
        (Some(w), false) => format!("{}: {text}", w.trim_end_matches(['.', ':'])),
        (Some(w), true) => w.clone(),
        (None, false) => text,
        (None, true) => format!("VSAQ warning {name}"),
    };
    let id = node.id.as_deref().unwrap_or("(no id)");
    let severity = node
        .severity
        .as_deref()
        .map(|s| format!(", severity {}", one_line(s)))
        .unwrap_or_default();
    let doc = shorten(
        &one_line(&format!(
            "VSAQ warning `{id}`{severity}, shown when `{cond}`."
        )),
        DOC_WIDTH * 2,
    );
    Ok(Rule {
        name,
        title,
        doc,
        weight: weight(node.severity.as_deref()),
        whens,
        requires,
        message,
    })
}

// ---------------------------------------------------------------- output

struct Out {
    text: String,
    /// The last line opened a body (no blank line may follow).
    after_open: bool,
}

impl Out {
    fn line(&mut self, indent: usize, text: &str) {
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.text.push_str(text);
        self.text.push('\n');
        self.after_open = text.ends_with('{');
    }

    fn blank(&mut self) {
        if !self.after_open && !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }
}

/// Generates the policy for a read template.
pub fn generate(t: &Template, source: &str, options: &Options) -> Imported {
    let mut warnings: Vec<String> = t.skipped.clone();
    let record = options.name.as_deref().map(ident).unwrap_or_else(|| {
        let stem = std::path::Path::new(source)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .filter(|s| s != "-" && !s.starts_with('<'))
            .unwrap_or_else(|| "questionnaire".into());
        ident(&format!("vsaq_{stem}"))
    });
    let fields = fields(t);
    let mut items = HashMap::new();
    let mut choices = HashMap::new();
    for (i, node) in t.nodes.iter().enumerate() {
        if let Some(id) = &node.id {
            if items.insert(id.clone(), i).is_some() {
                warnings.push(format!(
                    "the id `{id}` is used twice; conditions read the last"
                ));
            }
        }
        if matches!(node.kind, Kind::Radiogroup | Kind::Checkgroup) {
            for (choice, _) in &node.choices {
                choices.entry(choice.clone()).or_insert(i);
            }
        }
    }
    let names = Names {
        t,
        record: record.clone(),
        items,
        choices,
        fields: fields.iter().map(|f| (f.node, f.name.clone())).collect(),
    };

    let mut rules = Vec::new();
    let mut used = HashSet::new();
    for (i, node) in t.nodes.iter().enumerate() {
        if node.kind != Kind::Tip || !node.warn {
            continue;
        }
        let id = node.id.as_deref().unwrap_or("(no id)");
        let Some(cond) = &node.cond else {
            warnings.push(format!(
                "warning `{id}` has no condition (it is always shown), skipped"
            ));
            continue;
        };
        match rule_for(&names, i, cond, &mut used) {
            Ok(rule) => rules.push(rule),
            Err(why) => warnings.push(format!("warning `{id}` skipped: {why}")),
        }
    }

    let title = t.title().map(plain).filter(|s| !s.is_empty());
    let mut out = Out {
        text: String::new(),
        after_open: false,
    };
    let shown_source = std::path::Path::new(source)
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| source.to_string());
    for line in [
        format!("# Generated by `policy import vsaq` from the VSAQ template `{shown_source}`:"),
        format!("# its questions are the fields of `{record}` in a questionnaire document,"),
        format!("# its warnings the `should` rules of `requirements {record}`."),
        "#".into(),
        "# How to answer: a radio question holds the id of the chosen answer, a checkbox".into(),
        "# group the list of the ids of the checked answers, a text question its text, a".into(),
        "# checkbox `true` or `false`. A question left out is not answered, and a rule".into(),
        "# that reads it is not met.".into(),
    ] {
        out.line(0, one_line(&line).as_str());
    }
    out.blank();

    // The schema.
    out.line(0, "schema questionnaire {");
    if let Some(title) = &title {
        out.line(2, &format!("## {}", shorten(title, DOC_WIDTH)));
    }
    let width = fields
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    if fields.is_empty() {
        out.line(2, &format!("{record}? {{}}"));
    } else {
        out.line(2, &format!("{record}? {{"));
        let mut heading_done: HashSet<usize> = HashSet::new();
        for f in &fields {
            let Some(node) = t.nodes.get(f.node) else {
                continue;
            };
            // The headings of the blocks it is the first question of.
            for b in t.ancestors(f.node) {
                if !heading_done.insert(b) {
                    continue;
                }
                let heading = t.nodes.get(b).map(|n| plain(&n.text)).unwrap_or_default();
                if heading.is_empty() || Some(&heading) == title.as_ref() {
                    continue;
                }
                out.blank();
                out.line(4, &format!("# {}", shorten(&heading, DOC_WIDTH)));
            }
            out.blank();
            let mut doc = plain(&node.text);
            if doc.is_empty() {
                doc = "(no question text)".into();
            }
            let mut doc = shorten(&doc, DOC_WIDTH);
            if let Some(id) = node.id.as_ref().filter(|id| **id != f.name) {
                doc.push_str(&format!(" (VSAQ id `{}`)", one_line(id)));
            }
            if node.required {
                doc.push_str(" (required)");
            }
            out.line(4, &format!("## {doc}"));
            let (ty, lead) = match node.kind {
                Kind::Radiogroup => ("string?", Some("One of:")),
                Kind::Checkgroup => ("[string]?", Some("A list of any of:")),
                Kind::Check => ("bool?", None),
                Kind::YesNo => ("bool?", Some("true (yes) or false (no).")),
                _ => ("string?", None),
            };
            if let Some(lead) = lead {
                out.line(4, &format!("## {lead}"));
            }
            for (id, text) in &node.choices {
                let line = one_line(&format!("- {id}: {}", plain(text)));
                out.line(4, &format!("## {}", shorten(&line, DOC_WIDTH)));
            }
            out.line(4, &format!("{:<width$} {ty}", f.name));
        }
        out.line(2, "}");
    }
    out.line(0, "}");

    // The rules.
    if rules.is_empty() {
        warnings.push("the template has no warning: no `requirements` group".into());
    } else {
        out.blank();
        out.line(
            0,
            "## The warnings of the VSAQ template. A rule fails when the answers would show",
        );
        out.line(
            0,
            "## the warning, and does not apply where the questions it reads are not asked.",
        );
        let group_title = title
            .as_ref()
            .map(|t| format!(" {}", quote(&shorten(t, TITLE_WIDTH))))
            .unwrap_or_default();
        out.line(0, &format!("requirements {record}{group_title} {{"));
        out.line(2, "applies questionnaire");
        for rule in &rules {
            out.blank();
            out.line(2, &format!("## {}", rule.doc));
            out.line(
                2,
                &format!("should {} {} {{", rule.name, quote(&rule.title)),
            );
            out.line(4, &format!("section {}", options.section));
            if let Some(w) = rule.weight {
                out.line(4, &format!("weight  {w}"));
            }
            for w in &rule.whens {
                out.line(4, &format!("when    {w}"));
            }
            for r in &rule.requires {
                out.line(4, &format!("require {r}"));
            }
            out.line(4, &format!("message {}", quote(&rule.message)));
            out.line(2, "}");
        }
        out.line(0, "}");
    }
    Imported {
        policy: out.text,
        record,
        questions: fields.len(),
        rules: rules.len(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers() {
        assert_eq!(ident("Office-RA"), "office_ra");
        assert_eq!(ident("2fa"), "q_2fa");
        assert_eq!(ident("count"), "count_");
        assert_eq!(ident(""), "q");
        assert_eq!(ident("é"), "_");
    }

    #[test]
    fn text_is_plain_short_and_escaped() {
        assert_eq!(
            plain("<b>Why:</b> a &amp; b\n  <i>c</i>. x < y"),
            "Why: a & b c. x < y"
        );
        assert_eq!(shorten("one two three", 9), "one two…");
        assert_eq!(quote("a \"b\" {c} \\"), "\"a \\\"b\\\" \\{c\\} \\\\\"");
    }

    #[test]
    fn unnamed_groups_are_named_by_their_choices() {
        let c = |ids: &[&str]| -> Vec<(String, String)> {
            ids.iter().map(|i| (i.to_string(), String::new())).collect()
        };
        assert_eq!(
            choice_prefix(&c(&["wifi_enc_no", "wifi_enc_wep"])),
            "wifi_enc"
        );
        assert_eq!(
            choice_prefix(&c(&["auth_self_secure", "auth_self"])),
            "auth"
        );
        assert_eq!(choice_prefix(&c(&["yes", "no"])), "");
    }
}
