//! Idempotent retries: a POST request sent with an `Idempotency-Key` is
//! acted on once; the same key with the same request within a day gets the
//! first answer again, a different request with it a refusal. Keys belong
//! to the credential that sent them (kept as its hash), and the records
//! live in the database, so a retry through another daemon is recognised.

use chrono::Utc;

use crate::engine::core::Engine;
use crate::engine::error::Result;
use crate::store::secret_hash;

/// How long an answer is kept for retries (24 hours).
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// After this, a request claimed but never answered (its daemon died) no
/// longer holds its key.
const IN_FLIGHT_SECS: i64 = 300;

/// What a request with an idempotency key is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// The key is this request's: act, then record the answer.
    Act,
    /// The same request was answered: answer the same.
    Answered { status: u16, body: String },
    /// The same request is being answered (by another connection).
    InFlight,
    /// The key was used for a different request.
    Reused,
}

impl Engine {
    /// Claims `key` for a request of the holder of `credential` whose route
    /// and body hash to `request_hash`.
    pub fn claim_idempotency_key(
        &mut self,
        credential: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Retry> {
        let now = Utc::now().timestamp();
        let tx = self.store.write()?;
        let held = tx.claim_idempotency_key(
            &secret_hash(credential),
            key,
            request_hash,
            now,
            now - IN_FLIGHT_SECS,
            now - IDEMPOTENCY_TTL_SECS,
        )?;
        tx.commit()?;
        Ok(match held {
            None => Retry::Act,
            Some(row) if row.request_hash != request_hash => Retry::Reused,
            Some(row) => match row.answer {
                Some((status, body)) => Retry::Answered { status, body },
                None => Retry::InFlight,
            },
        })
    }

    /// Records the answer to the request that claimed `key`.
    pub fn answer_idempotency_key(
        &mut self,
        credential: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        let tx = self.store.write()?;
        tx.answer_idempotency_key(&secret_hash(credential), key, status, body)?;
        Ok(tx.commit()?)
    }

    /// Frees `key` after its request failed in a way worth retrying.
    pub fn release_idempotency_key(&mut self, credential: &str, key: &str) -> Result<()> {
        let tx = self.store.write()?;
        tx.release_idempotency_key(&secret_hash(credential), key)?;
        Ok(tx.commit()?)
    }
}
