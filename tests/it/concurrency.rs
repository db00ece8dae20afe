//! Several processes writing one item at once: no update is lost, a stale
//! revision is refused, and writers killed mid-way leave a database that
//! passes `PRAGMA integrity_check` and `govrt audit verify`, with the item's
//! revision matching its audit trail (each action is all or nothing).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::process::Stdio;
use std::time::Duration;

use crate::support::Sandbox;

fn revision(s: &Sandbox, item: &str) -> i64 {
    s.quiet(&["--json", "--as", "owner", "item", "show", item])
        .json()["revision"]
        .as_i64()
        .unwrap()
}

fn set_events(s: &Sandbox, item: &str) -> usize {
    s.history_actions("owner", item)
        .iter()
        .filter(|a| *a == "item.set")
        .count()
}

#[test]
fn concurrent_writers_never_lose_an_update() {
    let s = Sandbox::new("concurrent");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Shared");
    let before = revision(&s, &mv);
    let writers = 12;
    let children: Vec<_> = (0..writers)
        .map(|i| {
            s.command(&[
                "--as",
                "owner",
                "item",
                "set",
                &mv,
                &format!("description=writer {i}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        revision(&s, &mv),
        before + writers,
        "every update was applied"
    );
    assert_eq!(set_events(&s, &mv), writers as usize);
    s.quiet(&["audit", "verify"]);
}

#[test]
fn two_writers_expecting_the_same_revision_one_wins() {
    let s = Sandbox::new("stale");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Contended");
    let rev = revision(&s, &mv).to_string();
    let children: Vec<_> = (0..2)
        .map(|i| {
            s.command(&[
                "--json",
                "--as",
                "owner",
                "item",
                "set",
                &mv,
                &format!("description=w{i}"),
                "--expect-revision",
                &rev,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners = outcomes.iter().filter(|o| o.status.success()).count();
    assert_eq!(winners, 1, "exactly one writer wins");
    let loser = outcomes.iter().find(|o| !o.status.success()).unwrap();
    let err: serde_json::Value = serde_json::from_slice(&loser.stdout).unwrap();
    assert_eq!(err["error"]["code"], "stale_revision");
}

#[test]
fn killed_writers_leave_a_consistent_database() {
    let s = Sandbox::new("kill");
    let (_, model) = s.standard_world();
    let mv = s.model_version(&model, "Killed");
    let start = revision(&s, &mv);
    for round in 0..30u64 {
        let mut children: Vec<_> = (0..3)
            .map(|i| {
                s.command(&[
                    "--as",
                    "owner",
                    "item",
                    "set",
                    &mv,
                    &format!("description=round {round} writer {i}"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
            })
            .collect();
        // Kill one writer at a varying moment: before, during or after its transaction.
        std::thread::sleep(Duration::from_micros(500 + (round * 997) % 9000));
        let _ = children[0].kill();
        for c in &mut children {
            let _ = c.wait();
        }
    }
    if !s.on_postgres() {
        assert_eq!(s.sql_texts("PRAGMA integrity_check"), ["ok"]);
    }
    s.quiet(&["audit", "verify"]);
    let applied = revision(&s, &mv) - start;
    assert_eq!(
        applied as usize,
        set_events(&s, &mv),
        "the item's revision and its audit trail agree"
    );
    assert!(
        applied >= 60,
        "the writers that were not killed all landed ({applied})"
    );
}

/// The daemon's group commit: several actions in one batch each succeed or
/// fail on their own, nobody else sees them before the batch commits, and a
/// batch that never commits (a crash) leaves nothing behind.
#[test]
fn a_group_commit_keeps_each_action_whole() {
    use govrt::engine::{Engine, FieldChange};
    use govrt::store::Durability;

    let s = Sandbox::new("batch");
    let (_, model) = s.standard_world();
    let version = s.model_version(&model, "v1");
    let id: i64 = version.parse().unwrap();
    let set = |field: &str, value: &str| vec![FieldChange::Set(field.into(), value.into())];
    let mut writer = Engine::open(&s.db(), Durability::Full).unwrap();
    let mut reader = Engine::open(&s.db(), Durability::Full).unwrap();
    let owner = writer.identify_user("owner").unwrap();
    let outsider = writer.identify_user("outsider").unwrap();

    writer.begin_batch().unwrap();
    writer
        .set_fields(&owner, id, &set("description", "kept"), None, None)
        .unwrap();
    let refused = writer.set_fields(&outsider, id, &set("description", "refused"), None, None);
    assert!(refused.is_err(), "an outsider may not write");
    writer
        .set_fields(&owner, id, &set("risk_tier", "high"), Some(2), None)
        .unwrap();
    let before = reader.item(&owner, id).unwrap();
    assert_eq!(before.revision, 1, "nothing is visible before the commit");
    writer.commit_batch().unwrap();

    let after = reader.item(&owner, id).unwrap();
    assert_eq!(after.revision, 3);
    assert_eq!(after.fields["description"], "kept");
    assert_eq!(after.fields["risk_tier"], "high");
    assert_eq!(
        set_events(&s, &version),
        2,
        "the refused action left no event"
    );

    // A batch that never commits is lost whole, as a crash would lose it.
    writer.begin_batch().unwrap();
    writer
        .set_fields(&owner, id, &set("description", "lost"), None, None)
        .unwrap();
    drop(writer);
    let after = reader.item(&owner, id).unwrap();
    assert_eq!(after.revision, 3);
    assert_eq!(after.fields["description"], "kept");
    s.quiet(&["audit", "verify"]);
    assert_eq!(reader.integrity_check().unwrap(), "ok");
}
