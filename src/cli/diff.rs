//! `policy diff OLD NEW`: the field changes between two data dictionaries,
//! as a list, as JSON, or as the skeleton of the change request that must
//! cover them.

use clap::{Args, ValueEnum};
use serde_json::json;

use super::files::{io_reason, read_text};
use super::Io;
use crate::dictionary::{diff, Change, Dictionary};
use crate::input::Format;
use crate::source::SourceMap;
use crate::Engine;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One located line a change
    Human,
    /// `{"changes": [...]}` with locations
    Json,
    /// A `change_request` document to complete with approvals
    Yaml,
}

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when the dictionaries hold the same fields; 1 when they differ; \
2 when a file cannot be read or is not a data dictionary.\n\n\
Example:\n  policy diff dictionary-v1.yaml dictionary-v2.yaml --format yaml > change.yaml"
)]
pub struct DiffArgs {
    /// The dictionary before
    pub old: String,
    /// The dictionary after
    pub new: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

pub fn run(args: DiffArgs, io: &mut Io) -> i32 {
    let mut engine = Engine::new(Vec::new());
    let (old, new) = match (
        read_dictionary(&mut engine, &args.old, io),
        read_dictionary(&mut engine, &args.new, io),
    ) {
        (Some(old), Some(new)) => (old, new),
        _ => return 2,
    };
    let changes = diff(&old, &new);
    let text = match args.format {
        DiffFormat::Human => human(&changes, &engine.sources),
        DiffFormat::Json => json_output(&changes, &engine.sources),
        DiffFormat::Yaml => change_request(&changes, &args.old, &args.new),
    };
    io.stdout.push_str(&text);
    i32::from(!changes.is_empty())
}

/// Reads a file's text; problems go to standard error.
fn read(given: &str, io: &mut Io) -> Option<String> {
    let bytes = match std::fs::read(io.cwd.join(given)) {
        Ok(bytes) => bytes,
        Err(e) => {
            io.stderr.push_str(&format!(
                "error[A402]: cannot read `{given}`: {}\n",
                io_reason(&e)
            ));
            return None;
        }
    };
    match read_text(bytes, given) {
        Ok(text) => Some(text),
        Err(d) => {
            io.stderr
                .push_str(&format!("error[{}]: {}\n", d.code, d.message));
            None
        }
    }
}

/// Reads one file's documents; problems go to standard error.
fn load(engine: &mut Engine, given: &str, io: &mut Io) -> Option<Vec<crate::input::Document>> {
    let text = read(given, io)?;
    let format = Format::guess(given, &text);
    let file = engine.sources.add(given, text);
    let (documents, diagnostics) = crate::input::load(&engine.sources, file, format);
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    for d in &errors {
        io.stderr
            .push_str(&crate::report::human::render_diagnostic(&engine.sources, d));
    }
    errors.is_empty().then_some(documents)
}

/// Reads one dictionary (a `data_dictionary` document, or an OpenAPI 3
/// document whose component schemas are the systems); problems go to
/// standard error.
fn read_dictionary(engine: &mut Engine, given: &str, io: &mut Io) -> Option<Dictionary> {
    let documents = load(engine, given, io)?;
    if let [only] = documents.as_slice() {
        if only.root.get("openapi").is_some() {
            return Some(Dictionary::from_openapi(&only.root, None));
        }
    }
    let file = documents.first().map(|d| d.file)?;
    let (documents, diagnostics) =
        engine.load_valid_file(file, Format::guess(given, engine.sources.text(file)));
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    for d in &errors {
        io.stderr
            .push_str(&crate::report::human::render_diagnostic(&engine.sources, d));
    }
    if !errors.is_empty() {
        return None;
    }
    let mut dictionaries = documents
        .iter()
        .filter(|(_, valid)| valid.kind == "data_dictionary");
    let root = match (dictionaries.next(), dictionaries.next()) {
        (Some((root, _)), None) => root,
        (None, _) => {
            io.stderr.push_str(&format!(
                "error[A315]: `{given}` holds no `kind: data_dictionary` document (nor an OpenAPI one)\n"
            ));
            return None;
        }
        (Some(_), Some(_)) => {
            io.stderr.push_str(&format!(
                "error[A315]: `{given}` holds more than one data dictionary; give one file for each\n"
            ));
            return None;
        }
    };
    let mut dictionary = Dictionary::from_document(root);
    for (system, source, at) in Dictionary::sources(root) {
        let fields = openapi_fields(engine, given, &system, &source, io);
        let Some(fields) = fields else {
            let place = engine
                .sources
                .location(at)
                .map(|(p, l, c)| format!("{p}:{l}:{c}: "))
                .unwrap_or_default();
            io.stderr.push_str(&format!(
                "{place}error[A315]: the `source` of system `{system}` should be `openapi FILE#/components/schemas/NAME`, with FILE relative to the dictionary\n"
            ));
            return None;
        };
        dictionary.take_fields_from_source(&system, fields.fields);
    }
    Some(dictionary)
}

/// The fields `source` names (`openapi FILE#/components/schemas/NAME`), read
/// from FILE next to the dictionary `given`.
fn openapi_fields(
    engine: &mut Engine,
    given: &str,
    system: &str,
    source: &str,
    io: &mut Io,
) -> Option<Dictionary> {
    let reference = source.strip_prefix("openapi ")?.trim();
    let (file, pointer) = reference.split_once('#')?;
    let schema = pointer.strip_prefix("/components/schemas/")?;
    let beside = std::path::Path::new(given)
        .parent()
        .map(|dir| dir.join(file))
        .unwrap_or_else(|| file.into());
    let path = beside.to_string_lossy().into_owned();
    let documents = load(engine, &path, io)?;
    let root = &documents.first()?.root;
    let schema_node = root.get("components")?.get("schemas")?.get(schema)?;
    let mut fields = Dictionary::default();
    fields.add_openapi_schema(system, schema_node);
    Some(fields)
}

fn what(change: &Change) -> String {
    let name = format!("{}.{}", change.system, change.field);
    match (change.kind.word(), &change.before, &change.after) {
        ("rename_field", _, Some(a)) => format!("{name} → {}.{a}", change.system),
        ("add_field", _, Some(ty)) => format!("{name} ({ty})"),
        ("remove_field", Some(ty), _) => format!("{name} ({ty})"),
        (_, b, a) => format!(
            "{name}: {} → {}",
            b.as_deref().filter(|s| !s.is_empty()).unwrap_or("(none)"),
            a.as_deref().filter(|s| !s.is_empty()).unwrap_or("(none)")
        ),
    }
}

fn human(changes: &[Change], sources: &SourceMap) -> String {
    let mut out = String::new();
    for c in changes {
        let at = sources
            .location(c.at)
            .map(|(p, l, col)| format!("{p}:{l}:{col}: "))
            .unwrap_or_default();
        out.push_str(&format!("{at}{} {}\n", c.kind.word(), what(c)));
    }
    let n = changes.len();
    out.push_str(&format!("{n} change{}\n", if n == 1 { "" } else { "s" }));
    out
}

fn json_output(changes: &[Change], sources: &SourceMap) -> String {
    let list: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            let location = sources
                .location(c.at)
                .map(|(p, l, col)| json!({"path": p, "line": l, "column": col}));
            json!({
                "kind": c.kind.word(),
                "system": c.system,
                "field": c.field,
                "data": c.data,
                "before": c.before,
                "after": c.after,
                "location": location,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({ "changes": list })).unwrap_or_default();
    text.push('\n');
    text
}

/// A YAML string: JSON's double-quoted strings are YAML too.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn change_request(changes: &[Change], old: &str, new: &str) -> String {
    let stem = std::path::Path::new(new)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dictionary".into());
    let mut out = format!(
        "# The changes from {old} to {new}, computed by `policy diff`.\n\
         # Complete the title and add the approvals change control requires.\n\
         kind: change_request\nid: {}\ntitle: {}\nchanges:{}\n",
        quoted(&format!("{stem}-changes")),
        quoted(&format!("Changes to the data dictionary ({new})")),
        if changes.is_empty() { " []" } else { "" }
    );
    for c in changes {
        out.push_str(&format!("  - kind: {}\n", c.kind.word()));
        out.push_str(&format!("    system: {}\n", quoted(&c.system)));
        out.push_str(&format!("    field: {}\n", quoted(&c.field)));
        let optional = [
            ("data", &c.data),
            ("before", &c.before),
            ("after", &c.after),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                out.push_str(&format!("    {key}: {}\n", quoted(v)));
            }
        }
    }
    out.push_str("approvals: []\n");
    out
}
