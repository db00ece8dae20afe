//! The raw SQLite baseline of GOVERN-1K (`shared/bench/GOVERN-1K.md`), shared
//! by the runtime and the server benchmarks: for N items, 13 transactions per
//! item, each an INSERT of a ~200-byte JSON event and an UPDATE of one item
//! row, with the engine's PRAGMAs (its size of the log for an in-line
//! checkpoint included); or the same on a PostgreSQL server, with
//! `synchronous_commit` as the engine sets it.

use std::path::Path;
use std::time::Instant;

use govrt::store::{Durability, INLINE_CHECKPOINT_PAGES};
use rusqlite::params;

/// Runs the baseline in a fresh database at `path`; returns the seconds it took.
pub fn run_baseline_at(
    path: &Path,
    n: usize,
    sync: Durability,
) -> Result<f64, Box<dyn std::error::Error>> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", sync.as_str())?;
    // The engine's connections checkpoint in line at this size of the log
    // (a thread of theirs checkpoints before it); the baseline, which has
    // no such thread, checkpoints in line at the same size.
    conn.pragma_update(None, "wal_autocheckpoint", INLINE_CHECKPOINT_PAGES)?;
    conn.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, data TEXT NOT NULL, revision INTEGER NOT NULL);
         CREATE TABLE events (seq INTEGER PRIMARY KEY, item INTEGER NOT NULL, payload TEXT NOT NULL);",
    )?;
    {
        let tx = conn.transaction()?;
        for i in 0..n {
            tx.execute(
                "INSERT INTO items (id, data, revision) VALUES (?1, '{}', 0)",
                params![i as i64],
            )?;
        }
        tx.commit()?;
    }
    let start = Instant::now();
    for i in 0..n {
        for action in 0..13 {
            let tx = conn.transaction()?;
            let payload = format!(
                r#"{{"item":{i},"action":{action},"actor":"owner","at":"2026-11-24T12:00:00Z","before":{{"step":"exploration","revision":{action}}},"after":{{"step":"qualification","revision":{}}},"note":"governed"}}"#,
                action + 1
            );
            tx.prepare_cached("INSERT INTO events (item, payload) VALUES (?1, ?2)")?
                .execute(params![i as i64, payload])?;
            tx.prepare_cached("UPDATE items SET data = ?1, revision = revision + 1 WHERE id = ?2")?
                .execute(params![payload, i as i64])?;
            tx.commit()?;
        }
    }
    Ok(start.elapsed().as_secs_f64())
}

/// The baseline in `dir/baseline.db`.
pub fn run_baseline(
    dir: &Path,
    n: usize,
    sync: Durability,
) -> Result<f64, Box<dyn std::error::Error>> {
    run_baseline_at(&dir.join("baseline.db"), n, sync)
}

/// A fresh, empty database `name` on the PostgreSQL server at `server`
/// (`postgres://user@host:port`): its URL.
pub fn fresh_postgres(server: &str, name: &str) -> Result<String, Box<dyn std::error::Error>> {
    let server = server.trim_end_matches('/');
    let mut admin = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(format!("{server}/{name}"))
}

/// The baseline on a fresh database of the PostgreSQL server at `server`.
pub fn run_baseline_postgres(
    server: &str,
    n: usize,
    sync: Durability,
) -> Result<f64, Box<dyn std::error::Error>> {
    let url = fresh_postgres(server, "govrt_bench_baseline")?;
    let mut conn = postgres::Client::connect(&url, postgres::NoTls)?;
    let on = if sync == Durability::Full {
        "on"
    } else {
        "off"
    };
    conn.batch_execute(&format!(
        "SET synchronous_commit = {on};
         CREATE TABLE items (id BIGINT PRIMARY KEY, data TEXT NOT NULL, revision BIGINT NOT NULL);
         CREATE TABLE events (seq BIGSERIAL PRIMARY KEY, item BIGINT NOT NULL, payload TEXT NOT NULL);"
    ))?;
    {
        let mut tx = conn.transaction()?;
        for i in 0..n {
            tx.execute(
                "INSERT INTO items (id, data, revision) VALUES ($1, '{}', 0)",
                &[&(i as i64)],
            )?;
        }
        tx.commit()?;
    }
    let insert = conn.prepare("INSERT INTO events (item, payload) VALUES ($1, $2)")?;
    let update =
        conn.prepare("UPDATE items SET data = $1, revision = revision + 1 WHERE id = $2")?;
    let start = Instant::now();
    for i in 0..n {
        for action in 0..13 {
            let mut tx = conn.transaction()?;
            let payload = format!(
                r#"{{"item":{i},"action":{action},"actor":"owner","at":"2026-11-24T12:00:00Z","before":{{"step":"exploration","revision":{action}}},"after":{{"step":"qualification","revision":{}}},"note":"governed"}}"#,
                action + 1
            );
            tx.execute(&insert, &[&(i as i64), &payload])?;
            tx.execute(&update, &[&payload, &(i as i64)])?;
            tx.commit()?;
        }
    }
    Ok(start.elapsed().as_secs_f64())
}
