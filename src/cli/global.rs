//! What every command shares: the global options (database, acting user,
//! mail, output format, durability), the outcome a command ends with, and
//! the documented exit codes.

use std::path::PathBuf;

use clap::Args;

/// The documented exit codes.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Refused: invalid blueprint, invalid input, not permitted, …
    pub const REFUSED: u8 = 1;
    /// Usage error (clap's own code).
    pub const USAGE: u8 = 2;
    /// Deploy check: confirmation required.
    pub const CONFIRM: u8 = 3;
    /// Deploy check: blocked.
    pub const BLOCKED: u8 = 4;
    /// Internal error: a bug.
    pub const INTERNAL: u8 = 70;
}

/// The options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The database: an SQLite file (created by `init`), or a PostgreSQL
    /// URL (`postgres://user:pass@host:5432/db`; the database must exist,
    /// `init` creates its tables).
    #[arg(long, global = true, env = "GOVRT_DB", default_value = "./govrt.db")]
    pub db: PathBuf,
    /// The user a local command acts as.
    #[arg(long = "as", global = true, env = "GOVRT_USER", value_name = "USER")]
    pub as_user: Option<String>,
    /// Where mail goes: smtp://host:port, smtps://…, smtp://user:pass@host:port?tls=starttls.
    #[arg(long, global = true, env = "GOVRT_SMTP", value_name = "URL")]
    pub smtp: Option<String>,
    /// Sender address of mail [default: as set by `init` or `serve` in the
    /// database, else govrt@localhost]; `init` and `serve` store it.
    #[arg(long, global = true, env = "GOVRT_MAIL_FROM", value_name = "ADDR")]
    pub mail_from: Option<String>,
    /// How links in mail reach the daemon [default: as set by `init` or
    /// `serve` in the database, else http://127.0.0.1:8080]; `init` and
    /// `serve` store it, so mail sent by any process links to the daemon.
    #[arg(long, global = true, env = "GOVRT_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Machine output: one JSON document on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Durability of commits: FULL (survives a power cut) or NORMAL.
    #[arg(
        long,
        global = true,
        env = "GOVRT_SYNC",
        default_value = "FULL",
        value_name = "FULL|NORMAL"
    )]
    pub sync: String,
    /// The time commands act and read at, fixed by `GOVRT_NOW` (not an
    /// option: the environment sets it, see `fixed_time`).
    #[arg(skip)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a command ended with: an exit code and, for refusals, the error to print.
#[derive(Debug)]
pub enum Outcome {
    /// Done, with this exit code (0, or 1/3/4 where the command says so itself).
    Exit(u8),
    /// Refused or failed: printed as text, or as `{"error": …}` with `--json`.
    Error(CliError),
}

/// An error a command reports to the user.
#[derive(Debug)]
pub struct CliError {
    /// Stable code, e.g. `invalid_input`.
    pub code: &'static str,
    /// One line.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The exit code.
    pub exit: u8,
}

impl CliError {
    /// An invalid input (exit 1).
    pub fn invalid_input(message: impl Into<String>, help: Option<String>) -> Self {
        CliError {
            code: "invalid_input",
            message: message.into(),
            help,
            exit: exit::REFUSED,
        }
    }

    /// A bug (exit 70).
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            code: "internal",
            message: format!(
                "internal error (a bug in govrt, please report it): {}",
                message.into()
            ),
            help: None,
            exit: exit::INTERNAL,
        }
    }
}
