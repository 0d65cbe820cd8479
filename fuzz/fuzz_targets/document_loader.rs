//! Documents: the YAML and the JSON loader, on the same bytes.
//!
//! Loading must not panic, and every span it returns (of nodes, keys and
//! diagnostics) must lie in the file on character boundaries.

#![no_main]

use accord::input::{self, Format};
use accord::source::SourceMap;
use accord_fuzz::{assert_node_spans, on_large_stack, render_diagnostics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    on_large_stack(|| {
        for (name, format) in [("d.yaml", Format::Yaml), ("d.json", Format::Json)] {
            let mut sources = SourceMap::new();
            let file = sources.add(name, text);
            let (documents, diagnostics) = input::load(&sources, file, format);
            for document in &documents {
                assert_eq!(document.file, file);
                assert_node_spans(&sources, &document.root);
            }
            render_diagnostics(&sources, &diagnostics);
        }
    });
});
