//! Policy text: parsing, `policy fmt` and the checker.
//!
//! For a file that parses, `policy fmt` must keep the properties its tests
//! state: the output parses, formatting it again changes nothing, the AST
//! (without spans) is the same, and every comment is kept in order.

#![no_main]

use accord::source::FileId;
use accord::syntax::fmt;
use accord_fuzz::{on_large_stack, render_diagnostics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    on_large_stack(|| run(text));
});

fn run(text: &str) {
    let file = FileId(0);
    let (ast, diagnostics) = accord::syntax::parse_file(file, text);
    if !diagnostics.iter().any(|d| d.is_error()) {
        fmt_properties(text, &ast);
    }

    let engine = accord::Engine::new(vec![("f.policy".into(), text.to_string())]);
    render_diagnostics(&engine.sources, &engine.diagnostics);
}

fn fmt_properties(text: &str, ast: &accord::syntax::ast::File) {
    let file = FileId(0);
    let once = match fmt::format(file, text) {
        Ok(once) => once,
        Err(_) => panic!("a file that parses is not formatted"),
    };
    let twice = match fmt::format(file, &once) {
        Ok(twice) => twice,
        Err(ds) => panic!(
            "the formatted text does not parse: {:?}\n{once}",
            ds.iter().map(|d| &d.message).collect::<Vec<_>>()
        ),
    };
    assert_eq!(once, twice, "formatting twice changes the text");
    let (formatted, _) = accord::syntax::parse_file(file, &once);
    assert_eq!(
        fmt::shape(ast),
        fmt::shape(&formatted),
        "formatting changes the AST\n--- formatted\n{once}"
    );
    let comments = |t: &str| -> String {
        let all: Vec<String> = fmt::comments(t).into_iter().map(|c| c.text).collect();
        all.join(" ")
    };
    assert_eq!(
        comments(text),
        comments(&once),
        "comments are lost or moved out of order\n--- formatted\n{once}"
    );
    let ends_well = once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n"));
    assert!(ends_well, "not one final newline");
    assert!(
        !once.lines().any(|l| l.ends_with([' ', '\t'])),
        "trailing whitespace"
    );
}
