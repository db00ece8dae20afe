//! The documentation runs: every example of the README and of the book
//! (`docs/src`) does what it says (see `docs/harness.rs`), the generated
//! chapters (CLI reference, API reference, diagnostics index) are what the
//! code generates today, and the harness itself catches a broken example.
//!
//! `GOVRT_BLESS_DOCS=1 cargo test --test it docs::` rewrites the generated
//! chapters from the code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

mod harness;
mod reference;

use std::path::{Path, PathBuf};

use harness::{Options, run_document};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn options() -> Options {
    Options {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_govrt")),
        repo: repo(),
    }
}

fn chapters() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo().join("docs/src"), &mut out);
    out.sort();
    out
}

fn run_files(files: &[PathBuf]) {
    let options = options();
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file
            .strip_prefix(repo())
            .unwrap_or(file)
            .display()
            .to_string();
        failures.extend(run_document(&name, &text, &options));
    }
    let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}

#[test]
#[cfg_attr(
    not(govrt_has_curl),
    ignore = "needs curl (/usr/bin/curl) for the API transcripts"
)]
fn the_readme_examples_run() {
    run_files(&[repo().join("README.md"), repo().join("examples/README.md")]);
}

#[test]
#[cfg_attr(
    not(govrt_has_curl),
    ignore = "needs curl (/usr/bin/curl) for the API transcripts"
)]
fn the_book_examples_run() {
    run_files(&chapters());
}

#[test]
fn every_chapter_is_in_the_summary() {
    let summary = std::fs::read_to_string(repo().join("docs/src/SUMMARY.md")).unwrap();
    for chapter in chapters() {
        let rel = chapter.strip_prefix(repo().join("docs/src")).unwrap();
        let rel = rel.display().to_string();
        if rel == "SUMMARY.md" {
            continue;
        }
        assert!(
            summary.contains(&format!("]({rel})")),
            "docs/src/{rel} is not listed in docs/src/SUMMARY.md"
        );
    }
}

#[test]
fn every_relative_link_leads_to_a_file() {
    let mut files = chapters();
    files.push(repo().join("README.md"));
    files.push(repo().join("examples/README.md"));
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            for piece in line.split("](").skip(1) {
                let Some(end) = piece.find(')') else { continue };
                let target = &piece[..end];
                let path = target.split('#').next().unwrap_or("");
                if path.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !dir.join(path).exists() {
                    broken.push(format!("{}:{}: {target}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to nothing:\n{}",
        broken.join("\n")
    );
}

/// Compares a generated chapter with the file, or rewrites the file.
fn generated(rel: &str, text: &str) {
    let path = repo().join(rel);
    if std::env::var_os("GOVRT_BLESS_DOCS").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "{rel} is not what the code generates; run `GOVRT_BLESS_DOCS=1 cargo test --test it docs::` and commit it"
    );
}

#[test]
fn the_cli_reference_is_generated_from_the_command_line() {
    generated("docs/src/reference/cli.md", &reference::cli());
}

#[test]
fn the_api_reference_is_generated_from_the_openapi_document() {
    let document: serde_json::Value = serde_json::from_str(govrt::server::document_json()).unwrap();
    generated("docs/src/reference/api.md", &reference::api(&document));
}

#[test]
fn every_diagnostic_has_its_page_and_explain_shows_it() {
    generated(
        "docs/src/reference/diagnostics.md",
        &reference::diagnostics(),
    );
    for code in govrt::diag::Code::ALL {
        let short = code.as_str().trim_start_matches("gov::");
        let page = std::fs::read_to_string(repo().join(format!("docs/src/diagnostics/{short}.md")))
            .unwrap_or_else(|_| panic!("docs/src/diagnostics/{short}.md is missing"));
        assert!(
            page.contains(&format!("error={short}"))
                || page.contains(&format!("warning={short}"))
                || page.contains("```text"),
            "docs/src/diagnostics/{short}.md shows no example reporting {short}"
        );
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_govrt"))
            .args(["explain", short])
            .output()
            .unwrap();
        let shown = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            shown.trim_end(),
            govrt::diag::explanation_text(&page).trim_end(),
            "`govrt explain {short}` is not the book's page"
        );
    }
}

#[test]
fn the_harness_catches_a_broken_example() {
    let doc = "\
# A chapter with mistakes

```gov
blueprint project \"Project\" {}
```

```gov
blueprint model { parent projet }
```

```gov,error=E0202
blueprint model { parent projet }
```

```console
$ govrt validate blueprints
ok: [..]
$ govrt explain E9999
this is not what it prints
```

```console
$ govrt deploy check 1 prod
[exit: 0]
```
";
    let failures = run_document("broken.md", doc, &options());
    let lines: Vec<usize> = failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![7, 11, 15, 22], "{failures:#?}");
    assert!(failures[0].message.contains("E0108"), "{}", failures[0]);
    assert!(
        failures[1].message.contains("should report E0202"),
        "{}",
        failures[1]
    );
    assert!(
        failures[2].message.contains("govrt explain E9999"),
        "{}",
        failures[2]
    );
    assert!(
        failures[3].message.contains("exited with 1"),
        "{}",
        failures[3]
    );
}

#[test]
fn wildcards_match_what_they_say() {
    use harness::{line_matches, lines_match};
    assert!(line_matches("id [..] at [..]", "id 4 at 2026-12-01"));
    assert!(!line_matches("id [..] at", "id 4 on"));
    assert!(line_matches("[..]", ""));
    assert!(!line_matches("ab[..]ba", "aba"));
    let expected = vec!["a".to_owned(), "...".to_owned(), "z".to_owned()];
    assert!(lines_match(&expected, &["a", "b", "c", "z"]));
    assert!(lines_match(&expected, &["a", "z"]));
    assert!(!lines_match(&expected, &["a", "b"]));
}
