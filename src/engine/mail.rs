//! Mail: the delivery of the outbox (what an action queues is decided in
//! `notices`), and the secret that signs unsubscribe links.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::core::{Engine, new_secret};
use super::error::Result;
use crate::store::Tx;

/// Delivery attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 10;

/// Seconds after which a claimed, unsent message is taken up again.
pub const CLAIM_TIMEOUT_SECS: i64 = 300;

/// What a delivery round did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryReport {
    /// Accepted by the server.
    pub sent: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
}

/// The secret that signs unsubscribe links, made the first time it is needed.
pub(super) fn unsubscribe_secret(tx: &Tx<'_>) -> Result<String> {
    const KEY: &str = "unsubscribe_secret";
    match tx.setting(KEY)? {
        Some(secret) => Ok(secret),
        None => Ok(tx.setting_or_insert(KEY, &new_secret("unsub")?)?),
    }
}

impl Engine {
    /// The outbox (pending messages only with `pending_only`).
    pub fn outbox(&mut self, pending_only: bool) -> Result<Vec<crate::store::OutboxRow>> {
        Ok(self.store.read()?.outbox(pending_only)?)
    }

    /// The messages waiting to be delivered, and when the oldest was queued.
    pub fn outbox_backlog(&mut self) -> Result<(u64, Option<DateTime<Utc>>)> {
        let (count, oldest) = self.store.read()?.outbox_backlog()?;
        Ok((u64::try_from(count).unwrap_or_default(), oldest))
    }

    /// Delivers due messages: each is claimed, sent, and marked sent only
    /// once the server accepted it; a failure is retried with backoff.
    pub fn deliver(
        &mut self,
        sender: &crate::notify::Sender,
        now: Option<DateTime<Utc>>,
    ) -> Result<DeliveryReport> {
        let now = self.now_or(now);
        let stamp = now.timestamp();
        let mut report = DeliveryReport {
            sent: 0,
            retried: 0,
            failed: 0,
        };
        // One message claimed at a time, so a claim's lease covers one
        // attempt; a message tried in this round is due again only later.
        loop {
            let tx = self.store.claim()?;
            // A claim older than this was left by a sender that died mid-way.
            let claimed = tx.claim_next_message(stamp, stamp - CLAIM_TIMEOUT_SECS)?;
            tx.commit()?;
            let Some(message) = claimed else {
                break;
            };
            let message_id = format!("<govrt.{}.{}@govrt>", message.event_seq, message.recipient);
            let outcome = sender.send(&crate::notify::Outgoing {
                message_id: &message_id,
                to: &message.address,
                subject: &message.subject,
                text: &message.body_text,
                html: &message.body_html,
                unsubscribe: message.unsubscribe_url.as_deref(),
            });
            let tx = self.store.claim()?;
            match outcome {
                Ok(()) => {
                    tx.mark_sent(message.id, now)?;
                    report.sent += 1;
                }
                Err(error) => {
                    let attempt = message.attempts + 1;
                    if attempt >= MAX_ATTEMPTS {
                        tx.mark_failed(message.id, &error, None)?;
                        report.failed += 1;
                    } else {
                        let backoff = 30i64 << attempt.min(7);
                        tx.mark_failed(message.id, &error, Some(stamp + backoff))?;
                        report.retried += 1;
                    }
                }
            }
            tx.commit()?;
        }
        Ok(report)
    }
}
