//! Users, groups and credentials (hashed secrets).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::rows::*;

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

    /// The mail address of each of `names` (none for a user without one,
    /// or no such user), in their order.
    pub fn addresses(&self, names: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        names
            .iter()
            .map(|n| Ok(self.user(n)?.and_then(|u| u.email)))
            .collect()
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT name, email, admin, disabled FROM users WHERE name = ?1")?
            .query_row(params![name], |r| {
                Ok(UserRow {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    admin: r.get(2)?,
                    disabled: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.users_after(None, i64::MAX)
    }

    /// At most `limit` users by name, after the name `after`.
    pub fn users_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<UserRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT name, email, admin, disabled FROM users WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok(UserRow {
                name: r.get(0)?,
                email: r.get(1)?,
                admin: r.get(2)?,
                disabled: r.get(3)?,
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
        let pairs = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(fold_groups(pairs))
    }

    /// The groups a user belongs to.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT group_name FROM group_members WHERE user_name = ?1 ORDER BY group_name",
        )?;
        let rows = stmt.query_map(params![user], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores the hash of an API key or token secret; false if an active
    /// API key of that name exists.
    pub fn insert_credential(
        &self,
        kind: &str,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "INSERT INTO credentials (hash, kind, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            params![hash, kind, name, ts(now), expires_at.map(ts)],
        )? == 1)
    }

    /// The credential with this secret hash.
    pub fn credential(&self, hash: &str) -> Result<Option<CredentialRow>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE hash = ?1"
            ))?
            .query_row(params![hash], credential_from_row)
            .optional()?)
    }

    /// The credentials of a kind that are not revoked, oldest first; for
    /// tokens, optionally of one user.
    pub fn credentials(
        &self,
        kind: &str,
        name: Option<&str>,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = ?1 AND revoked_at IS NULL AND (?2 IS NULL OR name = ?2) ORDER BY rowid"
        ))?;
        let rows = stmt.query_map(params![kind, name], credential_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes the active credential of this kind with this id, or (with
    /// `id` None) the active API key of this name: the revoked row, if any.
    pub fn revoke_credential(
        &self,
        kind: &str,
        id: Option<i64>,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<CredentialRow>, StoreError> {
        let found: Option<CredentialRow> = self
            .tx
            .prepare_cached(&format!(
                "SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = ?1 AND revoked_at IS NULL AND (?2 IS NULL OR rowid = ?2) AND (?3 IS NULL OR name = ?3)"
            ))?
            .query_row(params![kind, id, name], credential_from_row)
            .optional()?;
        if let Some(c) = &found {
            self.tx.execute(
                "UPDATE credentials SET revoked_at = ?2 WHERE rowid = ?1",
                params![c.id, ts(now)],
            )?;
        }
        Ok(found)
    }

    /// Records that a credential was used now.
    pub fn touch_credential(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE credentials SET last_used_at = ?2 WHERE rowid = ?1",
            params![id, ts(now)],
        )?;
        Ok(())
    }

    /// Disables or enables a user; false if there is no such user.
    pub fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )? == 1)
    }

    /// Sets (or, with None, clears) a user's e-mail address; false if there is no such user.
    pub fn set_user_email(&self, name: &str, email: Option<&str>) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "UPDATE users SET email = ?2 WHERE name = ?1",
            params![name, email],
        )? == 1)
    }

    /// Removes a member from a group; false if they were not one.
    pub fn remove_member(&self, group: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.tx.execute(
            "DELETE FROM group_members WHERE group_name = ?1 AND user_name = ?2",
            params![group, user],
        )? == 1)
    }
}

const CREDENTIAL_COLUMNS: &str =
    "rowid, kind, name, created_at, expires_at, revoked_at, last_used_at";

fn credential_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CredentialRow> {
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?.map(|s| parse_ts(&s)))
    };
    Ok(CredentialRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        created_at: parse_ts(&r.get::<_, String>(3)?),
        expires_at: time(4)?,
        revoked_at: time(5)?,
        last_used_at: time(6)?,
    })
}
