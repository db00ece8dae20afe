//! Idempotency keys on PostgreSQL: the answers of retried POST requests,
//! shared by every daemon on the database.

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
        self.execute(
            "DELETE FROM idempotency_keys WHERE started_at < $1 OR (status IS NULL AND started_at < $2)",
            &[&expired_before, &stale_before],
        )?;
        let claimed = self.execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING",
            &[&scope, &key, &request_hash, &now],
        )?;
        if claimed == 1 {
            return Ok(None);
        }
        let Some(row) = self.query_opt(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2",
            &[&scope, &key],
        )?
        else {
            return Ok(None);
        };
        let status: Option<i64> = row.try_get(1)?;
        let body: Option<String> = row.try_get(2)?;
        Ok(Some(IdempotencyRow {
            request_hash: row.try_get(0)?,
            answer: status.zip(body).map(|(s, b)| (s as u16, b)),
        }))
    }

    /// Records the answer of a claimed key's request.
    pub fn answer_idempotency_key(
        &self,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2",
            &[&scope, &key, &i64::from(status), &body],
        )?;
        Ok(())
    }

    /// Frees a claimed key whose request failed.
    pub fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2",
            &[&scope, &key],
        )?;
        Ok(())
    }
}
