//! `govrt audit verify` detects an edited, a deleted and a truncated event.

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
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(edit).unwrap();
    drop(conn);
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
