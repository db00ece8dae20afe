//! The PostgreSQL connection: connecting (with the durability of commits),
//! migrating under an advisory lock (replicas starting together migrate
//! once), transactions, prepared statements kept per connection, settings.
//!
//! Writes are serialized across every process sharing the database: a
//! write transaction (READ COMMITTED) first takes one transaction-scoped
//! advisory lock, so each of its statements sees every write committed
//! before it, as SQLite's `BEGIN IMMEDIATE` does. No lost update or write
//! skew can happen (eligibility reads ancestor fields), and no serialization
//! failure has to be retried. A read transaction is one REPEATABLE READ
//! snapshot and takes no lock.

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, SimpleQueryMessage, Statement};

use super::schema::MIGRATIONS;
use crate::store::rows::Item;
use crate::store::{Durability, StoreError};

/// The advisory lock every write transaction takes ("govr").
const WRITE_LOCK: i64 = 0x676f_7672;
/// The advisory lock migrations take.
const MIGRATION_LOCK: i64 = 0x676f_7673;

/// The audit chain's end: (sequence number, hash).
pub(super) type Head = Option<(i64, String)>;

/// Reads the audit chain's end.
pub(super) const CHAIN_END: &str = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";

/// An open database.
pub struct Store {
    client: Client,
    /// Where it is and how it commits, to connect again after losing it.
    url: String,
    durability: Durability,
    /// Prepared statements by text, valid for this connection.
    statements: RefCell<HashMap<String, Statement>>,
    /// Inside a group commit: each transaction is a savepoint of one outer
    /// write transaction (see [`Store::begin_batch`]).
    batch: bool,
    /// The audit chain's end, known while the write lock is held: read
    /// when it was taken, moved by every event appended since, forgotten
    /// when a transaction or savepoint rolls back (`None`: read it again).
    head: RefCell<Option<Head>>,
}

impl Store {
    /// Connects to `url` (`postgres://user:pass@host:port/db`) and migrates.
    pub fn open(url: &str, durability: Durability) -> Result<Store, StoreError> {
        let mut store = Store {
            client: connect(url, durability)?,
            url: url.to_string(),
            durability,
            statements: RefCell::default(),
            batch: false,
            head: RefCell::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Starts a transaction with `begin` (its first statements); a
    /// connection found lost (the server restarted, or went away and came
    /// back) is made again first, once: nothing of a transaction had begun.
    fn start(&mut self, begin: &str) -> Result<Vec<SimpleQueryMessage>, StoreError> {
        self.head.replace(None);
        if !self.client.is_closed() {
            match self.client.simple_query(begin) {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    let e = StoreError::from(e);
                    if !e.is_unavailable() {
                        return Err(e);
                    }
                }
            }
        }
        self.client = connect(&self.url, self.durability)?;
        self.statements.borrow_mut().clear();
        self.batch = false;
        Ok(self.client.simple_query(begin)?)
    }

    /// Begins a write transaction: waits for the write lock, then reads
    /// the audit chain's end and keeps it, in one round trip.
    fn start_write(&mut self) -> Result<(), StoreError> {
        let answer = self.start(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}); {CHAIN_END}"
        ))?;
        let mut head = None;
        for message in &answer {
            if let SimpleQueryMessage::Row(row) = message
                && let (Ok(Some(seq)), Ok(Some(hash))) = (row.try_get(0), row.try_get(1))
            {
                let seq = seq.parse().map_err(|_| {
                    StoreError::Location(format!(
                        "the audit chain's last sequence number {seq:?} is not a number"
                    ))
                })?;
                head = Some((seq, hash.to_string()));
            }
        }
        self.head.replace(Some(head));
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS govrt_schema (version BIGINT NOT NULL)")?;
        let current: i64 = match tx.query_opt("SELECT version FROM govrt_schema", &[])? {
            Some(row) => row.try_get(0)?,
            None => {
                tx.execute("INSERT INTO govrt_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::TooNew {
                found: current,
                known,
            });
        }
        for migration in &MIGRATIONS[current as usize..] {
            tx.batch_execute(migration)?;
        }
        tx.execute("UPDATE govrt_schema SET version = $1", &[&known])?;
        tx.commit()?;
        Ok(())
    }

    /// Starts a write transaction, which waits for the write lock first; or
    /// a savepoint inside a group commit.
    pub fn write(&mut self) -> Result<Tx<'_>, StoreError> {
        self.begin(Kind::Write)
    }

    /// Starts a read transaction (one snapshot), or a savepoint inside a group commit.
    pub fn read(&mut self) -> Result<Tx<'_>, StoreError> {
        self.begin(Kind::Read)
    }

    /// Starts a write transaction that does not wait for the write lock
    /// (READ COMMITTED): for work on rows it claims with row locks (`FOR
    /// UPDATE SKIP LOCKED`), such as sending the outbox, which then never
    /// queues behind actions.
    pub fn claim(&mut self) -> Result<Tx<'_>, StoreError> {
        self.begin(Kind::Claim)
    }

    fn begin(&mut self, kind: Kind) -> Result<Tx<'_>, StoreError> {
        let scope = if self.batch {
            self.client.batch_execute("SAVEPOINT govrt_action")?;
            Scope::Savepoint
        } else {
            match kind {
                Kind::Write => self.start_write()?,
                Kind::Claim => drop(self.start("BEGIN")?),
                Kind::Read => drop(self.start("BEGIN ISOLATION LEVEL REPEATABLE READ")?),
            }
            Scope::Transaction
        };
        Ok(Tx {
            client: RefCell::new(&mut self.client),
            statements: &self.statements,
            head: &self.head,
            scope,
            open: true,
        })
    }

    /// Starts a group commit: until [`Store::commit_batch`], every
    /// transaction is a savepoint of one outer write transaction, holding the
    /// write lock. Each still commits or rolls back on its own (a refused
    /// action leaves no trace), but they reach the disk together, with one
    /// flush. Whoever uses this must not report any of them as done before
    /// `commit_batch` succeeds.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.start_write()?;
        self.batch = true;
        Ok(())
    }

    /// Ends a group commit: commits every savepoint released since
    /// [`Store::begin_batch`], or, if that fails, none of them.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.batch = false;
        self.head.replace(None);
        match self.client.batch_execute("COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = self.client.batch_execute("ROLLBACK");
                Err(e.into())
            }
        }
    }

    /// Whether the server answers (PostgreSQL checks its own pages).
    pub fn integrity_check(&mut self) -> Result<String, StoreError> {
        drop(self.start("BEGIN READ ONLY")?);
        self.client.batch_execute("COMMIT")?;
        Ok("ok".into())
    }
}

/// A new connection, committing with `durability`.
fn connect(url: &str, durability: Durability) -> Result<Client, StoreError> {
    let mut client = Client::connect(url, NoTls)?;
    let sync = match durability {
        Durability::Full => "on",
        Durability::Normal => "off",
    };
    client.batch_execute(&format!(
        "SET synchronous_commit = {sync}; SET client_min_messages = warning"
    ))?;
    Ok(client)
}

/// What a transaction is for.
enum Kind {
    /// Writes, under the write lock.
    Write,
    /// Writes to rows it claims with row locks.
    Claim,
    /// One snapshot.
    Read,
}

/// A transaction of its own, or a savepoint of a group commit.
enum Scope {
    Transaction,
    Savepoint,
}

/// One transaction; dropped without a commit, it rolls back.
pub struct Tx<'c> {
    client: RefCell<&'c mut Client>,
    statements: &'c RefCell<HashMap<String, Statement>>,
    /// The chain's end while the write lock is held (see [`Store`]).
    pub(super) head: &'c RefCell<Option<Head>>,
    scope: Scope,
    /// Not yet committed or rolled back.
    open: bool,
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let undo = match self.scope {
                Scope::Transaction => "ROLLBACK",
                Scope::Savepoint => {
                    "ROLLBACK TO SAVEPOINT govrt_action; RELEASE SAVEPOINT govrt_action"
                }
            };
            // A connection that failed has rolled back already.
            let _ = self.client.get_mut().batch_execute(undo);
            self.head.replace(None);
        }
    }
}

/// A statement's parameters.
pub(super) type Params<'p> = [&'p (dyn ToSql + Sync)];

impl Tx<'_> {
    /// Commits (this backend keeps no item cache).
    pub fn commit_keeping(mut self, _item: Option<Item>) -> Result<(), StoreError> {
        let done = match self.scope {
            Scope::Transaction => "COMMIT",
            Scope::Savepoint => "RELEASE SAVEPOINT govrt_action",
        };
        self.open = false;
        if let Err(e) = self.client.get_mut().batch_execute(done) {
            let _ = self.client.get_mut().batch_execute("ROLLBACK");
            self.head.replace(None);
            return Err(e.into());
        }
        if matches!(self.scope, Scope::Transaction) {
            self.head.replace(None);
        }
        Ok(())
    }

    /// The prepared statement for `sql`, prepared once per connection.
    fn statement(&self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.borrow_mut().prepare(sql)?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), s.clone());
        Ok(s)
    }

    /// Runs a query: its rows.
    pub(super) fn query(&self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        Ok(self.client.borrow_mut().query(&s, params)?)
    }

    /// Runs a query of at most one row.
    pub(super) fn query_opt(
        &self,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, StoreError> {
        let s = self.statement(sql)?;
        Ok(self.client.borrow_mut().query_opt(&s, params)?)
    }

    /// Runs a statement: the rows it changed.
    pub(super) fn execute(&self, sql: &str, params: &Params<'_>) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        Ok(self.client.borrow_mut().execute(&s, params)?)
    }

    /// A setting, set to `value` unless it was set already: its value.
    pub fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )?;
        Ok(self.setting(key)?.unwrap_or_default())
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    /// A setting's value, if it is set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }
}
