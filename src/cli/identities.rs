//! `govrt user`, `group`, `apikey` and `token`: people and credentials, and
//! their life cycle (disable, change, revoke, expire). The local owner of the
//! database runs them, as `local:admin` in the audit trail.

use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json};
use crate::engine::{self, Engine, Identity};
use crate::store::CredentialRow;

/// `govrt user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        /// The user name.
        name: String,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// An admin may act for anyone (recorded).
        #[arg(long)]
        admin: bool,
    },
    /// List users.
    List,
    /// Disable a user: their tokens stop working at once; their history stays.
    Disable {
        /// The user.
        name: String,
    },
    /// Enable a disabled user again.
    Enable {
        /// The user.
        name: String,
    },
    /// Change a user's e-mail address (`-` removes it).
    SetEmail {
        /// The user.
        name: String,
        /// The new address.
        email: String,
    },
}

/// `govrt group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a group, with members.
    Add {
        /// The group name.
        name: String,
        /// A member (repeatable).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Add a member to a group.
    AddMember {
        /// The group.
        group: String,
        /// The user.
        user: String,
    },
    /// Remove a member from a group.
    RemoveMember {
        /// The group.
        group: String,
        /// The user.
        user: String,
    },
    /// List groups and members.
    List,
}

/// `govrt apikey …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key and print its secret once.
    Create {
        /// The key's name.
        name: String,
        /// It stops working after this long: `90d`, `12h`, `30m`, `2w`.
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    /// List the API keys that are not revoked (never their secrets).
    List,
    /// Revoke an API key: it stops working at once.
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// `govrt token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user and print its secret once.
    Create {
        /// The user.
        user: String,
        /// It stops working after this long: `90d`, `12h`, `30m`, `2w`.
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    /// List the tokens that are not revoked (never their secrets).
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its id: it stops working at once, and so do the
    /// web sessions signed in with it.
    Revoke {
        /// The token's id (`govrt token list`).
        id: i64,
    },
}

/// One of the identity command groups.
pub enum Identities<'a> {
    /// `govrt user …`.
    User(&'a UserCommand),
    /// `govrt group …`.
    Group(&'a GroupCommand),
    /// `govrt apikey …`.
    ApiKey(&'a ApiKeyCommand),
    /// `govrt token …`.
    Token(&'a TokenCommand),
}

/// `govrt user|group|apikey|token …`.
pub fn identities(cli: &Global, which: Identities<'_>) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let json = cli.json;
    let by = super::runtime::local_admin();
    let result = match which {
        Identities::User(c) => user(&mut engine, &by, c, json),
        Identities::Group(c) => group(&mut engine, &by, c, json),
        Identities::ApiKey(c) => api_key(&mut engine, &by, c, json),
        Identities::Token(c) => token(&mut engine, &by, c, json),
    };
    match result {
        Ok(Ok(())) => Outcome::Exit(exit::OK),
        Ok(Err(e)) => Outcome::Error(e),
        Err(e) => engine_error(e, json),
    }
}

/// What an identity command ends with: done, refused by the CLI itself
/// (bad input), or refused by the engine.
type Done = engine::Result<Result<(), CliError>>;

/// Prints `doc` with `--json`, else `line`.
fn report(json: bool, doc: serde_json::Value, line: String) -> Done {
    if json {
        print_json(&doc);
    } else {
        println!("{line}");
    }
    Ok(Ok(()))
}

fn user(engine: &mut Engine, by: &Identity, command: &UserCommand, json: bool) -> Done {
    match command {
        UserCommand::Add { name, email, admin } => {
            engine.add_user(by, name, email.as_deref(), *admin)?;
            let line = format!(
                "added user `{name}`{}",
                if *admin { " (admin)" } else { "" }
            );
            report(
                json,
                serde_json::json!({"name": name, "email": email, "admin": admin}),
                line,
            )
        }
        UserCommand::List => {
            let users = engine.users()?;
            if json {
                print_json(&users);
            } else {
                for u in users {
                    println!(
                        "{}{}{}{}",
                        u.name,
                        u.email.map(|e| format!(" <{e}>")).unwrap_or_default(),
                        if u.admin { " (admin)" } else { "" },
                        if u.disabled { " (disabled)" } else { "" }
                    );
                }
            }
            Ok(Ok(()))
        }
        UserCommand::Disable { name } | UserCommand::Enable { name } => {
            let disabled = matches!(command, UserCommand::Disable { .. });
            engine.set_user_disabled(by, name, disabled)?;
            let word = if disabled { "disabled" } else { "enabled" };
            report(
                json,
                serde_json::json!({"name": name, "disabled": disabled}),
                format!("{word} user `{name}`"),
            )
        }
        UserCommand::SetEmail { name, email } => {
            let email = Some(email.as_str()).filter(|e| *e != "-");
            engine.set_user_email(by, name, email)?;
            report(
                json,
                serde_json::json!({"name": name, "email": email}),
                format!(
                    "user `{name}` now has {}",
                    email.unwrap_or("no e-mail address")
                ),
            )
        }
    }
}

fn group(engine: &mut Engine, by: &Identity, command: &GroupCommand, json: bool) -> Done {
    match command {
        GroupCommand::Add { name, members } => {
            engine.add_group(by, name, members)?;
            let line = format!(
                "added group `{name}`{}",
                if members.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", members.join(", "))
                }
            );
            report(
                json,
                serde_json::json!({"name": name, "members": members}),
                line,
            )
        }
        GroupCommand::AddMember { group, user } => {
            engine.add_member(by, group, user)?;
            report(
                json,
                serde_json::json!({"group": group, "user": user}),
                format!("added `{user}` to group `{group}`"),
            )
        }
        GroupCommand::RemoveMember { group, user } => {
            engine.remove_member(by, group, user)?;
            report(
                json,
                serde_json::json!({"group": group, "user": user, "removed": true}),
                format!("removed `{user}` from group `{group}`"),
            )
        }
        GroupCommand::List => {
            let groups = engine.groups()?;
            if json {
                print_json(
                    &groups
                        .iter()
                        .map(|(g, m)| serde_json::json!({"name": g, "members": m}))
                        .collect::<Vec<_>>(),
                );
            } else {
                for (g, m) in groups {
                    println!("{g}: {}", m.join(", "));
                }
            }
            Ok(Ok(()))
        }
    }
}

fn api_key(engine: &mut Engine, by: &Identity, command: &ApiKeyCommand, json: bool) -> Done {
    match command {
        ApiKeyCommand::Create { name, expires } => {
            let expires_at = expires_at(expires.as_deref())?;
            let secret = engine.create_api_key(by, name, expires_at)?;
            print_secret(json, name, &secret, expires_at);
            Ok(Ok(()))
        }
        ApiKeyCommand::List => {
            print_credentials(json, &engine.api_keys()?, "name");
            Ok(Ok(()))
        }
        ApiKeyCommand::Revoke { name } => {
            engine.revoke_api_key(by, name)?;
            report(
                json,
                serde_json::json!({"name": name, "revoked": true}),
                format!("revoked API key `{name}`"),
            )
        }
    }
}

fn token(engine: &mut Engine, by: &Identity, command: &TokenCommand, json: bool) -> Done {
    match command {
        TokenCommand::Create { user, expires } => {
            let expires_at = expires_at(expires.as_deref())?;
            let secret = engine.create_token(by, user, expires_at)?;
            print_secret(json, user, &secret, expires_at);
            Ok(Ok(()))
        }
        TokenCommand::List { user } => {
            print_credentials(json, &engine.tokens(user.as_deref())?, "user");
            Ok(Ok(()))
        }
        TokenCommand::Revoke { id } => {
            engine.revoke_token(by, *id)?;
            report(
                json,
                serde_json::json!({"id": id, "revoked": true}),
                format!("revoked token {id}"),
            )
        }
    }
}

/// A new secret, shown this once.
fn print_secret(json: bool, name: &str, secret: &str, expires_at: Option<DateTime<Utc>>) {
    if json {
        print_json(&serde_json::json!({"name": name, "secret": secret, "expires_at": expires_at}));
    } else {
        println!("{secret}");
        eprintln!("this secret is shown once; use it as `Authorization: Bearer SECRET`");
    }
}

/// Credentials as the CLI reference lists them: `id`, `user` (tokens) or `name` (API
/// keys), `created_at`, `expires_at`, `last_used_at`.
fn print_credentials(json: bool, rows: &[CredentialRow], owner: &str) {
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|c| {
                serde_json::json!({"id": c.id, owner: c.name, "created_at": c.created_at, "expires_at": c.expires_at, "last_used_at": c.last_used_at})
            })
            .collect();
        print_json(&list);
        return;
    }
    let time = |t: Option<DateTime<Utc>>| {
        t.map_or("-".to_string(), |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
    };
    for c in rows {
        println!(
            "{:<5} {:<16} created {}  expires {}  last used {}",
            c.id,
            c.name,
            time(Some(c.created_at)),
            time(c.expires_at),
            time(c.last_used_at)
        );
    }
}

/// `--expires 90d` as a time from now.
fn expires_at(text: Option<&str>) -> engine::Result<Option<DateTime<Utc>>> {
    text.map(|t| engine::expiry(t, Utc::now())).transpose()
}
