//! Persistence, the only module that writes SQL, behind one boundary: the
//! domain operations of [`Ops`] (load an item, write an action with its
//! audit event and outbox rows, claim due work, …), implemented by the
//! SQLite backend (`sqlite`, the embedded default: a file path) and the
//! PostgreSQL backend (`postgres`: a `postgres://` or `postgresql://` URL,
//! for several daemons on one database). Each backend has its own
//! module, its own SQL and its own migrations; the engine holds a [`Store`]
//! and works in its [`Tx`]s without knowing which backend is behind them.

// The column lists of `rows` and the operations' list of `ops` are macros,
// so they come first.
#[macro_use]
mod rows;
mod stamps;
#[macro_use]
mod ops;
pub mod copy;
mod error;
mod hashes;
pub mod index;
mod listing;
mod postgres;
mod sqlite;

use std::path::Path;

pub use error::StoreError;
pub use hashes::{GENESIS, event_hash, secret_hash};
pub use ops::{CHAIN_PAGE, ChainPages, Ops, chain_pages, parsed_events};
pub use rows::{
    BlueprintVersionRow, CredentialRow, DELETION_ACTION, EventRow, IdempotencyRow, Item,
    ItemUpdate, NamedTexts, NewEvent, NewMessage, NewVersion, OutboxRow, RawEvent, UserRow,
};
pub use sqlite::INLINE_CHECKPOINT_PAGES;

/// How hard commits wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// An acknowledged action survives a power cut (`synchronous=FULL`).
    Full,
    /// Survives a crash of the process, maybe not of the machine (`synchronous=NORMAL`).
    Normal,
}

impl Durability {
    /// `FULL` / `NORMAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

/// One transaction, on whichever backend: its operations are those of
/// [`Ops`]; dropped without a commit, it rolls back.
pub struct Tx<'c>(Box<dyn Ops + 'c>);

impl<'c> std::ops::Deref for Tx<'c> {
    type Target = dyn Ops + 'c;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Tx<'_> {
    /// Commits.
    pub fn commit(self) -> Result<(), StoreError> {
        self.0.commit_keeping(None)
    }

    /// Commits; then keeps `item`, as this transaction wrote it, in the
    /// connection's item cache (where the backend has one).
    pub fn commit_keeping(self, item: Option<Item>) -> Result<(), StoreError> {
        self.0.commit_keeping(item)
    }
}

/// An open database.
pub struct Store(Backend);

#[allow(
    clippy::large_enum_variant,
    reason = "one per connection, held in place; SQLite, the default, is reached without an indirection"
)]
enum Backend {
    Sqlite(sqlite::Store),
    /// Boxed: a client with its statements is twice an SQLite connection.
    Postgres(Box<postgres::Store>),
}

/// Whether a database location names a PostgreSQL database (a URL) rather
/// than an SQLite file.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A database location as it may be shown: a URL's password is hidden.
pub fn shown(location: &Path) -> String {
    let text = location.display().to_string();
    if !is_postgres(&text) {
        return text;
    }
    let (scheme, rest) = text.split_once("://").unwrap_or(("postgres", &text));
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => text,
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `location`:
    /// a PostgreSQL URL, or else an SQLite file.
    pub fn open(location: &Path, durability: Durability) -> Result<Store, StoreError> {
        match location.to_str().filter(|l| is_postgres(l)) {
            Some(url) => Ok(Store(Backend::Postgres(Box::new(postgres::Store::open(
                url, durability,
            )?)))),
            None => Ok(Store(Backend::Sqlite(sqlite::Store::open(
                location, durability,
            )?))),
        }
    }

    /// Which backend it is: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.0 {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Starts a write transaction, or a savepoint inside a group commit.
    pub fn write(&mut self) -> Result<Tx<'_>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => Ok(Tx(Box::new(s.write()?))),
            Backend::Postgres(s) => Ok(Tx(Box::new(s.write()?))),
        }
    }

    /// Starts a write transaction for rows it claims (the outbox): on
    /// PostgreSQL it does not wait for the write lock, since its rows are
    /// taken with `FOR UPDATE SKIP LOCKED`; on SQLite it is a write
    /// transaction.
    pub fn claim(&mut self) -> Result<Tx<'_>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => Ok(Tx(Box::new(s.write()?))),
            Backend::Postgres(s) => Ok(Tx(Box::new(s.claim()?))),
        }
    }

    /// Starts a read transaction (a consistent snapshot), or a savepoint inside a group commit.
    pub fn read(&mut self) -> Result<Tx<'_>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => Ok(Tx(Box::new(s.read()?))),
            Backend::Postgres(s) => Ok(Tx(Box::new(s.read()?))),
        }
    }

    /// Starts a group commit: until [`Store::commit_batch`], the actions'
    /// transactions reach the disk together. Whoever uses this must not
    /// report any of them as done before `commit_batch` succeeds.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => s.begin_batch(),
            Backend::Postgres(s) => s.begin_batch(),
        }
    }

    /// Ends a group commit: commits every action since
    /// [`Store::begin_batch`], or, if that fails, none of them.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => s.commit_batch(),
            Backend::Postgres(s) => s.commit_batch(),
        }
    }

    /// The backend's own consistency check: `ok`, or the problems found.
    pub fn integrity_check(&mut self) -> Result<String, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => s.integrity_check(),
            Backend::Postgres(s) => s.integrity_check(),
        }
    }
}

/// Copies every row of `from` into `to` (`govrt db copy`), in one
/// transaction of `to`, which must hold no blueprint, user or audit event
/// yet: ids, revisions, the audit chain, the outbox and web sessions as
/// they are, so the copy's chain verifies. Rows per table.
pub fn copy_database(from: &mut Store, to: &mut Store) -> Result<copy::Copied, StoreError> {
    let source = from.read()?;
    let target = to.write()?;
    let empty = target.blueprint_versions()?.is_empty()
        && target.users()?.is_empty()
        && target.audit_head()?.is_none_or(|(seq, _)| seq == 0)
        && target.last_events()?.is_empty();
    if !empty {
        return Err(StoreError::Location(
            "the destination database is not empty: copy into a new database (or a new file)"
                .into(),
        ));
    }
    let mut copied = Vec::new();
    for table in copy::TABLES {
        let rows = source.dump_rows(table)?;
        target.load_rows(table, &rows)?;
        copied.push((table.name, rows.len()));
    }
    target.after_load()?;
    target.commit()?;
    Ok(copied)
}
