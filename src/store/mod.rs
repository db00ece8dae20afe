//! Persistence, the only module that writes SQL, behind one boundary: the
//! domain operations of [`Ops`] (load an item, write an action with its
//! audit event and outbox rows, claim due work, …), implemented by the
//! SQLite backend (`sqlite`, the embedded default). Each backend has its own
//! module, its own SQL and its own migrations; the engine holds a [`Store`]
//! and works in its [`Tx`]s without knowing which backend is behind them.

// The column lists of `rows` and the operations' list of `ops` are macros,
// so they come first.
#[macro_use]
mod rows;
#[macro_use]
mod ops;
mod error;
mod hashes;
mod sqlite;

use std::path::Path;

pub use error::StoreError;
pub use hashes::{GENESIS, event_hash, secret_hash};
pub use ops::Ops;
pub use rows::{
    BlueprintVersionRow, CredentialRow, EventRow, ItemRow, NamedTexts, NewEvent, NewMessage,
    OutboxRow, RawEvent, UserRow,
};

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
    pub fn commit_keeping(self, item: Option<ItemRow>) -> Result<(), StoreError> {
        self.0.commit_keeping(item)
    }
}

/// An open database.
pub struct Store(Backend);

enum Backend {
    Sqlite(sqlite::Store),
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `location`.
    pub fn open(location: &Path, durability: Durability) -> Result<Store, StoreError> {
        Ok(Store(Backend::Sqlite(sqlite::Store::open(
            location, durability,
        )?)))
    }

    /// Starts a write transaction, or a savepoint inside a group commit.
    pub fn write(&mut self) -> Result<Tx<'_>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => Ok(Tx(Box::new(s.write()?))),
        }
    }

    /// Starts a read transaction (a consistent snapshot), or a savepoint inside a group commit.
    pub fn read(&mut self) -> Result<Tx<'_>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => Ok(Tx(Box::new(s.read()?))),
        }
    }

    /// Starts a group commit: until [`Store::commit_batch`], the actions'
    /// transactions reach the disk together. Whoever uses this must not
    /// report any of them as done before `commit_batch` succeeds.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => s.begin_batch(),
        }
    }

    /// Ends a group commit: commits every action since
    /// [`Store::begin_batch`], or, if that fails, none of them.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        match &mut self.0 {
            Backend::Sqlite(s) => s.commit_batch(),
        }
    }

    /// The backend's own consistency check: `ok`, or the problems found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        match &self.0 {
            Backend::Sqlite(s) => s.integrity_check(),
        }
    }
}
