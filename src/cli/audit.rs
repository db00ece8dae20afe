//! `govrt audit verify` and `govrt audit list`.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json, reader};
use crate::engine::AuditQuery;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Subcommand, ValueEnum};
use std::io::Write;

/// `govrt audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit hash chain; exit 1 on a break.
    Verify,
    /// The audit trail, searched and exported: every event (an admin) or
    /// the events of the items the user may read, oldest first.
    List(ListArgs),
}

/// `govrt audit list [--since --until --actor --action --item] [--format …]`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Events at or after this time (RFC 3339, or a date: its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339, or a date: its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    until: Option<DateTime<Utc>>,
    /// Events by this actor (user, API key, `scheduler`, `local:admin`).
    #[arg(long)]
    actor: Option<String>,
    /// Events of this action (`signoff.approve`), or of every action
    /// under a prefix ending in `.` (`signoff.`).
    #[arg(long)]
    action: Option<String>,
    /// Events of this item.
    #[arg(long)]
    item: Option<i64>,
    /// The format (`--json` means json).
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    format: AuditFormat,
}

/// How the trail is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// A line per event.
    Text,
    /// One JSON document: the events with their details.
    Json,
    /// A header, then a line per event (RFC 4180), the details as JSON.
    Csv,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!("`{text}` is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor a date (2026-12-01)")
        })
}

/// `govrt audit list`.
fn list(cli: &Global, args: &ListArgs) -> Outcome {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && until <= since
    {
        return Outcome::Error(CliError::invalid_input(
            "`--until` is not after `--since`: no event can be listed".to_string(),
            Some("give an `--until` later than `--since`".into()),
        ));
    }
    let mut engine = tryo!(open(cli, false));
    let who = tryo!(reader(cli, &mut engine));
    let query = AuditQuery {
        since: args.since,
        until: args.until,
        actor: args.actor.clone(),
        action: args.action.clone(),
        item: args.item,
    };
    let format = if cli.json {
        AuditFormat::Json
    } else {
        args.format
    };
    match engine.audit_list(&who, &query) {
        Ok(entries) => {
            match format {
                AuditFormat::Json => print_json(&entries),
                AuditFormat::Csv => print!("{}", crate::render::audit::csv(&entries)),
                AuditFormat::Text if entries.is_empty() => println!("no event matches"),
                AuditFormat::Text => print!("{}", crate::render::audit::text(&entries)),
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt audit …`.
pub fn audit(cli: &Global, command: &AuditCommand) -> Outcome {
    match command {
        AuditCommand::Verify => verify(cli),
        AuditCommand::List(args) => list(cli, args),
    }
}

/// `govrt audit verify`.
fn verify(cli: &Global) -> Outcome {
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
