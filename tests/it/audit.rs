//! `govrt audit verify` detects an edited, a deleted and a truncated event,
//! a changed link between an item's events, and keeps a deleted item's timeline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use crate::support::Sandbox;

fn tampered(edit: &str) -> (i32, String) {
    let mut s = Sandbox::new(&format!("audit-{}", edit.len()));
    s.standard_world();
    s.ok(&["audit", "verify"]);
    s.sql(edit);
    let r = s.run(&["audit", "verify"]);
    (r.code, r.stderr)
}

#[test]
fn an_edited_event_breaks_the_chain() {
    let (code, err) = tampered("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3");
    assert_eq!(code, 1);
    assert!(err.contains("event 3 was changed"), "{err}");
}

#[test]
fn a_deleted_event_breaks_the_chain() {
    let (code, err) = tampered("DELETE FROM audit_events WHERE seq = 2");
    assert_eq!(code, 1);
    assert!(err.contains("event 2 is missing"), "{err}");
}

#[test]
fn a_deleted_last_event_is_detected_too() {
    let (code, err) =
        tampered("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)");
    assert_eq!(code, 1);
    assert!(err.contains("were deleted"), "{err}");
}

#[test]
fn a_deleted_last_event_about_no_item_is_detected() {
    let (code, err) = tampered(
        "INSERT INTO audit_events (seq, item, item_prev, actor, action, at, details, prev_hash, hash)
             SELECT seq + 1, 0, NULL, 'x', 'x', at, '{}', hash, hash FROM audit_events
             WHERE seq = (SELECT MAX(seq) FROM audit_events);
         DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events);
         DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events);",
    );
    assert_eq!(code, 1);
    assert!(err.contains("were deleted"), "{err}");

    // The last event is about no item: only the head record points at it.
    let mut s = Sandbox::new("audit-head");
    s.standard_world();
    s.ok(&["user", "add", "latecomer"]);
    let err = verify_after(&mut s, DELETE_LAST);
    assert!(err.contains("the head record points at event"), "{err}");
}

const DELETE_LAST: &str =
    "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)";

/// The standard world with a model version whose owner set a field: (sandbox, version).
fn world_with_a_version(name: &str) -> (Sandbox, String) {
    let mut s = Sandbox::new(name);
    let (_, model) = s.standard_world();
    let version = s.model_version(&model, "v1");
    s.ok(&[
        "--as",
        "owner",
        "item",
        "set",
        &version,
        "intended_use=scoring",
    ]);
    (s, version)
}

/// Verifies, applies `edit`, and verifies again, which must fail: its message.
fn verify_after(s: &mut Sandbox, edit: &str) -> String {
    s.ok(&["audit", "verify"]);
    s.sql(edit);
    s.expect(1, &["audit", "verify"]).stderr
}

#[test]
fn a_changed_link_between_an_items_events_is_detected() {
    let (mut s, _) = world_with_a_version("audit-link");
    let err = verify_after(
        &mut s,
        "UPDATE audit_events SET item_prev = NULL WHERE seq = (SELECT MAX(seq) FROM audit_events)",
    );
    assert!(err.contains("its link was changed"), "{err}");
}

#[test]
fn a_deleted_item_keeps_its_timeline_and_the_chain_its_last_event() {
    let (mut s, version) = world_with_a_version("audit-delete");
    s.ok(&["--as", "admin", "item", "delete", &version]);
    let gone = s.expect(1, &["--as", "owner", "item", "show", &version]);
    assert!(gone.stderr.contains("no item"), "{}", gone.stderr);
    assert_eq!(
        s.history_actions("admin", &version),
        ["item.create", "item.set", "item.delete"]
    );
    let err = verify_after(&mut s, DELETE_LAST);
    assert!(err.contains("were deleted"), "{err}");
}

/// The standard world with a model version approved by `approver`, and
/// another project `outsider` may not read.
fn searched_world(name: &str) -> (Sandbox, String) {
    let s = Sandbox::new(name);
    let (_, model) = s.standard_world();
    let v = s.reviewed_version(&model, "Scorer v1", "low");
    (s, v)
}

#[test]
fn the_trail_is_searched_by_time_actor_action_and_item_and_exported() {
    let (mut s, v) = searched_world("audit-list");
    let all = s.ok(&["--json", "audit", "list"]).json();
    let all = all.as_array().unwrap().clone();
    assert!(all.len() > 5, "{all:?}");
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
    // By actor and action, exactly, or by an action prefix.
    let approvals = s
        .ok(&[
            "--json",
            "audit",
            "list",
            "--actor",
            "approver",
            "--action",
            "signoff.approve",
        ])
        .json();
    assert_eq!(approvals.as_array().unwrap().len(), 1, "{approvals}");
    assert_eq!(approvals[0]["item"].to_string(), v);
    let signoffs = s
        .ok(&["--json", "audit", "list", "--action", "signoff."])
        .json();
    assert!(
        signoffs
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"].as_str().unwrap().starts_with("signoff.")),
        "{signoffs}"
    );
    // By item, and by time: nothing before the first event, nothing after now.
    let of_item = s.ok(&["--json", "audit", "list", "--item", &v]).json();
    assert!(
        of_item
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["item"] == v.parse::<i64>().unwrap())
    );
    let first = all[0]["at"].as_str().unwrap();
    let none = s.ok(&["--json", "audit", "list", "--until", first]).json();
    assert_eq!(none, serde_json::json!([]));
    let since = s.ok(&["--json", "audit", "list", "--since", first]).json();
    assert_eq!(since.as_array().unwrap().len(), all.len());
    let old = s
        .ok(&["--json", "audit", "list", "--since", "2999-01-01"])
        .json();
    assert_eq!(old, serde_json::json!([]));
    // CSV for a spreadsheet: a header, a line per event, the details as JSON.
    let csv = s
        .ok(&[
            "audit",
            "list",
            "--action",
            "signoff.approve",
            "--format",
            "csv",
        ])
        .stdout;
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "seq,at,actor,action,item,auth,details");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].contains(",approver,signoff.approve,"), "{csv}");
    assert!(lines[1].contains("the local command line"), "{csv}");
    // In words: one line per event.
    let text = s.ok(&["audit", "list", "--actor", "approver"]).stdout;
    assert!(
        text.contains(" approver (through the local command line"),
        "{text}"
    );
    assert!(
        text.contains(&format!("signoff.approve item {v}")),
        "{text}"
    );
    // Bad input says what to write.
    let bad = s.expect(2, &["audit", "list", "--since", "yesterday"]);
    assert!(bad.stderr.contains("RFC 3339"), "{}", bad.stderr);
    let backwards = s.expect(
        1,
        &[
            "audit",
            "list",
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
    );
    assert!(
        backwards.stderr.contains("not after"),
        "{}",
        backwards.stderr
    );
}

#[test]
fn a_user_reads_the_trail_of_the_items_they_may_read_only() {
    let (mut s, v) = searched_world("audit-list-reader");
    s.ok(&["user", "add", "stranger"]);
    // `stranger` reads items (the standard set lets everyone read) but not
    // the events of users and groups, which only admins read.
    let theirs = s
        .ok(&["--as", "stranger", "--json", "audit", "list"])
        .json();
    let theirs = theirs.as_array().unwrap();
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|e| e["item"].is_i64()), "{theirs:?}");
    let admin = s.ok(&["--json", "audit", "list"]).json();
    assert!(admin.as_array().unwrap().len() >= theirs.len());
    let daemon = crate::support::Daemon::start(&s, &[]);
    let token = s.token("stranger");
    let r = crate::support::http(
        daemon.port,
        "GET",
        &format!("/api/v1/audit?item={v}&action=signoff.approve"),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{}", r.body);
    let csv = crate::support::http(
        daemon.port,
        "GET",
        "/api/v1/audit?format=csv&actor=approver",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .starts_with("seq,at,actor,action,item,auth,details\r\n"),
        "{}",
        csv.body
    );
    let bad = crate::support::http(
        daemon.port,
        "GET",
        "/api/v1/audit?format=xml",
        Some(&token),
        &[],
        None,
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn the_history_keeps_the_comments() {
    let (mut s, v) = searched_world("audit-history-comments");
    s.ok(&[
        "--as",
        "approver",
        "signoff",
        "reject",
        &v,
        "--comment",
        "the metrics are stale",
    ]);
    let history = s.ok(&["item", "history", &v]).stdout;
    let decision = history
        .lines()
        .find(|l| l.contains("signoff.reject"))
        .unwrap();
    assert!(
        decision.contains("comment: the metrics are stale"),
        "{decision}"
    );
}
