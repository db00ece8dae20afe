//! `govrt audit verify`.

use super::global::{Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json};
use clap::Subcommand;
use std::io::Write;

/// `govrt audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit hash chain; exit 1 on a break.
    Verify,
}

/// `govrt audit verify`.
pub fn audit(cli: &Global, command: &AuditCommand) -> Outcome {
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
