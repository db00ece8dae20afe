//! Stored blueprint sets and versions on PostgreSQL.

use chrono::{DateTime, Utc};

use super::connection::Tx;
use super::rows::version;
use crate::store::StoreError;
use crate::store::rows::*;

impl Tx<'_> {
    /// Stores a loaded set's files; returns its id.
    pub fn insert_blueprint_set(
        &self,
        files: &[(String, String)],
        scripts: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let id: i64 = match self.query_opt(
            "INSERT INTO blueprint_sets (loaded_at) VALUES ($1) RETURNING id",
            &[&ts(now)],
        )? {
            Some(r) => r.try_get(0)?,
            None => return Err(StoreError::Location("the new set got no id".into())),
        };
        let insert =
            "INSERT INTO blueprint_files (set_id, kind, name, text) VALUES ($1, $2, $3, $4)";
        for (kind, list) in [("gov", files), ("script", scripts)] {
            for (name, text) in list {
                self.execute(insert, &[&id, &kind, name, text])?;
            }
        }
        Ok(id)
    }

    /// The newest stored version of a blueprint, with its fingerprint.
    pub fn latest_blueprint_version(
        &self,
        blueprint: &str,
    ) -> Result<Option<(u32, String)>, StoreError> {
        match self.query_opt(
            "SELECT version, fingerprint FROM blueprint_versions WHERE blueprint = $1 ORDER BY version DESC LIMIT 1",
            &[&blueprint],
        )? {
            Some(r) => Ok(Some((version(&r, 0)?, r.try_get(1)?))),
            None => Ok(None),
        }
    }

    /// Stores a version of a blueprint.
    pub fn insert_blueprint_version(
        &self,
        v: &NewVersion<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO blueprint_versions (blueprint, version, declared_version, fingerprint, set_id, loaded_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&v.blueprint, &i64::from(v.version), &i64::from(v.declared), &v.fingerprint, &v.set_id, &ts(now), &v.state],
        )?;
        Ok(())
    }

    /// The newest version of a blueprint in `state`.
    pub fn newest_version_in(
        &self,
        blueprint: &str,
        state: &str,
    ) -> Result<Option<u32>, StoreError> {
        match self.query_opt(
            "SELECT version FROM blueprint_versions WHERE blueprint = $1 AND state = $2 ORDER BY version DESC LIMIT 1",
            &[&blueprint, &state],
        )? {
            Some(r) => Ok(Some(version(&r, 0)?)),
            None => Ok(None),
        }
    }

    /// Sets a stored version's state: the state it was in, if there is such a version.
    pub fn set_version_state(
        &self,
        blueprint: &str,
        version: u32,
        state: &str,
    ) -> Result<Option<String>, StoreError> {
        let version = i64::from(version);
        let before = self.query_opt(
            "SELECT state FROM blueprint_versions WHERE blueprint = $1 AND version = $2",
            &[&blueprint, &version],
        )?;
        let Some(before) = before else {
            return Ok(None);
        };
        self.execute(
            "UPDATE blueprint_versions SET state = $3 WHERE blueprint = $1 AND version = $2",
            &[&blueprint, &version, &state],
        )?;
        Ok(Some(before.try_get(0)?))
    }

    /// Every stored blueprint version.
    pub fn blueprint_versions(&self) -> Result<Vec<BlueprintVersionRow>, StoreError> {
        self.query(
            "SELECT blueprint, version, declared_version, set_id, loaded_at, state FROM blueprint_versions ORDER BY blueprint, version",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(BlueprintVersionRow {
                blueprint: r.try_get(0)?,
                version: version(r, 1)?,
                declared: version(r, 2)?,
                set_id: r.try_get(3)?,
                loaded_at: r.try_get(4)?,
                state: r.try_get(5)?,
            })
        })
        .collect()
    }

    /// The `.gov` files and scripts of a stored set.
    pub fn blueprint_set_files(&self, set_id: i64) -> Result<(NamedTexts, NamedTexts), StoreError> {
        let mut gov = Vec::new();
        let mut scripts = Vec::new();
        for r in self.query(
            "SELECT kind, name, text FROM blueprint_files WHERE set_id = $1 ORDER BY name",
            &[&set_id],
        )? {
            let kind: String = r.try_get(0)?;
            let file = (r.try_get(1)?, r.try_get(2)?);
            if kind == "gov" {
                gov.push(file);
            } else {
                scripts.push(file);
            }
        }
        Ok((gov, scripts))
    }
}
