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
        blueprint: &str,
        version: u32,
        declared: u32,
        fingerprint: &str,
        set_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO blueprint_versions (blueprint, version, declared_version, fingerprint, set_id, loaded_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&blueprint, &i64::from(version), &i64::from(declared), &fingerprint, &set_id, &ts(now)],
        )?;
        Ok(())
    }

    /// Every stored blueprint version.
    pub fn blueprint_versions(&self) -> Result<Vec<BlueprintVersionRow>, StoreError> {
        self.query(
            "SELECT blueprint, version, declared_version, set_id, loaded_at FROM blueprint_versions ORDER BY blueprint, version",
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
