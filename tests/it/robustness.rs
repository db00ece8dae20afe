//! Property tests: no input panics the parser, the checker or the formatter,
//! and whatever parses formats idempotently without losing meaning.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::sync::Arc;

use govrt::check::{self, DiskScripts};
use govrt::diag::SourceFile;
use govrt::syntax::{self, fmt};
use proptest::prelude::*;

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
