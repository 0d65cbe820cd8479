//! The whole check: a policy file and a document, as `policy check` runs
//! them, with the results rendered in every output format.
//!
//! The input is the policy text, a 0 byte, then the document (YAML, or JSON
//! when it starts with `{` or `[`). Without a 0 byte the input is the
//! document, checked against the standard library alone.

#![no_main]

use accord::input::Format;
use accord::report::Report;
use accord_fuzz::{on_large_stack, render_diagnostics, today};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (policy, document) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let (Ok(policy), Ok(document)) = (std::str::from_utf8(policy), std::str::from_utf8(document))
    else {
        return;
    };
    on_large_stack(|| run(policy, document));
});

fn run(policy: &str, document: &str) {
    let mut engine = accord::Engine::new(vec![("p.policy".into(), policy.to_string())]);
    let today = today();
    let mut report = Report {
        documents: Vec::new(),
        diagnostics: engine.diagnostics.clone(),
    };
    report.documents.extend(engine.check_policy_set(today));
    let format = Format::guess("<stdin>", document);
    let (documents, diagnostics) =
        engine.check_text("<stdin>", document.to_string(), format, today);
    report.documents.extend(documents);
    report.diagnostics.extend(diagnostics);
    render_diagnostics(&engine.sources, &report.diagnostics);

    let (set, sources) = (&engine.set, &engine.sources);
    let json = accord::report::json::render(&report, set, sources);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&json) {
        panic!("the JSON report does not parse: {e}\n{json}");
    }
    let sarif = accord::report::sarif::render(&report, set, sources);
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&sarif) {
        panic!("the SARIF report does not parse: {e}\n{sarif}");
    }
    let _ = accord::report::human::render(&report, set, sources, false);
    let _ = accord::report::junit::render(&report, set, sources);
    let _ = accord::report::github::render(&report, set, sources);
    let _ = accord::report::github::summary_markdown(&report, set, sources);
    let _ = report.exit_code(set, true);
}
