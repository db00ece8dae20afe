//! How the rows of [`crate::store::rows`] are read from SQLite rows.

use std::collections::BTreeMap;

use crate::store::rows::*;

pub(super) fn outbox_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
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
        unsubscribe_url: r.get(14)?,
    })
}

pub(super) fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawItem> {
    Ok((
        Item {
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
            skipped: BTreeMap::new(),
        },
        r.get(5)?,
        r.get(8)?,
        r.get(13)?,
        r.get(14)?,
    ))
}

pub(super) fn raw_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
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
