//! The command line (CLI.md): clap definitions, one file per command group,
//! and the mapping of outcomes to the documented exit codes. Nothing else in
//! the crate prints or exits.

// The shared plumbing of `runtime` comes first: its `tryo!` is a macro.
#[macro_use]
mod runtime;
mod audit;
mod blueprint_files;
mod blueprints;
mod daemon;
mod governance;
mod hooks;
mod identities;
mod items;
mod signoffs;
mod subscriptions;

use identities::Identities;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

/// govrt: governance for AI and ML work — blueprints, workflows, sign-offs, deployment gating.
#[derive(Debug, Parser)]
#[command(name = "govrt", version, about, long_about = None)]
pub struct Cli {
    /// The SQLite database (created by `init`).
    #[arg(long, global = true, env = "GOVRT_DB", default_value = "./govrt.db")]
    pub db: PathBuf,
    /// The user a local command acts as.
    #[arg(long = "as", global = true, env = "GOVRT_USER", value_name = "USER")]
    pub as_user: Option<String>,
    /// Where mail goes: smtp://host:port, smtps://…, smtp://user:pass@host:port?tls=starttls.
    #[arg(long, global = true, env = "GOVRT_SMTP", value_name = "URL")]
    pub smtp: Option<String>,
    /// Sender address of mail.
    #[arg(
        long,
        global = true,
        env = "GOVRT_MAIL_FROM",
        default_value = "govrt@localhost",
        value_name = "ADDR"
    )]
    pub mail_from: String,
    /// How links in mail reach the daemon.
    #[arg(
        long,
        global = true,
        env = "GOVRT_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub base_url: String,
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
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check blueprint files or folders (recursively) as one set.
    Validate(blueprint_files::ValidateArgs),
    /// Rewrite blueprint files in the canonical layout.
    Fmt(blueprint_files::FmtArgs),
    /// Explain a diagnostic code, e.g. `govrt explain E0101`.
    Explain {
        /// The code: `gov::E0101`, `E0101`.
        code: String,
    },
    /// Create or upgrade the database and load a blueprint set (default: the standard set).
    Init {
        /// The blueprint folder to load.
        #[arg(long)]
        blueprints: Option<PathBuf>,
    },
    /// Stored blueprints.
    #[command(subcommand)]
    Blueprint(blueprints::BlueprintCommand),
    /// Users.
    #[command(subcommand)]
    User(identities::UserCommand),
    /// Groups.
    #[command(subcommand)]
    Group(identities::GroupCommand),
    /// API keys.
    #[command(subcommand)]
    Apikey(identities::ApiKeyCommand),
    /// User tokens.
    #[command(subcommand)]
    Token(identities::TokenCommand),
    /// Items and their workflow.
    #[command(subcommand)]
    Item(items::ItemCommand),
    /// The governance status of an item.
    Status {
        /// The item.
        item: i64,
    },
    /// Sign-offs waiting for a user's feedback or decision.
    Reviews {
        /// The user (default: `--as`; another user needs an admin).
        #[arg(long)]
        user: Option<String>,
    },
    /// Sign-off actions.
    #[command(subcommand)]
    Signoff(signoffs::SignOffCommand),
    /// Deployment gating.
    #[command(subcommand)]
    Deploy(governance::DeployCommand),
    /// The matrix view of a blueprint, as a table.
    Matrix {
        /// The blueprint (default: the first with a matrix view).
        blueprint: Option<String>,
        /// The view id.
        #[arg(long)]
        view: Option<String>,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Follow an item and its descendants (mail about their sign-offs).
    Subscribe {
        /// The item.
        item: i64,
    },
    /// Stop following an item and its descendants.
    Unsubscribe {
        /// The item.
        item: i64,
        /// The user of an e-mail's unsubscribe link (with `--token`).
        #[arg(long)]
        user: Option<String>,
        /// The token of an e-mail's unsubscribe link.
        #[arg(long)]
        token: Option<String>,
    },
    /// What a user follows.
    Subscriptions {
        /// The user (default: `--as`).
        #[arg(long)]
        user: Option<String>,
    },
    /// Notification messages and their delivery state.
    Outbox {
        /// Only messages not yet delivered.
        #[arg(long)]
        pending: bool,
    },
    /// The daemon: HTTP API under /api/v1, scheduler and mail sender.
    Serve {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// A blueprint folder to load now and on reload (SIGHUP, POST /api/v1/blueprints); default: the standard set on a new database.
        #[arg(long)]
        blueprints: Option<PathBuf>,
        /// Seconds between runs of the scheduler and the mail sender.
        #[arg(long, default_value_t = 30)]
        tick_seconds: u64,
        /// Serve the files of this folder under /static (used by the load benchmark).
        #[arg(long)]
        static_dir: Option<PathBuf>,
    },
    /// Try a blueprint's hooks.
    #[command(subcommand)]
    Hook(hooks::HookCommand),
    /// Apply due resets and deliver pending notifications (with `--smtp`).
    Tick {
        /// The time to act at (RFC 3339; default: now).
        #[arg(long)]
        now: Option<String>,
    },
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

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let outcome = match &cli.command {
        Command::Validate(args) => blueprint_files::validate(args, json),
        Command::Fmt(args) => blueprint_files::fmt(args, json),
        Command::Explain { code } => explain(code, json),
        Command::Init { blueprints } => blueprints::init(&cli, blueprints.as_ref()),
        Command::Blueprint(c) => blueprints::blueprint(&cli, c),
        Command::User(c) => identities::identities(&cli, Identities::User(c)),
        Command::Group(c) => identities::identities(&cli, Identities::Group(c)),
        Command::Apikey(c) => identities::identities(&cli, Identities::ApiKey(c)),
        Command::Token(c) => identities::identities(&cli, Identities::Token(c)),
        Command::Item(c) => items::item(&cli, c),
        Command::Status { item } => governance::status(&cli, *item),
        Command::Reviews { user } => governance::reviews(&cli, user.as_ref()),
        Command::Signoff(c) => signoffs::signoff(&cli, c),
        Command::Deploy(c) => governance::deploy(&cli, c),
        Command::Matrix { blueprint, view } => {
            governance::matrix(&cli, blueprint.as_ref(), view.as_ref())
        }
        Command::Audit(c) => audit::audit(&cli, c),
        Command::Hook(c) => hooks::hook(&cli, c),
        Command::Serve {
            listen,
            blueprints,
            tick_seconds,
            static_dir,
        } => daemon::serve(
            &cli,
            listen,
            blueprints.as_ref(),
            *tick_seconds,
            static_dir.clone(),
        ),
        Command::Subscribe { item } => subscriptions::subscribe(&cli, *item),
        Command::Unsubscribe { item, user, token } => {
            subscriptions::unsubscribe(&cli, *item, user.as_ref(), token.as_ref())
        }
        Command::Subscriptions { user } => subscriptions::subscriptions(&cli, user.as_ref()),
        Command::Outbox { pending } => subscriptions::outbox(&cli, *pending),
        Command::Tick { now } => daemon::tick(&cli, now.as_ref()),
    };
    match outcome {
        Outcome::Exit(code) => ExitCode::from(code),
        Outcome::Error(e) => {
            print_error(&e, json);
            ExitCode::from(e.exit)
        }
    }
}

/// Prints an error: `{"error": {code, message, help}}` on stdout with `--json`, else on stderr.
pub fn print_error(e: &CliError, json: bool) {
    if json {
        let doc =
            serde_json::json!({"error": {"code": e.code, "message": e.message, "help": e.help}});
        println!("{doc}");
    } else {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {}", e.message);
        if let Some(help) = &e.help {
            let _ = writeln!(err, "  help: {help}");
        }
    }
}

fn explain(code: &str, json: bool) -> Outcome {
    let Some(c) = crate::diag::Code::parse(code) else {
        return Outcome::Error(CliError::invalid_input(
            format!("unknown diagnostic code `{code}`"),
            Some("codes look like `gov::E0101` or `E0101`; `govrt validate` prints them".into()),
        ));
    };
    let severity = match c.severity() {
        crate::diag::Severity::Error => "error",
        crate::diag::Severity::Warning => "warning",
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"code": c.as_str(), "severity": severity, "name": c.slug(), "summary": c.summary()})
        );
    } else {
        println!("{} ({severity}, {}): {}", c.as_str(), c.slug(), c.summary());
    }
    Outcome::Exit(exit::OK)
}
