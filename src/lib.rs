//! Accord: policy as code for HR and IT governance of AI and automation.
//!
//! The façade of the library. [`Engine::new`] parses and checks a policy set;
//! [`Engine::check_text`] loads, validates and evaluates documents. Nothing
//! below this module does IO: files are read by the command line (`cli/`).
//!
//! See `docs/architecture.md` for the pipeline and the invariants.

pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod dictionary;
pub mod eval;
pub mod ide;
pub mod import;
pub mod input;
pub mod limits;
pub mod report;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod threads;
pub mod time;

use check::model::PolicySet;
use diagnostic::Diagnostic;
use eval::DocumentReport;
use source::{FileId, SourceMap, Span};

/// A checked policy set and the sources of everything it has read.
pub struct Engine {
    pub sources: SourceMap,
    /// Shared with the engines of the threads that check documents.
    pub set: std::sync::Arc<PolicySet>,
    /// Errors and warnings of the policy set.
    pub diagnostics: Vec<Diagnostic>,
    /// The limits documents are read and evaluated within.
    pub limits: limits::Limits,
    /// Threads a large document's rules may be evaluated on.
    pub threads: usize,
}

/// The most diagnostics shown for one document file: a generated file can
/// repeat one mistake thousands of times, and each is drawn with its line.
pub const MAX_FILE_DIAGNOSTICS: usize = 100;

/// Keeps the first [`MAX_FILE_DIAGNOSTICS`], and says how many more there were.
fn cap_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    if diagnostics.len() <= MAX_FILE_DIAGNOSTICS {
        return;
    }
    let more = diagnostics.len() - MAX_FILE_DIAGNOSTICS;
    let more_errors = diagnostics
        .iter()
        .skip(MAX_FILE_DIAGNOSTICS)
        .any(Diagnostic::is_error);
    diagnostics.truncate(MAX_FILE_DIAGNOSTICS);
    if let Some(last) = diagnostics.last_mut() {
        last.notes.push(format!(
            "{more} more problem{} in this file {} not shown",
            if more == 1 { "" } else { "s" },
            if more == 1 { "is" } else { "are" }
        ));
    }
    // An error cut from the list still makes the file invalid.
    if more_errors && !diagnostics.iter().any(Diagnostic::is_error) {
        if let Some(last) = diagnostics.last_mut() {
            last.severity = diagnostic::Severity::Error;
        }
    }
}

/// One evaluated document.
pub struct CheckedDocument {
    /// The name it was read under (a path, or `<stdin>`).
    pub path: String,
    pub kind: String,
    pub id: String,
    /// Where the document starts.
    pub start: Span,
    pub report: DocumentReport,
}

impl Engine {
    /// Parses and checks policy files given as (name, text).
    pub fn new(policies: Vec<(String, String)>) -> Engine {
        let mut sources = SourceMap::new();
        let files: Vec<FileId> = policies
            .into_iter()
            .map(|(name, text)| sources.add(name, text))
            .collect();
        let (set, diagnostics) = check::compile(&mut sources, &files);
        Engine {
            sources,
            set: std::sync::Arc::new(set),
            diagnostics,
            limits: limits::Limits::default(),
            threads: 1,
        }
    }

    /// [`Engine::new`] with the parsing of each file done by `parse` (the
    /// language server answers it from a cache).
    pub fn with_parser(policies: Vec<(String, String)>, parse: &mut check::Parse<'_>) -> Engine {
        let mut sources = SourceMap::new();
        let files: Vec<FileId> = policies
            .into_iter()
            .map(|(name, text)| sources.add(name, text))
            .collect();
        let (set, diagnostics) = check::compile_with(&mut sources, &files, parse);
        Engine {
            sources,
            set: std::sync::Arc::new(set),
            diagnostics,
            limits: limits::Limits::default(),
            threads: 1,
        }
    }

    /// An engine for a thread that checks documents: it shares this one's
    /// policy set and files, and lends its own document to its sources.
    pub fn worker(&self) -> Engine {
        Engine {
            sources: self.sources.clone(),
            set: std::sync::Arc::clone(&self.set),
            diagnostics: self.diagnostics.clone(),
            limits: self.limits,
            threads: self.threads,
        }
    }

    /// Whether the policy set has no errors (documents are only evaluated then).
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.iter().any(|d| d.is_error())
    }

    /// Loads and validates the documents of one file (added to the sources).
    /// Documents with an error are left out; their errors are returned.
    pub fn load_valid(
        &mut self,
        name: &str,
        text: String,
        format: input::Format,
    ) -> (Vec<(input::Node, check::validate::Valid)>, Vec<Diagnostic>) {
        let file = self.sources.add(name, text);
        self.load_valid_file(file, format)
    }

    /// [`Engine::load_valid`] for a file already in the sources.
    pub fn load_valid_file(
        &self,
        file: FileId,
        format: input::Format,
    ) -> (Vec<(input::Node, check::validate::Valid)>, Vec<Diagnostic>) {
        let (documents, diagnostics) =
            input::load_limited(&self.sources, file, format, &self.limits);
        self.validate(file, documents, diagnostics)
    }

    /// Validates the documents loaded from `file`; `diagnostics` are the loader's.
    fn validate(
        &self,
        file: FileId,
        documents: Vec<input::Document>,
        mut diagnostics: Vec<Diagnostic>,
    ) -> (Vec<(input::Node, check::validate::Valid)>, Vec<Diagnostic>) {
        if documents.is_empty() && diagnostics.is_empty() {
            let name = self.sources.name(file);
            diagnostics.push(
                Diagnostic::warning("A312", format!("`{name}` holds no document"))
                    .at(Span::new(file, 0..0), "nothing to check here"),
            );
        }
        let mut valid_docs = Vec::new();
        for mut doc in documents {
            // A loading error inside this document (a duplicate key) keeps it out.
            let span = doc.root.span;
            let load_error = diagnostics.iter().any(|d| {
                let at = d.primary_span();
                d.is_error()
                    && at.file() == span.file()
                    && span
                        .range()
                        .zip(at.range())
                        .is_some_and(|(r, a)| r.start <= a.start && a.start <= r.end)
            });
            let mut doc_diagnostics = Vec::new();
            let valid = check::validate::validate(&self.set, &mut doc.root, &mut doc_diagnostics);
            let has_error = doc_diagnostics.iter().any(|d| d.is_error());
            diagnostics.append(&mut doc_diagnostics);
            if let Some(valid) = valid.filter(|_| !has_error && !load_error) {
                valid_docs.push((doc.root, valid));
            }
        }
        (valid_docs, diagnostics)
    }

    /// Loads, validates and evaluates the documents of one file. Documents
    /// with an error are not evaluated; their errors are returned instead.
    pub fn check_text(
        &mut self,
        name: &str,
        text: String,
        format: input::Format,
        today: i32,
    ) -> (Vec<CheckedDocument>, Vec<Diagnostic>) {
        let file = self.sources.add(name, text);
        self.check_file(file, format, today)
    }

    /// Loads, validates and evaluates a file already in the sources. Takes
    /// `&self`: files can be checked on several threads at once.
    pub fn check_file(
        &self,
        file: FileId,
        format: input::Format,
        today: i32,
    ) -> (Vec<CheckedDocument>, Vec<Diagnostic>) {
        let (documents, diagnostics) =
            input::load_limited(&self.sources, file, format, &self.limits);
        self.evaluate(file, documents, diagnostics, today)
    }

    /// [`Engine::check_file`] for a file found by searching a directory: `None`
    /// when no document of it has a `kind` or an `id` (a `package.json` beside
    /// the documents is not one of ours). Empty and malformed files are checked.
    pub fn check_found_file(
        &self,
        file: FileId,
        format: input::Format,
        today: i32,
    ) -> Option<(Vec<CheckedDocument>, Vec<Diagnostic>)> {
        let (documents, diagnostics) =
            input::load_limited(&self.sources, file, format, &self.limits);
        let ours = documents.is_empty()
            || documents
                .iter()
                .any(|d| d.root.get("kind").is_some() || d.root.get("id").is_some());
        ours.then(|| self.evaluate(file, documents, diagnostics, today))
    }

    fn evaluate(
        &self,
        file: FileId,
        documents: Vec<input::Document>,
        diagnostics: Vec<Diagnostic>,
        today: i32,
    ) -> (Vec<CheckedDocument>, Vec<Diagnostic>) {
        let (documents, mut diagnostics) = self.validate(file, documents, diagnostics);
        cap_diagnostics(&mut diagnostics);
        if !self.is_valid() {
            return (Vec::new(), diagnostics);
        }
        let name = self.sources.name(file);
        let mut checked = Vec::new();
        for (root, valid) in documents {
            let report = eval::rules::evaluate_document_on(
                &self.set,
                &self.sources,
                &root,
                &valid.kind,
                &valid.id,
                today,
                self.limits.eval_steps,
                self.threads,
            );
            let start = root.span.start_point();
            if report.stopped {
                // Results of an evaluation cut short could pass what should fail.
                diagnostics.push(
                    Diagnostic::error(
                        "A314",
                        format!(
                            "evaluating `{}` took more than {} steps: it was stopped",
                            valid.id, self.limits.eval_steps
                        ),
                    )
                    .at(start, "this document")
                    .note("help: raise the limit with `--max-steps`, or look for a rule that loops over a long list inside another loop"),
                );
                continue;
            }
            checked.push(CheckedDocument {
                path: name.to_string(),
                kind: valid.kind,
                id: valid.id,
                start,
                report,
            });
        }
        (checked, diagnostics)
    }

    /// The `applies policy` rules on the policy set, as one more document.
    pub fn check_policy_set(&self, today: i32) -> Option<CheckedDocument> {
        if !self.is_valid() {
            return None;
        }
        let first = self
            .set
            .files
            .iter()
            .copied()
            .find(|f| !self.sources.name(*f).starts_with('<'))
            .or(self.set.files.first().copied())?;
        let start = Span::new(first, 0..0);
        let report = eval::evaluate_policy(&self.set, &self.sources, start, today)?;
        Some(CheckedDocument {
            path: self.sources.name(first).to_string(),
            kind: "policy".into(),
            id: self.set.name.clone().unwrap_or_else(|| "policy".into()),
            start,
            report,
        })
    }
}
