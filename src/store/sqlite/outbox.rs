//! The notification outbox: messages queued with their action, claimed,
//! marked sent or failed by the sender.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use super::rows::*;
use crate::store::StoreError;
use crate::store::rows::*;

impl Tx<'_> {
    /// Queues messages for an event (one per recipient, at most).
    pub fn queue_messages(
        &self,
        event_seq: i64,
        item: Option<i64>,
        messages: &[NewMessage],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO outbox (event_seq, item, recipient, address, subject, body_text, body_html, next_attempt_at, created_at, unsubscribe_url)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(event_seq, recipient) DO NOTHING",
        )?;
        for m in messages {
            stmt.execute(params![
                event_seq,
                item,
                m.recipient,
                m.address,
                m.subject,
                m.text,
                m.html,
                now.timestamp(),
                ts(now),
                m.unsubscribe_url
            ])?;
        }
        Ok(())
    }

    /// Outbox messages, newest first (only pending ones with `pending_only`).
    pub fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = if pending_only {
            format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state IN ('pending', 'sending') ORDER BY id"
            )
        } else {
            format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        };
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let rows = stmt.query_map([], outbox_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The messages waiting to be delivered, and when the oldest was queued.
    pub fn outbox_backlog(&self) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
        let (count, oldest): (i64, Option<String>) = self
            .tx
            .prepare_cached("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((count, oldest.as_deref().map(parse_ts)))
    }

    /// Claims the oldest message due for an attempt (or whose claim,
    /// made before `stale_before`, was left by a sender that died): marks
    /// it `sending` from `now` and returns it. The write transaction is
    /// the only one, so no other sender claims it meanwhile.
    pub fn claim_next_message(
        &self,
        now: i64,
        stale_before: i64,
    ) -> Result<Option<OutboxRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "UPDATE outbox SET state = 'sending', next_attempt_at = ?1 WHERE id = (
               SELECT id FROM outbox
               WHERE (state = 'pending' AND next_attempt_at <= ?1) OR (state = 'sending' AND next_attempt_at <= ?2)
               ORDER BY id LIMIT 1)
             RETURNING {OUTBOX_COLUMNS}"
        ))?;
        Ok(stmt
            .query_row(params![now, stale_before], outbox_from_row)
            .optional()?)
    }

    /// Records that the server accepted a message.
    pub fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1")?
            .execute(params![id, ts(now)])?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up on.
    pub fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        match retry_at {
            Some(at) => self.tx.prepare_cached("UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?1")?.execute(params![id, error, at])?,
            None => self.tx.prepare_cached("UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1")?.execute(params![id, error])?,
        };
        Ok(())
    }
}
