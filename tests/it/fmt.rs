//! `govrt fmt`: idempotent, meaning-preserving and comment-preserving on every
//! `.gov` file of the repository, and one canonical layout for messy input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use govrt::check::{self, DiskScripts};
use govrt::diag::SourceFile;
use govrt::syntax::fmt;

/// Every `.gov` file of the repository, grouped by folder (each folder is a set).
fn sets() -> BTreeMap<PathBuf, Vec<PathBuf>> {
    let files = check::collect_files(&[
        PathBuf::from("blueprints"),
        PathBuf::from("examples"),
        PathBuf::from("tests"),
    ])
    .unwrap();
    let mut sets: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        sets.entry(f.parent().unwrap_or(Path::new("")).to_path_buf())
            .or_default()
            .push(f);
    }
    sets
}

#[test]
fn fmt_is_idempotent_and_keeps_comments_on_every_file() {
    let mut formatted_files = 0;
    for files in sets().values() {
        let (sources, _) = check::read_sources(files);
        for source in &sources {
            let Ok(once) = fmt::format_source(source) else {
                continue;
            };
            let twice = fmt::format_source(&SourceFile::new(source.name.clone(), once.clone()))
                .unwrap_or_else(|d| panic!("formatted {} no longer parses: {d:?}", source.name));
            assert_eq!(once, twice, "fmt is not idempotent on {}", source.name);
            assert_eq!(
                fmt::comments(&source.text),
                fmt::comments(&once),
                "fmt lost or changed comments of {}",
                source.name
            );
            let docs = |t: &str| -> Vec<String> {
                t.lines()
                    .map(str::trim)
                    .filter(|l| l.starts_with("///"))
                    .map(str::to_string)
                    .collect()
            };
            assert_eq!(
                docs(&source.text),
                docs(&once),
                "fmt lost or changed doc comments of {}",
                source.name
            );
            formatted_files += 1;
        }
    }
    assert!(
        formatted_files > 50,
        "only {formatted_files} files formatted"
    );
}

#[test]
fn fmt_never_changes_meaning() {
    for files in sets().values() {
        let (sources, _) = check::read_sources(files);
        let formatted: Vec<Arc<SourceFile>> = sources
            .iter()
            .map(|s| match fmt::format_source(s) {
                Ok(text) => SourceFile::new(s.name.clone(), text),
                Err(_) => Arc::clone(s),
            })
            .collect();
        let before = check::check_sources(&sources, &DiskScripts);
        let after = check::check_sources(&formatted, &DiskScripts);
        assert_eq!(before.set, after.set, "fmt changed the model of {files:?}");
        let codes = |c: &check::Checked| {
            c.diagnostics
                .iter()
                .map(|d| (d.file.name.clone(), d.code, d.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(&before),
            codes(&after),
            "fmt changed the diagnostics of {files:?}"
        );
    }
}

#[test]
fn the_standard_blueprints_and_examples_are_formatted() {
    for files in sets()
        .into_iter()
        .filter(|(dir, _)| !dir.starts_with("tests"))
        .map(|(_, f)| f)
    {
        let (sources, _) = check::read_sources(&files);
        for source in sources {
            assert_eq!(
                fmt::format_source(&source).unwrap(),
                *source.text,
                "run `govrt fmt` on {}",
                source.name
            );
        }
    }
}

#[test]
fn the_readme_sample_blueprint_is_formatted() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut blocks = readme.split("```gov\n").skip(1).peekable();
    assert!(blocks.peek().is_some(), "the README has a sample blueprint");
    for block in blocks {
        let text = block.split("```").next().unwrap();
        let source = SourceFile::new("README.md", text);
        assert_eq!(
            fmt::format_source(&source).unwrap(),
            text,
            "the README's sample blueprint is not as `govrt fmt` writes it"
        );
    }
}

#[test]
fn messy_input_gets_the_canonical_layout() {
    let messy = r#"// header comment

/// Doc of a.
blueprint a "A" { // after the brace
version 2; parent b
   field x : int(1..5)   help "h" = 3 required // after x


  /* block */ field y: enum( p , q ) = p
  role r = field z , user "bob"
  field z: [user]
  permission write = role r
  workflow { step s1 "S1"  step s2 { signoff { final { reviewers = everyone // inside
  } feedback g { min 2 reviewers = role r } mandatory reset every 6 months } }
  // before the closing brace
  }
  matrix m { y x x y }
}
blueprint b {}
infrastructure p { policy prevent } infrastructure q
// end
"#;
    let out = fmt::format_source(&SourceFile::new("messy.gov", messy)).unwrap();
    insta::assert_snapshot!(out);
}
