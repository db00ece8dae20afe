//! How the caller of an action was authenticated, kept with every audit
//! event the action writes, so that an approval typed at the database's
//! command line under another person's name (`--as`) is told apart from one
//! that person signed in to give.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// How an identity was established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Authentication {
    /// The command line on the database file, run by `os_user`; `as_user`
    /// when `--as` (or `GOVRT_USER`) named the actor instead of a credential
    /// proving it.
    Local {
        /// The operating-system user who ran the command, when known.
        os_user: Option<String>,
        /// The actor was named with `--as`, not authenticated.
        as_user: bool,
    },
    /// A user's API token (its id).
    Token {
        /// The token's id.
        token: i64,
    },
    /// An API key (its id).
    ApiKey {
        /// The key's id.
        key: i64,
    },
    /// A web session, opened with a user's token (its id).
    Session {
        /// The id of the token the session was opened with.
        token: i64,
    },
    /// The runtime itself: the scheduler, a replay, a migration.
    System,
}

impl Authentication {
    /// The command line as the operating system's user running it, with
    /// the actor named by `--as` or not.
    pub fn local(as_user: bool) -> Authentication {
        let os_user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        Authentication::Local { os_user, as_user }
    }

    /// An actor named at the command line rather than authenticated: its
    /// actions are no independent evidence of who took them.
    pub fn is_impersonation(&self) -> bool {
        matches!(self, Authentication::Local { as_user: true, .. })
    }

    /// As an audit event's details keep it.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// As an audit event's details kept it (`None` for events written
    /// before authentication was recorded).
    pub fn from_details(details: &Json) -> Option<Authentication> {
        serde_json::from_value(details.get("auth")?.clone()).ok()
    }

    /// In words, for a report's exceptions and the timeline.
    pub fn describe(&self) -> String {
        match self {
            Authentication::Local { os_user, as_user } => {
                let who = os_user
                    .as_deref()
                    .map_or(String::new(), |u| format!(" by OS user `{u}`"));
                if *as_user {
                    format!("the local command line{who}, the actor named with `--as`")
                } else {
                    format!("the local command line{who}")
                }
            }
            Authentication::Token { token } => format!("API token {token}"),
            Authentication::ApiKey { key } => format!("API key {key}"),
            Authentication::Session { token } => format!("a web session (token {token})"),
            Authentication::System => "govrt itself".into(),
        }
    }
}
