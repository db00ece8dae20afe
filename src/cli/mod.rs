//! The command line (the CLI reference, docs/src/reference/cli.md): clap definitions, one file per command group,
//! and the mapping of outcomes to the documented exit codes. Nothing else in
//! the crate prints or exits.

// The shared plumbing of `runtime` comes first: its `tryo!` is a macro.
#[macro_use]
mod runtime;
mod audit;
mod blueprint_files;
mod blueprints;
mod daemon;
mod db;
mod explain;
mod global;
mod governance;
mod hooks;
mod identities;
mod items;
mod paging;
mod report;
mod signoffs;
mod subscriptions;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use global::{CliError, Global, Outcome, exit};

/// govrt: governance for AI and ML work — blueprints, workflows, sign-offs, deployment gating.
#[derive(Debug, Parser)]
#[command(name = "govrt", version, about, long_about = None)]
pub struct Cli {
    /// The options every command takes.
    #[command(flatten)]
    pub global: Global,
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
    /// Explain a diagnostic code (`govrt explain E0101`), or why a user may
    /// or may not take a sign-off action on an item now (`govrt explain ITEM
    /// --user U --action approve`).
    Explain(explain::ExplainArgs),
    /// Everyone who may take a sign-off action on an item now, each with why.
    WhoCan(explain::WhoCanArgs),
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
        /// A page, by item (without: every review, the most urgent first).
        #[command(flatten)]
        page: paging::PageArgs,
        /// Instead, the re-certifications due within this window (`30d`,
        /// `4w`, `12h`): sign-offs whose automatic reset comes by then, on
        /// the items the user may read.
        #[arg(long, value_name = "WINDOW", conflicts_with_all = ["limit", "after"])]
        due_within: Option<String>,
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
    /// A table view declared in the blueprint set (`table ID { … }`).
    Table {
        /// The table's id (without: the list of tables).
        id: Option<String>,
        /// The format (`--json` means json).
        #[arg(long, value_enum, default_value_t = report::TableFormat::Human)]
        format: report::TableFormat,
        /// A page of the rows.
        #[command(flatten)]
        page: paging::PageArgs,
    },
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Whole databases: `govrt db copy FROM TO`.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Reports for auditors: `govrt report controls`.
    #[command(subcommand)]
    Report(report::ReportCommand),
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
    Serve(daemon::ServeArgs),
    /// Try a blueprint's hooks.
    #[command(subcommand)]
    Hook(hooks::HookCommand),
    /// Move running items of a blueprint to another version by the set's `migrate` block (admins).
    Migrate(blueprints::MigrateArgs),
    /// Apply the recorded history again against a candidate blueprint set, in a scratch database; exit 1 when anything diverges (admins).
    Replay(blueprints::ReplayArgs),
    /// Apply due resets and deliver pending notifications (with `--smtp`).
    Tick {
        /// The time to act at (RFC 3339; default: now).
        #[arg(long)]
        now: Option<String>,
    },
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(mut parsed: Cli) -> ExitCode {
    match fixed_time(&parsed.command) {
        Ok(now) => parsed.global.now = now,
        Err(e) => {
            print_error(&e, parsed.global.json);
            return ExitCode::from(e.exit);
        }
    }
    let cli = &parsed.global;
    let json = cli.json;
    let outcome = match &parsed.command {
        Command::Validate(args) => blueprint_files::validate(cli, args, json),
        Command::Fmt(args) => blueprint_files::fmt(args, json),
        Command::Explain(args) => explain::explain(cli, args),
        Command::WhoCan(args) => explain::who_can(cli, args),
        Command::Init { blueprints } => blueprints::init(cli, blueprints.as_ref()),
        Command::Blueprint(c) => blueprints::blueprint(cli, c),
        Command::User(c) => identities::identities(cli, identities::Identities::User(c)),
        Command::Group(c) => identities::identities(cli, identities::Identities::Group(c)),
        Command::Apikey(c) => identities::identities(cli, identities::Identities::ApiKey(c)),
        Command::Token(c) => identities::identities(cli, identities::Identities::Token(c)),
        Command::Item(c) => items::item(cli, c),
        Command::Status { item } => governance::status(cli, *item),
        Command::Reviews {
            user,
            due_within: Some(window),
            ..
        } => governance::recertifications(cli, user.as_ref(), window),
        Command::Reviews { user, page, .. } => governance::reviews(cli, user.as_ref(), page),
        Command::Signoff(c) => signoffs::signoff(cli, c),
        Command::Deploy(c) => governance::deploy(cli, c),
        Command::Matrix { blueprint, view } => {
            governance::matrix(cli, blueprint.as_ref(), view.as_ref())
        }
        Command::Table { id, format, page } => report::table(cli, id.as_deref(), *format, page),
        Command::Audit(c) => audit::audit(cli, c),
        Command::Db(c) => db::db(cli, c),
        Command::Report(c) => report::report(cli, c),
        Command::Hook(c) => hooks::hook(cli, c),
        Command::Serve(args) => daemon::serve(cli, args),
        Command::Subscribe { item } => subscriptions::subscribe(cli, *item),
        Command::Unsubscribe { item, user, token } => {
            subscriptions::unsubscribe(cli, *item, user.as_ref(), token.as_ref())
        }
        Command::Subscriptions { user } => subscriptions::subscriptions(cli, user.as_ref()),
        Command::Outbox { pending } => subscriptions::outbox(cli, *pending),
        Command::Tick { now } => daemon::tick(cli, now.as_ref()),
        Command::Migrate(args) => blueprints::migrate(cli, args),
        Command::Replay(args) => blueprints::replay(cli, args),
    };
    match outcome {
        Outcome::Exit(code) => ExitCode::from(code),
        Outcome::Error(e) => {
            print_error(&e, json);
            ExitCode::from(e.exit)
        }
    }
}

/// `GOVRT_NOW=TIME`: the time a command acts and reads at (RFC 3339), to
/// replay a scenario at chosen times (the book's "Service levels"). The
/// daemon runs on the real clock and refuses it.
fn fixed_time(command: &Command) -> Result<Option<chrono::DateTime<chrono::Utc>>, CliError> {
    let Ok(text) = std::env::var("GOVRT_NOW") else {
        return Ok(None);
    };
    if matches!(command, Command::Serve(_)) {
        return Err(CliError {
            code: "usage",
            message: "GOVRT_NOW is set, but the daemon runs on the real clock".into(),
            help: Some("unset GOVRT_NOW before `govrt serve`".into()),
            exit: global::exit::USAGE,
        });
    }
    let at = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|_| CliError {
        code: "usage",
        message: format!("GOVRT_NOW `{text}` is not an RFC 3339 time"),
        help: Some("write e.g. GOVRT_NOW=2027-01-04T09:00:00+01:00, or unset it".into()),
        exit: global::exit::USAGE,
    })?;
    Ok(Some(at.with_timezone(&chrono::Utc)))
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
