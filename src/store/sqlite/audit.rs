//! The audit log: appending hash-chained events, reading them back, and
//! verifying the chain with every pointer into it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use super::rows::*;
use crate::store::StoreError;
use crate::store::hashes::link;
use crate::store::rows::*;

/// A page of the log's deletions ([`Tx::raw_deletions_after`]): the action
/// is a literal, so the planner reads the partial index `audit_deletions`.
pub(super) const DELETIONS_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM audit_events WHERE action = '",
    deletion_action!(),
    "' AND seq > ?1 ORDER BY seq LIMIT ?2"
);

/// The deletion of an item, from the partial index `audit_deletions`.
pub(super) const DELETION_OF: &str = concat!(
    "SELECT seq FROM audit_events WHERE action = '",
    deletion_action!(),
    "' AND item = ?1 ORDER BY seq DESC LIMIT 1"
);

impl Tx<'_> {
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
            // No such row (a deletion is audited by `delete_item`): nothing
            // points at the event, so the head record does.
        }
        self.set_head(seq, &hash)?;
        Ok(seq)
    }

    /// Records `seq` as the last event no item row points at.
    pub(super) fn set_head(&self, seq: i64, hash: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")?
            .execute(params![seq, hash])?;
        Ok(())
    }

    /// Inserts an event at the end of the chain, linked to the item row's
    /// last event: its (seq, hash).
    pub(super) fn insert_event(
        &self,
        item: Option<i64>,
        event: &NewEvent<'_>,
    ) -> Result<(i64, String), StoreError> {
        let last: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let l = link(last, item, event)?;
        self.tx
            .prepare_cached("INSERT INTO audit_events (seq, item, item_prev, actor, action, at, details, prev_hash, hash) VALUES (?1, ?2, (SELECT last_event FROM items WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8)")?
            .execute(params![l.seq, item.unwrap_or(0), event.actor, event.action, l.at, l.details, l.prev_hash, l.hash])?;
        Ok((l.seq, l.hash))
    }

    /// The events of one item, in chain order, as stored.
    pub fn raw_events(&self, item: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.raw_events_after(item, 0, i64::MAX)
    }

    /// At most `limit` events of the whole chain after the sequence number
    /// `after`, in chain order.
    pub fn raw_chain_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            event_columns!(),
            " FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after, limit], raw_event)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// At most `limit` deletions of items after the sequence number `after`,
    /// in chain order, from the partial index `audit_deletions`.
    pub fn raw_deletions_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        let mut stmt = self.tx.prepare_cached(DELETIONS_AFTER)?;
        let rows = stmt.query_map(params![after, limit], raw_event)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// At most `limit` events of one item after the sequence number `after`,
    /// in chain order. The item's events are walked through their links
    /// from its last one (a deleted item's: its deletion) back to `after`,
    /// so a page reads the item's own events and none of the rest of the log
    /// (appends stay at the log's end: no index on the item is kept up).
    pub fn raw_events_after(
        &self,
        item: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let last: Option<Option<i64>> = self
            .tx
            .prepare_cached("SELECT last_event FROM items WHERE id = ?1")?
            .query_row(params![item], |r| r.get(0))
            .optional()?;
        let mut next = match last {
            Some(last) => last,
            // A deleted item: its deletion, found in the index of deletions,
            // is its last event, linked to the ones before.
            None => self
                .tx
                .prepare_cached(DELETION_OF)?
                .query_row(params![item], |r| r.get(0))
                .optional()?,
        };
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            event_columns!(),
            " FROM audit_events WHERE seq = ?1 AND item = ?2"
        ))?;
        let mut events = Vec::new();
        while let Some(seq) = next.filter(|s| *s > after) {
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
        events.truncate(limit);
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

    /// The last event no item row points at: (seq, hash).
    pub fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}
