//! Any text through the parser and the checker: neither may panic, loop or
//! crash; every input ends in a set or in diagnostics.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Scripts come from memory (none): the fuzzer reads no file.
        let scripts = std::collections::BTreeMap::<std::path::PathBuf, String>::new();
        let source = govrt::diag::SourceFile::new("fuzz.gov", text);
        let checked = govrt::check::check_sources(&[source], &scripts);
        // Rendering the diagnostics is part of what a user sees: it must hold too.
        for d in &checked.diagnostics {
            let _ = d.to_string();
        }
    }
});
