//! `govrt hook test`: one hook run on a stored item or on item JSON.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{print_json, with_caller};
use crate::engine::{self};
use clap::Subcommand;
use std::path::PathBuf;

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
pub fn hook(cli: &Global, command: &HookCommand) -> Outcome {
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
