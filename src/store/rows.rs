//! The rows the store hands out and takes (items, blueprint versions, users,
//! events, outbox messages), shared by both backends, with the column lists
//! their statements read.

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::index::ItemIndex;
pub(crate) use super::stamps::{parse_ts, ts};
pub use crate::model::Item;

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
    /// `DRAFT`, `ACTIVE` or `ARCHIVED`.
    pub state: String,
}

/// A blueprint version to store.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// The blueprint id.
    pub blueprint: &'a str,
    /// The stored version.
    pub version: u32,
    /// The version its file declares.
    pub declared: u32,
    /// What tells a changed blueprint from an unchanged one.
    pub fingerprint: &'a str,
    /// The set it was loaded with.
    pub set_id: i64,
    /// `DRAFT` or `ACTIVE`.
    pub state: &'a str,
}

/// A user.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct UserRow {
    /// The name.
    pub name: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// May act for anyone.
    pub admin: bool,
    /// Disabled: their tokens no longer work; their history stays.
    pub disabled: bool,
}

/// A stored credential (a user's token or an API key); its secret is never stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CredentialRow {
    /// Its id (what `token revoke` takes).
    pub id: i64,
    /// `token` or `api_key`.
    pub kind: String,
    /// The user of a token, or the API key's name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (recorded at most once an hour).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An audit event as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
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

/// An update of an item's row: the item as an action left it, as it was
/// read (the revision the update expects), the action's audit event, and
/// what changed of the item's kept index, written with the row (its kept
/// columns in the row's own `UPDATE`), so keeping the status costs no
/// statement the action does not make anyway. `kept: None`: the caller
/// writes the index itself.
pub struct ItemUpdate<'a> {
    /// The item as the action left it.
    pub item: &'a Item,
    /// The item as it was read.
    pub before: &'a Item,
    /// The action's audit event.
    pub event: &'a NewEvent<'a>,
    /// Its kept index before and after the action.
    pub kept: Option<(&'a ItemIndex, &'a ItemIndex)>,
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

/// The record of a POST request sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRow {
    /// The hash of the request's route and body.
    pub request_hash: String,
    /// Its answer's status and body; `None` while it is being answered.
    pub answer: Option<(u16, String)>,
}

/// A notification message in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
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
    /// The message's one-click unsubscribe link.
    pub unsubscribe_url: Option<String>,
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
    /// The one-click unsubscribe link (`List-Unsubscribe`).
    pub unsubscribe_url: Option<String>,
}

pub(crate) const OUTBOX_COLUMNS: &str = "id, event_seq, item, recipient, address, subject, body_text, body_html, state, attempts, next_attempt_at, last_error, created_at, sent_at, unsubscribe_url";

/// An item row with its JSON columns (fields, sign-offs, subscribers) still as text.
pub(crate) type RawItem = (Item, String, String, String, String);

/// The columns `raw_event` reads, in its order (see `item_columns!`).
macro_rules! event_columns {
    () => {
        "seq, item, actor, action, at, details, prev_hash, hash, item_prev"
    };
}

/// The audit action of an item's deletion, a literal for the statements
/// that read the log's partial index `audit_deletions` (which only a
/// literal in the query lets the planner use).
macro_rules! deletion_action {
    () => {
        "item.delete"
    };
}

/// The audit action of an item's deletion (see `deletion_action!`).
pub const DELETION_ACTION: &str = deletion_action!();

/// The columns `item_from_row` reads, in its order (a macro, so that the
/// statements using them are literals, prepared without formatting).
macro_rules! item_columns {
    () => {
        "id, blueprint, version, parent, name, fields, step, finished, signoffs, creator, created_at, updated_at, revision, subscribers, skipped"
    };
}

/// How many columns `item_columns!` names: what a query selects after them
/// starts at this index.
pub(crate) const ITEM_COLUMN_COUNT: usize = 15;

pub(crate) fn finish_item(
    (mut item, fields, signoffs, subscribers, skipped): RawItem,
) -> Result<Item, StoreError> {
    item.fields = serde_json::from_str(&fields)?;
    item.skipped = serde_json::from_str(&skipped)?;
    item.signoffs = serde_json::from_str(&signoffs)?;
    item.subscribers = serde_json::from_str(&subscribers)?;
    Ok(item)
}

/// A column value an item update writes.
pub(crate) enum Column {
    /// A text column.
    Text(String),
    /// A nullable text column.
    MaybeText(Option<String>),
    /// A boolean column.
    Flag(bool),
    /// A nullable integer column.
    MaybeInt(Option<i64>),
}

/// The columns an update of `before` into `item` changes, beyond the
/// revision, time and last event every update writes: only what changed is
/// written (the JSON columns are not even serialized otherwise), the index
/// of due work only when it moved.
pub(crate) fn changed_columns(
    item: &Item,
    before: &Item,
) -> Result<Vec<(&'static str, Column)>, StoreError> {
    let mut out = Vec::new();
    if item.name != before.name {
        out.push(("name", Column::Text(item.name.clone())));
    }
    if item.fields != before.fields {
        out.push(("fields", Column::Text(serde_json::to_string(&item.fields)?)));
    }
    if item.version != before.version {
        // A migration: the blueprint version the item follows.
        out.push(("version", Column::MaybeInt(Some(i64::from(item.version)))));
    }
    if item.step != before.step {
        out.push(("step", Column::MaybeText(item.step.clone())));
    }
    if item.finished != before.finished {
        out.push(("finished", Column::Flag(item.finished)));
    }
    if item.signoffs != before.signoffs {
        out.push((
            "signoffs",
            Column::Text(serde_json::to_string(&item.signoffs)?),
        ));
        if item.due_at() != before.due_at() {
            out.push(("due_at", Column::MaybeInt(item.due_at())));
        }
    }
    if item.skipped != before.skipped {
        out.push((
            "skipped",
            Column::Text(serde_json::to_string(&item.skipped)?),
        ));
    }
    if item.subscribers != before.subscribers {
        out.push((
            "subscribers",
            Column::Text(serde_json::to_string(&item.subscribers)?),
        ));
    }
    Ok(out)
}

/// Groups with their members, from (group, member) rows in group order.
pub(crate) fn fold_groups(
    rows: impl IntoIterator<Item = (String, Option<String>)>,
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (group, member) in rows {
        if out.last().is_none_or(|(g, _)| *g != group) {
            out.push((group, Vec::new()));
        }
        if let (Some(m), Some((_, members))) = (member, out.last_mut()) {
            members.push(m);
        }
    }
    out
}
