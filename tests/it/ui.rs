//! Diagnostics: one fixture per code under `tests/ui/<stage>/CODE_name.gov`,
//! each opening with a comment that says what it shows. The rendered report
//! (no colour, 80 columns) and the JSON of each fixture are snapshotted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use govrt::check;
use govrt::diag::{self, Code, Summary};

fn relative(path: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn code_of_fixture(path: &Path) -> Code {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let code = stem.split('_').next().unwrap();
    Code::parse(code).unwrap_or_else(|| panic!("{} is not named after a code", path.display()))
}

#[test]
fn every_fixture_reports_its_code_and_matches_its_snapshot() {
    insta::glob!("..", "ui/*/*.gov", |path| {
        let rel = relative(path);
        let text = std::fs::read(path).unwrap();
        assert!(
            text.starts_with(b"//"),
            "{} must open with a comment saying what it shows",
            rel.display()
        );
        let checked = check::check_paths(std::slice::from_ref(&rel)).unwrap();
        let expected = code_of_fixture(path);
        assert!(
            checked.diagnostics.iter().any(|d| d.code == expected),
            "{} does not report {}: {:?}",
            rel.display(),
            expected.as_str(),
            checked
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        );
        let mut rendered = String::new();
        for d in &checked.diagnostics {
            rendered.push_str(&diag::render_human(d, false, 80));
            rendered.push('\n');
        }
        let json = diag::to_json(
            Summary::of(checked.files, &checked.diagnostics),
            &checked.diagnostics,
        );
        rendered.push_str("---- json\n");
        rendered.push_str(&serde_json::to_string_pretty(&json).unwrap());
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn every_code_has_a_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut covered = BTreeSet::new();
    for stage in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(stage.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "gov") {
                let code = code_of_fixture(&path);
                let slug = path.file_stem().unwrap().to_string_lossy().to_string();
                assert!(
                    slug.starts_with(&format!(
                        "{}_{}",
                        code.as_str().trim_start_matches("gov::"),
                        code.slug()
                    )),
                    "{} should be named {}_{}…",
                    path.display(),
                    code.as_str(),
                    code.slug()
                );
                covered.insert(code);
            }
        }
    }
    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| !covered.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture under tests/ui: {missing:?}"
    );
}
