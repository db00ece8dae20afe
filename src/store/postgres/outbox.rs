//! The outbox on PostgreSQL: queueing messages with their action, listing
//! them, and claiming one for sending (`FOR UPDATE SKIP LOCKED` with a
//! lease: two senders never both take a message, nor wait for each other;
//! a claim left by a sender that died goes stale and is taken again).

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

    /// The messages waiting to be delivered, and when the oldest was queued.
    pub fn outbox_backlog(&self) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
        let rows = self.query(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state IN ('pending', 'sending')",
            &[],
        )?;
        let Some(row) = rows.first() else {
            return Ok((0, None));
        };
        let oldest: Option<String> = row.try_get(1)?;
        Ok((row.try_get(0)?, oldest.as_deref().map(parse_ts)))
    }

    /// Claims the oldest message due for an attempt (or whose claim,
    /// made before `stale_before`, was left by a sender that died): marks
    /// it `sending` from `now` and returns it. A row another sender is
    /// claiming at the same moment is skipped, not waited for.
    pub fn claim_next_message(
        &self,
        now: i64,
        stale_before: i64,
    ) -> Result<Option<OutboxRow>, StoreError> {
        self.query_opt(
            &format!(
                "UPDATE outbox SET state = 'sending', next_attempt_at = $1 WHERE id = (
                   SELECT id FROM outbox
                   WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND next_attempt_at <= $2)
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING {OUTBOX_COLUMNS}"
            ),
            &[&now, &stale_before],
        )?
        .as_ref()
        .map(outbox_from_row)
        .transpose()
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
