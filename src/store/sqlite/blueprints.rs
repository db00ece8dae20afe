//! Stored blueprint sets and versions.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::rows::*;

impl Tx<'_> {
    /// Stores the files of a loaded set; returns its id.
    pub fn insert_blueprint_set(
        &self,
        files: &[(String, String)],
        scripts: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO blueprint_sets (loaded_at) VALUES (?1)",
            params![ts(now)],
        )?;
        let id = self.tx.last_insert_rowid();
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO blueprint_files (set_id, kind, name, text) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (name, text) in files {
            insert.execute(params![id, "gov", name, text])?;
        }
        for (name, text) in scripts {
            insert.execute(params![id, "script", name, text])?;
        }
        Ok(id)
    }

    /// The newest stored version of a blueprint: (version, fingerprint).
    pub fn latest_blueprint_version(
        &self,
        blueprint: &str,
    ) -> Result<Option<(u32, String)>, StoreError> {
        Ok(self.tx.prepare_cached("SELECT version, fingerprint FROM blueprint_versions WHERE blueprint = ?1 ORDER BY version DESC LIMIT 1")?.query_row(
                params![blueprint],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records a stored version of a blueprint.
    pub fn insert_blueprint_version(
        &self,
        v: &NewVersion<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO blueprint_versions (blueprint, version, declared_version, fingerprint, set_id, loaded_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![v.blueprint, v.version, v.declared, v.fingerprint, v.set_id, ts(now), v.state],
        )?;
        Ok(())
    }

    /// The newest version of a blueprint in `state`.
    pub fn newest_version_in(
        &self,
        blueprint: &str,
        state: &str,
    ) -> Result<Option<u32>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT MAX(version) FROM blueprint_versions WHERE blueprint = ?1 AND state = ?2",
            )?
            .query_row(params![blueprint, state], |r| r.get(0))?)
    }

    /// Sets a stored version's state: the state it was in, if there is such a version.
    pub fn set_version_state(
        &self,
        blueprint: &str,
        version: u32,
        state: &str,
    ) -> Result<Option<String>, StoreError> {
        let before: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT state FROM blueprint_versions WHERE blueprint = ?1 AND version = ?2",
            )?
            .query_row(params![blueprint, version], |r| r.get(0))
            .optional()?;
        if before.is_some() {
            self.tx
                .prepare_cached("UPDATE blueprint_versions SET state = ?3 WHERE blueprint = ?1 AND version = ?2")?
                .execute(params![blueprint, version, state])?;
        }
        Ok(before)
    }

    /// Every stored blueprint version: (blueprint, version, declared version, set id, loaded at).
    pub fn blueprint_versions(&self) -> Result<Vec<BlueprintVersionRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT blueprint, version, declared_version, set_id, loaded_at, state FROM blueprint_versions ORDER BY blueprint, version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(BlueprintVersionRow {
                blueprint: r.get(0)?,
                version: r.get(1)?,
                declared: r.get(2)?,
                set_id: r.get(3)?,
                loaded_at: r.get(4)?,
                state: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The files of a stored set: (`.gov` files, scripts), each (name, text).
    pub fn blueprint_set_files(&self, set_id: i64) -> Result<(NamedTexts, NamedTexts), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT kind, name, text FROM blueprint_files WHERE set_id = ?1 ORDER BY name",
        )?;
        let rows = stmt.query_map(params![set_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })?;
        let mut gov = Vec::new();
        let mut scripts = Vec::new();
        for row in rows {
            let (kind, name, text) = row?;
            if kind == "gov" {
                gov.push((name, text))
            } else {
                scripts.push((name, text))
            }
        }
        Ok((gov, scripts))
    }
}
