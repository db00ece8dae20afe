//! Users, groups, API keys and tokens: adding them, listing them, and turning
//! a name or a secret into the acting identity.

use chrono::Utc;
use serde_json::json;

use super::access::Identity;
use super::core::{Engine, new_secret};
use super::error::{Refusal, Result, refuse};
use crate::store::UserRow;

impl Engine {
    /// Adds a user.
    pub fn add_user(&mut self, name: &str, email: Option<&str>, admin: bool) -> Result<()> {
        check_name("user", name)?;
        let tx = self.store.write()?;
        if !tx.insert_user(name, email, admin, Utc::now())? {
            return refuse(Refusal::InvalidValue {
                what: "user".into(),
                why: format!("`{name}` already exists"),
            });
        }
        tx.append_event(
            None,
            "admin",
            "user.add",
            Utc::now(),
            &json!({"user": name, "email": email, "admin": admin}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every user.
    pub fn users(&mut self) -> Result<Vec<UserRow>> {
        Ok(self.store.read()?.users()?)
    }

    /// Adds a group (with members); adding an existing group only adds members.
    pub fn add_group(&mut self, name: &str, members: &[String]) -> Result<()> {
        check_name("group", name)?;
        let tx = self.store.write()?;
        let created = tx.insert_group(name, Utc::now())?;
        for m in members {
            if tx.user(m)?.is_none() {
                return refuse(Refusal::NotFound {
                    what: format!("user `{m}`"),
                });
            }
            tx.add_member(name, m)?;
        }
        tx.append_event(
            None,
            "admin",
            if created {
                "group.add"
            } else {
                "group.add_members"
            },
            Utc::now(),
            &json!({"group": name, "members": members}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Adds a member to an existing group.
    pub fn add_member(&mut self, group: &str, user: &str) -> Result<()> {
        let tx = self.store.write()?;
        if !tx.group_exists(group)? {
            return refuse(Refusal::NotFound {
                what: format!("group `{group}`"),
            });
        }
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        tx.add_member(group, user)?;
        tx.append_event(
            None,
            "admin",
            "group.add_member",
            Utc::now(),
            &json!({"group": group, "user": user}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every group with its members.
    pub fn groups(&mut self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(self.store.read()?.groups()?)
    }

    /// Creates an API key; returns its secret (shown once; only its hash is stored).
    pub fn create_api_key(&mut self, name: &str) -> Result<String> {
        check_name("API key", name)?;
        let secret = new_secret("govk")?;
        let tx = self.store.write()?;
        if !tx.insert_credential(
            "api_key",
            name,
            &crate::store::secret_hash(&secret),
            Utc::now(),
        )? {
            return refuse(Refusal::InvalidValue {
                what: "API key".into(),
                why: format!("`{name}` already exists"),
            });
        }
        tx.append_event(
            None,
            "admin",
            "api_key.create",
            Utc::now(),
            &json!({"name": name}),
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// Creates a token for a user; returns its secret (shown once).
    pub fn create_token(&mut self, user: &str) -> Result<String> {
        let secret = new_secret("govt")?;
        let tx = self.store.write()?;
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        tx.insert_credential(
            "token",
            user,
            &crate::store::secret_hash(&secret),
            Utc::now(),
        )?;
        tx.append_event(
            None,
            "admin",
            "token.create",
            Utc::now(),
            &json!({"user": user}),
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// The identity of a user by name.
    pub fn identify_user(&mut self, name: &str) -> Result<Identity> {
        let tx = self.store.read()?;
        let Some(user) = tx.user(name)? else {
            return refuse(Refusal::NotFound {
                what: format!("user `{name}` (add it with `govrt user add {name}`)"),
            });
        };
        Ok(Identity {
            name: user.name,
            api_key: false,
            admin: user.admin,
            groups: tx.groups_of(name)?,
        })
    }

    /// The identity behind a token or API key secret.
    pub fn identify_secret(&mut self, secret: &str) -> Result<Option<Identity>> {
        let hash = crate::store::secret_hash(secret);
        let tx = self.store.read()?;
        Ok(match tx.credential(&hash)? {
            Some((kind, name)) if kind == "api_key" => Some(Identity {
                name,
                api_key: true,
                admin: false,
                groups: Vec::new(),
            }),
            Some((_, name)) => match tx.user(&name)? {
                Some(user) => Some(Identity {
                    groups: tx.groups_of(&name)?,
                    name: user.name,
                    api_key: false,
                    admin: user.admin,
                }),
                None => None,
            },
            None => None,
        })
    }
}

pub(super) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':' || c == ',') {
        return refuse(Refusal::InvalidValue {
            what: format!("{kind} name `{name}`"),
            why: "names are non-empty, without spaces, `:` or `,`".into(),
        });
    }
    Ok(())
}
