//! Every limit that bounds work on untrusted input, in one place.

/// Largest document file read (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;
/// Deepest nesting of lists and mappings in a document.
pub const MAX_DOCUMENT_DEPTH: usize = 256;
/// Most nodes a YAML document may expand to through aliases.
pub const MAX_ALIAS_NODES: usize = 1_000_000;
/// Largest policy file read (bytes).
pub const MAX_POLICY_BYTES: usize = 16 * 1024 * 1024;
