//! The lifecycle of blueprint versions, through the CLI and the API: a
//! DRAFT is stored and checked but takes no items, an activated version
//! does, an ARCHIVED one takes no new items while its items go on working,
//! and two ACTIVE versions serve side by side (the newest by default).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

mod support;

use serde_json::json;
use support::{Daemon, Sandbox, http};

fn blueprint(step: &str) -> String {
    format!(
        "blueprint thing \"Thing\" {{\n  field note: text\n  workflow {{\n    step draft \"Draft\"\n    step {step} \"Next\"\n  }}\n  permission read = everyone\n  permission write = everyone\n}}\n"
    )
}

fn versions(s: &mut Sandbox) -> Vec<(u64, String)> {
    states(&s.ok(&["--json", "blueprint", "list"]).json())
}

/// The (version, state) of each version of `thing` in a list of versions.
fn states(list: &serde_json::Value) -> Vec<(u64, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|v| v["blueprint"] == "thing")
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn drafts_take_no_items_archived_versions_keep_theirs_and_actives_run_side_by_side() {
    let mut s = Sandbox::new("lifecycle");
    std::fs::write(s.dir.join("t.gov"), blueprint("review")).unwrap();
    s.ok(&["init", "--blueprints", "t.gov"]);
    s.ok(&["user", "add", "u"]);
    let first = s
        .ok(&["--as", "u", "item", "create", "thing", "first"])
        .stdout
        .trim()
        .to_string();

    // A changed blueprint loaded as a draft: stored, checked, taking no items.
    std::fs::write(s.dir.join("t.gov"), blueprint("validation")).unwrap();
    let loaded = s.ok(&["blueprint", "load", "t.gov", "--draft"]).stdout;
    assert!(
        loaded.contains("version 2 of `thing` is a DRAFT"),
        "{loaded}"
    );
    assert_eq!(
        versions(&mut s),
        [(1, "ACTIVE".into()), (2, "DRAFT".into())]
    );
    let second = s
        .ok(&["--json", "--as", "u", "item", "create", "thing", "second"])
        .json();
    assert_eq!(
        second["version"], 1,
        "new items keep the newest ACTIVE version"
    );
    let refused = s.expect(
        1,
        &[
            "--as",
            "u",
            "item",
            "create",
            "thing",
            "x",
            "--version",
            "2",
        ],
    );
    assert!(refused.stderr.contains("DRAFT"), "{}", refused.stderr);
    // A user who is not an admin may not change a version's state.
    s.expect(1, &["--as", "u", "blueprint", "activate", "thing", "2"]);

    // Activated, it is the default; version 1 stays ACTIVE beside it.
    let activated = s.ok(&["blueprint", "activate", "thing", "2"]).stdout;
    assert!(activated.contains("is ACTIVE (was DRAFT)"), "{activated}");
    let third = s
        .ok(&["--json", "--as", "u", "item", "create", "thing", "third"])
        .json();
    assert_eq!(third["version"], 2);
    let older = s
        .ok(&[
            "--json",
            "--as",
            "u",
            "item",
            "create",
            "thing",
            "older",
            "--version",
            "1",
        ])
        .json();
    assert_eq!(older["version"], 1, "two ACTIVE versions side by side");

    // Archived: no new items with it, and its items go on working.
    s.ok(&["blueprint", "archive", "thing", "1"]);
    assert_eq!(
        versions(&mut s),
        [(1, "ARCHIVED".into()), (2, "ACTIVE".into())]
    );
    let refused = s.expect(
        1,
        &[
            "--as",
            "u",
            "item",
            "create",
            "thing",
            "x",
            "--version",
            "1",
        ],
    );
    assert!(refused.stderr.contains("ARCHIVED"), "{}", refused.stderr);
    s.ok(&["--as", "u", "item", "set", &first, "note=still works"]);
    let moved = s
        .ok(&["--json", "--as", "u", "item", "advance", &first])
        .json();
    assert_eq!(
        moved["step"], "review",
        "the archived version's workflow, not the new one's"
    );
    s.ok(&["audit", "verify"]);

    // Loading the unchanged set as ACTIVE again changes nothing; a draft
    // loaded again without `--draft` is activated.
    std::fs::write(s.dir.join("t.gov"), blueprint("approval")).unwrap();
    s.ok(&["blueprint", "load", "t.gov", "--draft"]);
    let again = s.ok(&["blueprint", "load", "t.gov"]).stdout;
    assert!(
        again.contains("activated blueprint `thing` version 3"),
        "{again}"
    );

    // Every change of state is audited, and the API shows the states.
    let audited =
        s.sql_texts("SELECT action FROM audit_events WHERE action LIKE 'blueprint.%' ORDER BY seq");
    assert_eq!(
        audited,
        [
            "blueprint.activate",
            "blueprint.archive",
            "blueprint.activate"
        ]
    );
    let token = s.ok(&["--json", "token", "create", "u"]).json()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let d = Daemon::start(&s, &[]);
    let listed = http(d.port, "GET", "/api/v1/blueprints", Some(&token), &[], None).json();
    let states = states(&listed);
    assert_eq!(
        states,
        [
            (1, "ARCHIVED".into()),
            (2, "ACTIVE".into()),
            (3, "ACTIVE".into())
        ]
    );
    let body = json!({"blueprint": "thing", "name": "api", "version": 1});
    let r = http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&token),
        &[],
        Some(&body),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let body = json!({"blueprint": "thing", "name": "api", "version": 2});
    let r = http(
        d.port,
        "POST",
        "/api/v1/items",
        Some(&token),
        &[],
        Some(&body),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
}
