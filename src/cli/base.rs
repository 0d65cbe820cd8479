//! `policy check --base REV`: the schema changes a pull request makes (the
//! data dictionaries and OpenAPI documents changed since REV, compared field
//! by field) must each be covered by a change request among the checked
//! documents, and that change request must pass the policy's change-control
//! rules. What is not is reported as a failing document of kind
//! `schema_changes`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diagnostic::Diagnostic;
use crate::dictionary::{diff, Change, Dictionary};
use crate::eval::{DocumentReport, Outcome, RuleResult, Source, Verdict};
use crate::input::{Format, Node};
use crate::source::Span;
use crate::{CheckedDocument, Engine};

/// Where file texts come from: the working tree, or a revision of it.
enum Tree<'r> {
    Work,
    Revision(&'r str),
}

/// The git repository around the working directory, and the base revision.
pub struct Base {
    root: PathBuf,
    rev: String,
    /// Repository-relative paths of the files changed since `rev` (and new files).
    changed: Vec<String>,
}

/// One entry of a change request's `changes`.
struct Listed {
    kind: String,
    system: String,
    field: String,
    data: Option<String>,
    after: Option<String>,
}

impl Listed {
    /// Whether this entry is the change: the same kind, system and field, the
    /// same data category (whose owner and steward must approve), and for a
    /// rename or a new type, the same outcome.
    fn covers(&self, change: &Change) -> bool {
        let outcome_matters = matches!(
            change.kind,
            crate::dictionary::ChangeKind::RenameField | crate::dictionary::ChangeKind::ChangeType
        );
        self.kind == change.kind.word()
            && self.system == change.system
            && self.field == change.field
            && (change.data.is_none() || self.data == change.data)
            && (!outcome_matters || self.after == change.after)
    }
}

/// A change request seen among the checked documents.
pub struct Request {
    id: String,
    /// The changes it lists.
    covers: Vec<Listed>,
    verdict: Verdict,
    /// The messages of its failing rules (the approvals it lacks).
    missing: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

impl Base {
    /// Finds the repository and the files changed since `rev`.
    pub fn open(cwd: &Path, rev: &str) -> Result<Base, Diagnostic> {
        let root = git(cwd, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            Diagnostic::error("A405", format!("`--base` needs a git repository: {e}"))
        })?;
        let root = PathBuf::from(root.trim());
        let spec = format!("{rev}^{{commit}}");
        if git(&root, &["rev-parse", "--verify", "--quiet", &spec]).is_err() {
            let shallow = git(&root, &["rev-parse", "--is-shallow-repository"])
                .map(|s| s.trim() == "true")
                .unwrap_or(false);
            let mut d = Diagnostic::error(
                "A405",
                format!("the base revision `{rev}` is not in this repository"),
            )
            .note(format!(
                "help: fetch it first, e.g. `git fetch --depth=1 origin {}`",
                rev.strip_prefix("origin/").unwrap_or(rev)
            ));
            if shallow {
                d = d.note("help: this is a shallow clone, which holds only the commits it was cloned with");
            }
            return Err(d);
        }
        let diff = git(&root, &["diff", "--name-only", "--no-renames", rev, "--"])
            .map_err(|e| Diagnostic::error("A405", format!("git diff failed: {e}")))?;
        let untracked = git(&root, &["ls-files", "--others", "--exclude-standard"])
            .map_err(|e| Diagnostic::error("A405", format!("git ls-files failed: {e}")))?;
        let changed = diff
            .lines()
            .chain(untracked.lines())
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        Ok(Base {
            root,
            rev: rev.to_string(),
            changed,
        })
    }

    fn read(&self, tree: &Tree<'_>, path: &str) -> Option<String> {
        match tree {
            Tree::Work => std::fs::read_to_string(self.root.join(path)).ok(),
            Tree::Revision(rev) => git(&self.root, &["show", &format!("{rev}:{path}")]).ok(),
        }
    }

    /// Reads `path` of `tree` into the engine's sources: its first document.
    fn document(&self, engine: &mut Engine, tree: &Tree<'_>, path: &str) -> Option<Node> {
        let text = self.read(tree, path)?;
        let shown = match tree {
            Tree::Work => path.to_string(),
            Tree::Revision(rev) => format!("{rev}:{path}"),
        };
        let format = Format::guess(path, &text);
        let file = engine.sources.add(shown, text);
        let (documents, _) =
            crate::input::load_limited(&engine.sources, file, format, &engine.limits);
        documents.into_iter().next().map(|d| d.root)
    }

    /// The dictionary `path` holds in `tree`: a `data_dictionary` (its
    /// OpenAPI sources read from the same tree) or an OpenAPI document.
    fn dictionary(&self, engine: &mut Engine, tree: &Tree<'_>, path: &str) -> Option<Dictionary> {
        let root = self.document(engine, tree, path)?;
        if root.get("openapi").is_some() {
            return Some(Dictionary::from_openapi(&root, None));
        }
        if root.get("kind").and_then(Node::as_str) != Some("data_dictionary") {
            return None;
        }
        let mut dictionary = Dictionary::from_document(&root);
        for (system, source, _) in Dictionary::sources(&root) {
            let Some((file, schema)) = openapi_reference(path, &source) else {
                continue;
            };
            let Some(spec) = self.document(engine, tree, &file) else {
                continue;
            };
            let Some(schema_node) = spec
                .get("components")
                .and_then(|c| c.get("schemas"))
                .and_then(|s| s.get(&schema))
            else {
                continue;
            };
            let mut source = Dictionary::default();
            source.add_openapi_schema(&system, schema_node);
            dictionary.take_fields_from_source(&system, source.fields);
        }
        Some(dictionary)
    }

    /// The OpenAPI files a dictionary in the working tree takes fields from.
    fn sources_of(&self, engine: &mut Engine, path: &str) -> Vec<String> {
        let Some(root) = self.document(engine, &Tree::Work, path) else {
            return Vec::new();
        };
        Dictionary::sources(&root)
            .into_iter()
            .filter_map(|(_, source, _)| openapi_reference(path, &source).map(|(f, _)| f))
            .collect()
    }

    /// Every schema change since the base: of each changed dictionary or
    /// OpenAPI document, and of each dictionary whose OpenAPI source changed
    /// (an OpenAPI document a dictionary reads is reported through it).
    pub fn changes(&self, engine: &mut Engine) -> Vec<Change> {
        let documents =
            |ext: &str| ext.ends_with(".yaml") || ext.ends_with(".yml") || ext.ends_with(".json");
        let tracked = git(&self.root, &["ls-files"]).unwrap_or_default();
        let mut dictionaries: Vec<String> = Vec::new();
        let mut read_by_dictionaries: Vec<String> = Vec::new();
        for path in tracked
            .lines()
            .chain(self.changed.iter().map(String::as_str))
        {
            if !documents(path) || dictionaries.iter().any(|d| d == path) {
                continue;
            }
            let Some(text) = self.read(&Tree::Work, path) else {
                continue;
            };
            if text.contains("data_dictionary") {
                let sources = self.sources_of(engine, path);
                let touched = self
                    .changed
                    .iter()
                    .any(|c| c == path || sources.contains(c));
                read_by_dictionaries.extend(sources);
                if touched {
                    dictionaries.push(path.to_string());
                }
            }
        }
        for path in &self.changed {
            if documents(path)
                && !dictionaries.contains(path)
                && !read_by_dictionaries.contains(path)
            {
                dictionaries.push(path.clone());
            }
        }
        let mut changes = Vec::new();
        for path in dictionaries {
            let new = self.dictionary(engine, &Tree::Work, &path);
            let old = self.dictionary(engine, &Tree::Revision(&self.rev), &path);
            if new.is_none() && old.is_none() {
                continue;
            }
            changes.extend(diff(&old.unwrap_or_default(), &new.unwrap_or_default()));
        }
        changes
    }
}

/// `openapi FILE#/components/schemas/NAME` → (repository path of FILE, NAME),
/// FILE relative to the dictionary at `path`.
fn openapi_reference(path: &str, source: &str) -> Option<(String, String)> {
    let (file, pointer) = source.strip_prefix("openapi ")?.trim().split_once('#')?;
    let schema = pointer.strip_prefix("/components/schemas/")?;
    let dir = Path::new(path).parent().unwrap_or(Path::new(""));
    let joined = dir.join(file);
    // Repository paths use `/` and no `./`.
    let parts: Vec<String> = joined
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    Some((parts.join("/"), schema.to_string()))
}

impl Request {
    /// Reads a checked change request's entries from its file (still in the
    /// engine's sources when this is called).
    pub fn of(engine: &Engine, doc: &CheckedDocument) -> Option<Request> {
        if doc.kind != "change_request" {
            return None;
        }
        let file = doc.start.file()?;
        let format = Format::guess(engine.sources.name(file), engine.sources.text(file));
        let (documents, _) = crate::input::load(&engine.sources, file, format);
        let root = documents
            .into_iter()
            .map(|d| d.root)
            .find(|r| r.get("id").and_then(Node::as_str) == Some(doc.id.as_str()))?;
        let covers = match root.get("changes").map(|c| &c.value) {
            Some(crate::input::NodeValue::List(items)) => items
                .iter()
                .map(|c| {
                    let text = |k: &str| c.get(k).and_then(Node::as_str).map(String::from);
                    Listed {
                        kind: text("kind").unwrap_or_default(),
                        system: text("system").unwrap_or_default(),
                        field: text("field").unwrap_or_default(),
                        data: text("data"),
                        after: text("after"),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let missing = doc
            .report
            .results
            .iter()
            .filter(|r| r.outcome.is_failure())
            .map(|r| r.message.to_string())
            .collect();
        Some(Request {
            id: doc.id.clone(),
            covers,
            verdict: doc.report.verdict,
            missing,
        })
    }
}

/// The `schema_changes` document: a failing result for every change no
/// passing change request covers.
pub fn judge(base: &Base, changes: &[Change], requests: &[Request]) -> CheckedDocument {
    let mut results = Vec::new();
    for change in changes {
        let covering: Vec<&Request> = requests
            .iter()
            .filter(|r| r.covers.iter().any(|listed| listed.covers(change)))
            .collect();
        let what = format!("{} {}.{}", change.kind.word(), change.system, change.field);
        let (outcome, message) = if covering.iter().any(|r| r.verdict != Verdict::Fail) {
            (Outcome::Pass, format!("{what} is covered"))
        } else if let Some(r) = covering.first() {
            (
                Outcome::Fail,
                format!(
                    "{what} is covered by change request `{}`, which is not approved: {}",
                    r.id,
                    r.missing.join("; ")
                ),
            )
        } else {
            (
                Outcome::Fail,
                format!(
                    "{what} has no change request (write one with `policy diff --format yaml`)"
                ),
            )
        };
        results.push(RuleResult {
            source: Source::SchemaChange,
            outcome,
            message: message.into(),
            location: change.at,
            waiver: None,
        });
    }
    let failed = results.iter().any(|r| r.outcome == Outcome::Fail);
    CheckedDocument {
        path: format!("git diff {}", base.rev),
        kind: "schema_changes".into(),
        id: base.rev.clone(),
        start: changes
            .first()
            .map(|c| c.at.start_point())
            .unwrap_or(Span::Synthetic),
        report: DocumentReport {
            results,
            verdict: if failed { Verdict::Fail } else { Verdict::Pass },
            score: None,
            gates: Vec::new(),
            stopped: false,
        },
    }
}
