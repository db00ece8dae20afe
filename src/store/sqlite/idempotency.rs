//! Idempotency keys on SQLite: the answers of retried POST requests.

use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::rows::IdempotencyRow;

impl Tx<'_> {
    /// Claims an idempotency key: `None` if it is now this request's, else
    /// the record that holds it (expired and stale records forgotten first).
    pub fn claim_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: i64,
        stale_before: i64,
        expired_before: i64,
    ) -> Result<Option<IdempotencyRow>, StoreError> {
        self.tx
            .prepare_cached("DELETE FROM idempotency_keys WHERE started_at < ?1 OR (status IS NULL AND started_at < ?2)")?
            .execute(params![expired_before, stale_before])?;
        let claimed = self
            .tx
            .prepare_cached("INSERT INTO idempotency_keys (scope, key, request_hash, started_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (scope, key) DO NOTHING")?
            .execute(params![scope, key, request_hash, now])?;
        if claimed == 1 {
            return Ok(None);
        }
        let row = self
            .tx
            .prepare_cached("SELECT request_hash, status, body FROM idempotency_keys WHERE scope = ?1 AND key = ?2")?
            .query_row(params![scope, key], |r| {
                let status: Option<i64> = r.get(1)?;
                let body: Option<String> = r.get(2)?;
                Ok(IdempotencyRow {
                    request_hash: r.get(0)?,
                    answer: status.zip(body).map(|(s, b)| (s as u16, b)),
                })
            })
            .optional()?;
        Ok(row)
    }

    /// Records the answer of a claimed key's request.
    pub fn answer_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE scope = ?1 AND key = ?2",
            )?
            .execute(params![scope, key, status, body])?;
        Ok(())
    }

    /// Frees a claimed key whose request failed.
    pub fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2")?
            .execute(params![scope, key])?;
        Ok(())
    }
}
