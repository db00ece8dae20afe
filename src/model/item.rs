//! An item: its blueprint and version, its place in the tree, its field
//! values, where it stands in its workflow and its sign-offs' states.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::condition::Skip;
use super::signoff::SignOffState;

/// An item as the engine and its rules see it (and the store keeps it).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
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
    /// Field values, as JSON (see `engine::rules::values`).
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
    /// Who follows it (true) or asked not to (false); see the book's
    /// "Notifications": the nearest of these, up the ancestors, decides.
    pub subscribers: BTreeMap<String, bool>,
    /// The steps found not to apply to it, by step id, with why: kept until
    /// the workflow moves back before them.
    pub skipped: BTreeMap<String, Skip>,
}

impl Item {
    /// The earliest time the scheduler has work on any of its sign-offs:
    /// a reset, a reminder or an escalation (epoch seconds).
    pub(crate) fn due_at(&self) -> Option<i64> {
        self.signoffs
            .values()
            .filter_map(SignOffState::wake_at)
            .min()
            .map(|t| t.timestamp())
    }
}
