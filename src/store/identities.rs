//! Users, groups and credentials (hashed secrets).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::connection::Tx;
use super::error::StoreError;
use super::rows::ts;
use super::rows::*;

impl Tx<'_> {
    /// Adds a user; false if the name is taken.
    pub fn insert_user(
        &self,
        name: &str,
        email: Option<&str>,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO users (name, email, admin, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
            params![name, email, admin, ts(now)],
        )? == 1)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT name, email, admin FROM users WHERE name = ?1")?
            .query_row(params![name], |r| {
                Ok(UserRow {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    admin: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT name, email, admin FROM users ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(UserRow {
                name: r.get(0)?,
                email: r.get(1)?,
                admin: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a group; false if it exists.
    pub fn insert_group(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO groups (name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
            params![name, ts(now)],
        )? == 1)
    }

    /// Whether a group exists.
    pub fn group_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM groups WHERE name = ?1")?
            .query_row(params![name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Adds a member; false if already one.
    pub fn add_member(&self, group: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO group_members (group_name, user_name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![group, user],
        )? == 1)
    }

    /// Every group with its members.
    pub fn groups(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT g.name, m.user_name FROM groups g LEFT JOIN group_members m ON m.group_name = g.name ORDER BY g.name, m.user_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for row in rows {
            let (group, member) = row?;
            if out.last().is_none_or(|(g, _)| *g != group) {
                out.push((group, Vec::new()));
            }
            if let (Some(m), Some((_, members))) = (member, out.last_mut()) {
                members.push(m);
            }
        }
        Ok(out)
    }

    /// The groups a user belongs to.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT group_name FROM group_members WHERE user_name = ?1 ORDER BY group_name",
        )?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the hash of an API key or token secret; false if an API key of that name exists.
    pub fn insert_credential(
        &self,
        kind: &str,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO credentials (hash, kind, name, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![hash, kind, name, ts(now)],
        )? == 1)
    }

    /// The (kind, name) of the credential with this secret hash.
    pub fn credential(&self, hash: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT kind, name FROM credentials WHERE hash = ?1")?
            .query_row(params![hash], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

/// The SHA-256 of a secret, as stored (secrets themselves never are).
pub fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}
