//! Data dictionaries (`kind: data_dictionary`) and the changes between two
//! versions of one, as `policy diff` reports them and a change request must
//! cover them.

use std::collections::BTreeSet;

use crate::input::{Node, NodeValue};
use crate::source::Span;

/// One field of one system.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub system: String,
    pub name: String,
    pub ty: String,
    /// The data category it holds.
    pub data: Option<String>,
    pub required: bool,
    pub pii: bool,
    /// Where the field is written (its `name`).
    pub at: Span,
}

impl Field {
    /// `system.field`, as mappings name it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.system, self.name)
    }
}

/// A dictionary read from a validated document.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    /// In document order.
    pub fields: Vec<Field>,
    /// Groups of `system.field` names that hold the same thing.
    pub mappings: Vec<Vec<String>>,
}

fn text<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    node.get(key).and_then(Node::as_str)
}

fn items<'n>(node: &'n Node, key: &str) -> &'n [Node] {
    match node.get(key).map(|n| &n.value) {
        Some(NodeValue::List(items)) => items,
        _ => &[],
    }
}

impl Dictionary {
    /// Reads a `data_dictionary` document (already validated against its schema).
    pub fn from_document(root: &Node) -> Dictionary {
        let mut dictionary = Dictionary::default();
        for system in items(root, "systems") {
            let Some(system_name) = text(system, "name") else {
                continue;
            };
            for field in items(system, "fields") {
                let Some(name_node) = field.get("name") else {
                    continue;
                };
                let Some(name) = name_node.as_str() else {
                    continue;
                };
                let flag = |key: &str| {
                    matches!(
                        field.get(key).map(|n| &n.value),
                        Some(NodeValue::Bool(true))
                    )
                };
                dictionary.fields.push(Field {
                    system: system_name.to_string(),
                    name: name.to_string(),
                    ty: text(field, "type").unwrap_or_default().to_string(),
                    data: text(field, "data").map(String::from),
                    required: flag("required"),
                    pii: flag("pii"),
                    at: name_node.loc(),
                });
            }
        }
        for mapping in items(root, "mappings") {
            let names: Vec<String> = items(mapping, "fields")
                .iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect();
            dictionary.mappings.push(names);
        }
        dictionary
    }

    /// Reads an OpenAPI 3 document: each schema under `components.schemas`
    /// (or only `only`) is a system, its `properties` are the fields.
    pub fn from_openapi(root: &Node, only: Option<&str>) -> Dictionary {
        let mut dictionary = Dictionary::default();
        let schemas = root.get("components").and_then(|c| c.get("schemas"));
        let Some(NodeValue::Map(schemas)) = schemas.map(|s| &s.value) else {
            return dictionary;
        };
        for (name, schema) in schemas.iter() {
            if only.is_some_and(|o| o != &**name) {
                continue;
            }
            dictionary.add_openapi_schema(name, schema);
        }
        dictionary
    }

    /// Adds the properties of one OpenAPI schema as the fields of `system`.
    pub fn add_openapi_schema(&mut self, system: &str, schema: &Node) {
        let required: Vec<&str> = items(schema, "required")
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let Some(NodeValue::Map(properties)) = schema.get("properties").map(|p| &p.value) else {
            return;
        };
        for (name, property) in properties.iter() {
            self.fields.push(Field {
                system: system.to_string(),
                name: name.to_string(),
                ty: openapi_type(property),
                data: None,
                required: required.contains(&&**name),
                pii: false,
                at: property.loc(),
            });
        }
    }

    /// The systems of a dictionary whose fields come from elsewhere:
    /// (system, `source`, where the source is written).
    pub fn sources(root: &Node) -> Vec<(String, String, Span)> {
        items(root, "systems")
            .iter()
            .filter_map(|system| {
                let name = text(system, "name")?;
                let source = system.get("source")?;
                Some((name.to_string(), source.as_str()?.to_string(), source.span))
            })
            .collect()
    }

    /// Makes `from_source` (a system's fields read from its `source`) the
    /// system's fields, with what the dictionary itself lists of them.
    pub fn take_fields_from_source(&mut self, system: &str, from_source: Vec<Field>) {
        let listed: Vec<Field> = self
            .fields
            .iter()
            .filter(|f| f.system == system)
            .cloned()
            .collect();
        self.fields.retain(|f| f.system != system);
        self.fields.extend(from_source);
        self.overlay(system, listed);
    }

    /// Gives a system's fields taken from a source what the dictionary says
    /// of them (category, `pii`, `required`), and keeps the fields only the
    /// dictionary lists.
    fn overlay(&mut self, system: &str, listed: Vec<Field>) {
        for field in listed {
            match self
                .fields
                .iter_mut()
                .find(|f| f.system == system && f.name == field.name)
            {
                Some(known) => {
                    known.data = field.data.or(known.data.take());
                    known.pii |= field.pii;
                    known.required |= field.required;
                    if !field.ty.is_empty() {
                        known.ty = field.ty;
                    }
                }
                None => self.fields.push(field),
            }
        }
    }

    fn field(&self, system: &str, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.system == system && f.name == name)
    }

    /// The other fields mapped to `system.name`.
    pub fn partners(&self, system: &str, name: &str) -> BTreeSet<String> {
        let me = format!("{system}.{name}");
        self.mappings
            .iter()
            .filter(|group| group.contains(&me))
            .flat_map(|group| group.iter().filter(|n| **n != me).cloned())
            .collect()
    }
}

/// A property's type as a dictionary writes it: `string`, `string (date)`,
/// `[integer]`, or the name of the schema it refers to.
pub fn openapi_type(property: &Node) -> String {
    if let Some(reference) = text(property, "$ref") {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    match text(property, "type") {
        Some("array") => match property.get("items") {
            Some(inner) => format!("[{}]", openapi_type(inner)),
            None => "[]".to_string(),
        },
        Some(ty) => match text(property, "format") {
            Some(format) => format!("{ty} ({format})"),
            None => ty.to_string(),
        },
        None => {
            for combined in ["allOf", "oneOf", "anyOf"] {
                if let [only] = items(property, combined) {
                    return openapi_type(only);
                }
                if !items(property, combined).is_empty() {
                    return combined.to_string();
                }
            }
            "object".to_string()
        }
    }
}

/// What a change does, named as a change request's `changes[].kind` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    AddField,
    RemoveField,
    RenameField,
    ChangeType,
    ChangeMapping,
    /// The data category a field holds changed.
    ChangeData,
    /// A field became (or stopped being) personal data.
    ChangePii,
}

impl ChangeKind {
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::AddField => "add_field",
            ChangeKind::RemoveField => "remove_field",
            ChangeKind::RenameField => "rename_field",
            ChangeKind::ChangeType => "change_type",
            ChangeKind::ChangeMapping => "change_mapping",
            ChangeKind::ChangeData => "change_data",
            ChangeKind::ChangePii => "change_pii",
        }
    }
}

/// One change between two dictionaries.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub system: String,
    /// The field's name in the old dictionary (the new one for an addition;
    /// a rename's new name is its `after`), as `std.change` reads it: a
    /// rename of a required field is a change to that field.
    pub field: String,
    pub data: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// In the new dictionary; in the old one for a removal.
    pub at: Span,
}

fn joined(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The changes that turn `old` into `new`: the new dictionary's fields in
/// order, then the removals in the old one's order. A field removed and one
/// added in the same system with the same type, category, `pii` mark and
/// mappings is a rename, not a removal and an addition.
pub fn diff(old: &Dictionary, new: &Dictionary) -> Vec<Change> {
    let added: Vec<&Field> = new
        .fields
        .iter()
        .filter(|f| old.field(&f.system, &f.name).is_none())
        .collect();
    let removed: Vec<&Field> = old
        .fields
        .iter()
        .filter(|f| new.field(&f.system, &f.name).is_none())
        .collect();
    // Pair each removal with the first addition it could have become.
    let mut renamed_to: Vec<Option<&Field>> = vec![None; removed.len()];
    let mut taken = vec![false; added.len()];
    for (r, gone) in removed.iter().enumerate() {
        let partners = old.partners(&gone.system, &gone.name);
        let found = added.iter().enumerate().position(|(a, came)| {
            !taken.get(a).copied().unwrap_or(true)
                && came.system == gone.system
                && came.ty == gone.ty
                && came.data == gone.data
                && came.pii == gone.pii
                && new.partners(&came.system, &came.name) == partners
        });
        if let Some(a) = found {
            if let Some(t) = taken.get_mut(a) {
                *t = true;
            }
            if let Some(slot) = renamed_to.get_mut(r) {
                *slot = added.get(a).copied();
            }
        }
    }
    let mut changes = Vec::new();
    for field in &new.fields {
        let change = |kind, before: Option<String>, after: Option<String>| Change {
            kind,
            system: field.system.clone(),
            field: field.name.clone(),
            data: field.data.clone(),
            before,
            after,
            at: field.at,
        };
        match old.field(&field.system, &field.name) {
            None => {
                let from = removed
                    .iter()
                    .zip(&renamed_to)
                    .find(|(_, to)| to.is_some_and(|t| std::ptr::eq(t, field)))
                    .map(|(gone, _)| gone.name.clone());
                match from {
                    Some(old_name) => changes.push(Change {
                        field: old_name.clone(),
                        ..change(
                            ChangeKind::RenameField,
                            Some(old_name),
                            Some(field.name.clone()),
                        )
                    }),
                    None => {
                        changes.push(change(ChangeKind::AddField, None, Some(field.ty.clone())))
                    }
                }
            }
            Some(before) => {
                if before.ty != field.ty {
                    changes.push(change(
                        ChangeKind::ChangeType,
                        Some(before.ty.clone()),
                        Some(field.ty.clone()),
                    ));
                }
                if before.data != field.data {
                    changes.push(change(
                        ChangeKind::ChangeData,
                        before.data.clone(),
                        field.data.clone(),
                    ));
                }
                if before.pii != field.pii {
                    changes.push(change(
                        ChangeKind::ChangePii,
                        Some(before.pii.to_string()),
                        Some(field.pii.to_string()),
                    ));
                }
                let (was, is) = (
                    old.partners(&field.system, &field.name),
                    new.partners(&field.system, &field.name),
                );
                if was != is {
                    changes.push(change(
                        ChangeKind::ChangeMapping,
                        Some(joined(&was)),
                        Some(joined(&is)),
                    ));
                }
            }
        }
    }
    for (gone, to) in removed.iter().zip(&renamed_to) {
        if to.is_none() {
            changes.push(Change {
                kind: ChangeKind::RemoveField,
                system: gone.system.clone(),
                field: gone.name.clone(),
                data: gone.data.clone(),
                before: Some(gone.ty.clone()),
                after: None,
                at: gone.at,
            });
        }
    }
    changes
}
