//! The audit log on PostgreSQL: appending hash-chained events (writers are
//! serialized by the write lock, so the chain has one end), reading them
//! back. The chain is checked by [`crate::store::Ops::verify_chain`].

use chrono::{DateTime, Utc};

use super::connection::{CHAIN_END, Tx};
use super::rows::raw_event;
use crate::store::StoreError;
use crate::store::hashes::{Link, link};
use crate::store::rows::*;

/// The columns and values of an appended event, `$1` to `$8`: seq, item,
/// actor, action, at, details, prev_hash, hash (`item_prev` is the item
/// row's last event).
macro_rules! insert_event_values {
    () => {
        "(seq, item, item_prev, actor, action, at, details, prev_hash, hash) VALUES ($1, $2, (SELECT last_event FROM items WHERE id = $2), $3, $4, $5, $6, $7, $8)"
    };
}
pub(super) use insert_event_values;

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
            let linked = self.execute(
                "UPDATE items SET last_event = $1 WHERE id = $2",
                &[&seq, &id],
            )? == 1;
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
        self.execute(
            "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
            &[&seq, &hash],
        )?;
        Ok(())
    }

    /// Inserts an event at the end of the chain, linked to the item row's
    /// last event: its (seq, hash).
    pub(super) fn insert_event(
        &self,
        item: Option<i64>,
        event: &NewEvent<'_>,
    ) -> Result<(i64, String), StoreError> {
        let l = self.next_link(item, event)?;
        self.execute(
            concat!("INSERT INTO audit_events ", insert_event_values!()),
            &[
                &l.seq,
                &item.unwrap_or(0),
                &event.actor,
                &event.action,
                &l.at,
                &l.details,
                &l.prev_hash,
                &l.hash,
            ],
        )?;
        self.moved_head(&l);
        Ok((l.seq, l.hash))
    }

    /// The next link of the chain, for `event` about `item`: after the end
    /// known since the write lock was taken, or read now.
    pub(super) fn next_link(
        &self,
        item: Option<i64>,
        event: &NewEvent<'_>,
    ) -> Result<Link, StoreError> {
        let known = self.head.borrow().clone();
        let last = match known {
            Some(head) => head,
            None => match self.query_opt(CHAIN_END, &[])? {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            },
        };
        Ok(link(last, item, event)?)
    }

    /// Records that `l` was appended: the chain's end.
    pub(super) fn moved_head(&self, l: &Link) {
        self.head.replace(Some(Some((l.seq, l.hash.clone()))));
    }

    /// Forgets the chain's end (an appended event was taken back).
    pub(super) fn forget_head(&self) {
        self.head.replace(None);
    }

    /// The events of one item, in chain order, as stored.
    pub fn raw_events(&self, item: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.raw_events_after(item, 0, i64::MAX)
    }

    /// At most `limit` events of the whole chain after the sequence number
    /// `after`, in chain order.
    pub fn raw_chain_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.query(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ),
            &[&after, &limit],
        )?
        .iter()
        .map(raw_event)
        .collect()
    }

    /// At most `limit` deletions of items after the sequence number `after`,
    /// in chain order, from the partial index `audit_deletions`.
    pub fn raw_deletions_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.query(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM audit_events WHERE action = '",
                deletion_action!(),
                "' AND seq > $1 ORDER BY seq LIMIT $2"
            ),
            &[&after, &limit],
        )?
        .iter()
        .map(raw_event)
        .collect()
    }

    /// At most `limit` events of one item after the sequence number `after`,
    /// in chain order (through the index on item and sequence number).
    pub fn raw_events_after(
        &self,
        item: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        self.query(
            concat!(
                "SELECT ",
                event_columns!(),
                " FROM audit_events WHERE item = $1 AND seq > $2 ORDER BY seq LIMIT $3"
            ),
            &[&item, &after, &limit],
        )?
        .iter()
        .map(raw_event)
        .collect()
    }

    /// Each live item's last event (`None` for an item without one), by item.
    pub fn last_events(&self) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
        self.query("SELECT id, last_event FROM items ORDER BY id", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The last event no item row points at: (seq, hash).
    pub fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        match self.query_opt("SELECT seq, hash FROM audit_head WHERE id = 1", &[])? {
            Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?))),
            None => Ok(None),
        }
    }
}
