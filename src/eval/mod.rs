//! Evaluation: checked rules on validated documents. Nothing here can fail on
//! user input; a value that is not there is `missing`, never an error.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod expr;
pub mod rules;
pub mod value;

pub use rules::{
    evaluate_document, evaluate_policy, DocumentReport, Outcome, RuleResult, Source, Verdict,
};
