//! `policy import`: turning a questionnaire a team already sends into the
//! start of an Accord policy. No IO here: the command line reads the file.
//!
//! # VSAQ
//!
//! [`vsaq()`] reads a Google VSAQ template (see [`vsaq`](mod@vsaq) for its
//! quirks) and writes a policy with two declarations:
//!
//! - `schema questionnaire { vsaq_NAME? { ... } }`: the questions, as the
//!   fields of one optional record (named after the file, so it never clashes
//!   with the prelude's `vendor` or another import). Field names are the VSAQ
//!   ids made into names (lowercase, other characters `_`, no leading digit,
//!   no reserved word); a group without an id is named by the common prefix of
//!   its choice ids. Types:
//!
//!   | VSAQ item | field | answer |
//!   |---|---|---|
//!   | `line`, `box`, `upload` | `string?` | the text |
//!   | `radiogroup` | `string?` | the id of the chosen choice |
//!   | `checkgroup` | `[string]?` | the ids of the checked choices |
//!   | `check` / `checkbox`, `yesno` | `bool?` | |
//!
//!   Each field has a `##` comment with the question (on one line, shortened)
//!   and, for groups, one line per choice; the blocks of the template are
//!   `#` headings.
//! - `requirements vsaq_NAME { applies questionnaire ... }`: one `should` rule
//!   per warning (a `tip` with `"warn": "yes"`). VSAQ shows a warning when
//!   its `cond` holds; the rule `require`s that it does not, with the
//!   negation pushed down to the answers (`office_ra != "office_ra_no"`,
//!   `not "x" in list`). Where the warning could not be shown at all (its
//!   blocks, or the questions it reads, are hidden by their own `cond`), the
//!   rule does not apply: those conditions are its `when`s. A missing answer
//!   never passes. The title is the question the warning is about, the
//!   `message` the warning's name and text, the `weight` its severity
//!   (`critical` 4, `high` 3, `medium` 2, otherwise 1), and every rule has
//!   `section it` unless told otherwise.
//!
//! Conditions name choices (`office_ra_no`), checkboxes and yes/no
//! questions (`id`, `id/yes`, `id/no`), text questions (`id`: not empty) and
//! whether an item is shown (`^id`). A warning whose condition uses anything
//! else (`id/value`, functions, strings) is skipped and reported.

pub mod generate;
pub mod vsaq;

pub use vsaq::ReadError;

/// How to import.
#[derive(Clone, Debug)]
pub struct Options {
    /// The name of the record and of the requirements group; default
    /// `vsaq_` and the file's name without extension.
    pub name: Option<String>,
    /// The `section` of every rule: `it` or `hr`.
    pub section: &'static str,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            name: None,
            section: "it",
        }
    }
}

/// The generated policy and what was made of the template.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The policy text, in the canonical layout of `policy fmt`.
    pub policy: String,
    /// The name of the record and of the requirements group.
    pub record: String,
    /// How many questions became fields.
    pub questions: usize,
    /// How many warnings became rules.
    pub rules: usize,
    /// What was skipped and why.
    pub warnings: Vec<String>,
}

/// Imports the VSAQ template `text`, read from the file named `source` (used
/// for the default name and the header comment).
pub fn vsaq(text: &str, source: &str, options: &Options) -> Result<Imported, ReadError> {
    let template = vsaq::read(text)?;
    Ok(generate::generate(&template, source, options))
}
