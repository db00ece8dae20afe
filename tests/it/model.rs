//! The checked model of the standard blueprints, and the syntax tree of one of
//! them, snapshotted: a change to either is a change of meaning to review.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::PathBuf;

use govrt::check;
use govrt::diag::SourceFile;

#[test]
fn standard_blueprints_check_without_any_diagnostic() {
    let checked = check::check_paths(&[PathBuf::from("blueprints")]).unwrap();
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    let set = checked.set.expect("a valid set");
    let ids: Vec<&str> = set.blueprints.keys().map(|b| b.as_str()).collect();
    assert_eq!(
        ids,
        [
            "bundle",
            "business_initiative",
            "model",
            "model_version",
            "project"
        ]
    );
}

#[test]
fn checked_model_of_each_standard_blueprint() {
    let set = check::check_paths(&[PathBuf::from("blueprints")])
        .unwrap()
        .set
        .unwrap();
    for (id, blueprint) in &set.blueprints {
        insta::assert_json_snapshot!(format!("model_{id}"), blueprint);
    }
    insta::assert_json_snapshot!("model_infrastructures", set.infrastructures);
}

#[test]
fn ancestors_follow_parents_nearest_first() {
    let set = check::check_paths(&[PathBuf::from("blueprints")])
        .unwrap()
        .set
        .unwrap();
    let chain: Vec<&str> = set
        .ancestors(&"model_version".into())
        .iter()
        .map(|b| b.id.as_str())
        .collect();
    assert_eq!(chain, ["model", "project", "business_initiative"]);
}

#[test]
fn syntax_tree_of_the_model_version_blueprint() {
    let text = std::fs::read_to_string("blueprints/model_version.gov").unwrap();
    let tree =
        govrt::syntax::parse(&SourceFile::new("blueprints/model_version.gov", text)).unwrap();
    insta::assert_json_snapshot!("ast_model_version", tree);
}

#[test]
fn examples_check_without_any_diagnostic() {
    let checked =
        check::check_paths(&[PathBuf::from("blueprints"), PathBuf::from("examples")]).unwrap();
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    let set = checked.set.unwrap();
    let credit = set.blueprint("credit_model").unwrap();
    let script = credit.script.as_ref().unwrap();
    assert_eq!(script.hooks, ["mandatory", "reviewers", "validate"]);
    let go_live = credit.step("go_live").unwrap().signoff.as_ref().unwrap();
    assert_eq!(go_live.reset_every.unwrap().to_string(), "1 year");
}
