//! What every runtime command of the CLI reference shares: opening the database,
//! acting as a user (`--as`), printing JSON, and turning engine errors into
//! messages and exit codes. Each command group has its own file beside this
//! one; each command parses its arguments, calls the engine once, and prints
//! the result for people or, with `--json`, as one JSON document.

use super::global::{CliError, Global, Outcome, exit};
use crate::diag::{self, Summary};
use crate::engine::{self, Engine, EngineError, HelpWords, Identity, Refusal};
use crate::store::Durability;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::IsTerminal;

pub(super) fn engine_error(e: EngineError, json: bool) -> Outcome {
    match e {
        EngineError::Refused(r) => Outcome::Error(refusal(&r)),
        EngineError::InvalidBlueprints(diagnostics) => invalid(
            &diagnostics,
            json,
            (
                "invalid_blueprint",
                "the blueprint set is invalid",
                "nothing was loaded",
            ),
        ),
        EngineError::InvalidFilter(diagnostics) => invalid(
            &diagnostics,
            json,
            (
                "invalid_filter",
                "the filter is not valid",
                "nothing was listed",
            ),
        ),
        EngineError::Store(e) => Outcome::Error(CliError {
            code: "storage",
            message: e.to_string(),
            help: Some("check the database path (`--db`) and that the disk is writable".into()),
            exit: exit::REFUSED,
        }),
        EngineError::System(e) => Outcome::Error(CliError::internal(e)),
    }
}

/// Diagnostics that refused the input (`code`, what was refused, what was
/// not done), on stderr or as JSON.
fn invalid(
    diagnostics: &[diag::Diagnostic],
    json: bool,
    (code, what, undone): (&str, &str, &str),
) -> Outcome {
    let summary = Summary::of(diagnostics.len(), diagnostics);
    if json {
        let mut doc = diag::to_json(summary, diagnostics);
        doc["error"] = serde_json::json!({"code": code, "message": what, "help": "fix what the diagnostics say; `govrt validate` shows the same"});
        println!("{doc}");
    } else {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for d in diagnostics {
            eprint!("{}", diag::render_human(d, color, 100));
        }
        eprintln!("error: {what} ({} errors); {undone}", summary.errors);
    }
    Outcome::Exit(exit::REFUSED)
}

/// A refusal as a CLI error (exit 1).
pub fn refusal(r: &Refusal) -> CliError {
    CliError {
        code: r.code(),
        message: r.to_string(),
        help: cli_help(r),
        exit: exit::REFUSED,
    }
}

/// How to get past a refusal, with the commands and flags of the CLI.
fn cli_help(r: &Refusal) -> Option<String> {
    r.help_in(&HelpWords {
        act_as: "act as a user the blueprint allows (`--as`)",
        status: "`govrt status ITEM`",
        unlock: "`govrt signoff reset ITEM` or `govrt signoff cancel-abandon ITEM`",
        set_field: "`govrt item set ITEM FIELD=…`",
        give_fields: |fields| {
            let sets: Vec<String> = fields.iter().map(|f| format!("--set {f}=…")).collect();
            format!("add `{}`", sets.join(" "))
        },
        read_again: "`govrt item show ITEM`",
        with_revision: "run the command again with `--expect-revision REVISION`",
        check_script: "`govrt validate` checks it; `govrt hook test` runs one hook",
    })
}

/// The engine on the database of `--db`; it must exist unless `create`.
pub(super) fn open(cli: &Global, create: bool) -> Result<Engine, Outcome> {
    let postgres = cli.db.to_str().is_some_and(crate::store::is_postgres);
    if !create && !postgres && !cli.db.exists() {
        return Err(Outcome::Error(CliError::invalid_input(
            format!("no database at `{}`", cli.db.display()),
            Some("create it with `govrt init` (or point `--db` / GOVRT_DB at it)".into()),
        )));
    }
    let durability = match cli.sync.to_ascii_uppercase().as_str() {
        "NORMAL" => Durability::Normal,
        _ => Durability::Full,
    };
    let mut engine =
        Engine::open_at(&cli.db, durability, cli.now).map_err(|e| engine_error(e, cli.json))?;
    if let Some(url) = &cli.base_url {
        engine.set_base_url(url);
    }
    Ok(engine)
}

/// The identity of `--as`.
pub(super) fn identity(cli: &Global, engine: &mut Engine) -> Result<Identity, Outcome> {
    let Some(name) = &cli.as_user else {
        return Err(Outcome::Error(CliError {
            code: "usage",
            message: "this command acts as a user, and none was given".into(),
            help: Some("add `--as USER` or set GOVRT_USER".into()),
            exit: exit::USAGE,
        }));
    };
    // Named, not authenticated: the audit trail says so.
    engine
        .identify_user(name)
        .map(|who| Identity {
            authentication: crate::engine::Authentication::local(true),
            ..who
        })
        .map_err(|e| engine_error(e, cli.json))
}

/// The owner of the database file at this command line (see
/// [`Identity::local_admin`]), authenticated as the OS user running it.
pub(super) fn local_admin() -> Identity {
    Identity {
        authentication: crate::engine::Authentication::local(false),
        ..Identity::local_admin()
    }
}

/// The identity of `--as`, or, for commands that only read, the local
/// owner of the database file (see [`Identity::local_admin`]).
pub(super) fn reader(cli: &Global, engine: &mut Engine) -> Result<Identity, Outcome> {
    match &cli.as_user {
        Some(_) => identity(cli, engine),
        None => Ok(local_admin()),
    }
}

pub(super) fn print_json<T: Serialize>(value: &T) {
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
pub(super) fn with_caller<T>(
    cli: &Global,
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
pub(super) fn with_reader<T>(
    cli: &Global,
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

pub(super) fn parse_time(text: &str, what: &str) -> Result<DateTime<Utc>, Outcome> {
    crate::model::parse::parse_date_time(text).ok_or_else(|| {
        Outcome::Error(CliError::invalid_input(
            format!("`{text}` is not a date-time for {what}"),
            Some("write RFC 3339, e.g. `2027-01-31T09:00:00Z`".into()),
        ))
    })
}

pub(super) fn split_assignment(text: &str) -> Result<(String, String), Outcome> {
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
