//! SQLite persistence: the only module that writes SQL. Schema migrations are
//! applied on open; the database runs in WAL mode with foreign keys on and
//! `synchronous=FULL` unless told otherwise.
//!
//! Every write of the engine goes through one [`Tx`] (`BEGIN IMMEDIATE`, so
//! two writers queue on the busy timeout instead of failing half-way).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::engine::signoff::SignOffState;

/// A storage failure (I/O, SQLite, corrupt rows).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored JSON document does not parse.
    #[error("corrupt stored data: {0}")]
    Json(#[from] serde_json::Error),
    /// The database was made by a newer govrt.
    #[error("the database schema version {found} is newer than this govrt understands ({known})")]
    TooNew {
        /// The schema version found.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
}

/// How hard commits wait for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: an acknowledged action survives a power cut.
    Full,
    /// `synchronous=NORMAL`: survives a crash of the process, maybe not of the machine.
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

/// The migrations, in order; the schema version is their count.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE blueprint_sets (
    id INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL
);
CREATE TABLE blueprint_files (
    set_id INTEGER NOT NULL REFERENCES blueprint_sets(id),
    kind TEXT NOT NULL CHECK (kind IN ('gov', 'script')),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (set_id, kind, name)
);
CREATE TABLE blueprint_versions (
    blueprint TEXT NOT NULL,
    version INTEGER NOT NULL,
    declared_version INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    set_id INTEGER NOT NULL REFERENCES blueprint_sets(id),
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (blueprint, version)
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    email TEXT,
    admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE groups (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES groups(name),
    user_name TEXT NOT NULL REFERENCES users(name),
    PRIMARY KEY (group_name, user_name)
);
CREATE TABLE credentials (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('api_key', 'token')),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX api_key_names ON credentials(name) WHERE kind = 'api_key';
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    blueprint TEXT NOT NULL,
    version INTEGER NOT NULL,
    parent INTEGER REFERENCES items(id),
    name TEXT NOT NULL,
    fields TEXT NOT NULL,
    step TEXT,
    finished INTEGER NOT NULL DEFAULT 0,
    signoffs TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    due_at INTEGER,
    FOREIGN KEY (blueprint, version) REFERENCES blueprint_versions(blueprint, version)
);
CREATE INDEX items_by_parent ON items(parent);
CREATE INDEX items_by_blueprint ON items(blueprint);
CREATE INDEX items_due ON items(due_at) WHERE due_at IS NOT NULL;
CREATE TABLE audit_events (
    item INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (item, seq)
) WITHOUT ROWID;
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
"#,
    r#"
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE subscriptions (
    user_name TEXT NOT NULL REFERENCES users(name),
    item INTEGER NOT NULL,
    subscribed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, item)
);
CREATE INDEX subscriptions_by_item ON subscriptions(item);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL,
    item INTEGER,
    recipient TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (event_seq, recipient)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
"#,
    // An action writes as few pages as it can: the audit log is kept in
    // chain order (an append fills the last page), an item's timeline is a
    // list of links between its events (`item_prev`, from the item's
    // `last_event`), and the chain head is the log's last row.
    r#"
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    item INTEGER NOT NULL,
    item_prev INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_log (seq, item, item_prev, actor, action, at, details, prev_hash, hash)
    SELECT seq, item,
           CASE WHEN item = 0 THEN NULL
                ELSE (SELECT MAX(p.seq) FROM audit_events p WHERE p.item = e.item AND p.seq < e.seq) END,
           actor, action, at, details, prev_hash, hash
    FROM audit_events e ORDER BY seq;
DROP TABLE audit_events;
ALTER TABLE audit_log RENAME TO audit_events;
ALTER TABLE items ADD COLUMN last_event INTEGER;
UPDATE items SET last_event = (SELECT MAX(seq) FROM audit_events WHERE item = items.id);
"#,
    // Who follows an item lives in the item's row (a map user -> followed),
    // so subscribing as part of an action writes no other page, and mail is
    // addressed from rows already read. Rows of deleted items go with them.
    // No query filters items by blueprint through an index.
    r#"
ALTER TABLE items ADD COLUMN subscribers TEXT NOT NULL DEFAULT '{}';
UPDATE items SET subscribers = (
    SELECT json_group_object(user_name, json(CASE WHEN subscribed THEN 'true' ELSE 'false' END))
    FROM subscriptions WHERE item = items.id)
WHERE EXISTS (SELECT 1 FROM subscriptions WHERE item = items.id);
DROP TABLE subscriptions;
DROP INDEX items_by_blueprint;
"#,
];

// The audit log is one hash chain in `seq` order (the rowid), so an append
// writes the log's last page and nothing else of the log. Each item's events
// are linked (`item_prev`) from the item row's `last_event`, so a timeline
// is a walk of the links, and every event about a live item is pointed at by
// that item: deleting the last events is detected (see `Engine::audit_verify`).
// `audit_head` records the last event no item row points at (events about no
// item, and deletions), for the same reason.

/// The hash an empty audit chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An open database.
pub struct Store {
    conn: Connection,
    /// Inside a group commit: each `write`/`read` is a savepoint of one
    /// outer transaction (see [`Store::begin_batch`]).
    batch: bool,
    /// Items lately read or written, parsed (see [`ItemCache`]).
    items: RefCell<ItemCache>,
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
struct ItemCache {
    rows: HashMap<i64, ItemRow>,
    /// The `data_version` the rows are current for.
    version: Option<i64>,
}

impl ItemCache {
    /// At most this many items are kept; a full cache starts over.
    const ROWS: usize = 256;

    fn put(&mut self, item: ItemRow) {
        if self.rows.len() >= Self::ROWS {
            self.rows.clear();
        }
        self.rows.insert(item.id, item);
    }

    fn forget(&mut self) {
        self.rows.clear();
        self.version = None;
    }
}

/// A stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    /// The id.
    pub id: i64,
    /// Its blueprint.
    pub blueprint: String,
    /// The blueprint version it is pinned to.
    pub version: u32,
    /// The parent item.
    pub parent: Option<i64>,
    /// Its name.
    pub name: String,
    /// Field values, as JSON (see `engine::values`).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The current step.
    pub step: Option<String>,
    /// Advanced past the last step.
    pub finished: bool,
    /// Sign-off states by step id.
    pub signoffs: BTreeMap<String, SignOffState>,
    /// Who created it.
    pub creator: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub revision: i64,
    /// Who follows it (true) or asked not to (false); see DESIGN.md's
    /// notifications: the nearest of these, up the ancestors, decides.
    pub subscribers: BTreeMap<String, bool>,
}

impl ItemRow {
    /// The earliest reset due on any of its sign-offs (epoch seconds).
    fn due_at(&self) -> Option<i64> {
        self.signoffs
            .values()
            .filter_map(SignOffState::due_at)
            .min()
            .map(|t| t.timestamp())
    }
}

/// Files of a stored set: (name, text) pairs.
pub type NamedTexts = Vec<(String, String)>;

/// A stored version of a blueprint.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueprintVersionRow {
    /// The blueprint id.
    pub blueprint: String,
    /// The stored version.
    pub version: u32,
    /// The version its file declares.
    pub declared: u32,
    /// The set it was loaded with.
    pub set_id: i64,
    /// When.
    pub loaded_at: String,
}

/// A user.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UserRow {
    /// The name.
    pub name: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// May act for anyone.
    pub admin: bool,
}

/// An audit event as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    /// Position in the chain.
    pub seq: i64,
    /// The item it is about.
    pub item: Option<i64>,
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// When.
    pub at: String,
    /// Details: before/after states and the action's arguments.
    pub details: serde_json::Value,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// An audit event to append: who did what, when, with which details.
pub struct NewEvent<'a> {
    /// Who acted.
    pub actor: &'a str,
    /// What was done.
    pub action: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// Details: before/after states and the action's arguments.
    pub details: &'a serde_json::Value,
}

/// An audit event as stored, details as the text the hash covers.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// Position in the chain.
    pub seq: i64,
    /// The item it is about.
    pub item: Option<i64>,
    /// Who acted.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// When.
    pub at: String,
    /// The details, as stored.
    pub details: String,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
    /// The item's previous event (not covered by the hash: checked against
    /// the chain's order by `Engine::audit_verify`).
    pub item_prev: Option<i64>,
}

/// The hash of an event, chained to the previous one.
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    item: Option<i64>,
    actor: &str,
    action: &str,
    at: &str,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        &item.map_or(String::new(), |i| i.to_string()),
        actor,
        action,
        at,
        details,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("{:x}", h.finalize())
}

/// The SHA-256 of a secret, as stored (secrets themselves never are).
pub fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // Every statement is prepared once per connection; an item update
        // has a variant per set of changed columns.
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", durability.as_str())?;
        let mut store = Store {
            conn,
            batch: false,
            items: RefCell::default(),
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
    tx: Scope<'c>,
    items: CacheGuard<'c>,
}

/// The item cache as a transaction sees it: a write transaction dropped
/// without a commit (or whose commit failed) empties it.
struct CacheGuard<'c> {
    cache: &'c RefCell<ItemCache>,
    forget_on_drop: bool,
    /// The cache was found current for this transaction's snapshot.
    current: std::cell::Cell<bool>,
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
enum Scope<'c> {
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

/// An item row with its JSON columns (fields, sign-offs, subscribers) still as text.
type RawItem = (ItemRow, String, String, String);

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawItem> {
    Ok((
        ItemRow {
            id: r.get(0)?,
            blueprint: r.get(1)?,
            version: r.get(2)?,
            parent: r.get(3)?,
            name: r.get(4)?,
            fields: serde_json::Map::new(),
            step: r.get(6)?,
            finished: r.get(7)?,
            signoffs: BTreeMap::new(),
            creator: r.get(9)?,
            created_at: parse_ts(&r.get::<_, String>(10)?),
            updated_at: parse_ts(&r.get::<_, String>(11)?),
            revision: r.get(12)?,
            subscribers: BTreeMap::new(),
        },
        r.get(5)?,
        r.get(8)?,
        r.get(13)?,
    ))
}

/// The columns `raw_event` reads, in its order (see `item_columns!`).
macro_rules! event_columns {
    () => {
        "seq, item, actor, action, at, details, prev_hash, hash, item_prev"
    };
}

fn raw_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok(RawEvent {
        seq: r.get(0)?,
        item: Some(r.get::<_, i64>(1)?).filter(|&i| i != 0),
        actor: r.get(2)?,
        action: r.get(3)?,
        at: r.get(4)?,
        details: r.get(5)?,
        prev_hash: r.get(6)?,
        hash: r.get(7)?,
        item_prev: r.get(8)?,
    })
}

/// The columns `item_from_row` reads, in its order (a macro, so that the
/// statements using them are literals, prepared without formatting).
macro_rules! item_columns {
    () => {
        "id, blueprint, version, parent, name, fields, step, finished, signoffs, creator, created_at, updated_at, revision, subscribers"
    };
}

impl Tx<'_> {
    /// Commits.
    pub fn commit(self) -> Result<(), StoreError> {
        self.commit_keeping(None)
    }

    /// Commits; then keeps `item`, as this transaction wrote it, in the
    /// connection's item cache.
    pub fn commit_keeping(self, item: Option<ItemRow>) -> Result<(), StoreError> {
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

    // ------------------------------------------------------------ blueprints

    /// Stores the files of a loaded set; returns its id.
    pub fn insert_blueprint_set(
        &self,
        files: &[(String, String)],
        scripts: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO blueprint_sets (loaded_at) VALUES (?1)",
            params![ts(now)],
        )?;
        let id = self.tx.last_insert_rowid();
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO blueprint_files (set_id, kind, name, text) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (name, text) in files {
            insert.execute(params![id, "gov", name, text])?;
        }
        for (name, text) in scripts {
            insert.execute(params![id, "script", name, text])?;
        }
        Ok(id)
    }

    /// The newest stored version of a blueprint: (version, fingerprint).
    pub fn latest_blueprint_version(
        &self,
        blueprint: &str,
    ) -> Result<Option<(u32, String)>, StoreError> {
        Ok(self.tx.prepare_cached("SELECT version, fingerprint FROM blueprint_versions WHERE blueprint = ?1 ORDER BY version DESC LIMIT 1")?.query_row(
                params![blueprint],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records a stored version of a blueprint.
    pub fn insert_blueprint_version(
        &self,
        blueprint: &str,
        version: u32,
        declared: u32,
        fingerprint: &str,
        set_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO blueprint_versions (blueprint, version, declared_version, fingerprint, set_id, loaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![blueprint, version, declared, fingerprint, set_id, ts(now)],
        )?;
        Ok(())
    }

    /// Every stored blueprint version: (blueprint, version, declared version, set id, loaded at).
    pub fn blueprint_versions(&self) -> Result<Vec<BlueprintVersionRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT blueprint, version, declared_version, set_id, loaded_at FROM blueprint_versions ORDER BY blueprint, version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(BlueprintVersionRow {
                blueprint: r.get(0)?,
                version: r.get(1)?,
                declared: r.get(2)?,
                set_id: r.get(3)?,
                loaded_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The files of a stored set: (`.gov` files, scripts), each (name, text).
    pub fn blueprint_set_files(&self, set_id: i64) -> Result<(NamedTexts, NamedTexts), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, name, text FROM blueprint_files WHERE set_id = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map(params![set_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })?;
        let mut gov = Vec::new();
        let mut scripts = Vec::new();
        for row in rows {
            let (kind, name, text) = row?;
            if kind == "gov" {
                gov.push((name, text))
            } else {
                scripts.push((name, text))
            }
        }
        Ok((gov, scripts))
    }

    // ------------------------------------------------------------ identities

    /// Adds a user; false if the name is taken.
    pub fn insert_user(
        &self,
        name: &str,
        email: Option<&str>,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO users (name, email, admin, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
            params![name, email, admin, ts(now)],
        )? == 1)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT name, email, admin FROM users WHERE name = ?1")?
            .query_row(params![name], |r| {
                Ok(UserRow {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    admin: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT name, email, admin FROM users ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(UserRow {
                name: r.get(0)?,
                email: r.get(1)?,
                admin: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a group; false if it exists.
    pub fn insert_group(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO groups (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
            params![name, ts(now)],
        )? == 1)
    }

    /// Whether a group exists.
    pub fn group_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM groups WHERE name = ?1")?
            .query_row(params![name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Adds a member; false if already one.
    pub fn add_member(&self, group: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO group_members (group_name, user_name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![group, user],
        )? == 1)
    }

    /// Every group with its members.
    pub fn groups(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT g.name, m.user_name FROM groups g LEFT JOIN group_members m ON m.group_name = g.name ORDER BY g.name, m.user_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in rows {
            let (group, member) = row?;
            if out.last().is_none_or(|(g, _)| *g != group) {
                out.push((group, Vec::new()));
            }
            if let (Some(m), Some((_, members))) = (member, out.last_mut()) {
                members.push(m);
            }
        }
        Ok(out)
    }

    /// The groups a user belongs to.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT group_name FROM group_members WHERE user_name = ?1 ORDER BY group_name",
        )?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the hash of an API key or token secret; false if an API key of that name exists.
    pub fn insert_credential(
        &self,
        kind: &str,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO credentials (hash, kind, name, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![hash, kind, name, ts(now)],
        )? == 1)
    }

    /// The (kind, name) of the credential with this secret hash.
    pub fn credential(&self, hash: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT kind, name FROM credentials WHERE hash = ?1")?
            .query_row(params![hash], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    // ------------------------------------------------------------ items

    /// Inserts an item (its id is assigned); returns the id.
    pub fn insert_item(&self, item: &ItemRow) -> Result<i64, StoreError> {
        self.tx.prepare_cached(
            "INSERT INTO items (blueprint, version, parent, name, fields, step, finished, signoffs, creator, created_at, updated_at, revision, due_at, subscribers)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
                item.blueprint,
                item.version,
                item.parent,
                item.name,
                serde_json::to_string(&item.fields)?,
                item.step,
                item.finished,
                serde_json::to_string(&item.signoffs)?,
                item.creator,
                ts(item.created_at),
                ts(item.updated_at),
                item.revision,
                item.due_at(),
                serde_json::to_string(&item.subscribers)?,
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// An item by id.
    pub fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError> {
        let cache = self.items.cache;
        if !self.items.current.get() {
            let version: i64 = self
                .tx
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?;
            let mut cache = cache.borrow_mut();
            if cache.version != Some(version) {
                cache.rows.clear();
                cache.version = Some(version);
            }
            self.items.current.set(true);
        }
        if let Some(known) = cache.borrow().rows.get(&id) {
            return Ok(Some(known.clone()));
        }
        let row = self
            .tx
            .prepare_cached(concat!(
                "SELECT ",
                item_columns!(),
                " FROM items WHERE id = ?1"
            ))?
            .query_row(params![id], item_from_row)
            .optional()?;
        let Some(parts) = row else {
            return Ok(None);
        };
        let item = finish_item(parts)?;
        cache.borrow_mut().put(item.clone());
        Ok(Some(item))
    }

    /// Drops an item this transaction is about to change from the cache
    /// (it is kept again once the change commits, see [`Tx::commit_keeping`]).
    fn forget_item(&self, id: i64) {
        self.items.cache.borrow_mut().rows.remove(&id);
    }

    /// Writes `item`, a change of `before`, with the audit event of the
    /// change, if the stored revision is still `before`'s: returns the
    /// event's sequence number, or `None` (and writes nothing) if the item
    /// moved on. Three statements: the chain's head, the event (which reads
    /// the item's last event to link to it), the item (which then points at
    /// the new event). The reset index is written only when the next reset
    /// moved.
    pub fn update_item(
        &self,
        item: &ItemRow,
        before: &ItemRow,
        event: &NewEvent<'_>,
    ) -> Result<Option<i64>, StoreError> {
        self.forget_item(item.id);
        let (seq, _) = self.insert_event(Some(item.id), event)?;
        // Only what changed is written (the JSON columns are not even
        // serialized otherwise); the reset index only when the reset moved.
        let updated_at = ts(item.updated_at);
        let mut sql =
            String::from("UPDATE items SET updated_at = ?1, revision = ?2, last_event = ?3");
        let mut values: Vec<Box<dyn rusqlite::ToSql>> =
            vec![Box::new(updated_at), Box::new(item.revision), Box::new(seq)];
        let mut set = |column: &str, value: Box<dyn rusqlite::ToSql>| {
            values.push(value);
            sql.push_str(&format!(", {column} = ?{}", values.len()));
        };
        if item.name != before.name {
            set("name", Box::new(item.name.clone()));
        }
        if item.fields != before.fields {
            set("fields", Box::new(serde_json::to_string(&item.fields)?));
        }
        if item.step != before.step {
            set("step", Box::new(item.step.clone()));
        }
        if item.finished != before.finished {
            set("finished", Box::new(item.finished));
        }
        if item.signoffs != before.signoffs {
            set("signoffs", Box::new(serde_json::to_string(&item.signoffs)?));
            if item.due_at() != before.due_at() {
                set("due_at", Box::new(item.due_at()));
            }
        }
        if item.subscribers != before.subscribers {
            set(
                "subscribers",
                Box::new(serde_json::to_string(&item.subscribers)?),
            );
        }
        values.push(Box::new(item.id));
        values.push(Box::new(before.revision));
        sql.push_str(&format!(
            " WHERE id = ?{} AND revision = ?{}",
            values.len() - 1,
            values.len()
        ));
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let values: Vec<&dyn rusqlite::ToSql> = values.iter().map(|v| v.as_ref()).collect();
        if stmt.execute(values.as_slice())? == 1 {
            return Ok(Some(seq));
        }
        self.tx
            .prepare_cached("DELETE FROM audit_events WHERE seq = ?1")?
            .execute(params![seq])?;
        Ok(None)
    }

    /// Deletes an item.
    pub fn delete_item(&self, id: i64) -> Result<(), StoreError> {
        self.forget_item(id);
        self.tx
            .execute("DELETE FROM items WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Items, optionally of one blueprint and/or under one parent, by id.
    pub fn items(
        &self,
        blueprint: Option<&str>,
        parent: Option<i64>,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            item_columns!(),
            " FROM items WHERE (?1 IS NULL OR blueprint = ?1) AND (?2 IS NULL OR parent = ?2) ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![blueprint, parent], item_from_row)?;
        rows.map(|r| finish_item(r?)).collect()
    }

    /// Whether an item has children.
    pub fn has_children(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM items WHERE parent = ?1 LIMIT 1")?
            .query_row(params![id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Ids of items with a reset due at or before `now`.
    pub fn items_due(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM items WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at, id",
        )?;
        let rows = stmt.query_map(params![now.timestamp()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // ------------------------------------------------------------ audit

    /// Appends an event to the hash chain; returns its sequence number.
    pub fn append_event(
        &self,
        item: Option<i64>,
        actor: &str,
        action: &str,
        at: DateTime<Utc>,
        details: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        let event = NewEvent {
            actor,
            action,
            at,
            details,
        };
        let (seq, hash) = self.insert_event(item, &event)?;
        if let Some(id) = item {
            let linked = self
                .tx
                .prepare_cached("UPDATE items SET last_event = ?1 WHERE id = ?2")?
                .execute(params![seq, id])?
                == 1;
            if linked {
                return Ok(seq);
            }
            // Its row was just deleted: the link is found the long way.
            self.tx
                .prepare_cached("UPDATE audit_events SET item_prev = (SELECT MAX(seq) FROM audit_events WHERE item = ?2 AND seq < ?1) WHERE seq = ?1")?
                .execute(params![seq, id])?;
        }
        self.tx
            .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")?
            .execute(params![seq, hash])?;
        Ok(seq)
    }

    /// Inserts an event at the end of the chain, linked to the item row's
    /// last event: its (seq, hash).
    fn insert_event(
        &self,
        item: Option<i64>,
        event: &NewEvent<'_>,
    ) -> Result<(i64, String), StoreError> {
        let (prev_seq, prev_hash): (i64, String) = self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or((0, GENESIS.to_string()));
        let seq = prev_seq + 1;
        let at = ts(event.at);
        let details = serde_json::to_string(event.details)?;
        let hash = event_hash(
            &prev_hash,
            seq,
            item,
            event.actor,
            event.action,
            &at,
            &details,
        );
        self.tx
            .prepare_cached("INSERT INTO audit_events (seq, item, item_prev, actor, action, at, details, prev_hash, hash) VALUES (?1, ?2, (SELECT last_event FROM items WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8)")?
            .execute(params![seq, item.unwrap_or(0), event.actor, event.action, at, details, prev_hash, hash])?;
        Ok((seq, hash))
    }

    /// The events of one item (or all, with `None`), in chain order, as stored.
    pub fn raw_events(&self, item: Option<i64>) -> Result<Vec<RawEvent>, StoreError> {
        let Some(item) = item else {
            let mut stmt = self.tx.prepare_cached(concat!(
                "SELECT ",
                event_columns!(),
                " FROM audit_events ORDER BY seq"
            ))?;
            let rows = stmt.query_map([], raw_event)?;
            return Ok(rows.collect::<Result<_, _>>()?);
        };
        let last: Option<Option<i64>> = self
            .tx
            .prepare_cached("SELECT last_event FROM items WHERE id = ?1")?
            .query_row(params![item], |r| r.get(0))
            .optional()?;
        let Some(mut next) = last else {
            // A deleted item: nothing points at its events any more.
            let mut stmt = self.tx.prepare_cached(concat!(
                "SELECT ",
                event_columns!(),
                " FROM audit_events WHERE item = ?1 ORDER BY seq"
            ))?;
            let rows = stmt.query_map(params![item], raw_event)?;
            return Ok(rows.collect::<Result<_, _>>()?);
        };
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            event_columns!(),
            " FROM audit_events WHERE seq = ?1 AND item = ?2"
        ))?;
        let mut events = Vec::new();
        while let Some(seq) = next {
            let Some((event, prev)) = stmt
                .query_row(params![seq, item], |r| Ok((raw_event(r)?, r.get(8)?)))
                .optional()?
            else {
                break;
            };
            events.push(event);
            next = prev;
        }
        events.reverse();
        Ok(events)
    }

    /// Each live item's last event (`None` for an item without one), by item.
    pub fn last_events(&self) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT id, last_event FROM items ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The events of one item (or all, with `None`), in order, details parsed.
    pub fn events(&self, item: Option<i64>) -> Result<Vec<EventRow>, StoreError> {
        self.raw_events(item)?
            .into_iter()
            .map(|e| {
                Ok(EventRow {
                    details: serde_json::from_str(&e.details)?,
                    seq: e.seq,
                    item: e.item,
                    actor: e.actor,
                    action: e.action,
                    at: e.at,
                    prev_hash: e.prev_hash,
                    hash: e.hash,
                })
            })
            .collect()
    }

    /// The last event no item row points at: (seq, hash).
    pub fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

/// A notification message in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxRow {
    /// The id.
    pub id: i64,
    /// The audit event that caused it.
    pub event_seq: i64,
    /// The item it is about.
    pub item: Option<i64>,
    /// The user it goes to.
    pub recipient: String,
    /// Their address.
    pub address: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    #[serde(skip)]
    pub body_text: String,
    /// The HTML part.
    #[serde(skip)]
    pub body_html: String,
    /// pending, sending, sent or failed.
    pub state: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt is due (epoch seconds).
    pub next_attempt_at: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: String,
    /// When the server accepted it.
    pub sent_at: Option<String>,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The recipient user.
    pub recipient: String,
    /// Their address.
    pub address: String,
    /// The subject.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
}

const OUTBOX_COLUMNS: &str = "id, event_seq, item, recipient, address, subject, body_text, body_html, state, attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        event_seq: r.get(1)?,
        item: r.get(2)?,
        recipient: r.get(3)?,
        address: r.get(4)?,
        subject: r.get(5)?,
        body_text: r.get(6)?,
        body_html: r.get(7)?,
        state: r.get(8)?,
        attempts: r.get(9)?,
        next_attempt_at: r.get(10)?,
        last_error: r.get(11)?,
        created_at: r.get(12)?,
        sent_at: r.get(13)?,
    })
}

impl Tx<'_> {
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

    /// A setting's value, if it is set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?)
    }

    // ------------------------------------------------------------ subscriptions

    /// Sets a user's subscription to an item (true) or an explicit
    /// unsubscribe (false); false if there is no such item.
    pub fn set_subscription(
        &self,
        user: &str,
        item: i64,
        subscribed: bool,
    ) -> Result<bool, StoreError> {
        let Some(mut row) = self.item(item)? else {
            return Ok(false);
        };
        self.forget_item(item);
        row.subscribers.insert(user.to_string(), subscribed);
        self.tx
            .prepare_cached("UPDATE items SET subscribers = ?1 WHERE id = ?2")?
            .execute(params![serde_json::to_string(&row.subscribers)?, item])?;
        Ok(true)
    }

    /// A user's subscriptions: (item, subscribed), by item.
    pub fn subscriptions_of_user(&self, user: &str) -> Result<Vec<(i64, bool)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, subscribers FROM items WHERE subscribers != '{}' ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let subscribers: BTreeMap<String, bool> =
                serde_json::from_str(&r.get::<_, String>(1)?)?;
            if let Some(&subscribed) = subscribers.get(user) {
                out.push((r.get(0)?, subscribed));
            }
        }
        Ok(out)
    }

    // ------------------------------------------------------------ outbox

    /// Queues messages for an event (one per recipient, at most).
    pub fn queue_messages(
        &self,
        event_seq: i64,
        item: Option<i64>,
        messages: &[NewMessage],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO outbox (event_seq, item, recipient, address, subject, body_text, body_html, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(event_seq, recipient) DO NOTHING",
        )?;
        for m in messages {
            stmt.execute(params![
                event_seq,
                item,
                m.recipient,
                m.address,
                m.subject,
                m.text,
                m.html,
                now.timestamp(),
                ts(now)
            ])?;
        }
        Ok(())
    }

    /// Outbox messages, newest first (only pending ones with `pending_only`).
    pub fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = if pending_only {
            format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state IN ('pending', 'sending') ORDER BY id"
            )
        } else {
            format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        };
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([], outbox_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Messages due for an attempt; claims left by a crashed sender count after `stale_before`.
    pub fn due_messages(&self, now: i64, stale_before: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE (state = 'pending' AND next_attempt_at <= ?1) OR (state = 'sending' AND next_attempt_at <= ?2) ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![now, stale_before], outbox_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Claims a message for sending; false if another sender has it.
    pub fn claim_message(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        Ok(self.tx
            .prepare_cached("UPDATE outbox SET state = 'sending', next_attempt_at = ?2 WHERE id = ?1 AND state IN ('pending', 'sending')")?
            .execute(params![id, now])? == 1)
    }

    /// Records that the server accepted a message.
    pub fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1")?
            .execute(params![id, ts(now)])?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up on.
    pub fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        match retry_at {
            Some(at) => self.tx.prepare_cached("UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1")?.execute(params![id, error, at])?,
            None => self.tx.prepare_cached("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")?.execute(params![id, error])?,
        };
        Ok(())
    }
}

fn finish_item((mut item, fields, signoffs, subscribers): RawItem) -> Result<ItemRow, StoreError> {
    item.fields = serde_json::from_str(&fields)?;
    item.signoffs = serde_json::from_str(&signoffs)?;
    item.subscribers = serde_json::from_str(&subscribers)?;
    Ok(item)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]
mod tests {
    use super::*;

    const AT: &str = "2026-01-01T00:00:00Z";

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
            assert_eq!(links(Some(1)), [(2, None), (4, Some(2))]);
            assert_eq!(links(Some(2)), [(3, None)]);
            assert_eq!(links(None).len(), 4);
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
        tx.commit().unwrap();
        assert_eq!(
            store.read().unwrap().raw_events(Some(2)).unwrap()[1].item_prev,
            Some(3)
        );
        drop(store);

        let mut engine = crate::engine::Engine::open(&path, Durability::Full).unwrap();
        assert_eq!(engine.audit_verify().unwrap(), Ok(5));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// One connection's item cache never serves a row that another
    /// connection changed since, nor one that a rolled-back transaction wrote.
    #[test]
    fn the_item_cache_follows_other_connections_and_rollbacks() {
        let dir = std::env::temp_dir().join(format!("govrt-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cache.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let mut a = Store::open(&path, Durability::Normal).unwrap();
        let mut b = Store::open(&path, Durability::Normal).unwrap();
        a.conn
            .execute_batch(&format!(
                "INSERT INTO blueprint_sets (id, loaded_at) VALUES (1, '{AT}');
                 INSERT INTO blueprint_versions VALUES ('project', 1, 1, 'f', 1, '{AT}');"
            ))
            .unwrap();
        let now = Utc::now();
        let row = ItemRow {
            id: 0,
            blueprint: "project".into(),
            version: 1,
            parent: None,
            name: "A".into(),
            fields: serde_json::Map::new(),
            step: None,
            finished: false,
            signoffs: BTreeMap::new(),
            creator: "owner".into(),
            created_at: now,
            updated_at: now,
            revision: 1,
            subscribers: BTreeMap::new(),
        };
        let tx = a.write().unwrap();
        let id = tx.insert_item(&row).unwrap();
        tx.commit().unwrap();
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
            let before = tx.item(id).unwrap().unwrap();
            let mut after = before.clone();
            after.name = name.into();
            after.revision += 1;
            tx.update_item(&after, &before, &event).unwrap().unwrap();
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
        rename(&mut a, "C", false);
        assert_eq!(name_of(&mut a), "B", "a rolled-back change is forgotten");
        rename(&mut a, "D", true);
        assert_eq!(name_of(&mut b), "D");
        assert_eq!(name_of(&mut a), "D");
        drop((a, b));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
