//! The `Engine` itself: its database, the cache of compiled blueprint sets,
//! the base URL of links in mail, and group commit. Each group of actions is
//! an `impl Engine` block in its own file beside this one.

use chrono::{DateTime, Utc};

use super::error::{EngineError, Result};
use super::set_cache::SetCache;
use crate::store::{Durability, Store};

/// The engine over one database.
pub struct Engine {
    /// The database.
    pub(super) store: Store,
    /// The compiled blueprint sets items run against.
    pub(super) cache: SetCache,
    /// How links in mail reach the daemon.
    pub(super) base_url: String,
    /// The kept index last computed for recently changed items.
    pub(super) kept: super::index_cache::KeptCache,
    /// The time the engine acts and reads at when none is given; `None`:
    /// the real clock.
    clock: Option<DateTime<Utc>>,
}

/// The setting that holds the public base URL of links in mail.
pub(super) const BASE_URL: &str = "base_url";
/// The setting that holds the sender address of mail.
pub(super) const MAIL_FROM: &str = "mail_from";
pub(super) const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
pub(super) const DEFAULT_MAIL_FROM: &str = "govrt@localhost";

/// Random secrets for API keys and tokens, hex-encoded.
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| EngineError::System(format!("no randomness available for a secret: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}_{hex}"))
}

impl Engine {
    /// Opens the engine on a database.
    pub fn open(path: &std::path::Path, durability: Durability) -> Result<Engine> {
        Engine::open_at(path, durability, None)
    }

    /// Opens a database with the engine's clock fixed at `clock` (the CLI's
    /// `GOVRT_NOW`: to replay a scenario at chosen times); `None`: the real
    /// clock. The daemon always runs on the real clock.
    pub fn open_at(
        path: &std::path::Path,
        durability: Durability,
        clock: Option<DateTime<Utc>>,
    ) -> Result<Engine> {
        let mut store = Store::open(path, durability)?;
        let base_url = store
            .read()?
            .setting(BASE_URL)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.into());
        let mut engine = Engine {
            store,
            cache: SetCache::default(),
            base_url,
            kept: super::index_cache::KeptCache::default(),
            clock,
        };
        engine.ensure_index()?;
        Ok(engine)
    }

    /// Fixes the time the engine acts and reads at when an action gives
    /// none.
    pub fn fix_now(&mut self, at: DateTime<Utc>) {
        self.clock = Some(at);
    }

    /// The time given, or the engine's: its fixed clock, or now.
    pub(in crate::engine) fn now_or(&self, now: Option<DateTime<Utc>>) -> DateTime<Utc> {
        now.or(self.clock).unwrap_or_else(Utc::now)
    }

    /// Whether the database answers now (one read), for readiness checks.
    pub fn ping(&mut self) -> Result<()> {
        self.store.read()?.setting(BASE_URL)?;
        Ok(())
    }

    /// Starts a group commit (see [`crate::store::Store::begin_batch`]):
    /// the actions until [`Engine::commit_batch`] reach the disk together.
    pub fn begin_batch(&mut self) -> Result<()> {
        Ok(self.store.begin_batch()?)
    }

    /// Commits the actions since [`Engine::begin_batch`], or none of them.
    pub fn commit_batch(&mut self) -> Result<()> {
        let result = self.store.commit_batch();
        if result.is_err() {
            // A blueprint set loaded in the batch is not stored after all,
            // nor the revisions its actions wrote.
            self.cache = SetCache::default();
            self.kept = super::index_cache::KeptCache::default();
        }
        Ok(result?)
    }

    /// How links in mail reach the daemon.
    pub fn set_base_url(&mut self, url: &str) {
        self.base_url = url.to_string();
    }

    /// `PRAGMA integrity_check`.
    pub fn integrity_check(&mut self) -> Result<String> {
        Ok(self.store.integrity_check()?)
    }
}
