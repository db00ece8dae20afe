//! The audit log: appending hash-chained events, reading them back, and
//! verifying the chain with every pointer into it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::connection::Tx;
use super::error::StoreError;
use super::rows::ts;
use super::rows::*;

/// The hash an empty audit chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    pub(super) fn insert_event(
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

impl Tx<'_> {
    /// Verifies the hash chain: Ok(number of events) or the first break.
    ///
    /// Besides each event's hash and its link to the one before, every
    /// pointer into the chain must still lead to the right event: each
    /// event's link to its item's previous event, each live item's last
    /// event, and the head record (the last event no item points at). So
    /// deleting events at the end is detected as well as in the middle.
    pub fn verify_chain(&self) -> Result<Result<usize, String>, StoreError> {
        let events = self.raw_events(None)?;
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut last_of: HashMap<i64, i64> = HashMap::new();
        for e in &events {
            let (seq, prev_hash, hash) = (&e.seq, &e.prev_hash, &e.hash);
            if *seq != expected_seq {
                return Ok(Err(format!(
                    "event {expected_seq} is missing (the next one is {seq})"
                )));
            }
            if *prev_hash != prev {
                return Ok(Err(format!(
                    "event {seq} does not follow event {}: its previous hash was changed",
                    seq - 1
                )));
            }
            let computed = event_hash(
                prev_hash, *seq, e.item, &e.actor, &e.action, &e.at, &e.details,
            );
            if computed != *hash {
                return Ok(Err(format!(
                    "event {seq} was changed after it was written (its hash does not match)"
                )));
            }
            if let Some(item) = e.item
                && last_of.insert(item, *seq) != e.item_prev
            {
                return Ok(Err(format!(
                    "event {seq} is not linked to the previous event of item {item}: its link was changed"
                )));
            }
            prev = hash.clone();
            expected_seq += 1;
        }
        let end = expected_seq - 1;
        let deleted = |pointer: String, seq: i64| {
            Ok(Err(format!(
                "the chain ends at event {end} but {pointer} event {seq}: events were deleted"
            )))
        };
        let Some((head, head_hash)) = self.audit_head()? else {
            return Ok(Err("the chain's head record is missing".into()));
        };
        if head > end {
            return deleted("the head record points at".into(), head);
        }
        let at = |seq: i64| usize::try_from(seq - 1).ok().and_then(|i| events.get(i));
        if head > 0 && at(head).is_none_or(|e| e.hash != head_hash) {
            return Ok(Err(format!(
                "the head record does not match event {head}: the chain was rewritten"
            )));
        }
        for (item, last) in self.last_events()? {
            match last {
                Some(last) if last > end => {
                    return deleted(format!("item {item} points at"), last);
                }
                Some(last) if last_of.get(&item) != Some(&last) => {
                    return Ok(Err(format!(
                        "item {item} points at event {last}, which is not its last event: events were deleted or changed"
                    )));
                }
                None if last_of.contains_key(&item) => {
                    return Ok(Err(format!(
                        "item {item} has events but points at none: its link was changed"
                    )));
                }
                _ => {}
            }
        }
        Ok(Ok(events.len()))
    }
}
