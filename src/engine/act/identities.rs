//! Users, groups, API keys and tokens: their life cycle (add, disable,
//! change, revoke, expire), listing them, and turning a name or a secret into
//! the acting identity. Every change is audited with who made it.

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use crate::engine::access::Identity;
use crate::engine::access::stamp;
use crate::engine::authentication::Authentication;
use crate::engine::core::{Engine, new_secret};
use crate::engine::error::{Refusal, Result, refuse};
use crate::model::invisible::{is_invisible, shown};
use crate::store::{CredentialRow, Tx, UserRow, secret_hash};

/// How long an unrecorded use of a credential may go before it is recorded.
const USE_RECORDED_EVERY: chrono::Duration = chrono::Duration::hours(1);

impl Engine {
    /// Adds a user.
    pub fn add_user(
        &mut self,
        by: &Identity,
        name: &str,
        email: Option<&str>,
        admin: bool,
    ) -> Result<()> {
        check_name("user", name)?;
        check_email(email)?;
        let tx = self.store.write()?;
        if !tx.insert_user(name, email, admin, Utc::now())? {
            return refuse(Refusal::AlreadyExists {
                what: "user".into(),
                name: name.into(),
                help: "choose another name; the user that exists is left as it is".into(),
            });
        }
        let details = json!({"user": name, "email": email, "admin": admin});
        audited(tx, by, "user.add", &details)
    }

    /// Every user.
    pub fn users(&mut self) -> Result<Vec<UserRow>> {
        Ok(self.store.read()?.users()?)
    }

    /// Disables a user (their tokens stop working at once; their history
    /// stays), or enables them again.
    pub fn set_user_disabled(&mut self, by: &Identity, name: &str, disabled: bool) -> Result<()> {
        let tx = self.store.write()?;
        if !tx.set_user_disabled(name, disabled)? {
            return refuse(no_user(name));
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audited(tx, by, action, &json!({"user": name}))
    }

    /// Changes (or, with None, removes) a user's e-mail address.
    pub fn set_user_email(&mut self, by: &Identity, name: &str, email: Option<&str>) -> Result<()> {
        check_email(email)?;
        let tx = self.store.write()?;
        let before = tx.user(name)?.ok_or_else(|| no_user(name))?.email;
        tx.set_user_email(name, email)?;
        let details = json!({"user": name, "before": before, "after": email});
        audited(tx, by, "user.set_email", &details)
    }

    /// Adds a group (with members); adding an existing group only adds members.
    pub fn add_group(&mut self, by: &Identity, name: &str, members: &[String]) -> Result<()> {
        check_name("group", name)?;
        let tx = self.store.write()?;
        let created = tx.insert_group(name, Utc::now())?;
        for m in members {
            if tx.user(m)?.is_none() {
                return refuse(no_user(m));
            }
            tx.add_member(name, m)?;
        }
        let action = if created {
            "group.add"
        } else {
            "group.add_members"
        };
        audited(tx, by, action, &json!({"group": name, "members": members}))
    }

    /// Adds a member to an existing group.
    pub fn add_member(&mut self, by: &Identity, group: &str, user: &str) -> Result<()> {
        let tx = self.store.write()?;
        if !tx.group_exists(group)? {
            return refuse(no_group(group));
        }
        if tx.user(user)?.is_none() {
            return refuse(no_user(user));
        }
        tx.add_member(group, user)?;
        audited(
            tx,
            by,
            "group.add_member",
            &json!({"group": group, "user": user}),
        )
    }

    /// Removes a member from a group.
    pub fn remove_member(&mut self, by: &Identity, group: &str, user: &str) -> Result<()> {
        let tx = self.store.write()?;
        if !tx.group_exists(group)? {
            return refuse(no_group(group));
        }
        if !tx.remove_member(group, user)? {
            return refuse(Refusal::NotFound {
                what: format!("member `{user}` of group `{group}`"),
            });
        }
        audited(
            tx,
            by,
            "group.remove_member",
            &json!({"group": group, "user": user}),
        )
    }

    /// Every group with its members.
    pub fn groups(&mut self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(self.store.read()?.groups()?)
    }

    /// Creates an API key, expiring at `expires_at` if given; returns its
    /// secret (shown once; only its hash is stored).
    pub fn create_api_key(
        &mut self,
        by: &Identity,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String> {
        check_name("API key", name)?;
        check_expiry(expires_at)?;
        let secret = new_secret("govk")?;
        let tx = self.store.write()?;
        if !tx.insert_credential(
            "api_key",
            name,
            &secret_hash(&secret),
            Utc::now(),
            expires_at,
        )? {
            return refuse(Refusal::AlreadyExists {
                what: "API key".into(),
                name: name.into(),
                help: "choose another name, or revoke the key that exists first to reuse its name"
                    .into(),
            });
        }
        let details = json!({"name": name, "expires_at": expires_at});
        audited(tx, by, "api_key.create", &details)?;
        Ok(secret)
    }

    /// Creates a token for a user, expiring at `expires_at` if given;
    /// returns its secret (shown once).
    pub fn create_token(
        &mut self,
        by: &Identity,
        user: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String> {
        check_expiry(expires_at)?;
        let secret = new_secret("govt")?;
        let tx = self.store.write()?;
        if tx.user(user)?.is_none() {
            return refuse(no_user(user));
        }
        tx.insert_credential("token", user, &secret_hash(&secret), Utc::now(), expires_at)?;
        let details = json!({"user": user, "expires_at": expires_at});
        audited(tx, by, "token.create", &details)?;
        Ok(secret)
    }

    /// The tokens that are not revoked (of one user, if given).
    pub fn tokens(&mut self, user: Option<&str>) -> Result<Vec<CredentialRow>> {
        Ok(self.store.read()?.credentials("token", user)?)
    }

    /// The API keys that are not revoked.
    pub fn api_keys(&mut self) -> Result<Vec<CredentialRow>> {
        Ok(self.store.read()?.credentials("api_key", None)?)
    }

    /// Revokes a token by its id: it stops working at once, and so do the
    /// web sessions signed in with it.
    pub fn revoke_token(&mut self, by: &Identity, id: i64) -> Result<()> {
        let tx = self.store.write()?;
        let Some(c) = tx.revoke_credential("token", Some(id), None, Utc::now())? else {
            return refuse(Refusal::NotFound {
                what: format!("token {id} (`govrt token list` shows them)"),
            });
        };
        audited(tx, by, "token.revoke", &json!({"id": id, "user": c.name}))
    }

    /// Revokes an API key by its name.
    pub fn revoke_api_key(&mut self, by: &Identity, name: &str) -> Result<()> {
        let tx = self.store.write()?;
        let Some(c) = tx.revoke_credential("api_key", None, Some(name), Utc::now())? else {
            return refuse(Refusal::NotFound {
                what: format!("API key `{name}`"),
            });
        };
        audited(tx, by, "api_key.revoke", &json!({"id": c.id, "name": name}))
    }

    /// The identity of a user by name; a disabled user has none.
    pub fn identify_user(&mut self, name: &str) -> Result<Identity> {
        let tx = self.store.read()?;
        let Some(user) = tx.user(name)? else {
            return refuse(Refusal::NotFound {
                what: format!("user `{name}` (add it with `govrt user add {name}`)"),
            });
        };
        if user.disabled {
            return refuse(Refusal::NotPermitted {
                who: name.to_string(),
                what: "act: the user is disabled (`govrt user enable` restores them)".into(),
            });
        }
        Ok(Identity {
            name: user.name,
            api_key: false,
            admin: user.admin,
            groups: tx.groups_of(name)?,
            unrecorded_use: None,
            // Named, not authenticated: the front end says how (the CLI's
            // `--as` is `Authentication::local(true)`).
            authentication: Authentication::System,
        })
    }

    /// The identity behind a token or API key secret: none when it is
    /// unknown, revoked or expired, or its user is disabled.
    pub fn identify_secret(&mut self, secret: &str) -> Result<Option<Identity>> {
        self.identify_hash(&secret_hash(secret))
    }

    /// The identity behind a credential, by its secret's stored hash (see
    /// [`Engine::identify_secret`]).
    pub(in crate::engine) fn identify_hash(&mut self, hash: &str) -> Result<Option<Identity>> {
        let now = Utc::now();
        let tx = self.store.read()?;
        let Some(c) = tx.credential(hash)? else {
            return Ok(None);
        };
        if c.revoked_at.is_some() || c.expires_at.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        let unrecorded_use = c
            .last_used_at
            .is_none_or(|last| now - last >= USE_RECORDED_EVERY)
            .then_some(c.id);
        if c.kind == "api_key" {
            return Ok(Some(Identity {
                name: c.name,
                api_key: true,
                admin: false,
                groups: Vec::new(),
                unrecorded_use,
                authentication: Authentication::ApiKey { key: c.id },
            }));
        }
        Ok(match tx.user(&c.name)? {
            Some(user) if !user.disabled => Some(Identity {
                groups: tx.groups_of(&c.name)?,
                name: user.name,
                api_key: false,
                admin: user.admin,
                unrecorded_use,
                authentication: Authentication::Token { token: c.id },
            }),
            _ => None,
        })
    }

    /// Records that the credential of `who` was used now (see
    /// [`Identity::unrecorded_use`]).
    pub fn record_use(&mut self, who: &Identity) -> Result<()> {
        if let Some(id) = who.unrecorded_use {
            let tx = self.store.write()?;
            tx.touch_credential(id, Utc::now())?;
            tx.commit()?;
        }
        Ok(())
    }
}

/// Appends the audit event of an identity change by `by` and commits.
fn audited(tx: Tx<'_>, by: &Identity, action: &str, details: &Json) -> Result<()> {
    let mut details = details.clone();
    stamp(&mut details, by);
    tx.append_event(None, &by.name, action, Utc::now(), &details)?;
    tx.commit()?;
    Ok(())
}

fn no_user(name: &str) -> Refusal {
    Refusal::NotFound {
        what: format!("user `{name}`"),
    }
}

fn no_group(name: &str) -> Refusal {
    Refusal::NotFound {
        what: format!("group `{name}`"),
    }
}

/// When a credential made at `now` that lives `text` (`90d`, `12h`, `30m`,
/// `2w`: a whole number from 1 to 9999 and a unit) stops working.
pub fn expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let bad = || Refusal::InvalidValue {
        what: format!("duration `{text}`"),
        why: "write a whole number from 1 to 9999 and a unit: `90d`, `12h`, `30m`, `2w`".into(),
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (amount, unit) = text.split_at(split);
    let amount: i64 = amount
        .parse()
        .ok()
        .filter(|a| (1..=9999).contains(a))
        .ok_or_else(bad)?;
    let duration = match unit {
        "m" => chrono::Duration::try_minutes(amount),
        "h" => chrono::Duration::try_hours(amount),
        "d" => chrono::Duration::try_days(amount),
        "w" => chrono::Duration::try_weeks(amount),
        _ => None,
    }
    .filter(|d| *d > chrono::Duration::zero())
    .ok_or_else(bad)?;
    Ok(now.checked_add_signed(duration).ok_or_else(bad)?)
}

fn check_expiry(expires_at: Option<DateTime<Utc>>) -> Result<()> {
    match expires_at {
        Some(e) if e <= Utc::now() => refuse(Refusal::InvalidValue {
            what: "expiry".into(),
            why: "it is not in the future".into(),
        }),
        _ => Ok(()),
    }
}

/// Refuses an e-mail address that is not `name@domain` without spaces.
fn check_email(email: Option<&str>) -> Result<()> {
    if let Some(e) = email.filter(|e| !e.contains('@') || e.contains(char::is_whitespace)) {
        return refuse(Refusal::InvalidValue {
            what: format!("e-mail address `{}`", e.escape_debug()),
            why: "an address is `name@domain`, without spaces".into(),
        });
    }
    Ok(())
}

pub(in crate::engine) fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty()
        || name.contains(|c: char| c.is_whitespace() || c.is_control() || c == ':' || c == ',')
    {
        return refuse(Refusal::InvalidValue {
            what: format!("{kind} name `{}`", name.escape_debug()),
            why: "names are non-empty, without spaces, control characters, `:` or `,`".into(),
        });
    }
    // A name others are granted by must look like what it is: `risk` and
    // `risk` followed by a zero-width space are not one group.
    if name.contains(is_invisible) {
        return refuse(Refusal::InvalidValue {
            what: format!("{kind} name `{}`", shown(name)),
            why: "it has an invisible or text-reordering character (a zero-width space, a bidi override…); write the name without it".into(),
        });
    }
    Ok(())
}
