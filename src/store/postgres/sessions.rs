//! Web sessions on PostgreSQL: every daemon on the database knows them.

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
        self.execute(
            "INSERT INTO web_sessions (id_hash, credential, csrf, started_at) VALUES ($1, $2, $3, $4)",
            &[&id_hash, &credential, &csrf, &started_at],
        )?;
        Ok(())
    }

    /// A web session by its id's hash: (credential hash, CSRF secret, start).
    pub fn session(&self, id_hash: &str) -> Result<Option<(String, String, i64)>, StoreError> {
        match self.query_opt(
            "SELECT credential, csrf, started_at FROM web_sessions WHERE id_hash = $1",
            &[&id_hash],
        )? {
            Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))),
            None => Ok(None),
        }
    }

    /// Ends a web session.
    pub fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM web_sessions WHERE id_hash = $1", &[&id_hash])?;
        Ok(())
    }

    /// Forgets the web sessions that began before `started_before`.
    pub fn delete_sessions_before(&self, started_before: i64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM web_sessions WHERE started_at < $1",
            &[&started_before],
        )?;
        Ok(())
    }
}
