//! `govrt validate`, `govrt fmt` and `govrt explain` through the real binary:
//! exit codes, both output formats, positions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::path::Path;
use std::process::{Command, Output};

fn govrt(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_govrt"))
        .args(args)
        .current_dir(dir)
        .env_remove("GOVRT_DB")
        .env("NO_COLOR", "1")
        .output()
        .expect("the govrt binary runs")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn standard_blueprints_and_examples_validate() {
    let out = govrt(
        &["validate", "blueprints", "examples", "--deny-warnings"],
        root(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!(text(&out.stderr));
    let out = govrt(
        &["validate", "blueprints", "examples", "--format", "json"],
        root(),
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 0);
    assert!(json["files"].as_u64().unwrap() >= 8);
}

#[test]
fn a_broken_file_exits_1_with_its_line_and_column_in_both_formats() {
    let dir = tempdir("broken");
    std::fs::write(
        dir.join("broken.gov"),
        "blueprint model \"Model\" {\n  field owner: user\n  parent projet\n}\n",
    )
    .unwrap();
    let out = govrt(&["validate", "broken.gov"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stderr);
    assert!(human.contains("broken.gov:3:10"), "{human}");
    insta::assert_snapshot!(human);

    let out = govrt(&["validate", "broken.gov", "--format", "json"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    insta::assert_json_snapshot!(json);
    let d = &json["diagnostics"][0];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(10))
    );
    assert_eq!(d["code"], "gov::E0108");
    assert_eq!(d["file"], "broken.gov");

    // --json is the global spelling of the same output.
    let out = govrt(&["--json", "validate", "broken.gov"], &dir);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        json
    );
}

#[test]
fn a_syntax_error_has_its_position_too() {
    let dir = tempdir("syntax");
    std::fs::write(
        dir.join("bad.gov"),
        "blueprint model {\n  workflow {\n    stp review\n  }\n}\n",
    )
    .unwrap();
    let out = govrt(&["validate", "--format", "json", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "gov::E0001");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(5))
    );
    assert!(d["message"].as_str().unwrap().contains("`step`"), "{d}");
}

#[test]
fn several_syntax_errors_in_one_file_are_each_reported() {
    let dir = tempdir("syntax-several");
    std::fs::write(
        dir.join("bad.gov"),
        "blueprint model {\n  workflow {\n    stp review\n  }\n}\n\n\
         /// Fine.\nblueprint project { field owner: user }\n\n\
         blueprint bundle {\n  field size: int = \"big\n}\n\n\
         infrastructure prod { policy }\n",
    )
    .unwrap();
    let out = govrt(&["validate", "--format", "json", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines: Vec<(&str, u64)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [("gov::E0001", 3), ("gov::E0001", 11), ("gov::E0001", 14)],
        "{json}"
    );
    let human = govrt(&["validate", "bad.gov"], &dir);
    insta::assert_snapshot!(text(&human.stderr));
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempdir("warn");
    std::fs::write(
        dir.join("w.gov"),
        "blueprint model {\n  field owner: user\n  role owner = field owner\n}\n",
    )
    .unwrap();
    assert_eq!(govrt(&["validate", "w.gov"], &dir).status.code(), Some(0));
    assert_eq!(
        govrt(&["validate", "w.gov", "--deny-warnings"], &dir)
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn a_missing_path_is_refused_with_a_json_error() {
    let out = govrt(&["--json", "validate", "no/such/dir"], root());
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["code"], "invalid_input");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no/such/dir")
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        govrt(&["validate", "--format", "xml"], root())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(govrt(&["no-such-command"], root()).status.code(), Some(2));
}

#[test]
fn fmt_check_lists_files_and_fmt_rewrites_them() {
    let dir = tempdir("fmt");
    std::fs::write(dir.join("a.gov"), "blueprint a {field x:int // why\n}\n").unwrap();
    std::fs::write(dir.join("b.gov"), "blueprint b {}\n").unwrap();
    let out = govrt(&["fmt", "--check", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "would reformat ./a.gov\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("a.gov")).unwrap(),
        "blueprint a {field x:int // why\n}\n"
    );

    let out = govrt(&["fmt", "."], &dir);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "formatted ./a.gov\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("a.gov")).unwrap(),
        "blueprint a {\n  field x: int  // why\n}\n"
    );
    assert_eq!(govrt(&["fmt", "--check", "."], &dir).status.code(), Some(0));
}

#[test]
fn fmt_refuses_a_file_with_a_syntax_error_and_leaves_it_alone() {
    let dir = tempdir("fmt-bad");
    std::fs::write(dir.join("a.gov"), "blueprint a {\n").unwrap();
    let out = govrt(&["fmt", "a.gov"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("gov::E0001"));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.gov")).unwrap(),
        "blueprint a {\n"
    );
}

#[test]
fn explain_describes_a_code() {
    let out = govrt(&["explain", "E0202"], root());
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(text(&out.stdout));
    assert_eq!(govrt(&["explain", "E9999"], root()).status.code(), Some(1));
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("govrt-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
