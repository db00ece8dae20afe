//! The raw SQLite baseline of GOVERN-1K (`shared/bench/GOVERN-1K.md`), shared
//! by the runtime and the server benchmarks: for N items, 13 transactions per
//! item, each an INSERT of a ~200-byte JSON event and an UPDATE of one item
//! row, with the engine's PRAGMAs.

use std::path::Path;
use std::time::Instant;

use govrt::store::Durability;
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
