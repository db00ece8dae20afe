//! `govrt db copy FROM TO`: a whole database copied between backends (an
//! SQLite file, a PostgreSQL URL), then its audit chain verified.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::print_json;
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
}

/// `govrt db copy`.
pub fn db(cli: &Global, command: &DbCommand) -> Outcome {
    let DbCommand::Copy { from, to } = command;
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
