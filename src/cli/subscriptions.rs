//! Following items and the mail queue: `subscribe`, `unsubscribe`,
//! `subscriptions`, `outbox`.

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json, reader, refusal, with_caller};
use crate::engine::Refusal;

/// `govrt subscribe ITEM`.
pub fn subscribe(cli: &Global, item: i64) -> Outcome {
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
pub fn unsubscribe(
    cli: &Global,
    item: i64,
    user: Option<&String>,
    token: Option<&String>,
) -> Outcome {
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
pub fn subscriptions(cli: &Global, user: Option<&String>) -> Outcome {
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
pub fn outbox(cli: &Global, pending: bool) -> Outcome {
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
