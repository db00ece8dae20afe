//! `govrt fmt`: idempotent, meaning-preserving and comment-preserving on every
//! `.gov` file of the repository, and one canonical layout for messy input;
//! and, as property tests, no input panics the parser, the checker or the
//! formatter, and whatever parses formats idempotently without losing meaning.

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
use govrt::syntax::{self, fmt};
use proptest::prelude::*;

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

const VOCABULARY: &[&str] = &[
    "blueprint",
    "infrastructure",
    "version",
    "parent",
    "script",
    "field",
    "required",
    "help",
    "role",
    "permission",
    "read",
    "write",
    "workflow",
    "step",
    "signoff",
    "mandatory",
    "gates",
    "deployment",
    "feedback",
    "reviewers",
    "min",
    "final",
    "not",
    "requester",
    "reset",
    "every",
    "matrix",
    "x",
    "y",
    "size",
    "color",
    "policy",
    "prevent",
    "warn",
    "enum",
    "int",
    "ref",
    "text",
    "user",
    "group",
    "api_key",
    "everyone",
    "principal",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    ":",
    ",",
    ".",
    "..",
    ";",
    "\"a\"",
    "\"\\q\"",
    "\"\\u{41}\"",
    "0",
    "2",
    "-1",
    "1.5",
    "2027-01-31",
    "2027-02-30",
    "2027-01-31T09:00:00Z",
    "6 months",
    "0 days",
    "true",
    "a",
    "b",
    "project",
    "model",
    "// c\n",
    "/* c */",
    "/// d\n",
    "\n",
    " ",
    "\"",
    "/*",
    "é",
];

fn tokens() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..60).prop_map(|t| t.join(" "))
}

const SEED: &str = r#"/// A project.
blueprint project "Project" {
  field owner: user "Owner" required
  field final_approvers: [principal]
  field value: int(1..5) = 3
  role owner = field owner
  permission write = role owner, group "admins"
  workflow {
    step review "Review" {
      signoff {
        mandatory
        feedback risk "Risk" { reviewers = group "risk"  min 2 }
        final { reviewers = project.field final_approvers  not requester }
        reset every 6 months
      }
    }
  }
  matrix m { x value  y value }
}
infrastructure prod { policy prevent }
"#;

fn check_all_stages(text: &str) {
    let file = SourceFile::new("prop.gov", text);
    let _ = check::check_sources(std::slice::from_ref(&file), &DiskScripts);
    if let Ok(tree) = syntax::parse(&file) {
        let once = fmt::format_file(text, &tree);
        let again = fmt::format_source(&SourceFile::new("prop.gov", once.clone()))
            .unwrap_or_else(|d| panic!("formatted text no longer parses: {d:?}\n{once}"));
        assert_eq!(once, again, "fmt is not idempotent on:\n{text}");
        assert_eq!(
            fmt::comments(text),
            fmt::comments(&once),
            "fmt changed comments of:\n{text}"
        );
        let before = check::check_sources(&[Arc::clone(&file)], &DiskScripts);
        let after = check::check_sources(&[SourceFile::new("prop.gov", once)], &DiskScripts);
        assert_eq!(before.set, after.set, "fmt changed the meaning of:\n{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        check_all_stages(&text);
    }

    #[test]
    fn token_soup_never_panics(text in tokens()) {
        check_all_stages(&text);
    }

    #[test]
    fn edits_of_a_valid_file_never_panic(at in 0usize..SEED.len(), cut in 0usize..40, insert in tokens()) {
        let mut at = at;
        while !SEED.is_char_boundary(at) { at -= 1; }
        let mut end = (at + cut).min(SEED.len());
        while !SEED.is_char_boundary(end) { end -= 1; }
        let text = format!("{}{}{}", &SEED[..at], insert, &SEED[end..]);
        check_all_stages(&text);
    }
}

#[test]
fn deep_nesting_and_long_input_do_not_overflow() {
    let deep = "[".repeat(100_000);
    check_all_stages(&format!("blueprint a {{ field x: {deep} }}"));
    let long: String = (0..2_000)
        .map(|i| {
            format!(
                "blueprint b{i} {{ field x: text }}
"
            )
        })
        .collect();
    check_all_stages(&long);
}
