//! The SQLite connection: opening a database (WAL, foreign keys, migrations), the
//! durability of commits, transactions (`BEGIN IMMEDIATE` for writes,
//! savepoints inside a group commit), the item cache and settings.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::checkpoint::Checkpointer;
use super::schema::MIGRATIONS;
use crate::store::rows::Item;
use crate::store::{Durability, StoreError};

/// An open database.
pub struct Store {
    pub(super) conn: Connection,
    /// Inside a group commit: each `write`/`read` is a savepoint of one
    /// outer transaction (see [`Store::begin_batch`]).
    pub(super) batch: bool,
    /// Items lately read or written, parsed (see [`ItemCache`]).
    pub(super) items: RefCell<ItemCache>,
    /// The file's WAL checkpointer, when it is in WAL mode; after `conn`,
    /// so that the connection closes before the last one stops the thread.
    pub(super) _checkpointer: Option<Arc<Checkpointer>>,
}

/// Parsed items by id, as the database holds them. SQLite's
/// `data_version` changes when another connection commits; while it stays
/// the same, what this connection read or committed is still what is
/// stored, so an item found here is neither read nor parsed again. The first
/// item read of each transaction checks the version (and forgets everything
/// if it moved). Only what the database holds goes in: rows read from it,
/// and rows written by transactions that committed; a row this connection
/// changes or deletes is dropped at once, and a write transaction that rolls
/// back (or a group commit that fails) empties the cache.
#[derive(Default)]
pub(super) struct ItemCache {
    pub(super) rows: HashMap<i64, Item>,
    /// The `data_version` the rows are current for.
    pub(super) version: Option<i64>,
}

impl ItemCache {
    /// At most this many items are kept; a full cache starts over.
    const ROWS: usize = 256;

    pub(super) fn put(&mut self, item: Item) {
        if self.rows.len() >= Self::ROWS {
            self.rows.clear();
        }
        self.rows.insert(item.id, item);
    }

    pub(super) fn forget(&mut self) {
        self.rows.clear();
        self.version = None;
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // Every statement is prepared once per connection; an item update
        // has a variant per set of changed columns.
        conn.set_prepared_statement_cache_capacity(64);
        let journal: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", durability.as_str())?;
        // A database that cannot be in WAL mode (in memory) has no log.
        let checkpointer = if journal.eq_ignore_ascii_case("wal") {
            Some(Checkpointer::attach(&conn, path, durability)?)
        } else {
            None
        };
        let mut store = Store {
            conn,
            batch: false,
            items: RefCell::default(),
            _checkpointer: checkpointer,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for migration in &MIGRATIONS[current as usize..] {
            tx.execute_batch(migration)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`), or a savepoint inside a batch.
    pub fn write(&mut self) -> Result<Tx<'_>, StoreError> {
        self.begin(TransactionBehavior::Immediate)
    }

    /// Starts a read transaction (a consistent snapshot), or a savepoint inside a batch.
    pub fn read(&mut self) -> Result<Tx<'_>, StoreError> {
        self.begin(TransactionBehavior::Deferred)
    }

    fn begin(&mut self, behavior: TransactionBehavior) -> Result<Tx<'_>, StoreError> {
        let tx = if self.batch {
            Scope::Savepoint(self.conn.savepoint()?)
        } else {
            Scope::Transaction(self.conn.transaction_with_behavior(behavior)?)
        };
        Ok(Tx {
            tx,
            items: CacheGuard {
                cache: &self.items,
                forget_on_drop: matches!(behavior, TransactionBehavior::Immediate),
                current: std::cell::Cell::new(false),
            },
        })
    }

    /// Starts a group commit: until [`Store::commit_batch`], every
    /// transaction is a savepoint of one outer write transaction. Each still
    /// commits or rolls back on its own (a refused action leaves no trace),
    /// but they reach the disk together, with one sync. Whoever uses this
    /// must not report any of them as done before `commit_batch` succeeds.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.batch = true;
        Ok(())
    }

    /// Ends a group commit: commits every savepoint released since
    /// [`Store::begin_batch`], or, if that fails, none of them.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.batch = false;
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.items.borrow_mut().forget();
                Err(e.into())
            }
        }
    }

    /// `PRAGMA integrity_check`: `ok`, or the problems found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// One transaction.
pub struct Tx<'c> {
    pub(super) tx: Scope<'c>,
    pub(super) items: CacheGuard<'c>,
}

/// The item cache as a transaction sees it: a write transaction dropped
/// without a commit (or whose commit failed) empties it.
pub(super) struct CacheGuard<'c> {
    /// The connection's item cache.
    pub(super) cache: &'c RefCell<ItemCache>,
    forget_on_drop: bool,
    /// The cache was found current for this transaction's snapshot.
    pub(super) current: std::cell::Cell<bool>,
}

impl Drop for CacheGuard<'_> {
    fn drop(&mut self) {
        if self.forget_on_drop {
            self.cache.borrow_mut().forget();
        }
    }
}

/// A transaction of its own, or a savepoint of a batch; either rolls back
/// when dropped without a commit.
pub(super) enum Scope<'c> {
    Transaction(rusqlite::Transaction<'c>),
    Savepoint(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for Scope<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Scope::Transaction(t) => t,
            Scope::Savepoint(s) => s,
        }
    }
}

impl Tx<'_> {
    /// Commits; then keeps `item`, as this transaction wrote it, in the
    /// connection's item cache.
    pub fn commit_keeping(self, item: Option<Item>) -> Result<(), StoreError> {
        let Tx { tx, mut items } = self;
        match tx {
            Scope::Transaction(t) => t.commit()?,
            Scope::Savepoint(s) => s.commit()?,
        }
        items.forget_on_drop = false;
        if let Some(item) = item
            && items.current.get()
        {
            items.cache.borrow_mut().put(item);
        }
        Ok(())
    }

    // ------------------------------------------------------------ settings

    /// A setting, set to `value` unless it was set already: its value.
    pub fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
            )?
            .execute(params![key, value])?;
        Ok(self.setting(key)?.unwrap_or_default())
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }

    /// A setting's value, if it is set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }
}
