//! The `Engine` itself: its database, the cache of compiled blueprint sets,
//! the base URL of links in mail, and group commit. Each group of actions is
//! an `impl Engine` block in its own file beside this one.

use chrono::{DateTime, Utc};

use super::access::Identity;
use super::error::{EngineError, Refusal, Result};
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
}

/// The setting that holds the public base URL of links in mail.
const BASE_URL: &str = "base_url";
/// The setting that holds the sender address of mail.
const MAIL_FROM: &str = "mail_from";
const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
const DEFAULT_MAIL_FROM: &str = "govrt@localhost";

/// What mail needs to know of the deployment, kept in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSettings {
    /// How links in mail reach the daemon.
    pub base_url: String,
    /// The sender address of mail.
    pub mail_from: String,
}

/// The time given, or now.
pub(super) fn now_or(now: Option<DateTime<Utc>>) -> DateTime<Utc> {
    now.unwrap_or_else(Utc::now)
}

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
        let mut store = Store::open(path, durability)?;
        let base_url = store
            .read()?
            .setting(BASE_URL)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.into());
        Ok(Engine {
            store,
            cache: SetCache::default(),
            base_url,
        })
    }

    /// The public base URL and the mail sender as the database keeps them
    /// (the defaults where none was set).
    pub fn public_settings(&mut self) -> Result<PublicSettings> {
        let tx = self.store.read()?;
        Ok(PublicSettings {
            base_url: tx
                .setting(BASE_URL)?
                .unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            mail_from: tx
                .setting(MAIL_FROM)?
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
        })
    }

    /// Keeps the public base URL and the mail sender in the database, so
    /// that every process (the CLI's mail too) links to the daemon; audited.
    pub fn store_public_settings(
        &mut self,
        by: &Identity,
        base_url: Option<&str>,
        mail_from: Option<&str>,
    ) -> Result<()> {
        if base_url.is_none() && mail_from.is_none() {
            return Ok(());
        }
        if let Some(url) = base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Refusal::InvalidValue {
                what: format!("base URL `{url}`"),
                why: "it starts with `http://` or `https://`".into(),
            }
            .into());
        }
        let tx = self.store.write()?;
        for (key, value) in [(BASE_URL, base_url), (MAIL_FROM, mail_from)] {
            if let Some(v) = value {
                tx.set_setting(key, v)?;
            }
        }
        let details = serde_json::json!({"base_url": base_url, "mail_from": mail_from});
        tx.append_event(None, &by.name, "settings.set", Utc::now(), &details)?;
        tx.commit()?;
        if let Some(url) = base_url {
            self.base_url = url.to_string();
        }
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
            // A blueprint set loaded in the batch is not stored after all.
            self.cache = SetCache::default();
        }
        Ok(result?)
    }

    /// How links in mail reach the daemon.
    pub fn set_base_url(&mut self, url: &str) {
        self.base_url = url.to_string();
    }

    /// `PRAGMA integrity_check`.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.store.integrity_check()?)
    }
}
