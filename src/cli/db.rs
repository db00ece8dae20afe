//! `govrt db copy FROM TO`: a whole database copied between backends (an
//! SQLite file, a PostgreSQL URL), then its audit chain verified; `govrt db
//! check`: the kept status recomputed and compared with what is stored.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json};
use crate::store::{Durability, Store, copy_database, shown};
use clap::Subcommand;
use std::path::PathBuf;

/// `govrt db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy a whole database into a new one (ids, revisions, audit trail,
    /// outbox, sessions), e.g. from the embedded SQLite file to PostgreSQL;
    /// the copy's audit chain is verified. The destination must be new (an
    /// SQLite file that does not exist yet, or an empty PostgreSQL database).
    Copy {
        /// The database to copy: an SQLite file or a PostgreSQL URL.
        from: PathBuf,
        /// The new database: an SQLite file or a PostgreSQL URL.
        to: PathBuf,
    },
    /// Recompute the status kept for lists (sign-off states, due times,
    /// owners, readers, deploy verdicts, review queues) from every item and
    /// report where it differs from what is stored; exit 1 if it does.
    Check {
        /// Write what was recomputed where it differs (and exit 0).
        #[arg(long)]
        repair: bool,
    },
}

/// `govrt db …`.
pub fn db(cli: &Global, command: &DbCommand) -> Outcome {
    match command {
        DbCommand::Copy { from, to } => copy(cli, from, to),
        DbCommand::Check { repair } => check(cli, *repair),
    }
}

/// `govrt db check [--repair]`.
fn check(cli: &Global, repair: bool) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let report = match engine.check_index(repair) {
        Ok(r) => r,
        Err(e) => return engine_error(e, cli.json),
    };
    if cli.json {
        print_json(&report);
    } else {
        for d in &report.differences {
            println!("item {}: {}", d.item, d.what.join("; "));
        }
        let items = match report.items {
            1 => "1 item".to_string(),
            n => format!("{n} items"),
        };
        match (report.differences.len(), repair) {
            (0, _) => println!("kept status consistent: {items} checked"),
            (n, true) => println!("kept status repaired: {n} of {items} differed"),
            (n, false) => println!(
                "kept status differs for {n} of {items}: `govrt db check --repair` writes it again"
            ),
        }
    }
    if report.differences.is_empty() || repair {
        Outcome::Exit(exit::OK)
    } else {
        Outcome::Exit(exit::REFUSED)
    }
}

/// `govrt db copy FROM TO`.
fn copy(cli: &Global, from: &PathBuf, to: &PathBuf) -> Outcome {
    let failed = |what: &str, e: crate::store::StoreError| {
        Outcome::Error(CliError::invalid_input(
            format!("{what}: {e}"),
            Some("check the location (`--db` takes the same: a file, or postgres://user:pass@host:port/db)".into()),
        ))
    };
    let is_file = |p: &PathBuf| !p.to_str().is_some_and(crate::store::is_postgres);
    if is_file(from) && !from.exists() {
        return Outcome::Error(CliError::invalid_input(
            format!("no database at `{}`", shown(from)),
            Some("name an existing SQLite file or a PostgreSQL URL".into()),
        ));
    }
    if is_file(to) && to.exists() {
        return Outcome::Error(CliError::invalid_input(
            format!("`{}` exists already", shown(to)),
            Some("copy into a new file, or an empty PostgreSQL database".into()),
        ));
    }
    let mut source = match Store::open(from, Durability::Full) {
        Ok(s) => s,
        Err(e) => return failed(&format!("cannot open `{}`", shown(from)), e),
    };
    let mut target = match Store::open(to, Durability::Full) {
        Ok(s) => s,
        Err(e) => return failed(&format!("cannot open `{}`", shown(to)), e),
    };
    let copied = match copy_database(&mut source, &mut target) {
        Ok(c) => c,
        Err(e) => return failed("nothing was copied", e),
    };
    let verified = target.read().and_then(|tx| tx.verify_chain());
    let events = match verified {
        Ok(Ok(n)) => n,
        Ok(Err(why)) => {
            return Outcome::Error(CliError::invalid_input(
                format!("the copy's audit chain does not verify: {why}"),
                Some(
                    "the source's chain was broken already: `govrt --db FROM audit verify`".into(),
                ),
            ));
        }
        Err(e) => return failed("the copy could not be verified", e),
    };
    if cli.json {
        let rows: serde_json::Map<String, serde_json::Value> = copied
            .iter()
            .map(|(t, n)| (t.to_string(), (*n).into()))
            .collect();
        print_json(
            &serde_json::json!({"from": shown(from), "to": shown(to), "rows": rows, "audit_events": events}),
        );
    } else {
        let count = |name: &str| {
            copied
                .iter()
                .find(|(t, _)| *t == name)
                .map_or(0, |(_, n)| *n)
        };
        println!(
            "copied `{}` to `{}`: {} items, {} audit events, {} users, {} messages",
            shown(from),
            shown(to),
            count("items"),
            count("audit_events"),
            count("users"),
            count("outbox")
        );
        println!("audit chain intact: {events} events");
    }
    Outcome::Exit(exit::OK)
}
