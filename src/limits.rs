//! Every limit that bounds work on untrusted input, in one place. The limits
//! on documents can be raised on the command line (see [`Limits`]); the limits
//! on policies are fixed (a policy nested that deep is a mistake, not a need).

/// Largest document file read (bytes); `--max-document-mb`.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;
/// Deepest nesting of lists and mappings in a document; `--max-depth`.
pub const MAX_DOCUMENT_DEPTH: usize = 256;
/// The most `--max-depth` may be: deeper input would need more stack than the
/// checker's threads have.
pub const MAX_DOCUMENT_DEPTH_CEILING: usize = 10_000;
/// Most nodes a YAML document may expand to through aliases; `--max-aliases`.
pub const MAX_ALIAS_NODES: usize = 1_000_000;
/// Most expression evaluations for one document; `--max-steps`.
pub const MAX_EVAL_STEPS: u64 = 200_000_000;
/// Largest policy file read (bytes).
pub const MAX_POLICY_BYTES: usize = 16 * 1024 * 1024;
/// Deepest bracket nesting in a policy file.
pub const MAX_POLICY_NESTING: usize = 200;
/// Deepest expression nesting in a policy (operators and brackets).
pub const MAX_EXPR_DEPTH: usize = 256;
/// Deepest nesting of a questionnaire template read by `policy import`.
pub const MAX_IMPORT_DEPTH: usize = 64;
/// Deepest chain of visibility conditions `policy import` follows.
pub const MAX_IMPORT_CONDITIONS: usize = 16;

/// The limits on documents in force for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub document_bytes: usize,
    pub document_depth: usize,
    pub alias_nodes: usize,
    pub eval_steps: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            document_bytes: MAX_DOCUMENT_BYTES,
            document_depth: MAX_DOCUMENT_DEPTH,
            alias_nodes: MAX_ALIAS_NODES,
            eval_steps: MAX_EVAL_STEPS,
        }
    }
}
