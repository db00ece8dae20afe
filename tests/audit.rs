//! `govrt audit verify` detects an edited, a deleted and a truncated event,
//! a changed link between an item's events, and keeps a deleted item's timeline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

mod support;

use support::Sandbox;

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
