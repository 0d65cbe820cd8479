//! The results of a run and their renderings: human (codespan), JSON.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::diagnostic::Diagnostic;
use crate::eval::{Outcome, Verdict};
use crate::syntax::ast::Level;
use crate::CheckedDocument;

/// Everything one `policy check` run found.
#[derive(Default)]
pub struct Report {
    pub documents: Vec<CheckedDocument>,
    /// Errors and warnings of policies, documents and the command line, in order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }

    /// 2 for any error, else 1 for a failing `must` (or `should` when strict), else 0.
    pub fn exit_code(&self, set: &crate::check::model::PolicySet, strict: bool) -> i32 {
        Tally::of(self, set).exit_code(strict)
    }
}

/// The counts a run's summary and exit status are made of, kept as documents
/// go by (a streamed run forgets each document once it is written).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub documents: usize,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Some `should` rule failed (fails the run with `--strict`).
    pub should_failed: bool,
}

impl Tally {
    pub fn of(report: &Report, set: &crate::check::model::PolicySet) -> Tally {
        let mut tally = Tally::default();
        for d in &report.documents {
            tally.document(d, set);
        }
        for d in &report.diagnostics {
            tally.diagnostic(d);
        }
        tally
    }

    pub fn document(&mut self, doc: &CheckedDocument, set: &crate::check::model::PolicySet) {
        self.documents += 1;
        match doc.report.verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Fail => self.fail += 1,
        }
        self.should_failed |= doc.report.results.iter().any(|r| {
            r.outcome.is_failure()
                && crate::eval::rules::source_info(set, r.source).level == Level::Should
        });
    }

    pub fn diagnostic(&mut self, d: &Diagnostic) {
        if d.is_error() {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
    }

    /// 2 for any error, else 1 for a failing `must` (or `should` when strict), else 0.
    pub fn exit_code(&self, strict: bool) -> i32 {
        if self.errors > 0 {
            2
        } else {
            i32::from(self.fail > 0 || (strict && self.should_failed))
        }
    }
}

/// Outcomes in the order a reader wants them: failures first.
pub fn outcome_rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Fail => 0,
        Outcome::Indeterminate => 1,
        Outcome::Waived => 2,
        Outcome::Pass => 3,
        Outcome::NotApplicable => 4,
    }
}

/// The results of a document worth showing (not passes, not inapplicable
/// rules), failures first, then by level.
pub fn findings<'r>(
    set: &crate::check::model::PolicySet,
    doc: &'r crate::CheckedDocument,
) -> Vec<&'r crate::eval::RuleResult> {
    let mut results: Vec<&crate::eval::RuleResult> = doc
        .report
        .results
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Pass | Outcome::NotApplicable))
        .collect();
    results.sort_by_key(|r| {
        (
            outcome_rank(r.outcome),
            crate::eval::rules::source_info(set, r.source).level,
        )
    });
    results
}
