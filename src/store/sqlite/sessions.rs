//! Web sessions on SQLite.

use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use crate::store::StoreError;

impl Tx<'_> {
    /// Stores a web session.
    pub fn insert_session(
        &self,
        id_hash: &str,
        credential: &str,
        csrf: &str,
        started_at: i64,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO web_sessions (id_hash, credential, csrf, started_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![id_hash, credential, csrf, started_at])?;
        Ok(())
    }

    /// A web session by its id's hash: (credential hash, CSRF secret, start).
    pub fn session(&self, id_hash: &str) -> Result<Option<(String, String, i64)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT credential, csrf, started_at FROM web_sessions WHERE id_hash = ?1",
            )?
            .query_row(params![id_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?)
    }

    /// Ends a web session.
    pub fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM web_sessions WHERE id_hash = ?1")?
            .execute(params![id_hash])?;
        Ok(())
    }

    /// Forgets the web sessions that began before `started_before`.
    pub fn delete_sessions_before(&self, started_before: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM web_sessions WHERE started_at < ?1")?
            .execute(params![started_before])?;
        Ok(())
    }
}
