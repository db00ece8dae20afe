//! `govrt user`, `group`, `apikey` and `token`: people and credentials.

use super::global::{Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json};
use crate::engine::{self};
use clap::Subcommand;

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
    },
}

/// `govrt token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user and print its secret once.
    Create {
        /// The user.
        user: String,
    },
}

/// `govrt user …`, `govrt group …`, `govrt apikey …`, `govrt token …`.
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
    let result: engine::Result<()> = (|| {
        if let Identities::User(command) = which {
            match command {
                UserCommand::Add { name, email, admin } => {
                    engine.add_user(name, email.as_deref(), *admin)?;
                    if json {
                        print_json(
                            &serde_json::json!({"name": name, "email": email, "admin": admin}),
                        )
                    } else {
                        println!(
                            "added user `{name}`{}",
                            if *admin { " (admin)" } else { "" }
                        )
                    }
                }
                UserCommand::List => {
                    let users = engine.users()?;
                    if json {
                        print_json(&users);
                    } else {
                        for u in users {
                            println!(
                                "{}{}{}",
                                u.name,
                                u.email.map(|e| format!(" <{e}>")).unwrap_or_default(),
                                if u.admin { " (admin)" } else { "" }
                            );
                        }
                    }
                }
            }
        }
        if let Identities::Group(command) = which {
            match command {
                GroupCommand::Add { name, members } => {
                    engine.add_group(name, members)?;
                    if json {
                        print_json(&serde_json::json!({"name": name, "members": members}))
                    } else {
                        println!(
                            "added group `{name}`{}",
                            if members.is_empty() {
                                String::new()
                            } else {
                                format!(" with {}", members.join(", "))
                            }
                        )
                    }
                }
                GroupCommand::AddMember { group, user } => {
                    engine.add_member(group, user)?;
                    if json {
                        print_json(&serde_json::json!({"group": group, "user": user}))
                    } else {
                        println!("added `{user}` to group `{group}`")
                    }
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
                }
            }
        }
        let secret = match which {
            Identities::ApiKey(ApiKeyCommand::Create { name }) => {
                Some((name.clone(), engine.create_api_key(name)?))
            }
            Identities::Token(TokenCommand::Create { user }) => {
                Some((user.clone(), engine.create_token(user)?))
            }
            _ => None,
        };
        if let Some((name, secret)) = secret {
            if json {
                print_json(&serde_json::json!({"name": name, "secret": secret}));
            } else {
                println!("{secret}");
                eprintln!("this secret is shown once; use it as `Authorization: Bearer SECRET`");
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Outcome::Exit(exit::OK),
        Err(e) => engine_error(e, json),
    }
}
