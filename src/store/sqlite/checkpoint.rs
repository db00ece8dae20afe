//! The WAL checkpointer: one thread per database file per process copies
//! the pages commits appended to the write-ahead log back into the database
//! file, with its own connection, so that a commit does not wait for that
//! copy and its flush.
//!
//! In WAL mode SQLite otherwise checkpoints in line: the commit that takes
//! the log past 1,000 pages copies them and flushes the database file before
//! it returns, and that flush was a fifth of an action's time. Here every
//! commit of the process's connections to the file wakes the thread, which
//! lets the commits of the next moments join and then runs a `PASSIVE`
//! checkpoint: it never blocks a reader or a writer. Under a steady stream
//! of writes such a checkpoint rarely finds the log's end still in place, so
//! the log does not start over on its own; the connections keep SQLite's
//! own checkpoint, in line, at [`INLINE_CHECKPOINT_PAGES`], which finds
//! nearly every page already copied and lets the log start over. The log
//! stays under that many pages (about 40 MB) whatever the load.
//!
//! Durability is the same: a commit is durable (or not, with `NORMAL`) when
//! it returns, as before; the checkpoint only moves pages already in the log.
//! The last connection to close still checkpoints and removes the log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::store::{Durability, StoreError};

/// The log's size, in pages, at which a commit checkpoints in line: only
/// when the thread has fallen behind, or to let the log start over.
pub const INLINE_CHECKPOINT_PAGES: i64 = 10_000;

/// How long the thread waits after a commit woke it, so that the commits of
/// the next moments join one checkpoint (and one flush of the database).
const GATHER: Duration = Duration::from_millis(20);

/// The checkpointer of one database file, shared by the process's
/// connections to it; the last one dropped stops the thread.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// A commit happened since the last checkpoint started (and woke the
    /// thread).
    committed: bool,
    /// The last connection is gone: the thread ends.
    stop: bool,
}

/// The checkpointers running in this process, by database file.
static RUNNING: Mutex<BTreeMap<PathBuf, Weak<Checkpointer>>> = Mutex::new(BTreeMap::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves nothing half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Checkpointer {
    /// Has `conn`, a connection to the database file at `path` in WAL mode,
    /// checkpoint in line only at [`INLINE_CHECKPOINT_PAGES`] and wake the
    /// file's checkpointer at each commit, starting the checkpointer if this
    /// process has none for the file yet.
    pub(super) fn attach(
        conn: &Connection,
        path: &Path,
        durability: Durability,
    ) -> Result<Arc<Checkpointer>, StoreError> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let checkpointer = {
            let mut running = lock(&RUNNING);
            match running.get(&key).and_then(Weak::upgrade) {
                Some(found) => found,
                None => {
                    let started = Arc::new(Checkpointer::start(&key, durability)?);
                    running.retain(|_, c| c.strong_count() > 0);
                    running.insert(key, Arc::downgrade(&started));
                    started
                }
            }
        };
        conn.pragma_update(None, "wal_autocheckpoint", INLINE_CHECKPOINT_PAGES)?;
        let shared = Arc::clone(&checkpointer.shared);
        conn.commit_hook(Some(move || {
            shared.committed();
            false // let the commit go on
        }))?;
        Ok(checkpointer)
    }

    /// Opens the thread's connection (so that an error shows here, not in
    /// the thread) and starts the thread.
    fn start(path: &Path, durability: Durability) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        // The flushes a checkpoint makes follow its connection's setting.
        conn.pragma_update(None, "synchronous", durability.as_str())?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("govrt-checkpoint".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || shared.run(&conn)
            })
            .map_err(|e| StoreError::System(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        lock(&self.shared.state).stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread only checkpoints; if it panicked there is nothing
            // left to undo, and the connection's close checkpoints anyway.
            let _ = thread.join();
        }
    }
}

impl Shared {
    /// A connection committed. Only the first commit since the last
    /// checkpoint started wakes the thread: a wake is a system call, and the
    /// others would only find it gathering already.
    fn committed(&self) {
        let mut state = lock(&self.state);
        if !state.committed {
            state.committed = true;
            drop(state);
            self.wake.notify_one();
        }
    }

    /// The thread: waits for a commit, lets others join it, checkpoints.
    fn run(&self, conn: &Connection) {
        loop {
            let state = lock(&self.state);
            let state = self
                .wake
                .wait_while(state, |s| !s.committed && !s.stop)
                .unwrap_or_else(PoisonError::into_inner);
            if state.stop {
                return;
            }
            let (mut state, _) = self
                .wake
                .wait_timeout_while(state, GATHER, |s| !s.stop)
                .unwrap_or_else(PoisonError::into_inner);
            if state.stop {
                return;
            }
            // Commits from here on are not in this checkpoint: they wake
            // the thread again.
            state.committed = false;
            drop(state);
            // A failed checkpoint (the disk full, a lock held) leaves the
            // pages in the log; the next one, or the in-line one, copies them.
            let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        }
    }
}
