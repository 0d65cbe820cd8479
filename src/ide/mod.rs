//! Editor features in plain terms (paths, byte offsets): the [`Workspace`]
//! implements `accord_lsp::Analysis`, and the `lsp` crate speaks the protocol.
//! The whole policy set is analysed again when a policy file changes and the
//! result is kept until the next change; every request reads that cache.

mod complete;
mod navigate;
mod outline;
mod tokens;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use accord_lsp::analysis::{
    Analysis, Completion, Diag, FileEdit, FileRange, Fix, Hint, Severity as Sev, Symbol, Token,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::rules::source_info;
use crate::eval::Outcome;
use crate::input::{Format, NodeValue};
use crate::source::{FileId, Span};
use crate::syntax::ast;
use crate::syntax::ast::Level;
use crate::Engine;

/// Policy files, open documents, and the analysis of the policy set.
#[derive(Default)]
pub struct Workspace {
    roots: Vec<PathBuf>,
    /// Policy files read from disk under the roots.
    disk: BTreeMap<PathBuf, String>,
    /// Files open in the editor (policies and documents), by path.
    open: BTreeMap<PathBuf, String>,
    analyzed: Option<Analyzed>,
    /// Parsed files by name, kept while their text and place in the set stay
    /// the same: after a change only the changed file is parsed again.
    parsed: HashMap<String, Parsed>,
    /// Diagnostics of open documents, by path, with the text they were computed for.
    documents: HashMap<PathBuf, (String, Vec<Diag>)>,
    /// Files given diagnostics before: they are cleared when they have none.
    published: BTreeSet<PathBuf>,
}

/// One file's parse, and what it was parsed from.
struct Parsed {
    file: FileId,
    text: String,
    ast: ast::File,
    diagnostics: Vec<Diagnostic>,
}

/// The policy set as last analysed.
pub(crate) struct Analyzed {
    pub engine: Engine,
    /// The AST of every file of the set (standard library modules included).
    pub asts: Vec<(FileId, ast::File)>,
}

fn is_policy(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "policy")
}

fn is_document(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
}

/// Policy files under a folder (hidden folders, `target` and `node_modules` skipped).
fn scan(dir: &Path, out: &mut BTreeMap<PathBuf, String>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => scan(&path, out, depth + 1),
            Ok(_) if is_policy(&path) => {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.insert(path, text);
                }
            }
            _ => {}
        }
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// The policy files of the set: disk files, with open buffers over them.
    fn policy_texts(&self) -> Vec<(PathBuf, String)> {
        let mut all: BTreeMap<PathBuf, String> = self.disk.clone();
        for (path, text) in &self.open {
            if is_policy(path) {
                all.insert(path.clone(), text.clone());
            }
        }
        all.into_iter().collect()
    }

    /// The analysed policy set, computed again only after a policy changed.
    pub(crate) fn analyzed(&mut self) -> &Analyzed {
        let texts = if self.analyzed.is_none() {
            self.documents.clear();
            self.policy_texts()
        } else {
            Vec::new()
        };
        if self.analyzed.is_none() {
            let names: Vec<(String, String)> = texts
                .iter()
                .map(|(p, t)| (p.to_string_lossy().to_string(), t.clone()))
                .collect();
            let by_id: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
            let cache = &mut self.parsed;
            let mut seen: Vec<(FileId, ast::File)> = Vec::new();
            let mut parse = |file: FileId, text: &str| {
                // Standard library modules are named after the set's files.
                let name = by_id
                    .get(file.0 as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("<file {}>", file.0));
                let key = if (file.0 as usize) < by_id.len() {
                    name
                } else {
                    format!("{}#{}", file.0, text.len())
                };
                let hit = cache.get(&key).filter(|p| p.file == file && p.text == text);
                let (ast, diagnostics) = match hit {
                    Some(p) => (p.ast.clone(), p.diagnostics.clone()),
                    None => {
                        let (ast, diagnostics) = crate::syntax::parse_file(file, text);
                        cache.insert(
                            key,
                            Parsed {
                                file,
                                text: text.to_string(),
                                ast: ast.clone(),
                                diagnostics: diagnostics.clone(),
                            },
                        );
                        (ast, diagnostics)
                    }
                };
                seen.push((file, ast.clone()));
                (ast, diagnostics)
            };
            let engine = Engine::with_parser(names, &mut parse);
            self.analyzed = Some(Analyzed { engine, asts: seen });
        }
        match &self.analyzed {
            Some(a) => a,
            None => unreachable!("the analysis was just made"),
        }
    }

    fn invalidate(&mut self) {
        self.analyzed = None;
        self.documents.clear();
    }
}

impl Analyzed {
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        let name = path.to_string_lossy();
        self.engine
            .set
            .files
            .iter()
            .copied()
            .find(|f| self.engine.sources.name(*f) == name)
    }

    pub fn ast(&self, file: FileId) -> Option<&ast::File> {
        self.asts.iter().find(|(f, _)| *f == file).map(|(_, a)| a)
    }

    pub fn file_range(&self, span: Span) -> Option<FileRange> {
        let file = span.file()?;
        Some(FileRange {
            path: PathBuf::from(self.engine.sources.name(file)),
            range: span.range()?,
        })
    }

    pub fn text(&self, file: FileId) -> &str {
        self.engine.sources.text(file)
    }
}

/// The files of the analysed set, by path.
fn policy_files(analyzed: &Analyzed) -> Vec<(PathBuf, FileId)> {
    analyzed
        .engine
        .set
        .files
        .iter()
        .map(|f| (PathBuf::from(analyzed.engine.sources.name(*f)), *f))
        .collect()
}

fn severity(d: &Diagnostic) -> Sev {
    match d.severity {
        Severity::Error => Sev::Error,
        Severity::Warning => Sev::Warning,
    }
}

/// A diagnostic's message with its help, for an editor's one-line display.
fn message(d: &Diagnostic) -> String {
    let mut m = d.message.clone();
    for note in &d.notes {
        m.push_str(&format!("\n{note}"));
    }
    m
}

/// The range an editor underlines: never empty where text follows.
fn visible(text: &str, range: Range<usize>) -> Range<usize> {
    if range.end > range.start {
        return range;
    }
    let end = text
        .get(range.start..)
        .and_then(|r| r.chars().next())
        .filter(|c| *c != '\n')
        .map(|c| range.start + c.len_utf8())
        .unwrap_or(range.start);
    range.start..end
}

impl Workspace {
    /// Policy diagnostics, by file: each where it happens, and again in every
    /// other file one of its labels points into.
    fn policy_diagnostics(&mut self) -> BTreeMap<PathBuf, Vec<Diag>> {
        let analyzed = self.analyzed();
        let sources = &analyzed.engine.sources;
        let mut out: BTreeMap<PathBuf, Vec<Diag>> = BTreeMap::new();
        for (path, _) in policy_files(analyzed) {
            out.entry(path).or_default();
        }
        for d in &analyzed.engine.diagnostics {
            let primary = d.primary_span();
            let Some(file) = primary.file() else { continue };
            let path = PathBuf::from(sources.name(file));
            let range = visible(sources.text(file), primary.range().unwrap_or(0..0));
            out.entry(path.clone()).or_default().push(Diag {
                range,
                severity: severity(d),
                code: d.code.to_string(),
                message: message(d),
            });
            for label in d.labels.iter().filter(|l| !l.primary) {
                let Some(other) = label.span.file() else {
                    continue;
                };
                if other == file {
                    continue;
                }
                let other_path = PathBuf::from(sources.name(other));
                let range = visible(sources.text(other), label.span.range().unwrap_or(0..0));
                out.entry(other_path).or_default().push(Diag {
                    range,
                    severity: Sev::Information,
                    code: d.code.to_string(),
                    message: format!(
                        "{} (reported in {}): {}",
                        label.message,
                        path.file_name()
                            .map(|n| n.to_string_lossy().to_string())
                            .unwrap_or_default(),
                        d.message
                    ),
                });
            }
        }
        // Embedded modules are not the user's files: nothing to publish there.
        out.retain(|p, _| !p.to_string_lossy().starts_with('<'));
        out
    }

    /// Live verdicts on an open document of a kind the policy set knows.
    fn document_diagnostics(&mut self, path: &Path, text: &str) -> Vec<Diag> {
        if let Some((seen, diags)) = self.documents.get(path) {
            if seen == text {
                return diags.clone();
            }
        }
        self.analyzed();
        let Some(analyzed) = self.analyzed.as_mut() else {
            return Vec::new();
        };
        let engine = &mut analyzed.engine;
        let mark = engine.sources.len();
        let name = path.to_string_lossy().to_string();
        let format = Format::guess(&name, text);
        // Only documents with a `kind` of the policy set are Accord's.
        let probe = engine.sources.add(name.clone(), text.to_string());
        let (docs, _) = crate::input::load(&engine.sources, probe, format);
        let ours = docs.iter().any(|d| {
            matches!(&d.root.value, NodeValue::Map(m)
                if m.get("kind").and_then(|k| k.as_str()).is_some_and(|k| engine.set.schemas.contains_key(k)))
        });
        engine.sources.truncate(mark);
        let mut diags = Vec::new();
        if ours {
            let (checked, diagnostics) =
                engine.check_text(&name, text.to_string(), format, crate::time::today_utc());
            for d in &diagnostics {
                let primary = d.primary_span();
                if primary
                    .file()
                    .is_some_and(|f| engine.sources.name(f) == name)
                {
                    diags.push(Diag {
                        range: visible(text, primary.range().unwrap_or(0..0)),
                        severity: severity(d),
                        code: d.code.to_string(),
                        message: message(d),
                    });
                }
            }
            for doc in &checked {
                for r in &doc.report.results {
                    let info = source_info(&engine.set, r.source);
                    let sev = match (r.outcome, info.level) {
                        (Outcome::Fail | Outcome::Indeterminate, Level::Must) => Sev::Error,
                        (Outcome::Fail | Outcome::Indeterminate, Level::Should) => Sev::Warning,
                        (Outcome::Fail | Outcome::Indeterminate, Level::May) => Sev::Information,
                        (Outcome::Waived, _) => Sev::Hint,
                        _ => continue,
                    };
                    let range = r.location.range().unwrap_or(0..0);
                    // Underline the key (a location is where a field's key starts).
                    let end = text
                        .get(range.start..)
                        .map(|rest| {
                            range.start + rest.find([':', '\n', ',', '}']).unwrap_or(rest.len())
                        })
                        .unwrap_or(range.end);
                    let outcome = match r.outcome {
                        Outcome::Indeterminate => " (not answered)",
                        Outcome::Waived => " (waived)",
                        _ => "",
                    };
                    diags.push(Diag {
                        range: visible(text, range.start..end.max(range.start)),
                        severity: sev,
                        code: info.id.to_string(),
                        message: format!(
                            "{}{outcome}: {}",
                            info.title.unwrap_or(&info.id),
                            r.message
                        ),
                    });
                }
            }
        }
        engine.sources.truncate(mark);
        self.documents
            .insert(path.to_path_buf(), (text.to_string(), diags.clone()));
        diags
    }
}

impl Analysis for Workspace {
    fn set_roots(&mut self, roots: Vec<PathBuf>) {
        self.roots = roots;
        self.disk.clear();
        for root in self.roots.clone() {
            // A `policy.toml` says which policies make the set, as for `policy check`.
            let listed: Option<Vec<String>> = std::fs::read_to_string(root.join("policy.toml"))
                .ok()
                .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
                .and_then(|t| {
                    t.get("policies")?
                        .as_array()?
                        .iter()
                        .map(|v| v.as_str().map(String::from))
                        .collect()
                });
            match listed {
                Some(paths) => {
                    for p in paths {
                        let path = root.join(p);
                        if is_policy(&path) {
                            if let Ok(text) = std::fs::read_to_string(&path) {
                                self.disk.insert(path, text);
                            }
                        } else {
                            scan(&path, &mut self.disk, 0);
                        }
                    }
                }
                None => scan(&root, &mut self.disk, 0),
            }
        }
        self.invalidate();
    }

    fn open(&mut self, path: &Path, text: String) {
        let changed = self.open.get(path) != Some(&text);
        self.open.insert(path.to_path_buf(), text);
        if changed && is_policy(path) {
            self.invalidate();
        }
    }

    fn close(&mut self, path: &Path) {
        self.open.remove(path);
        self.documents.remove(path);
        if is_policy(path) {
            // The disk's version counts again (or none, for a new unsaved file).
            match std::fs::read_to_string(path) {
                Ok(text) if self.roots.iter().any(|r| path.starts_with(r)) => {
                    self.disk.insert(path.to_path_buf(), text);
                }
                _ => {
                    self.disk.remove(path);
                }
            }
            self.invalidate();
        }
    }

    fn text(&self, path: &Path) -> Option<String> {
        if let Some(t) = self.open.get(path) {
            return Some(t.clone());
        }
        if let Some(t) = self.disk.get(path) {
            return Some(t.clone());
        }
        let name = path.to_string_lossy();
        if let Some(inner) = name
            .strip_prefix("<stdlib/")
            .and_then(|n| n.strip_suffix(".policy>"))
        {
            if inner == "prelude" {
                return Some(crate::stdlib::PRELUDE.to_string());
            }
            return crate::stdlib::module(inner).map(String::from);
        }
        None
    }

    fn diagnostics(&mut self) -> Vec<(PathBuf, Vec<Diag>)> {
        let mut all = self.policy_diagnostics();
        let documents: Vec<(PathBuf, String)> = self
            .open
            .iter()
            .filter(|(p, _)| is_document(p))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        for (path, text) in documents {
            let diags = self.document_diagnostics(&path, &text);
            all.insert(path, diags);
        }
        for old in &self.published {
            all.entry(old.clone()).or_default();
        }
        self.published = all
            .iter()
            .filter(|(_, d)| !d.is_empty())
            .map(|(p, _)| p.clone())
            .collect();
        all.into_iter().collect()
    }

    fn hover(&mut self, path: &Path, offset: usize) -> Option<String> {
        navigate::hover(self.analyzed(), path, offset)
    }

    fn definition(&mut self, path: &Path, offset: usize) -> Vec<FileRange> {
        navigate::definition(self.analyzed(), path, offset)
    }

    fn references(
        &mut self,
        path: &Path,
        offset: usize,
        include_declaration: bool,
    ) -> Vec<FileRange> {
        navigate::references(self.analyzed(), path, offset, include_declaration)
    }

    fn rename(
        &mut self,
        path: &Path,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<FileEdit>, String> {
        navigate::rename(self.analyzed(), path, offset, new_name)
    }

    fn completion(&mut self, path: &Path, offset: usize) -> Vec<Completion> {
        let text = self.text(path).unwrap_or_default();
        complete::completion(self.analyzed(), path, &text, offset)
    }

    fn document_symbols(&mut self, path: &Path) -> Vec<Symbol> {
        outline::document_symbols(self.analyzed(), path)
    }

    fn workspace_symbols(&mut self, query: &str) -> Vec<(PathBuf, Symbol)> {
        outline::workspace_symbols(self.analyzed(), query)
    }

    fn format(&mut self, path: &Path) -> Option<String> {
        let text = self.text(path)?;
        crate::syntax::fmt::format(FileId(0), &text).ok()
    }

    fn semantic_tokens(&mut self, path: &Path) -> Vec<Token> {
        let text = self.text(path).unwrap_or_default();
        tokens::semantic_tokens(self.analyzed(), &text)
    }

    fn code_actions(&mut self, path: &Path, range: Range<usize>) -> Vec<Fix> {
        navigate::quick_fixes(self.analyzed(), path, range)
    }

    fn inlay_hints(&mut self, path: &Path) -> Vec<Hint> {
        outline::inlay_hints(self.analyzed(), path)
    }

    fn folding(&mut self, path: &Path) -> Vec<Range<usize>> {
        outline::folding(self.analyzed(), path)
    }
}
