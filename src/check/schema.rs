//! Document schemas: built from `schema` blocks (the prelude's first), merged
//! per kind. A later block for a kind extends it: new fields are added, a
//! field declared again keeps its base type and may only become required.

use super::model::{DeclKind, Field, FieldTy, PolicySet, Record, RecordId};
use super::suggest::did_you_mean;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::{SchemaDecl, SchemaField, TypeExpr};

const TYPE_WORDS: &[&str] = &[
    "string",
    "int",
    "number",
    "bool",
    "date",
    "duration",
    "data",
    "role",
    "system",
    "tier",
    "committee",
    "metric",
];

pub struct SchemaBuilder<'p> {
    pub set: &'p mut PolicySet,
    pub diagnostics: Vec<Diagnostic>,
}

impl SchemaBuilder<'_> {
    pub fn add(&mut self, decl: &SchemaDecl) {
        let kind = decl.name.text.clone();
        let record = match self.set.schemas.get(&kind) {
            Some(id) => *id,
            None => {
                let mut fields = super::model::FastMap::default();
                for name in ["kind", "id"] {
                    fields.insert(
                        name.to_string(),
                        Field {
                            ty: FieldTy::String,
                            optional: false,
                            span: Span::Synthetic,
                        },
                    );
                }
                let id = self.new_record(Record { fields });
                self.set.schema_spans.insert(kind.clone(), decl.name.span);
                self.name_record(id, kind.clone());
                self.set.schemas.insert(kind, id);
                id
            }
        };
        self.merge_fields(record, &decl.fields);
    }

    fn new_record(&mut self, record: Record) -> RecordId {
        self.set.records.push(record);
        self.set.records.len() - 1
    }

    /// Names a record by its path, and the records nested in it under it.
    fn name_record(&mut self, id: RecordId, name: String) {
        if self.set.record_names.len() <= id {
            self.set.record_names.resize(id + 1, String::new());
        }
        if let Some(n) = self.set.record_names.get_mut(id) {
            *n = name.clone();
        }
        let nested: Vec<(String, RecordId)> = self
            .set
            .records
            .get(id)
            .map(|r| {
                r.fields
                    .iter()
                    .filter_map(|(field, f)| match &f.ty {
                        FieldTy::Record(inner) => Some((format!("{name}.{field}"), *inner)),
                        FieldTy::List(t) => match **t {
                            FieldTy::Record(inner) => Some((format!("{name}.{field}[]"), inner)),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (path, inner) in nested {
            if inner != id {
                self.name_record(inner, path);
            }
        }
    }

    fn merge_fields(&mut self, record: RecordId, fields: &[SchemaField]) {
        for field in fields {
            self.merge_field(record, field);
        }
    }

    fn merge_field(&mut self, record: RecordId, field: &SchemaField) {
        let existing = self
            .set
            .records
            .get(record)
            .and_then(|r| r.fields.get(&field.name.text))
            .cloned();
        let Some(existing) = existing else {
            let Some(ty) = self.field_ty(&field.ty) else {
                return;
            };
            // Name nested records by their path, for editors (`manifest.flows[]`).
            let parent = self
                .set
                .record_names
                .get(record)
                .cloned()
                .unwrap_or_default();
            let path = if parent.is_empty() {
                field.name.text.clone()
            } else {
                format!("{parent}.{}", field.name.text)
            };
            match &ty {
                FieldTy::Record(id) => self.name_record(*id, path),
                FieldTy::List(inner) => {
                    if let FieldTy::Record(id) = **inner {
                        self.name_record(id, format!("{path}[]"));
                    }
                }
                _ => {}
            }
            if let Some(r) = self.set.records.get_mut(record) {
                r.fields.insert(
                    field.name.text.clone(),
                    Field {
                        ty,
                        optional: field.optional,
                        span: field.name.span,
                    },
                );
            }
            return;
        };
        // Declared again: same base type, nested records merge.
        let conflict = |me: &mut Self, why: &str| {
            me.diagnostics.push(
                Diagnostic::error(
                    "A204",
                    format!("field `{}` is declared again {why}", field.name.text),
                )
                .at(field.name.span, "declared again here")
                .also(existing.span, "first declared here")
                .note(
                    "a schema block may add fields and make optional fields required, nothing else",
                ),
            );
        };
        if field.optional && !existing.optional {
            conflict(self, "as optional, but it is required");
            return;
        }
        match (&existing.ty, &field.ty) {
            (FieldTy::Record(id), TypeExpr::Record(fields, _)) => {
                let id = *id;
                self.merge_fields(id, fields);
            }
            (FieldTy::List(inner), TypeExpr::RecordList(fields, _)) => match **inner {
                FieldTy::Record(id) => self.merge_fields(id, fields),
                _ => {
                    conflict(self, "with a different type");
                    return;
                }
            },
            (old, new) => {
                let Some(new) = self.field_ty(new) else {
                    return;
                };
                if !same_base(old, &new) {
                    let why = format!("as `{}`, but it is `{}`", new.describe(), old.describe());
                    conflict(self, &why);
                    return;
                }
            }
        }
        if !field.optional {
            if let Some(f) = self
                .set
                .records
                .get_mut(record)
                .and_then(|r| r.fields.get_mut(&field.name.text))
            {
                f.optional = false;
            }
        }
    }

    fn field_ty(&mut self, ty: &TypeExpr) -> Option<FieldTy> {
        Some(match ty {
            TypeExpr::Named(name) => match name.text.as_str() {
                "string" => FieldTy::String,
                "int" => FieldTy::Int,
                "number" => FieldTy::Number,
                "bool" => FieldTy::Bool,
                "date" => FieldTy::Date,
                "duration" => FieldTy::Duration,
                word => match DeclKind::from_type_word(word) {
                    Some(kind) => FieldTy::DeclRef(kind),
                    None => {
                        self.diagnostics.push(
                            Diagnostic::error("A205", format!("unknown type `{word}`"))
                                .at(name.span, "not a type")
                                .suggest(did_you_mean(word, TYPE_WORDS.iter().copied()))
                                .note(format!("the types are {}", TYPE_WORDS.join(", "))),
                        );
                        return None;
                    }
                },
            },
            TypeExpr::List(inner, _) => FieldTy::List(Box::new(self.field_ty(inner)?)),
            TypeExpr::Map(inner, _) => FieldTy::Map(Box::new(self.field_ty(inner)?)),
            TypeExpr::Record(fields, _) => {
                let id = self.new_record(Record::default());
                self.merge_fields(id, fields);
                FieldTy::Record(id)
            }
            TypeExpr::RecordList(fields, _) => {
                let id = self.new_record(Record::default());
                self.merge_fields(id, fields);
                FieldTy::List(Box::new(FieldTy::Record(id)))
            }
        })
    }
}

fn same_base(a: &FieldTy, b: &FieldTy) -> bool {
    match (a, b) {
        (FieldTy::List(x), FieldTy::List(y)) | (FieldTy::Map(x), FieldTy::Map(y)) => {
            same_base(x, y)
        }
        (FieldTy::Record(_), FieldTy::Record(_)) => true,
        _ => a == b,
    }
}
