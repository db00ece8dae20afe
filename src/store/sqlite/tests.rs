//! Store tests: migrating an old database, the item cache across
//! connections and rollbacks, the index of deletions and the WAL checkpoint
//! thread.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use rusqlite::{Connection, params};

use super::schema::MIGRATIONS;
use super::*;
use crate::store::ops::verify_in_pages;
use crate::store::{DELETION_ACTION, Durability, GENESIS, Ops, event_hash};

const AT: &str = "2026-01-01T00:00:00Z";

/// A new item of version 1 of `project`, as `insert_item` takes it.
fn project_row(name: &str, now: chrono::DateTime<Utc>) -> Item {
    Item {
        id: 0,
        blueprint: "project".into(),
        version: 1,
        parent: None,
        name: name.into(),
        fields: serde_json::Map::new(),
        step: None,
        finished: false,
        signoffs: BTreeMap::new(),
        creator: "owner".into(),
        created_at: now,
        updated_at: now,
        revision: 1,
        subscribers: BTreeMap::new(),
        skipped: BTreeMap::new(),
    }
}

/// A folder of its own for a test's database, and the database's path in
/// it, with no file left from an earlier run.
fn fresh_db(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("govrt-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{test}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    (dir, path)
}

/// A database written before the audit log was kept in chain order and
/// subscriptions in item rows is migrated without losing an event, a
/// link between an item's events or a subscription, and its chain still
/// verifies once appended to.
#[test]
fn a_version_2_database_is_migrated() {
    let dir = std::env::temp_dir().join(format!("govrt-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.db");
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..2] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO blueprint_sets (id, loaded_at) VALUES (1, '{AT}');
             INSERT INTO blueprint_versions VALUES ('project', 1, 1, 'f', 1, '{AT}');
             INSERT INTO users (name, created_at) VALUES ('owner', '{AT}');
             INSERT INTO items (id, blueprint, version, name, fields, signoffs, creator, created_at, updated_at, revision)
                 VALUES (1, 'project', 1, 'A', '{{}}', '{{}}', 'owner', '{AT}', '{AT}', 2),
                        (2, 'project', 1, 'B', '{{}}', '{{}}', 'owner', '{AT}', '{AT}', 1);
             INSERT INTO subscriptions (user_name, item, subscribed, created_at)
                 VALUES ('owner', 1, 1, '{AT}'), ('owner', 2, 0, '{AT}');"
        ))
        .unwrap();
        let mut prev = GENESIS.to_string();
        for (seq, item, action) in [
            (1, None, "user.add"),
            (2, Some(1), "item.create"),
            (3, Some(2), "item.create"),
            (4, Some(1), "item.set"),
        ] {
            let hash = event_hash(&prev, seq, item, "owner", action, AT, "{}");
            conn.execute(
                "INSERT INTO audit_events (seq, item, actor, action, at, details, prev_hash, hash) VALUES (?1, ?2, 'owner', ?3, ?4, '{}', ?5, ?6)",
                params![seq, item.unwrap_or(0), action, AT, prev, hash],
            )
            .unwrap();
            prev = hash;
        }
        conn.execute("UPDATE audit_head SET seq = 4, hash = ?1", params![prev])
            .unwrap();
    }

    let mut store = Store::open(&path, Durability::Full).unwrap();
    {
        let tx = store.read().unwrap();
        let links = |item| {
            tx.raw_events(item)
                .unwrap()
                .iter()
                .map(|e| (e.seq, e.item_prev))
                .collect::<Vec<_>>()
        };
        assert_eq!(links(1), [(2, None), (4, Some(2))]);
        assert_eq!(links(2), [(3, None)]);
        assert_eq!(tx.raw_chain_after(0, i64::MAX).unwrap().len(), 4);
        assert_eq!(tx.last_events().unwrap(), [(1, Some(4)), (2, Some(3))]);
        assert_eq!(
            tx.subscriptions_of_user("owner").unwrap(),
            [(1, true), (2, false)]
        );
        let subscribers = |id| tx.item(id).unwrap().unwrap().subscribers;
        assert_eq!(
            subscribers(1),
            BTreeMap::from([("owner".to_string(), true)])
        );
        assert_eq!(
            subscribers(2),
            BTreeMap::from([("owner".to_string(), false)])
        );
    }
    let tx = store.write().unwrap();
    let details = serde_json::json!({});
    let seq = tx
        .append_event(Some(2), "owner", "item.set", Utc::now(), &details)
        .unwrap();
    assert_eq!(seq, 5);
    tx.commit_keeping(None).unwrap();
    assert_eq!(
        store.read().unwrap().raw_events(2).unwrap()[1].item_prev,
        Some(3)
    );
    drop(store);

    let mut store = Store::open(&path, Durability::Full).unwrap();
    assert_eq!(store.read().unwrap().verify_chain().unwrap(), Ok(5));
    // Read a page at a time, the chain gives the same answer, and a change
    // in a later page is found.
    for page in [1, 2, 3, 5, 6] {
        let tx = store.read().unwrap();
        assert_eq!(
            verify_in_pages(&tx, page).unwrap(),
            Ok(5),
            "pages of {page}"
        );
    }
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE audit_events SET details = '{\"x\":1}' WHERE seq = 4",
            [],
        )
        .unwrap();
    let mut store = Store::open(&path, Durability::Full).unwrap();
    let tx = store.read().unwrap();
    assert_eq!(
        verify_in_pages(&tx, 2).unwrap(),
        Err("event 4 was changed after it was written (its hash does not match)".into())
    );
    drop(tx);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One connection's item cache never serves a row that another
/// connection changed since, nor one that a rolled-back transaction wrote;
/// a row taken out of it to be changed (`item_to_change`, as an action
/// reads its item) is read again once the change is rolled back.
#[test]
fn the_item_cache_follows_other_connections_and_rollbacks() {
    let (dir, path) = fresh_db("cache");
    let mut a = Store::open(&path, Durability::Normal).unwrap();
    let mut b = Store::open(&path, Durability::Normal).unwrap();
    a.conn
        .execute_batch(&format!(
            "INSERT INTO blueprint_sets (id, loaded_at) VALUES (1, '{AT}');
             INSERT INTO blueprint_versions VALUES ('project', 1, 1, 'f', 1, '{AT}', 'ACTIVE');"
        ))
        .unwrap();
    let now = Utc::now();
    let row = project_row("A", now);
    let tx = a.write().unwrap();
    let id = tx.insert_item(&row).unwrap();
    tx.commit_keeping(None).unwrap();
    let name_of = |store: &mut Store| store.read().unwrap().item(id).unwrap().unwrap().name;
    let details = serde_json::json!({});
    let event = NewEvent {
        actor: "owner",
        action: "item.set",
        at: now,
        details: &details,
    };
    let rename = |store: &mut Store, name: &str, commit: bool| {
        let tx = store.write().unwrap();
        let before = tx.item_to_change(id).unwrap().unwrap();
        let mut after = before.clone();
        after.name = name.into();
        after.revision += 1;
        let update = ItemUpdate {
            item: &after,
            before: &before,
            event: &event,
            kept: None,
        };
        tx.update_item(&update).unwrap().unwrap();
        if commit {
            tx.commit_keeping(Some(after)).unwrap();
        }
    };

    assert_eq!(name_of(&mut a), "A");
    rename(&mut b, "B", true);
    assert_eq!(
        name_of(&mut a),
        "B",
        "a change by another connection is seen"
    );
    assert_eq!(name_of(&mut b), "B", "a committed change is kept");
    assert_eq!(name_of(&mut a), "B", "the row is cached again");
    rename(&mut a, "C", false);
    assert_eq!(name_of(&mut a), "B", "a rolled-back change is forgotten");
    rename(&mut a, "D", true);
    assert_eq!(name_of(&mut b), "D");
    assert_eq!(name_of(&mut a), "D");
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Who was barred from an item's reviews, in the table of version 11,
/// is on the item's row once migrated, in order.
#[test]
fn bars_move_onto_the_item_row() {
    let dir = std::env::temp_dir().join(format!("govrt-migrate-bars-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old.db");
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).unwrap();
        for migration in &MIGRATIONS[..11] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", 11).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO blueprint_sets (id, loaded_at) VALUES (1, '{AT}');
             INSERT INTO blueprint_versions (blueprint, version, declared_version, fingerprint, set_id, loaded_at)
                 VALUES ('project', 1, 1, 'f', 1, '{AT}');
             INSERT INTO items (id, blueprint, version, name, fields, signoffs, creator, created_at, updated_at, revision)
                 VALUES (1, 'project', 1, 'A', '{{}}', '{{}}', 'owner', '{AT}', '{AT}', 1),
                        (2, 'project', 1, 'B', '{{}}', '{{}}', 'owner', '{AT}', '{AT}', 1);
             INSERT INTO review_barred (item, grp, user_name)
                 VALUES (1, 'risk', 'zoe'), (1, 'final', 'owner'), (1, 'risk', 'al');"
        ))
        .unwrap();
    }
    let mut store = Store::open(&path, Durability::Full).unwrap();
    let tx = store.read().unwrap();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(g, u)| (g.to_string(), u.to_string()))
            .collect()
    };
    assert_eq!(
        tx.item_index(1).unwrap().unwrap().barred,
        pairs(&[("final", "owner"), ("risk", "al"), ("risk", "zoe")])
    );
    assert!(tx.item_index(2).unwrap().unwrap().barred.is_empty());
    drop(tx);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deletions are read a page at a time from their partial index, in chain
/// order, with no other event among them; a deleted item's history is
/// walked from its deletion, which that index finds; and the chain still
/// verifies, its head record pointing at the last deletion.
#[test]
fn deletions_are_read_from_their_index() {
    let (dir, path) = fresh_db("deletions");
    let mut store = Store::open(&path, Durability::Normal).unwrap();
    store
        .conn
        .execute_batch(&format!(
            "INSERT INTO blueprint_sets (id, loaded_at) VALUES (1, '{AT}');
             INSERT INTO blueprint_versions VALUES ('project', 1, 1, 'f', 1, '{AT}', 'ACTIVE');"
        ))
        .unwrap();
    let tx = store.write().unwrap();
    let details = serde_json::json!({});
    let now = Utc::now();
    let deletion = NewEvent {
        actor: "owner",
        action: DELETION_ACTION,
        at: now,
        details: &details,
    };
    let (mut deleted, mut histories) = (Vec::new(), Vec::new());
    for n in 1..=7 {
        let id = tx.insert_item(&project_row(&format!("P{n}"), now)).unwrap();
        let create = tx
            .append_event(Some(id), "owner", "item.create", now, &details)
            .unwrap();
        let set = tx
            .append_event(Some(id), "owner", "item.set", now, &details)
            .unwrap();
        if n % 2 == 1 {
            let seq = tx.delete_item(id, &deletion).unwrap();
            deleted.push(seq);
            histories.push((id, vec![create, set, seq]));
        }
    }
    let seqs = |after, limit| -> Vec<i64> {
        let page = tx.raw_deletions_after(after, limit).unwrap();
        assert!(page.iter().all(|e| e.action == DELETION_ACTION));
        page.iter().map(|e| e.seq).collect()
    };
    assert_eq!(seqs(0, 100), deleted);
    assert_eq!(seqs(0, 3), deleted[..3]);
    assert_eq!(seqs(deleted[2], 3), deleted[3..]);
    assert_eq!(seqs(*deleted.last().unwrap(), 3), Vec::<i64>::new());
    assert_eq!(tx.deletions().unwrap().len(), deleted.len());
    for (id, history) in &histories {
        let walked: Vec<i64> = tx.raw_events(*id).unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(&walked, history, "the history of deleted item {id}");
    }
    assert_eq!(
        tx.audit_head().unwrap().unwrap().0,
        *deleted.last().unwrap()
    );
    assert_eq!(tx.verify_chain().unwrap(), Ok(7 * 2 + deleted.len()));
    for sql in [super::audit::DELETIONS_AFTER, super::audit::DELETION_OF] {
        let mut stmt = tx.tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let binds = sql.matches('?').count();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(vec![1; binds]), |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("audit_deletions")),
            "{sql} reads the index of deletions: {plan:?}"
        );
    }
    drop(tx);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The size of the database file alone, without its log.
fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Commits leave their pages in the log; the checkpoint thread, not the
/// commit, copies them into the database file soon after.
#[test]
fn the_checkpoint_thread_copies_commits_into_the_file() {
    let (dir, path) = fresh_db("checkpoint-thread");
    let store = Store::open(&path, Durability::Normal).unwrap();
    let inline: i64 = store
        .conn
        .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
        .unwrap();
    assert_eq!(inline, super::INLINE_CHECKPOINT_PAGES);
    let before = file_size(&path);
    let blob = "x".repeat(1 << 20);
    store
        .conn
        .execute(
            "INSERT INTO settings (key, value) VALUES ('blob', ?1)",
            params![blob],
        )
        .unwrap();
    // Far below the in-line checkpoint's size: only the thread copies it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while file_size(&path) < before + (1 << 20) {
        assert!(
            std::time::Instant::now() < deadline,
            "the megabyte committed was still only in the log after 20 s ({} bytes in the file)",
            file_size(&path)
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

/// The connections of one process to one file share one checkpoint thread;
/// another file has its own; when the last connection closes, the thread
/// stops and the log is checkpointed and removed.
#[test]
fn connections_to_a_file_share_its_checkpoint_thread() {
    let (dir, path) = fresh_db("checkpoint-shared");
    let (_, other_path) = fresh_db("checkpoint-other");
    let one = Store::open(&path, Durability::Full).unwrap();
    let two = Store::open(&path, Durability::Full).unwrap();
    let other = Store::open(&other_path, Durability::Full).unwrap();
    let thread = |s: &Store| s._checkpointer.clone().unwrap();
    assert!(Arc::ptr_eq(&thread(&one), &thread(&two)));
    assert!(!Arc::ptr_eq(&thread(&one), &thread(&other)));
    let weak = Arc::downgrade(&thread(&one));
    two.conn
        .execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])
        .unwrap();
    drop(one);
    assert!(weak.upgrade().is_some(), "a connection is still open");
    drop(two);
    assert!(
        weak.upgrade().is_none(),
        "the last connection stops the thread"
    );
    assert!(
        !std::path::Path::new(&format!("{}-wal", path.display())).exists(),
        "the last connection closed checkpoints and removes the log"
    );
    let reopened = Store::open(&path, Durability::Full).unwrap();
    let value: String = reopened
        .conn
        .query_row("SELECT value FROM settings WHERE key = 'k'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(value, "v");
    drop((reopened, other));
    let _ = std::fs::remove_dir_all(dir);
}
