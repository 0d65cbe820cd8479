//! Helpers shared by the fuzz targets.

use accord::diagnostic::Diagnostic;
use accord::input::{Node, NodeValue};
use accord::source::{SourceMap, Span};

/// The stack the command line gives the checker (`cli::run`): the library
/// bounds its recursion so that every accepted input fits in it, and the fuzz
/// targets hold it to that, not to the smaller stack of libFuzzer's thread.
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Runs `work` on a thread with [`STACK_BYTES`] of stack; a panic there is
/// carried back to the caller (where libFuzzer reports it).
pub fn on_large_stack<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, work)
            .expect("cannot start the worker thread");
        match worker.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The date `today()` returns in the checks: 2026-11-21.
pub fn today() -> i32 {
    accord::time::days_from_civil(2026, 11, 21)
}

/// Panics unless `span` lies inside its file and starts and ends on
/// character boundaries (every renderer slices the text with it).
pub fn assert_span(sources: &SourceMap, span: Span, what: &str) {
    let (Some(file), Some(range)) = (span.file(), span.range()) else {
        return;
    };
    let text = sources.text(file);
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what}: span {range:?} outside a file of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: span {range:?} splits a character"
    );
}

/// Checks the spans of every node of a document tree.
pub fn assert_node_spans(sources: &SourceMap, node: &Node) {
    assert_span(sources, node.span, "node");
    if let Some(key) = node.key {
        assert_span(sources, key, "key");
    }
    match &node.value {
        NodeValue::List(items) => items.iter().for_each(|n| assert_node_spans(sources, n)),
        NodeValue::Map(entries) => entries.values().for_each(|n| assert_node_spans(sources, n)),
        _ => {}
    }
}

/// Checks the spans of `diagnostics` and renders each one as the command
/// line would (codespan snippets and JSON).
pub fn render_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    // Spans of all are checked; as the command line does, only the first
    // `MAX_FILE_DIAGNOSTICS` of a file are drawn (each with its whole line).
    for (i, d) in diagnostics.iter().enumerate() {
        for label in &d.labels {
            assert_span(sources, label.span, d.code);
        }
        let _ = d.location(sources);
        if i < accord::MAX_FILE_DIAGNOSTICS {
            let _ = accord::report::human::render_diagnostic(sources, d);
        }
        let _ = accord::report::json::diagnostic(sources, d, None);
    }
}
