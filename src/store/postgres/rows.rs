//! How the rows of [`crate::store::rows`] are read from PostgreSQL rows.

use std::collections::BTreeMap;

use postgres::Row;

use crate::store::StoreError;
use crate::store::rows::*;

pub(super) fn outbox_from_row(r: &Row) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        id: r.try_get(0)?,
        event_seq: r.try_get(1)?,
        item: r.try_get(2)?,
        recipient: r.try_get(3)?,
        address: r.try_get(4)?,
        subject: r.try_get(5)?,
        body_text: r.try_get(6)?,
        body_html: r.try_get(7)?,
        state: r.try_get(8)?,
        attempts: r.try_get(9)?,
        next_attempt_at: r.try_get(10)?,
        last_error: r.try_get(11)?,
        created_at: r.try_get(12)?,
        sent_at: r.try_get(13)?,
        unsubscribe_url: r.try_get(14)?,
    })
}

/// A stored version number (BIGINT) as the rows hold it.
pub(super) fn version(r: &Row, i: usize) -> Result<u32, StoreError> {
    let v: i64 = r.try_get(i)?;
    u32::try_from(v)
        .map_err(|_| StoreError::Location(format!("stored version {v} is out of range")))
}

pub(super) fn item_from_row(r: &Row) -> Result<Item, StoreError> {
    let item = Item {
        id: r.try_get(0)?,
        blueprint: r.try_get(1)?,
        version: version(r, 2)?,
        parent: r.try_get(3)?,
        name: r.try_get(4)?,
        fields: serde_json::Map::new(),
        step: r.try_get(6)?,
        finished: r.try_get(7)?,
        signoffs: BTreeMap::new(),
        creator: r.try_get(9)?,
        created_at: parse_ts(r.try_get(10)?),
        updated_at: parse_ts(r.try_get(11)?),
        revision: r.try_get(12)?,
        subscribers: BTreeMap::new(),
        skipped: BTreeMap::new(),
    };
    finish_item((
        item,
        r.try_get(5)?,
        r.try_get(8)?,
        r.try_get(13)?,
        r.try_get(14)?,
    ))
}

pub(super) fn raw_event(r: &Row) -> Result<RawEvent, StoreError> {
    Ok(RawEvent {
        seq: r.try_get(0)?,
        item: Some(r.try_get::<_, i64>(1)?).filter(|&i| i != 0),
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        at: r.try_get(4)?,
        details: r.try_get(5)?,
        prev_hash: r.try_get(6)?,
        hash: r.try_get(7)?,
        item_prev: r.try_get(8)?,
    })
}
