//! Users, groups and credentials on PostgreSQL.

use chrono::{DateTime, Utc};
use postgres::Row;

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::rows::*;

const CREDENTIAL_COLUMNS: &str = "id, kind, name, created_at, expires_at, revoked_at, last_used_at";

fn credential_from_row(r: &Row) -> Result<CredentialRow, StoreError> {
    let time = |i: usize| -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(r.try_get::<_, Option<&str>>(i)?.map(parse_ts))
    };
    Ok(CredentialRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        name: r.try_get(2)?,
        created_at: parse_ts(r.try_get(3)?),
        expires_at: time(4)?,
        revoked_at: time(5)?,
        last_used_at: time(6)?,
    })
}

fn user_from_row(r: &Row) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        name: r.try_get(0)?,
        email: r.try_get(1)?,
        admin: r.try_get(2)?,
        disabled: r.try_get(3)?,
    })
}

impl Tx<'_> {
    /// Adds a user; false if the name is taken.
    pub fn insert_user(
        &self,
        name: &str,
        email: Option<&str>,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO users (name, email, admin, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            &[&name, &email, &admin, &ts(now)],
        )? == 1)
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        self.query_opt(
            "SELECT name, email, admin, disabled FROM users WHERE name = $1",
            &[&name],
        )?
        .as_ref()
        .map(user_from_row)
        .transpose()
    }

    /// The mail address of each of `names` (none for a user without one,
    /// or no such user), in their order: one query for all.
    pub fn addresses(&self, names: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = std::collections::HashMap::new();
        for row in self.query(
            "SELECT name, email FROM users WHERE name = ANY($1)",
            &[&names],
        )? {
            let (name, email): (String, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
            found.insert(name, email);
        }
        Ok(names
            .iter()
            .map(|n| found.get(n).cloned().flatten())
            .collect())
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        self.users_after(None, i64::MAX)
    }

    /// At most `limit` users by name, after the name `after`.
    pub fn users_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<UserRow>, StoreError> {
        self.query(
            "SELECT name, email, admin, disabled FROM users WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2",
            &[&after, &limit],
        )?
        .iter()
        .map(user_from_row)
        .collect()
    }

    /// Adds a group; false if the name is taken.
    pub fn insert_group(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO groups (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &ts(now)],
        )? == 1)
    }

    /// Whether a group exists.
    pub fn group_exists(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_opt("SELECT 1 FROM groups WHERE name = $1", &[&name])?
            .is_some())
    }

    /// Adds a member to a group; false if they were one.
    pub fn add_member(&self, group: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO group_members (group_name, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&group, &user],
        )? == 1)
    }

    /// Every group with its members.
    pub fn groups(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let rows = self.query(
            "SELECT g.name, m.user_name FROM groups g LEFT JOIN group_members m ON m.group_name = g.name ORDER BY g.name, m.user_name",
            &[],
        )?;
        let pairs = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(fold_groups(pairs))
    }

    /// The groups of a user.
    pub fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError> {
        self.query(
            "SELECT group_name FROM group_members WHERE user_name = $1 ORDER BY group_name",
            &[&user],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    /// Stores a credential (its secret's hash); false if taken.
    pub fn insert_credential(
        &self,
        kind: &str,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO credentials (hash, kind, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&hash, &kind, &name, &ts(now), &expires_at.map(ts)],
        )? == 1)
    }

    /// A credential by its secret's hash.
    pub fn credential(&self, hash: &str) -> Result<Option<CredentialRow>, StoreError> {
        self.query_opt(
            &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE hash = $1"),
            &[&hash],
        )?
        .as_ref()
        .map(credential_from_row)
        .transpose()
    }

    /// Live credentials of a kind (of one name), oldest first.
    pub fn credentials(
        &self,
        kind: &str,
        name: Option<&str>,
    ) -> Result<Vec<CredentialRow>, StoreError> {
        self.query(
            &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = $1 AND revoked_at IS NULL AND ($2::TEXT IS NULL OR name = $2) ORDER BY id"),
            &[&kind, &name],
        )?
        .iter()
        .map(credential_from_row)
        .collect()
    }

    /// Revokes a live credential by id or name: the row as it was.
    pub fn revoke_credential(
        &self,
        kind: &str,
        id: Option<i64>,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<CredentialRow>, StoreError> {
        let found = self
            .query_opt(
                &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = $1 AND revoked_at IS NULL AND ($2::BIGINT IS NULL OR id = $2) AND ($3::TEXT IS NULL OR name = $3) ORDER BY id LIMIT 1"),
                &[&kind, &id, &name],
            )?
            .as_ref()
            .map(credential_from_row)
            .transpose()?;
        if let Some(c) = &found {
            self.execute(
                "UPDATE credentials SET revoked_at = $2 WHERE id = $1",
                &[&c.id, &ts(now)],
            )?;
        }
        Ok(found)
    }

    /// Records a credential's use.
    pub fn touch_credential(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.execute(
            "UPDATE credentials SET last_used_at = $2 WHERE id = $1",
            &[&id, &ts(now)],
        )?;
        Ok(())
    }

    /// Disables or enables a user; false if there is none.
    pub fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE users SET disabled = $2 WHERE name = $1",
            &[&name, &disabled],
        )? == 1)
    }

    /// Sets or clears a user's address; false if there is none.
    pub fn set_user_email(&self, name: &str, email: Option<&str>) -> Result<bool, StoreError> {
        Ok(self.execute(
            "UPDATE users SET email = $2 WHERE name = $1",
            &[&name, &email],
        )? == 1)
    }

    /// Removes a member from a group; false if they were none.
    pub fn remove_member(&self, group: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "DELETE FROM group_members WHERE group_name = $1 AND user_name = $2",
            &[&group, &user],
        )? == 1)
    }
}
