//! The runtime commands of CLI.md: database, identities, blueprints, items,
//! sign-offs, status, reviews, deployment checks, matrix, audit, tick.
//! Each parses its arguments, calls the engine once, and prints the result
//! for people or, with `--json`, as one JSON document.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Cli, CliError, Outcome, exit};
use crate::diag::{self, Summary};
use crate::engine::signoff::{Action, Verdict as FeedbackVerdict};
use crate::engine::{
    self, Engine, EngineError, FieldChange, Identity, Refusal, StatusView, Verdict, values,
};
use crate::store::Durability;

/// `govrt blueprint …`.
#[derive(Debug, Subcommand)]
pub enum BlueprintCommand {
    /// Load a blueprint set (file or folder); changed blueprints become new versions.
    Load {
        /// `.gov` files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List stored blueprints and their versions.
    List,
    /// Show a stored blueprint.
    Show {
        /// The blueprint id.
        id: String,
        /// A version other than the newest.
        #[arg(long)]
        version: Option<u32>,
    },
}

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

/// `govrt item …`.
#[derive(Debug, Subcommand)]
pub enum ItemCommand {
    /// Create an item; prints its id.
    Create {
        /// The blueprint.
        blueprint: String,
        /// The item's name.
        name: String,
        /// The parent item.
        #[arg(long)]
        parent: Option<i64>,
        /// `FIELD=VALUE` (repeatable).
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        sets: Vec<String>,
    },
    /// List items.
    List {
        /// Only items of this blueprint.
        #[arg(long)]
        blueprint: Option<String>,
        /// Only children of this item.
        #[arg(long)]
        parent: Option<i64>,
    },
    /// Show an item.
    Show {
        /// The item.
        item: i64,
    },
    /// Delete an item (it must have no children).
    Delete {
        /// The item.
        item: i64,
    },
    /// Set fields: `FIELD=VALUE...` (lists: `FIELD=a,b`).
    Set {
        /// The item.
        item: i64,
        /// `FIELD=VALUE`.
        #[arg(required = true, value_name = "FIELD=VALUE")]
        values: Vec<String>,
        /// Refuse if the item is not at this revision.
        #[arg(long)]
        expect_revision: Option<i64>,
    },
    /// Unset fields.
    Unset {
        /// The item.
        item: i64,
        /// The fields.
        #[arg(required = true)]
        fields: Vec<String>,
        /// Refuse if the item is not at this revision.
        #[arg(long)]
        expect_revision: Option<i64>,
    },
    /// Move to the next step.
    Advance {
        /// The item.
        item: i64,
        /// Refuse if the item is not at this revision.
        #[arg(long)]
        expect_revision: Option<i64>,
    },
    /// Move to a step.
    Move {
        /// The item.
        item: i64,
        /// The step.
        step: String,
        /// Refuse if the item is not at this revision.
        #[arg(long)]
        expect_revision: Option<i64>,
    },
    /// The timeline of an item (its audit events).
    History {
        /// The item.
        item: i64,
    },
}

/// Arguments shared by sign-off commands.
#[derive(Debug, Args)]
pub struct SignOffTarget {
    /// The item.
    pub item: i64,
    /// The step whose sign-off (default: the current step's).
    #[arg(long)]
    pub step: Option<String>,
}

/// `govrt signoff …`.
#[derive(Debug, Subcommand)]
pub enum SignOffCommand {
    /// Request the review (NOT_STARTED → WAITING_FOR_FEEDBACK).
    RequestReview {
        #[command(flatten)]
        target: SignOffTarget,
        /// Mail the eligible reviewers.
        #[arg(long)]
        notify: bool,
    },
    /// Request the final approval (→ WAITING_FOR_APPROVAL).
    RequestFinal {
        #[command(flatten)]
        target: SignOffTarget,
        /// Mail the final approvers.
        #[arg(long)]
        notify: bool,
    },
    /// Give or edit feedback for a group: approved, minor or major.
    Feedback {
        #[command(flatten)]
        target: SignOffTarget,
        /// The feedback group.
        group: String,
        /// approved, minor or major.
        verdict: String,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Send back from the final approver to feedback.
    BackToFeedback {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Approve (or change a rejection into an approval).
    Approve {
        #[command(flatten)]
        target: SignOffTarget,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject (or change an approval into a rejection).
    Reject {
        #[command(flatten)]
        target: SignOffTarget,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Abandon the sign-off (locks the workflow).
    Abandon {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Cancel an abandon, restoring state and reviews.
    CancelAbandon {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Reset to NOT_STARTED; reviews are archived.
    Reset {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Schedule a reset.
    ScheduleReset {
        #[command(flatten)]
        target: SignOffTarget,
        /// When (RFC 3339).
        #[arg(long)]
        at: String,
    },
    /// Delegate one's review of a group (or `final`) to a user.
    Delegate {
        #[command(flatten)]
        target: SignOffTarget,
        /// The group, or `final`.
        group: String,
        /// The delegate.
        user: String,
    },
}

/// `govrt deploy …`.
#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// ALLOW / CONFIRM / BLOCK, exit 0 / 3 / 4.
    Check {
        /// The item.
        item: i64,
        /// The infrastructure.
        infrastructure: String,
        /// Confirm a deployment under policy `warn` (audited).
        #[arg(long)]
        confirm: bool,
    },
}

/// `govrt hook …`.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Run one hook on an item (or an item described in JSON) and print what it decided.
    Test {
        /// The hook function, e.g. `validate`, `reviewers`, `compute_score`.
        function: String,
        /// An item of the database.
        #[arg(long, conflicts_with = "item_json")]
        item: Option<i64>,
        /// A JSON file describing the item (`{"fields": {…}, "step": "review"}`); needs `--blueprint`.
        #[arg(long, requires = "blueprint")]
        item_json: Option<PathBuf>,
        /// The blueprint of the JSON item.
        #[arg(long)]
        blueprint: Option<String>,
        /// The hook's other arguments in order (JSON, or plain text): e.g. `--arg review --arg risk`.
        #[arg(long = "arg")]
        args: Vec<String>,
    },
}

/// `govrt hook test`.
pub fn hook(cli: &Cli, command: &HookCommand) -> Outcome {
    let HookCommand::Test {
        function,
        item,
        item_json,
        blueprint,
        args,
    } = command;
    let subject = match (item, item_json, blueprint) {
        (Some(id), _, _) => engine::HookSubject::Item(*id),
        (None, Some(path), Some(b)) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    return Outcome::Error(CliError::invalid_input(
                        format!("cannot read `{}`: {e}", path.display()),
                        None,
                    ));
                }
            };
            match serde_json::from_str(&text) {
                Ok(v) => engine::HookSubject::Json {
                    blueprint: b.clone(),
                    item: v,
                },
                Err(e) => {
                    return Outcome::Error(CliError::invalid_input(
                        format!("`{}` is not JSON: {e}", path.display()),
                        Some(
                            "describe the item as `{\"fields\": {\"risk_tier\": \"high\"}}`".into(),
                        ),
                    ));
                }
            }
        }
        _ => {
            return Outcome::Error(CliError {
                code: "usage",
                message: "say which item the hook runs on".into(),
                help: Some(
                    "give `--item ITEM`, or `--item-json FILE --blueprint BLUEPRINT`".into(),
                ),
                exit: exit::USAGE,
            });
        }
    };
    let json = cli.json;
    with_caller(
        cli,
        |e, who| e.hook_test(who, function, subject, args),
        |r| {
            if json {
                print_json(r);
            } else {
                let result = r.get("result").cloned().unwrap_or(serde_json::Value::Null);
                println!(
                    "{function} returned {}",
                    if result.is_null() {
                        "()".to_string()
                    } else {
                        result.to_string()
                    }
                );
            }
        },
    )
}

/// `govrt audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit hash chain; exit 1 on a break.
    Verify,
}

fn engine_error(e: EngineError, json: bool) -> Outcome {
    match e {
        EngineError::Refused(r) => Outcome::Error(refusal(&r)),
        EngineError::InvalidBlueprints(diagnostics) => {
            let summary = Summary::of(diagnostics.len(), &diagnostics);
            if json {
                let mut doc = diag::to_json(summary, &diagnostics);
                doc["error"] = serde_json::json!({"code": "invalid_blueprint", "message": "the blueprint set is invalid", "help": "fix what the diagnostics say; `govrt validate` shows the same"});
                println!("{doc}");
            } else {
                let color =
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                for d in &diagnostics {
                    eprint!("{}", diag::render_human(d, color, 100));
                }
                eprintln!(
                    "error: the blueprint set is invalid ({} errors); nothing was loaded",
                    summary.errors
                );
            }
            Outcome::Exit(exit::REFUSED)
        }
        EngineError::Store(e) => Outcome::Error(CliError {
            code: "storage",
            message: e.to_string(),
            help: Some("check the database path (`--db`) and that the disk is writable".into()),
            exit: exit::REFUSED,
        }),
        EngineError::System(e) => Outcome::Error(CliError::internal(e)),
    }
}

/// A refusal as a CLI error (exit 1).
pub fn refusal(r: &Refusal) -> CliError {
    CliError {
        code: r.code(),
        message: r.to_string(),
        help: r.help(),
        exit: exit::REFUSED,
    }
}

/// The engine on the database of `--db`; it must exist unless `create`.
fn open(cli: &Cli, create: bool) -> Result<Engine, Outcome> {
    if !create && !cli.db.exists() {
        return Err(Outcome::Error(CliError::invalid_input(
            format!("no database at `{}`", cli.db.display()),
            Some("create it with `govrt init` (or point `--db` / GOVRT_DB at it)".into()),
        )));
    }
    let durability = match cli.sync.to_ascii_uppercase().as_str() {
        "NORMAL" => Durability::Normal,
        _ => Durability::Full,
    };
    let mut engine = Engine::open(&cli.db, durability).map_err(|e| engine_error(e, cli.json))?;
    engine.set_base_url(&cli.base_url);
    Ok(engine)
}

/// The identity of `--as`.
fn identity(cli: &Cli, engine: &mut Engine) -> Result<Identity, Outcome> {
    let Some(name) = &cli.as_user else {
        return Err(Outcome::Error(CliError {
            code: "usage",
            message: "this command acts as a user, and none was given".into(),
            help: Some("add `--as USER` or set GOVRT_USER".into()),
            exit: exit::USAGE,
        }));
    };
    engine
        .identify_user(name)
        .map_err(|e| engine_error(e, cli.json))
}

/// The identity of `--as`, or, for commands that only read, the local
/// owner of the database file (an admin, as with `sqlite3`), named `local`.
fn reader(cli: &Cli, engine: &mut Engine) -> Result<Identity, Outcome> {
    match &cli.as_user {
        Some(_) => identity(cli, engine),
        None => Ok(Identity {
            name: "local".into(),
            api_key: false,
            admin: true,
            groups: Vec::new(),
        }),
    }
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => println!("{text}"),
        Err(e) => println!(
            "{}",
            serde_json::json!({"error": {"code": "internal", "message": e.to_string(), "help": null}})
        ),
    }
}

macro_rules! tryo {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(o) => return o,
        }
    };
}

/// Runs `f` with the engine and the caller, mapping engine errors.
fn with_caller<T>(
    cli: &Cli,
    f: impl FnOnce(&mut Engine, &Identity) -> engine::Result<T>,
    show: impl FnOnce(&T),
) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let who = tryo!(identity(cli, &mut engine));
    match f(&mut engine, &who) {
        Ok(v) => {
            show(&v);
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// Like [`with_caller`], for commands that only read: `--as` is optional.
fn with_reader<T>(
    cli: &Cli,
    f: impl FnOnce(&mut Engine, &Identity) -> engine::Result<T>,
    show: impl FnOnce(&T),
) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let who = tryo!(reader(cli, &mut engine));
    match f(&mut engine, &who) {
        Ok(v) => {
            show(&v);
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

fn parse_time(text: &str, what: &str) -> Result<DateTime<Utc>, Outcome> {
    crate::check::values::parse_date_time(text).ok_or_else(|| {
        Outcome::Error(CliError::invalid_input(
            format!("`{text}` is not a date-time for {what}"),
            Some("write RFC 3339, e.g. `2027-01-31T09:00:00Z`".into()),
        ))
    })
}

fn split_assignment(text: &str) -> Result<(String, String), Outcome> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Outcome::Error(CliError::invalid_input(
            format!("`{text}` is not FIELD=VALUE"),
            Some(
                "write e.g. `risk_tier=high`, or `reviewers=user:alice,group:risk` for a list"
                    .into(),
            ),
        ))),
    }
}

/// `govrt init`: the given folder, or the standard set compiled into govrt.
pub fn init(cli: &Cli, blueprints: Option<&PathBuf>) -> Outcome {
    let mut engine = tryo!(open(cli, true));
    let (result, source) = match blueprints {
        Some(dir) => (
            engine.load_blueprints(std::slice::from_ref(dir), None),
            dir.display().to_string(),
        ),
        None => (
            engine.load_blueprint_texts(crate::standard::STANDARD_BLUEPRINTS, &[], None),
            "standard".to_string(),
        ),
    };
    match result {
        Ok(report) => {
            if cli.json {
                print_json(
                    &serde_json::json!({"db": cli.db.display().to_string(), "blueprints": source, "load": report}),
                );
            } else {
                println!("database `{}` is ready", cli.db.display());
                print_load(&report);
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

fn print_load(report: &engine::LoadReport) {
    for (id, v) in &report.new_versions {
        println!("loaded blueprint `{id}` version {v}");
    }
    for (id, v) in &report.unchanged {
        println!("unchanged blueprint `{id}` version {v}");
    }
}

/// `govrt blueprint …`.
pub fn blueprint(cli: &Cli, command: &BlueprintCommand) -> Outcome {
    let mut engine = tryo!(open(cli, matches!(command, BlueprintCommand::Load { .. })));
    let result = match command {
        BlueprintCommand::Load { paths } => engine.load_blueprints(paths, None).map(|report| {
            if cli.json { print_json(&report) } else { print_load(&report) }
        }),
        BlueprintCommand::List => engine.blueprint_versions().map(|versions| {
            if cli.json {
                let rows: Vec<_> = versions.iter().map(|(b, v, d, at)| serde_json::json!({"blueprint": b, "version": v, "declared_version": d, "loaded_at": at})).collect();
                print_json(&rows);
            } else {
                println!("{:<24} {:>7} {:>8}  LOADED", "BLUEPRINT", "VERSION", "DECLARED");
                for (b, v, d, at) in versions {
                    println!("{b:<24} {v:>7} {d:>8}  {at}");
                }
            }
        }),
        BlueprintCommand::Show { id, version } => engine.blueprint(id, *version).map(|b| {
            if cli.json {
                print_json(&b);
            } else {
                match serde_json::to_string_pretty(&b) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("{e}"),
                }
            }
        }),
    };
    match result {
        Ok(()) => Outcome::Exit(exit::OK),
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt user …`, `govrt group …`, `govrt apikey …`, `govrt token …`.
pub fn identities(
    cli: &Cli,
    user: Option<&UserCommand>,
    group: Option<&GroupCommand>,
    apikey: Option<&ApiKeyCommand>,
    token: Option<&TokenCommand>,
) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let json = cli.json;
    let result: engine::Result<()> = (|| {
        if let Some(command) = user {
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
        if let Some(command) = group {
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
        let secret = match (apikey, token) {
            (Some(ApiKeyCommand::Create { name }), _) => {
                Some((name.clone(), engine.create_api_key(name)?))
            }
            (_, Some(TokenCommand::Create { user })) => {
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

fn print_item(item: &engine::ItemView) {
    println!(
        "item {}: {} ({} v{})",
        item.id, item.name, item.blueprint, item.version
    );
    if let Some(p) = &item.parent {
        println!("  parent: {p}");
    }
    if let Some(step) = &item.step {
        let state = item
            .workflow
            .map(|w| format!("{w:?}").to_uppercase())
            .unwrap_or_default();
        println!("  step: {step} ({state})");
    }
    println!("  revision: {}  creator: {}", item.revision, item.creator);
    for (k, v) in &item.fields {
        println!("  {k} = {}", values::display(v));
    }
}

/// `govrt item …`.
pub fn item(cli: &Cli, command: &ItemCommand) -> Outcome {
    let json = cli.json;
    match command {
        ItemCommand::Create {
            blueprint,
            name,
            parent,
            sets,
        } => {
            let mut pairs = Vec::new();
            for s in sets {
                pairs.push(tryo!(split_assignment(s)));
            }
            with_caller(
                cli,
                |e, who| e.create_item(who, blueprint, name, *parent, &pairs, None),
                |item| {
                    if json {
                        print_json(item);
                    } else {
                        println!("{}", item.id);
                        eprintln!(
                            "created {} `{}` (id {})",
                            item.blueprint, item.name, item.id
                        );
                    }
                },
            )
        }
        ItemCommand::List { blueprint, parent } => with_reader(
            cli,
            |e, who| e.items(who, blueprint.as_deref(), *parent),
            |items| {
                if json {
                    print_json(items);
                } else {
                    println!(
                        "{:>5}  {:<20} {:<28} {:<16} WORKFLOW",
                        "ID", "BLUEPRINT", "NAME", "STEP"
                    );
                    for i in items {
                        let wf = i
                            .workflow
                            .map(|w| format!("{w:?}").to_uppercase())
                            .unwrap_or_else(|| "-".into());
                        println!(
                            "{:>5}  {:<20} {:<28} {:<16} {wf}",
                            i.id,
                            i.blueprint,
                            i.name,
                            i.step.as_deref().unwrap_or("-")
                        );
                    }
                }
            },
        ),
        ItemCommand::Show { item } => with_reader(
            cli,
            |e, who| e.item(who, *item),
            |i| if json { print_json(i) } else { print_item(i) },
        ),
        ItemCommand::Delete { item } => with_caller(
            cli,
            |e, who| e.delete_item(who, *item, None),
            |()| {
                if json {
                    print_json(&serde_json::json!({"deleted": item.to_string()}))
                } else {
                    println!("deleted item {item}")
                }
            },
        ),
        ItemCommand::Set {
            item,
            values,
            expect_revision,
        } => {
            let mut changes = Vec::new();
            for v in values {
                let (k, v) = tryo!(split_assignment(v));
                changes.push(FieldChange::Set(k, v));
            }
            change_fields(cli, *item, &changes, *expect_revision)
        }
        ItemCommand::Unset {
            item,
            fields,
            expect_revision,
        } => {
            let changes: Vec<FieldChange> = fields
                .iter()
                .map(|f| FieldChange::Unset(f.clone()))
                .collect();
            change_fields(cli, *item, &changes, *expect_revision)
        }
        ItemCommand::Advance {
            item,
            expect_revision,
        } => with_caller(
            cli,
            |e, who| e.move_item(who, *item, None, *expect_revision, None),
            |i| print_moved(i, json),
        ),
        ItemCommand::Move {
            item,
            step,
            expect_revision,
        } => with_caller(
            cli,
            |e, who| e.move_item(who, *item, Some(step), *expect_revision, None),
            |i| print_moved(i, json),
        ),
        ItemCommand::History { item } => with_reader(
            cli,
            |e, who| e.history(who, *item),
            |events| {
                if json {
                    print_json(events);
                } else {
                    for ev in events {
                        println!(
                            "#{:<5} {}  {:<12} {:<32} {}",
                            ev.seq,
                            ev.at,
                            ev.actor,
                            ev.action,
                            summarize(&ev.details)
                        );
                    }
                }
            },
        ),
    }
}

/// `item set` and `item unset`: one edit of an item's fields.
fn change_fields(
    cli: &Cli,
    item: i64,
    changes: &[FieldChange],
    expect_revision: Option<i64>,
) -> Outcome {
    let json = cli.json;
    with_caller(
        cli,
        |e, who| e.set_fields(who, item, changes, expect_revision, None),
        |i| {
            if json {
                print_json(i)
            } else {
                println!("item {} updated (revision {})", i.id, i.revision)
            }
        },
    )
}

fn print_moved(item: &engine::ItemView, json: bool) {
    if json {
        print_json(item);
    } else if item.workflow == Some(engine::workflow::WorkflowState::Finished) {
        println!(
            "item {} finished its workflow (revision {})",
            item.id, item.revision
        );
    } else {
        println!(
            "item {} is on step `{}` (revision {})",
            item.id,
            item.step.as_deref().unwrap_or("-"),
            item.revision
        );
    }
}

/// A one-line summary of an event's details.
fn summarize(details: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(step) = details.get("step").and_then(|s| s.as_str()) {
        parts.push(format!("step={step}"));
    }
    if let (Some(b), Some(a)) = (
        details.get("before").and_then(|v| v.as_str()),
        details.get("after").and_then(|v| v.as_str()),
    ) {
        parts.push(format!("{b} → {a}"));
    }
    if let Some(after) = details
        .get("after")
        .and_then(|v| v.get("step"))
        .and_then(|v| v.as_str())
    {
        parts.push(format!("→ {after}"));
    }
    if let Some(events) = details.get("events").and_then(|v| v.as_array()) {
        for e in events {
            let mut text = e
                .get("event")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            if let Some(g) = e.get("group").and_then(|v| v.as_str()) {
                text.push_str(&format!(" group={g}"));
            }
            if let Some(v) = e.get("verdict").and_then(|v| v.as_str()) {
                text.push_str(&format!(" {v}"));
            }
            parts.push(text);
        }
    }
    if let Some(fields) = details.get("fields").and_then(|v| v.as_object()) {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        if !names.is_empty() {
            parts.push(format!("fields: {}", names.join(", ")));
        }
    }
    if let Some(infra) = details.get("infrastructure").and_then(|v| v.as_str()) {
        parts.push(format!("infrastructure={infra}"));
    }
    parts.join("; ")
}

fn print_signoff(v: &engine::SignOffView) {
    println!(
        "sign-off `{}` of step `{}`: {}",
        v.label,
        v.step,
        v.status.as_str()
    );
    if let Some(r) = &v.requester {
        println!("  requested by {r}");
    }
    for g in &v.feedback {
        println!(
            "  {} ({}): {}/{} review{}{}",
            g.label,
            g.id,
            g.reviews.len(),
            g.min,
            if g.min == 1 { "" } else { "s" },
            if g.complete { ", complete" } else { "" }
        );
        for r in &g.reviews {
            println!(
                "    {} {}{}",
                r.reviewer,
                r.verdict.as_str(),
                r.comment
                    .as_ref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            );
        }
    }
    for d in &v.delegations {
        println!("  {} delegated {} to {}", d.from, d.group, d.to);
    }
    if let Some(d) = &v.decision {
        println!(
            "  final: {} by {}{}",
            if d.approved { "APPROVED" } else { "REJECTED" },
            d.by,
            d.comment
                .as_ref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
    }
    if let Some(t) = v.next_reset_at {
        println!(
            "  resets automatically at {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    if let Some(t) = v.scheduled_reset_at {
        println!(
            "  reset scheduled at {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    if v.rounds_archived > 0 {
        println!(
            "  {} earlier round{} archived",
            v.rounds_archived,
            if v.rounds_archived == 1 { "" } else { "s" }
        );
    }
}

/// `govrt signoff …`.
pub fn signoff(cli: &Cli, command: &SignOffCommand) -> Outcome {
    let notify = matches!(
        command,
        SignOffCommand::RequestReview { notify: true, .. }
            | SignOffCommand::RequestFinal { notify: true, .. }
    );
    let (target, action) = match command {
        SignOffCommand::RequestReview { target, .. } => (target, Action::RequestReview),
        SignOffCommand::RequestFinal { target, .. } => (target, Action::RequestFinalApproval),
        SignOffCommand::Feedback {
            target,
            group,
            verdict,
            comment,
        } => {
            let Some(verdict) = FeedbackVerdict::parse(verdict) else {
                return Outcome::Error(CliError::invalid_input(
                    format!("`{verdict}` is not a feedback verdict"),
                    Some("write `approved`, `minor` or `major`".into()),
                ));
            };
            (
                target,
                Action::GiveFeedback {
                    group: group.clone(),
                    verdict,
                    comment: comment.clone(),
                },
            )
        }
        SignOffCommand::BackToFeedback { target } => (target, Action::BackToFeedback),
        SignOffCommand::Approve { target, comment } => (
            target,
            Action::Approve {
                comment: comment.clone(),
            },
        ),
        SignOffCommand::Reject { target, comment } => (
            target,
            Action::Reject {
                comment: comment.clone(),
            },
        ),
        SignOffCommand::Abandon { target } => (target, Action::Abandon),
        SignOffCommand::CancelAbandon { target } => (target, Action::CancelAbandon),
        SignOffCommand::Reset { target } => (target, Action::Reset),
        SignOffCommand::ScheduleReset { target, at } => (
            target,
            Action::ScheduleReset {
                at: tryo!(parse_time(at, "--at")),
            },
        ),
        SignOffCommand::Delegate {
            target,
            group,
            user,
        } => (
            target,
            Action::Delegate {
                group: group.clone(),
                to: user.clone(),
            },
        ),
    };
    let json = cli.json;
    with_caller(
        cli,
        |e, who| {
            e.signoff_notify(
                who,
                target.item,
                target.step.as_deref(),
                action,
                notify,
                None,
            )
        },
        |v| {
            if json {
                print_json(v)
            } else {
                print_signoff(v)
            }
        },
    )
}

/// `govrt status ITEM`.
pub fn status(cli: &Cli, item: i64) -> Outcome {
    let json = cli.json;
    with_reader(
        cli,
        |e, who| e.status(who, item),
        |s| if json { print_json(s) } else { print_status(s) },
    )
}

fn print_status(s: &StatusView) {
    print_item(&s.item);
    if !s.steps.is_empty() {
        let bar: Vec<String> = s
            .steps
            .iter()
            .map(|st| format!("{} [{}]", st.id, format!("{:?}", st.state).to_uppercase()))
            .collect();
        println!("  workflow: {}", bar.join(" → "));
    }
    for o in &s.signoffs {
        print_signoff(o);
    }
    println!(
        "  approved for deployment: {}",
        if s.approved { "yes" } else { "no" }
    );
    for d in &s.deploy {
        println!(
            "  deploy on {}: {} ({})",
            d.infrastructure,
            d.decision.as_str(),
            d.reason
        );
    }
}

/// `govrt reviews [--user USER]`.
pub fn reviews(cli: &Cli, user: Option<&String>) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let caller = tryo!(reader(cli, &mut engine));
    let target = match user {
        Some(u) if *u != caller.name => {
            if !caller.admin {
                return Outcome::Error(refusal(&Refusal::NotPermitted {
                    who: caller.name.clone(),
                    what: format!("list the reviews of `{u}` (admins only)"),
                }));
            }
            match engine.identify_user(u) {
                Ok(i) => i,
                Err(e) => return engine_error(e, cli.json),
            }
        }
        _ => caller,
    };
    match engine.reviews(&target) {
        Ok(list) => {
            if cli.json {
                print_json(&list);
            } else if list.is_empty() {
                println!("nothing waits for {}", target.name);
            } else {
                for r in list {
                    println!(
                        "item {} `{}` ({}), step {}: {} {}",
                        r.item,
                        r.name,
                        r.blueprint,
                        r.step,
                        if r.role == "final" {
                            "final approval"
                        } else {
                            "feedback for"
                        },
                        if r.role == "final" {
                            String::new()
                        } else {
                            r.group.clone()
                        }
                    );
                }
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt deploy check`.
pub fn deploy(cli: &Cli, command: &DeployCommand) -> Outcome {
    let DeployCommand::Check {
        item,
        infrastructure,
        confirm,
    } = command;
    let mut engine = tryo!(open(cli, false));
    let who = if *confirm {
        tryo!(identity(cli, &mut engine))
    } else {
        tryo!(reader(cli, &mut engine))
    };
    match engine.deploy_check(&who, *item, infrastructure, *confirm, None) {
        Ok(d) => {
            if cli.json {
                print_json(&d);
            } else {
                println!("{}: {}", d.decision.as_str(), d.reason);
            }
            Outcome::Exit(match d.decision {
                Verdict::Allow => exit::OK,
                Verdict::Confirm => exit::CONFIRM,
                Verdict::Block => exit::BLOCKED,
            })
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt matrix`.
pub fn matrix(cli: &Cli, blueprint: Option<&String>, view: Option<&String>) -> Outcome {
    let json = cli.json;
    with_reader(
        cli,
        |e, who| e.matrix(who, blueprint.map(String::as_str), view.map(String::as_str)),
        |m| {
            if json {
                print_json(m);
            } else {
                println!("{} ({} of {})", m.label, m.view, m.blueprint);
                let axes: Vec<String> = m.axes.iter().map(|(k, v)| format!("{k}={v}")).collect();
                println!("axes: {}", axes.join(" "));
                println!(
                    "{:>5}  {:<28} {:>8} {:>8} {:>8} {:>10}",
                    "ID", "NAME", "X", "Y", "SIZE", "COLOR"
                );
                for p in &m.points {
                    let opt = |v: &Option<serde_json::Value>| {
                        v.as_ref().map_or("-".to_string(), values::display)
                    };
                    println!(
                        "{:>5}  {:<28} {:>8} {:>8} {:>8} {:>10}",
                        p.item,
                        p.name,
                        values::display(&p.x),
                        values::display(&p.y),
                        opt(&p.size),
                        opt(&p.color)
                    );
                }
            }
        },
    )
}

/// `govrt audit verify`.
pub fn audit(cli: &Cli, command: &AuditCommand) -> Outcome {
    let AuditCommand::Verify = command;
    let mut engine = tryo!(open(cli, false));
    match engine.audit_verify() {
        Ok(Ok(n)) => {
            if cli.json {
                print_json(&serde_json::json!({"ok": true, "events": n}))
            } else {
                println!("audit chain intact: {n} events")
            }
            Outcome::Exit(exit::OK)
        }
        Ok(Err(why)) => {
            if cli.json {
                print_json(
                    &serde_json::json!({"ok": false, "error": {"code": "audit_broken", "message": why, "help": "restore the database from a backup; the audit trail was edited outside govrt"}}),
                );
            } else {
                let _ = writeln!(std::io::stderr(), "audit chain broken: {why}");
            }
            Outcome::Exit(exit::REFUSED)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt subscribe ITEM`.
pub fn subscribe(cli: &Cli, item: i64) -> Outcome {
    let json = cli.json;
    with_caller(
        cli,
        |e, who| e.subscribe(who, item, true, None),
        |()| {
            if json {
                print_json(&serde_json::json!({"item": item.to_string(), "subscribed": true}))
            } else {
                println!("subscribed to item {item} and its descendants")
            }
        },
    )
}

/// `govrt unsubscribe ITEM [--user U --token T]`.
pub fn unsubscribe(cli: &Cli, item: i64, user: Option<&String>, token: Option<&String>) -> Outcome {
    let json = cli.json;
    let done = move |_: &()| {
        if json {
            print_json(&serde_json::json!({"item": item.to_string(), "subscribed": false}))
        } else {
            println!("unsubscribed from item {item} and its descendants")
        }
    };
    match (user, token) {
        (Some(user), Some(token)) => {
            let mut engine = tryo!(open(cli, false));
            match engine.unsubscribe_with_token(user, item, token, None) {
                Ok(()) => {
                    done(&());
                    Outcome::Exit(exit::OK)
                }
                Err(e) => engine_error(e, json),
            }
        }
        (None, None) => with_caller(cli, |e, who| e.subscribe(who, item, false, None), done),
        _ => Outcome::Error(CliError {
            code: "usage",
            message:
                "`--token` and `--user` go together (they come from an e-mail's unsubscribe link)"
                    .into(),
            help: None,
            exit: exit::USAGE,
        }),
    }
}

/// `govrt subscriptions [--user U]`.
pub fn subscriptions(cli: &Cli, user: Option<&String>) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let caller = tryo!(reader(cli, &mut engine));
    let name = match user {
        Some(u) if *u != caller.name && !caller.admin => {
            return Outcome::Error(refusal(&Refusal::NotPermitted {
                who: caller.name.clone(),
                what: format!("list the subscriptions of `{u}` (admins only)"),
            }));
        }
        Some(u) => u.clone(),
        None => caller.name.clone(),
    };
    match engine.subscriptions(&name) {
        Ok(rows) => {
            if cli.json {
                print_json(
                    &rows
                        .iter()
                        .map(|(i, s)| serde_json::json!({"item": i.to_string(), "subscribed": s}))
                        .collect::<Vec<_>>(),
                );
            } else if rows.is_empty() {
                println!("{name} follows nothing");
            } else {
                for (i, s) in rows {
                    println!(
                        "item {i}: {}",
                        if s { "subscribed" } else { "unsubscribed" }
                    );
                }
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt outbox [--pending]`.
pub fn outbox(cli: &Cli, pending: bool) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    match engine.outbox(pending) {
        Ok(rows) => {
            if cli.json {
                print_json(&rows);
            } else {
                println!(
                    "{:>5}  {:<8} {:>8}  {:<24} SUBJECT",
                    "ID", "STATE", "ATTEMPTS", "TO"
                );
                for r in rows {
                    println!(
                        "{:>5}  {:<8} {:>8}  {:<24} {}{}",
                        r.id,
                        r.state,
                        r.attempts,
                        r.address,
                        r.subject,
                        r.last_error
                            .map(|e| format!("  [last error: {e}]"))
                            .unwrap_or_default()
                    );
                }
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt tick [--now]`: due resets, then pending mail (with `--smtp`).
pub fn tick(cli: &Cli, now: Option<&String>) -> Outcome {
    let now = match now {
        Some(t) => Some(tryo!(parse_time(t, "--now"))),
        None => None,
    };
    let sender = match &cli.smtp {
        Some(url) => {
            let config = match crate::notify::SmtpConfig::parse(url) {
                Ok(c) => c,
                Err(e) => return Outcome::Error(CliError::invalid_input(e, Some("e.g. `--smtp smtp://127.0.0.1:2525` or `smtp://user:pass@host:587?tls=starttls`".into()))),
            };
            match crate::notify::Sender::new(&config, &cli.mail_from) {
                Ok(s) => Some(s),
                Err(e) => {
                    return Outcome::Error(CliError::invalid_input(
                        e,
                        Some("check `--smtp` and `--mail-from`".into()),
                    ));
                }
            }
        }
        None => None,
    };
    let mut engine = tryo!(open(cli, false));
    let report = match engine.tick(now) {
        Ok(r) => r,
        Err(e) => return engine_error(e, cli.json),
    };
    let delivery = match &sender {
        Some(s) => match engine.deliver(s, now) {
            Ok(d) => Some(d),
            Err(e) => return engine_error(e, cli.json),
        },
        None => None,
    };
    if cli.json {
        print_json(&serde_json::json!({"resets": report.resets, "mail": delivery}));
    } else {
        for (item, step) in &report.resets {
            println!("reset the sign-off of step `{step}` on item {item}");
        }
        println!(
            "{} reset{} applied",
            report.resets.len(),
            if report.resets.len() == 1 { "" } else { "s" }
        );
        match delivery {
            Some(d) => println!(
                "mail: {} sent, {} to retry, {} failed",
                d.sent, d.retried, d.failed
            ),
            None => println!("mail: no SMTP server given (`--smtp`); messages stay in the outbox"),
        }
    }
    Outcome::Exit(exit::OK)
}

/// Connections the daemon keeps open.
const POOL_SIZE: usize = 8;

/// `govrt serve`.
pub fn serve(
    cli: &Cli,
    listen: &str,
    blueprints: Option<&PathBuf>,
    tick_seconds: u64,
    static_dir: Option<PathBuf>,
) -> Outcome {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GOVRT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let Ok(listen) = listen.parse::<std::net::SocketAddr>() else {
        return Outcome::Error(CliError::invalid_input(
            format!("`{listen}` is not an address to listen on"),
            Some("write it as `127.0.0.1:8080`".into()),
        ));
    };
    let sender = match &cli.smtp {
        Some(url) => match crate::notify::SmtpConfig::parse(url)
            .and_then(|c| crate::notify::Sender::new(&c, &cli.mail_from))
        {
            Ok(s) => Some(s),
            Err(e) => {
                return Outcome::Error(CliError::invalid_input(
                    e,
                    Some("check `--smtp` and `--mail-from`".into()),
                ));
            }
        },
        None => None,
    };
    let mut engine = tryo!(open(cli, true));
    let loaded = match blueprints {
        Some(dir) => engine
            .load_blueprints(std::slice::from_ref(dir), None)
            .map(|r| r.new_versions.len()),
        None => match engine.blueprint_versions() {
            Ok(v) if v.is_empty() => engine
                .load_blueprint_texts(crate::standard::STANDARD_BLUEPRINTS, &[], None)
                .map(|r| r.new_versions.len()),
            Ok(_) => Ok(0),
            Err(e) => Err(e),
        },
    };
    if let Err(e) = loaded {
        return engine_error(e, cli.json);
    }
    match engine.users() {
        Ok(users) if users.is_empty() => eprintln!(
            "govrt: no users yet. Create an admin and a token:\n  govrt --db {db} user add admin --admin\n  govrt --db {db} token create admin\nthen sign in to the web UI with the token, or call the API with `Authorization: Bearer TOKEN`.",
            db = cli.db.display()
        ),
        Ok(_) => eprintln!(
            "govrt: create a token to sign in to the web UI or call the API with `govrt --db {} token create USER`",
            cli.db.display()
        ),
        Err(e) => return engine_error(e, cli.json),
    }
    eprintln!(
        "govrt: serving the web UI on http://{listen}/ and the API under /api/v1 (database `{}`); stop with Ctrl-C",
        cli.db.display()
    );
    let config = crate::server::ServerConfig {
        listen,
        blueprints: blueprints.cloned(),
        sender,
        tick_every: std::time::Duration::from_secs(tick_seconds.max(1)),
        static_dir,
    };
    // One connection per concurrent read (readers proceed while one writes),
    // and one more for the writer thread.
    let mut engines = vec![engine];
    for _ in 0..POOL_SIZE {
        engines.push(tryo!(open(cli, false)));
    }
    match crate::server::serve(engines, config) {
        Ok(()) => Outcome::Exit(exit::OK),
        Err(e) => Outcome::Error(CliError::invalid_input(e, None)),
    }
}
