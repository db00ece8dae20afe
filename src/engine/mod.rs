//! The engine: every action on items, as one transaction holding the new
//! state and its hash-chained audit event. It sees only the checked model
//! (never syntax), resolves who may do what, and delegates the rules to the
//! pure functions of [`signoff`] and [`workflow`].
//!
//! One job per file: the `Engine` and its connection live here; each group of
//! actions is an `impl Engine` block in its own file (items, sign-offs,
//! queries, identities, subscriptions, mail, audit, blueprint sets), beside
//! the pure rules and the types they hand out.

mod access;
pub mod actions;
mod audit;
mod change_hooks;
mod error;
mod history;
mod hook_test;
mod identities;
mod items;
mod mail;
mod queries;
mod script_view;
mod sets;
pub mod signoff;
mod signoffs;
mod status;
mod subscriptions;
pub mod values;
mod views;
pub mod workflow;

use chrono::{DateTime, Utc};

use crate::store::{Durability, Store};

pub use access::Identity;
pub use error::{EngineError, Refusal, Result};
pub use history::{AuditEntry, Happened, SignOffEntry};
pub use hook_test::HookSubject;
pub use items::FieldChange;
pub use mail::{CLAIM_TIMEOUT_SECS, DeliveryReport, MAX_ATTEMPTS};
pub use sets::{LoadReport, LoadedSet};
pub use signoffs::{SignOffRequest, TickReport};
pub use views::*;

use sets::SetCache;

/// The engine over one database.
pub struct Engine {
    store: Store,
    cache: SetCache,
    base_url: String,
}

pub(crate) fn now_or(now: Option<DateTime<Utc>>) -> DateTime<Utc> {
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
        Ok(Engine {
            store: Store::open(path, durability)?,
            cache: SetCache::default(),
            base_url: "http://127.0.0.1:8080".into(),
        })
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
