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

use crate::support::{Daemon, Sandbox, http};
use serde_json::json;

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
    let shown = s
        .ok(&["--json", "blueprint", "show", "thing", "--version", "1"])
        .json();
    assert_eq!(shown["state"], "ARCHIVED", "{shown}");
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
    // The web UI's blueprints page shows them too.
    let (cookie, _) = crate::support::sign_in(d.port, &token);
    let page = crate::support::get_page(d.port, "/blueprints", Some(&cookie));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<td>ARCHIVED</td>") && !page.body.contains("<td>DRAFT</td>"),
        "{}",
        page.body
    );
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

const THING_V1: &str = r#"blueprint thing "Thing" {
  field note: text
  field legacy: text
  workflow {
    step draft "Draft"
    step review "Review" {
      signoff {
        feedback risk "Risk" { reviewers = everyone }
        final { reviewers = everyone }
      }
    }
    step done "Done"
  }
  permission read = everyone
  permission write = everyone
}
"#;

const THING_V2: &str = r#"blueprint thing "Thing" {
  version 2
  field notes: text
  field tier: enum(low, high)
  workflow {
    step draft "Draft"
    step validation "Validation" {
      signoff {
        feedback model_risk "Model risk" { reviewers = everyone }
        final { reviewers = everyone }
      }
    }
    step release "Release"
  }
  permission read = everyone
  permission write = everyone
}

migrate thing 1 -> 2 {
  step review -> validation
  step done -> release
  field note -> notes
  set tier = low
  drop legacy
  signoff review -> validation keep
}
"#;

#[test]
fn running_items_move_to_a_new_version_by_the_sets_migration() {
    let mut s = Sandbox::new("migrate");
    std::fs::write(s.dir.join("t.gov"), THING_V1).unwrap();
    s.ok(&["init", "--blueprints", "t.gov"]);
    s.ok(&["user", "add", "u"]);
    let create = |s: &mut Sandbox, name: &str| {
        s.ok(&[
            "--as", "u", "item", "create", "thing", name, "--set", "note=n", "--set", "legacy=x",
        ])
        .stdout
        .trim()
        .to_string()
    };
    let drafted = create(&mut s, "drafted");
    let reviewed = create(&mut s, "reviewed");
    let waiting = create(&mut s, "waiting");
    for item in [&reviewed, &waiting] {
        s.ok(&["--as", "u", "item", "move", item, "review"]);
    }
    s.ok(&["--as", "u", "signoff", "request-review", &reviewed]);
    s.ok(&[
        "--as", "u", "signoff", "feedback", &reviewed, "risk", "approved",
    ]);

    // The new version and its migration: a set that does not fit is refused.
    std::fs::write(
        s.dir.join("t.gov"),
        THING_V2.replace("-> validation keep", "-> nowhere keep"),
    )
    .unwrap();
    let refused = s.expect(1, &["blueprint", "load", "t.gov"]);
    assert!(refused.stderr.contains("E0121"), "{}", refused.stderr);
    // The old side is checked against the stored version 1 when it is loaded.
    std::fs::write(
        s.dir.join("t.gov"),
        THING_V2.replace("field note -> notes", "field nothing -> notes"),
    )
    .unwrap();
    let refused = s.expect(1, &["blueprint", "load", "t.gov"]);
    assert!(
        refused.stderr.contains("version 1 has no field `nothing`"),
        "{}",
        refused.stderr
    );
    // `validate` says so too with the database named; without, it checks the set alone.
    let db = s.db().display().to_string();
    let checked = s.expect(1, &["validate", "t.gov", "--db", &db]);
    assert!(
        checked.stderr.contains("version 1 has no field `nothing`"),
        "{}",
        checked.stderr
    );
    s.ok(&["validate", "t.gov"]);
    std::fs::write(s.dir.join("t.gov"), THING_V2).unwrap();
    s.ok(&["validate", "t.gov", "--db", &db]);
    s.ok(&["blueprint", "load", "t.gov"]);

    // A dry run reports per item, and changes nothing.
    let dry = s.expect(
        1,
        &[
            "--json",
            "migrate",
            "thing",
            "--from",
            "1",
            "--to",
            "2",
            "--dry-run",
        ],
    );
    let report = dry.json();
    assert_eq!(
        (report["moved"].as_u64(), report["blocked"].as_u64()),
        (Some(2), Some(1))
    );
    let blocked = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == reviewed.as_str())
        .unwrap();
    assert!(
        blocked["problems"][0]
            .as_str()
            .unwrap()
            .contains("group `risk`"),
        "{blocked}"
    );
    insta::assert_json_snapshot!("migration_dry_run", report);
    let unchanged = s.ok(&["--json", "item", "show", &drafted]).json();
    assert_eq!(unchanged["version"], 1);

    // Applied: the items that can move do, one transaction each.
    let applied = s
        .expect(1, &["migrate", "thing", "--from", "1", "--to", "2"])
        .stdout;
    assert!(
        applied.contains("2 moved, 1 cannot move, 0 already on version 2"),
        "{applied}"
    );
    let moved = s.ok(&["--json", "item", "show", &drafted]).json();
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["fields"]["notes"], "n");
    assert_eq!(moved["fields"]["tier"], "low");
    assert!(moved["fields"].get("legacy").is_none());
    let on_validation = s.ok(&["--json", "item", "show", &waiting]).json();
    assert_eq!(on_validation["step"], "validation");
    assert!(
        s.history_actions("u", &waiting)
            .contains(&"item.migrate".to_string())
    );
    // The migration says from, to and what changed, in the history and the
    // audit trail alike.
    let history = s.ok(&["--as", "u", "item", "history", &waiting]).stdout;
    let line = history
        .lines()
        .find(|l| l.contains("item.migrate"))
        .unwrap();
    assert!(line.contains("version 1 → 2"), "{line}");
    assert!(line.contains("step review → validation"), "{line}");
    assert!(line.contains("field note renamed to notes"), "{line}");
    assert!(line.contains("field legacy dropped"), "{line}");
    let trail = s
        .ok(&[
            "audit",
            "list",
            "--action",
            "item.migrate",
            "--item",
            &waiting,
        ])
        .stdout;
    assert_eq!(trail.lines().count(), 1, "{trail}");

    // Resumed after the blocker is dealt with: only what is left moves.
    s.ok(&["--as", "u", "signoff", "reset", &reviewed]);
    let resumed = s
        .ok(&["migrate", "thing", "--from", "1", "--to", "2"])
        .stdout;
    assert!(
        resumed.contains("1 moved, 0 cannot move, 2 already on version 2"),
        "{resumed}"
    );
    let status = s.ok(&["--json", "status", &reviewed]).json();
    assert_eq!(status["item"]["version"], 2, "{status}");
    s.ok(&["audit", "verify"]);
    // Only admins migrate.
    s.expect(
        1,
        &["--as", "u", "migrate", "thing", "--from", "1", "--to", "2"],
    );

    // The API runs the same migration: nothing is left to move.
    s.ok(&["user", "add", "admin", "--admin"]);
    let (admin, user) = (s.token("admin"), s.token("u"));
    let d = Daemon::start(&s, &[]);
    let body = json!({"from": 1, "to": 2, "dry_run": true, "items": [drafted]});
    let path = "/api/v1/blueprints/thing/migrate";
    let r = http(d.port, "POST", path, Some(&admin), &[], Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["already"].as_u64(), r.json()["moved"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        http(d.port, "POST", path, Some(&user), &[], Some(&body)).status,
        403
    );
}

#[test]
fn replay_finds_nothing_against_the_same_set_and_names_what_a_stricter_one_refuses() {
    let mut s = Sandbox::new("replay");
    let (_, model) = s.standard_world();
    let v = s.model_version(&model, "Scorer v1");
    s.ok(&["--as", "owner", "item", "move", &v, "review"]);
    s.ok(&["--as", "owner", "signoff", "request-review", &v]);
    for (user, group) in [("itops", "it_ops"), ("risk1", "risk"), ("biz", "business")] {
        s.ok(&["--as", user, "signoff", "feedback", &v, group, "approved"]);
    }
    s.ok(&["--as", "owner", "signoff", "request-final", &v]);
    s.ok(&["--as", "approver", "signoff", "approve", &v]);
    let standard = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    let standard = standard.to_str().unwrap();

    // The same set decides the same.
    let same = s
        .ok(&["replay", "--candidate", standard, "--format", "json"])
        .json();
    assert_eq!(same["diverged"], 0, "{same}");
    assert!(same["replayed"].as_u64().unwrap() >= 8, "{same}");

    // A stricter set: the risk group needs two reviews.
    let stricter = s.dir.join("stricter");
    std::fs::create_dir_all(&stricter).unwrap();
    for entry in std::fs::read_dir(standard).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().replace(
            r#"feedback risk "Risk & Compliance" { reviewers = project.field risk_reviewers }"#,
            r#"feedback risk "Risk & Compliance" { reviewers = project.field risk_reviewers  required  min 2 }"#,
        );
        std::fs::write(stricter.join(path.file_name().unwrap()), text).unwrap();
    }
    let run = s.expect(
        1,
        &[
            "replay",
            "--candidate",
            stricter.to_str().unwrap(),
            "--blueprint",
            "model_version",
        ],
    );
    assert!(
        run.stdout.contains(&format!(
            "item {v} `Scorer v1` diverges at `signoff.request_final_approval`"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("deploy to prod would be BLOCK, not ALLOW"),
        "{}",
        run.stdout
    );
    // The real database is untouched.
    let status = s.ok(&["--json", "status", &v]).json();
    assert_eq!(status["approved"], true);
}

/// The standard `model_version` at version 2: a renamed field, a new step
/// after the review, and the review's sign-off reset by the migration.
fn standard_v2(dir: &std::path::Path) {
    let standard = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(standard).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("model_version.gov") {
            text = text
                .replace("  parent model\n", "  parent model\n  version 2\n")
                .replace("field review_notes: text", "field reviewer_notes: text")
                .replace(
                    "    step deployed \"Deployed\"",
                    "    step monitoring \"Monitoring\"\n    step deployed \"Deployed\"",
                );
            text.push_str("\nmigrate model_version 1 -> 2 {\n  field review_notes -> reviewer_notes\n  signoff review -> review reset\n  signoff validation -> validation reset\n}\n");
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
}

#[test]
fn the_standard_model_version_migrates_from_every_step_and_signoff_state() {
    let mut s = Sandbox::new("migrate-standard");
    let (_, model) = s.standard_world();
    let mut items = Vec::new();
    let mut version = |s: &mut Sandbox, name: &str, to: Option<&str>| {
        let v = s.model_version(&model, name);
        if let Some(step) = to {
            s.ok(&["--as", "owner", "item", "move", &v, step]);
        }
        items.push(v.clone());
        v
    };
    version(&mut s, "exploring", None);
    version(&mut s, "qualifying", Some("qualification"));
    version(&mut s, "building", Some("in_progress"));
    version(&mut s, "not started", Some("review"));
    let waiting = version(&mut s, "waiting", Some("review"));
    let approving = version(&mut s, "approving", Some("review"));
    let approved = version(&mut s, "approved", Some("review"));
    let abandoned = version(&mut s, "abandoned", Some("review"));
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &waiting,
        "review_notes=see the card",
    ]);
    for v in [&waiting, &approving, &approved, &abandoned] {
        s.ok(&["--as", "owner", "signoff", "request-review", v]);
    }
    for v in [&approving, &approved] {
        for (user, group) in [("itops", "it_ops"), ("risk1", "risk"), ("biz", "business")] {
            s.ok(&["--as", user, "signoff", "feedback", v, group, "approved"]);
        }
        s.ok(&["--as", "owner", "signoff", "request-final", v]);
    }
    s.ok(&["--as", "approver", "signoff", "approve", &approved]);
    s.ok(&["--as", "owner", "item", "move", &approved, "deployed"]);
    s.ok(&[
        "--as",
        "owner",
        "signoff",
        "abandon",
        &abandoned,
        "--reason",
        "superseded",
    ]);

    standard_v2(&s.dir.join("v2"));
    s.ok(&["blueprint", "load", "v2"]);
    let dry = s
        .ok(&[
            "--json",
            "migrate",
            "model_version",
            "--from",
            "1",
            "--to",
            "2",
            "--dry-run",
        ])
        .json();
    assert_eq!(
        (dry["moved"].as_u64(), dry["blocked"].as_u64()),
        (Some(8), Some(0)),
        "{dry}"
    );
    let fates: Vec<&str> = dry["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["signoffs"].as_array().unwrap())
        .map(|s| s["fate"].as_str().unwrap())
        .collect();
    assert!(fates.iter().all(|f| *f == "reset"), "{fates:?}");
    let before = s.ok(&["--json", "status", &approved]).json();
    assert_eq!(before["approved"], true, "the dry run changed nothing");

    s.ok(&["migrate", "model_version", "--from", "1", "--to", "2"]);
    for v in &items {
        let status = s.ok(&["--json", "status", v]).json();
        assert_eq!(status["item"]["version"], 2, "{status}");
        assert!(
            s.history_actions("owner", v)
                .contains(&"item.migrate".to_string())
        );
    }
    let notes = s.ok(&["--json", "item", "show", &waiting]).json();
    assert_eq!(notes["fields"]["reviewer_notes"], "see the card");
    let reset = s.ok(&["--json", "status", &approved]).json();
    assert_eq!(reset["signoffs"][0]["status"], "NOT_STARTED", "{reset}");
    assert_eq!(reset["signoffs"][0]["rounds_archived"], 1);
    s.ok(&["audit", "verify"]);
}

#[test]
fn a_migrate_hook_computes_what_the_block_cannot_say() {
    let mut s = Sandbox::new("migrate-hook");
    std::fs::write(s.dir.join("t.gov"), THING_V1).unwrap();
    s.ok(&["init", "--blueprints", "t.gov"]);
    s.ok(&["user", "add", "u"]);
    let noted = s
        .ok(&[
            "--as",
            "u",
            "item",
            "create",
            "thing",
            "noted",
            "--set",
            "note=urgent",
        ])
        .stdout
        .trim()
        .to_string();
    let plain = s
        .ok(&["--as", "u", "item", "create", "thing", "plain"])
        .stdout
        .trim()
        .to_string();
    let v2 = THING_V2.replace("  version 2\n", "  version 2\n  script \"m.rhai\"\n");
    std::fs::write(s.dir.join("t.gov"), v2).unwrap();
    std::fs::write(
        s.dir.join("m.rhai"),
        "fn migrate(item, from, to) { if item.fields.note == \"urgent\" { #{ tier: \"high\" } } else { #{} } }\n",
    )
    .unwrap();
    s.ok(&["blueprint", "load", "t.gov"]);
    s.ok(&["migrate", "thing", "--from", "1", "--to", "2"]);
    let tier = |s: &mut Sandbox, id: &str| {
        s.ok(&["--json", "item", "show", id]).json()["fields"]["tier"].clone()
    };
    assert_eq!(tier(&mut s, &noted), "high", "the hook's value");
    assert_eq!(tier(&mut s, &plain), "low", "the block's `set`");
}

/// Version 1 of a two-step blueprint, and version 2 without its second step.
const V1: &str = "blueprint model \"Model\" {\n  version 1\n  permission write = everyone\n  workflow {\n    step development \"Development\"\n    step review \"Review\"\n  }\n}\n";
const V2: &str = "blueprint model \"Model\" {\n  version 2\n  permission write = everyone\n  workflow {\n    step development \"Development\"\n    step assessment \"Assessment\"\n  }\n}\n";

#[test]
fn changing_the_process_while_work_is_in_flight_has_no_traps() {
    let s = Sandbox::new("lifecycle-traps");
    std::fs::write(s.dir.join("v1.gov"), V1).unwrap();
    s.quiet(&["init", "--blueprints", "v1.gov"]);
    s.quiet(&["user", "add", "a"]);
    s.quiet(&["user", "add", "root", "--admin"]);
    s.quiet(&["--as", "a", "item", "create", "model", "Scorer"]);
    s.quiet(&["--as", "a", "item", "move", "1", "review"]);
    // A version that strands the item on a removed step says so, naming it.
    std::fs::write(s.dir.join("v2.gov"), V2).unwrap();
    let loaded = s.quiet(&["--as", "root", "blueprint", "load", "--draft", "v2.gov"]);
    assert!(
        loaded.stderr.contains(
            "warning: item 1 `Scorer` is at step `review`, which version 2 of `model` removes"
        ),
        "{}",
        loaded.stderr
    );
    assert!(loaded.stderr.contains("`version 3`"), "{}", loaded.stderr);
    // A migrate block beside the stored version is not silently left out.
    let block = "\nmigrate model 1 -> 2 {\n  step review -> assessment\n}\n";
    std::fs::write(s.dir.join("v2.gov"), format!("{V2}{block}")).unwrap();
    let refused = s
        .command(&["--as", "root", "blueprint", "load", "--draft", "v2.gov"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("version 2 of `model` is stored already"),
        "{why}"
    );
    assert!(why.contains("`migrate model 1 -> 3 { … }`"), "{why}");
    // As told: version 3 with its block, loaded as a DRAFT, previewed, activated, run.
    let v3 = V2.replace("version 2", "version 3");
    let block = block.replace("1 -> 2", "1 -> 3");
    std::fs::write(s.dir.join("v2.gov"), format!("{v3}{block}")).unwrap();
    let loaded = s.quiet(&["--as", "root", "blueprint", "load", "--draft", "v2.gov"]);
    assert!(!loaded.stderr.contains("warning"), "{}", loaded.stderr);
    let preview = s.quiet(&[
        "--as",
        "root",
        "migrate",
        "model",
        "--from",
        "1",
        "--to",
        "3",
        "--dry-run",
    ]);
    assert!(
        preview
            .stdout
            .contains("item 1 `Scorer`: would move (step review -> assessment)"),
        "{}",
        preview.stdout
    );
    let draft = s
        .command(&[
            "--as", "root", "migrate", "model", "--from", "1", "--to", "3",
        ])
        .output()
        .unwrap();
    assert_eq!(draft.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&draft.stderr).contains("preview the migration with `--dry-run`")
    );
    s.quiet(&["--as", "root", "blueprint", "activate", "model", "3"]);
    s.quiet(&[
        "--as", "root", "migrate", "model", "--from", "1", "--to", "3",
    ]);
    let item = s.quiet(&["--json", "item", "show", "1"]).json();
    assert_eq!(item["step"], "assessment", "{item}");
}

#[test]
fn replay_takes_the_candidates_own_migrate_blocks() {
    let s = Sandbox::new("lifecycle-replay-renames");
    std::fs::write(s.dir.join("v1.gov"), V1).unwrap();
    s.quiet(&["init", "--blueprints", "v1.gov"]);
    s.quiet(&["user", "add", "a"]);
    s.quiet(&["user", "add", "root", "--admin"]);
    s.quiet(&["--as", "a", "item", "create", "model", "Scorer"]);
    s.quiet(&["--as", "a", "item", "move", "1", "review"]);
    // The candidate renames `review`, and says so: no divergence, a CI gate passes.
    let renamed = s.dir.join("renamed");
    std::fs::create_dir_all(&renamed).unwrap();
    let block = "\nmigrate model 1 -> 2 {\n  step review -> assessment\n}\n";
    std::fs::write(renamed.join("model.gov"), format!("{V2}{block}")).unwrap();
    let ok = s.quiet(&["--as", "root", "replay", "--candidate", "renamed"]);
    assert!(ok.stdout.contains("0 diverge"), "{}", ok.stdout);
    // Without the block, the move to `review` is refused by the candidate.
    let bare = s.dir.join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::write(bare.join("model.gov"), V2).unwrap();
    let diverged = s
        .command(&["--as", "root", "replay", "--candidate", "bare"])
        .output()
        .unwrap();
    assert_eq!(diverged.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&diverged.stdout).contains("no step `review`"));
}
