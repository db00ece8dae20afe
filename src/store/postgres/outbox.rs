//! The outbox on PostgreSQL: queueing messages with their action, listing
//! them, and claiming one for sending (a claim is a conditional update, so
//! two senders never both take a message; a claim left by a sender that
//! died goes stale and is taken again).

use chrono::{DateTime, Utc};

use super::connection::Tx;
use super::rows::outbox_from_row;
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
        for m in messages {
            self.execute(
                "INSERT INTO outbox (event_seq, item, recipient, address, subject, body_text, body_html, next_attempt_at, created_at, unsubscribe_url)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_seq, recipient) DO NOTHING",
                &[&event_seq, &item, &m.recipient, &m.address, &m.subject, &m.text, &m.html, &now.timestamp(), &ts(now), &m.unsubscribe_url],
            )?;
        }
        Ok(())
    }

    /// Outbox messages, by id (only pending ones with `pending_only`).
    pub fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = if pending_only {
            format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state IN ('pending', 'sending') ORDER BY id"
            )
        } else {
            format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id")
        };
        self.query(&sql, &[])?.iter().map(outbox_from_row).collect()
    }

    /// Messages due for an attempt; claims left by a crashed sender count after `stale_before`.
    pub fn due_messages(&self, now: i64, stale_before: i64) -> Result<Vec<OutboxRow>, StoreError> {
        self.query(
            &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND next_attempt_at <= $2) ORDER BY id"),
            &[&now, &stale_before],
        )?
        .iter()
        .map(outbox_from_row)
        .collect()
    }

    /// Claims a message for sending: one still due, or one whose claim went
    /// stale; false if another sender has it.
    pub fn claim_message(&self, id: i64, now: i64, stale_before: i64) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE outbox SET state = 'sending', next_attempt_at = $2 WHERE id = $1 AND ((state = 'pending' AND next_attempt_at <= $2) OR (state = 'sending' AND next_attempt_at <= $3))",
            &[&id, &now, &stale_before],
        )? == 1)
    }

    /// Records that the server accepted a message.
    pub fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "UPDATE outbox SET state = 'sent', sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1",
            &[&id, &ts(now)],
        )?;
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
            Some(at) => self.execute(
                "UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1",
                &[&id, &error, &at],
            )?,
            None => self.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1",
                &[&id, &error],
            )?,
        };
        Ok(())
    }
}
