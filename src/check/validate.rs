//! Documents against their schema: types, required fields, declaration names.
//! Dates and durations written as strings are converted here, once.

use super::model::{FieldTy, PolicySet, RecordId};
use super::suggest::did_you_mean;
use crate::diagnostic::Diagnostic;
use crate::input::{Node, NodeValue};
use crate::source::Span;

/// A document that passed validation.
pub struct Valid {
    pub kind: String,
    pub id: String,
}

/// Validates (and converts) a document. `None` when it has an error; the
/// diagnostics hold the errors and warnings either way.
pub fn validate(
    set: &PolicySet,
    root: &mut Node,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Valid> {
    let errors_before = diagnostics.iter().filter(|d| d.is_error()).count();
    let NodeValue::Map(map) = &root.value else {
        diagnostics.push(
            Diagnostic::error(
                "A303",
                format!(
                    "a document must be a mapping with `kind` and `id`, found a {}",
                    root.type_name()
                ),
            )
            .at(root.span.start_point(), "the document starts here"),
        );
        return None;
    };
    let text_field = |name: &str, diagnostics: &mut Vec<Diagnostic>| -> Option<(String, Span)> {
        match map.get(name) {
            Some(Node {
                value: NodeValue::Str(s),
                span,
                ..
            }) => Some((s.to_string(), *span)),
            Some(other) => {
                diagnostics.push(
                    Diagnostic::error(
                        "A303",
                        format!(
                            "the document's `{name}` must be a string, found a {}",
                            other.type_name()
                        ),
                    )
                    .at(other.span, "not a string")
                    .note("help: quote it"),
                );
                None
            }
            None => {
                diagnostics.push(
                    Diagnostic::error("A303", format!("the document has no `{name}`"))
                        .at(
                            root.span.start_point(),
                            format!("`{name}` is missing from this document"),
                        )
                        .note(format!("help: add `{name}: ...` at the top level")),
                );
                None
            }
        }
    };
    let kind = text_field("kind", diagnostics);
    let id = text_field("id", diagnostics);
    let ((kind, kind_span), (id, _)) = (kind?, id?);
    let Some(record) = set.schemas.get(&kind).copied() else {
        let names: Vec<&str> = set.schemas.keys().map(|s| s.as_str()).collect();
        diagnostics.push(
            Diagnostic::error("A304", format!("unknown document kind `{kind}`"))
                .at(kind_span, "no schema for this kind")
                .suggest(did_you_mean(&kind, names.iter().copied()))
                .note(format!("the kinds are {}", names.join(", "))),
        );
        return None;
    };
    let mut v = Validator { set, diagnostics };
    v.record(root, record, &Path::Root);
    let errors_after = v.diagnostics.iter().filter(|d| d.is_error()).count();
    (errors_after == errors_before).then_some(Valid { kind, id })
}

struct Validator<'a> {
    set: &'a PolicySet,
    diagnostics: &'a mut Vec<Diagnostic>,
}

/// Where a node is in its document (`flows[3].encryption`), made into text
/// only when a diagnostic needs it: validation itself allocates nothing.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn is_root(&self) -> bool {
        matches!(self, Path::Root)
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

impl Validator<'_> {
    fn wrong_type(&mut self, node: &Node, path: &Path, expected: &str) {
        let mut d = Diagnostic::error(
            "A305",
            format!("`{path}` must be {expected}, found a {}", node.type_name()),
        )
        .at(node.span, format!("expected {expected}"));
        if let NodeValue::Str(s) = &node.value {
            if expected.contains("bool")
                && matches!(&**s, "yes" | "no" | "on" | "off" | "y" | "n" | "Yes" | "No")
            {
                d = d.note(format!(
                    "in YAML 1.2 `{s}` is a string; write `true` or `false`"
                ));
            }
        }
        if matches!(node.value, NodeValue::Num(_) | NodeValue::Bool(_)) && expected == "a string" {
            d = d.note("help: quote the value to make it a string");
        }
        self.diagnostics.push(d);
    }

    fn record(&mut self, node: &mut Node, record: RecordId, path: &Path) {
        let Some(schema) = self.set.records.get(record) else {
            return;
        };
        let NodeValue::Map(map) = &mut node.value else {
            let shown = if path.is_root() {
                "the document".to_string()
            } else {
                format!("`{path}`")
            };
            self.diagnostics.push(
                Diagnostic::error(
                    "A305",
                    format!("{shown} must be a mapping, found a {}", node.type_name()),
                )
                .at(node.span, "expected a mapping"),
            );
            return;
        };
        for (name, field) in schema.fields.iter().filter(|(_, f)| !f.optional) {
            let present = map.get(name).is_some_and(|n| n.value != NodeValue::Null);
            if !present {
                let at = map
                    .get(name)
                    .map(|n| n.loc())
                    .unwrap_or(node.key.unwrap_or(node.span.start_point()));
                let what = if path.is_root() {
                    "the document".to_string()
                } else {
                    format!("`{path}`")
                };
                self.diagnostics.push(
                    Diagnostic::error("A306", format!("{what} has no `{name}`, a required field"))
                        .at(at, format!("`{name}` is required here"))
                        .note(format!(
                            "`{}` is a {}",
                            Path::Field(path, name),
                            field.ty.describe()
                        )),
                );
            }
        }
        for (name, child) in map.iter_mut() {
            let child_path = Path::Field(path, name);
            match schema.fields.get(&**name) {
                None => {
                    let key = child.loc();
                    self.diagnostics.push(
                        Diagnostic::warning("A308", format!("unknown field `{child_path}`"))
                            .at(key, "not in the schema")
                            .suggest(did_you_mean(name, schema.fields.keys().map(|s| s.as_str())))
                            .note("rules cannot read it; a policy `schema` block can declare it"),
                    );
                }
                Some(field) => {
                    if child.value != NodeValue::Null {
                        self.value(child, &field.ty, &child_path);
                    }
                }
            }
        }
    }

    fn value(&mut self, node: &mut Node, ty: &FieldTy, path: &Path) {
        match ty {
            FieldTy::String => {
                if !matches!(node.value, NodeValue::Str(_)) {
                    self.wrong_type(node, path, "a string");
                }
            }
            FieldTy::Int => match node.value {
                NodeValue::Num(n) if n.fract() == 0.0 => {}
                _ => self.wrong_type(node, path, "a whole number"),
            },
            FieldTy::Number => {
                if !matches!(node.value, NodeValue::Num(_)) {
                    self.wrong_type(node, path, "a number");
                }
            }
            FieldTy::Bool => {
                if !matches!(node.value, NodeValue::Bool(_)) {
                    self.wrong_type(node, path, "a bool (`true` or `false`)");
                }
            }
            FieldTy::Date => match &node.value {
                NodeValue::Str(s) => match crate::time::parse_date(s) {
                    Some(d) => node.value = NodeValue::Date(d),
                    None => self.diagnostics.push(
                        Diagnostic::error("A310", format!("`{path}` is not a date: `{s}`"))
                            .at(node.span, "expected a date such as \"2026-05-01\""),
                    ),
                },
                _ => self.wrong_type(node, path, "a date string such as \"2026-05-01\""),
            },
            FieldTy::Duration => match &node.value {
                NodeValue::Str(s) => match crate::time::parse_duration(s) {
                    Some(d) => node.value = NodeValue::Dur(d),
                    None => self.diagnostics.push(
                        Diagnostic::error("A310", format!("`{path}` is not a duration: `{s}`"))
                            .at(node.span, "expected a duration such as \"90d\"")
                            .note("the units are `min` `h` `d` `w` `mo` `y`"),
                    ),
                },
                _ => self.wrong_type(node, path, "a duration string such as \"90d\""),
            },
            FieldTy::List(inner) => match &mut node.value {
                NodeValue::List(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        if item.value != NodeValue::Null {
                            self.value(item, inner, &Path::Index(path, i));
                        }
                    }
                }
                _ => self.wrong_type(node, path, "a list"),
            },
            FieldTy::Map(inner) => match &mut node.value {
                NodeValue::Map(map) => {
                    for (k, item) in map.iter_mut() {
                        if item.value != NodeValue::Null {
                            self.value(item, inner, &Path::Field(path, k));
                        }
                    }
                }
                _ => self.wrong_type(node, path, "a mapping"),
            },
            FieldTy::Record(record) => self.record(node, *record, path),
            FieldTy::DeclRef(kind) => match &node.value {
                NodeValue::Str(s) => {
                    if self.set.lookup(*kind, s).is_none() {
                        let suggestion = did_you_mean(s, self.set.names(*kind));
                        self.diagnostics.push(
                            Diagnostic::error(
                                "A309",
                                format!("unknown {} `{s}` in `{path}`", kind.word()),
                            )
                            .at(node.span, format!("no {} has this name", kind.word()))
                            .suggest(suggestion),
                        );
                    }
                }
                _ => self.wrong_type(node, path, &format!("the name of a {}", kind.word())),
            },
        }
    }
}
