//! What governance says of items: `status`, `reviews`, `deploy check` and
//! `matrix`.

use super::global::{Global, Outcome, exit};
use super::items::print_item;
use super::paging::{PageArgs, print_next};
use super::runtime::{engine_error, identity, open, print_json, reader, refusal, with_reader};
use super::signoffs::print_signoff;
use crate::engine::read::cursor::List;
use crate::engine::rules::values;
use crate::engine::{DeployVerdict, Engine, Identity, Refusal, StatusView};
use crate::model::invisible::shown;
use clap::Subcommand;

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

/// `govrt status ITEM`.
pub fn status(cli: &Global, item: i64) -> Outcome {
    let json = cli.json;
    with_reader(
        cli,
        |e, who| e.status(who, item),
        |s| if json { print_json(s) } else { print_status(s) },
    )
}

pub(super) fn print_status(s: &StatusView) {
    print_item(&s.item);
    if !s.steps.is_empty() {
        let bar: Vec<String> = s
            .steps
            .iter()
            .map(|st| format!("{} [{}]", st.id, st.state.as_str()))
            .collect();
        println!("  workflow: {}", bar.join(" → "));
        for st in &s.steps {
            if let Some(skip) = &st.skipped {
                println!("  skipped `{}`: {}", st.id, skip.reason());
            }
        }
    }
    for o in &s.signoffs {
        print_signoff(o);
    }
    if s.steps.is_empty() {
        println!(
            "  no workflow: `{}` items are not deployed, so there is no deploy decision",
            s.item.blueprint
        );
        return;
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

/// The identity whose list `user` asks for: the caller's own, or (for an
/// admin) another user's.
fn list_owner(
    cli: &Global,
    engine: &mut Engine,
    caller: Identity,
    user: Option<&String>,
) -> Result<Identity, Outcome> {
    match user {
        Some(u) if *u != caller.name => {
            if !caller.admin {
                return Err(Outcome::Error(refusal(&Refusal::NotPermitted {
                    who: caller.name.clone(),
                    what: format!("list the reviews of `{u}` (admins only)"),
                })));
            }
            engine
                .identify_user(u)
                .map_err(|e| engine_error(e, cli.json))
        }
        _ => Ok(caller),
    }
}

/// `govrt reviews --due-within WINDOW [--user USER]`.
pub fn recertifications(cli: &Global, user: Option<&String>, window: &str) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let within = match crate::engine::parse_window(window) {
        Ok(w) => w,
        Err(e) => return engine_error(e, cli.json),
    };
    let caller = tryo!(reader(cli, &mut engine));
    let target = match list_owner(cli, &mut engine, caller, user) {
        Ok(t) => t,
        Err(o) => return o,
    };
    match engine.recertifications_due(&target, within, None) {
        Ok(list) if cli.json => {
            print_json(&list);
            Outcome::Exit(exit::OK)
        }
        Ok(list) if list.is_empty() => {
            println!("no re-certification falls due within {}", window.trim());
            Outcome::Exit(exit::OK)
        }
        Ok(list) => {
            for r in list {
                let approved = r
                    .approved_at
                    .map(|t| {
                        format!(
                            ", approved {}",
                            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                        )
                    })
                    .unwrap_or_default();
                let again = if r.rerequest {
                    ", then requested again"
                } else {
                    ""
                };
                println!(
                    "item {} `{}` ({}), step {}: {}{approved}, reset {}{again}",
                    r.item,
                    shown(&r.name),
                    r.blueprint,
                    r.step,
                    r.status.as_str(),
                    r.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                );
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt reviews [--user USER]`.
pub fn reviews(cli: &Global, user: Option<&String>, page: &PageArgs) -> Outcome {
    let after = tryo!(page.after(List::Reviews));
    let mut engine = tryo!(open(cli, false));
    let caller = tryo!(reader(cli, &mut engine));
    let target = match list_owner(cli, &mut engine, caller, user) {
        Ok(t) => t,
        Err(o) => return o,
    };
    let listed = if page.paged() {
        engine.reviews_page(&target, after, page.limit(), None)
    } else {
        engine.reviews(&target).map(|list| (list, None))
    };
    match listed {
        Ok((list, next)) => {
            print_next(List::Reviews, next);
            if cli.json {
                print_json(&list);
            } else if list.is_empty() {
                println!("nothing waits for {}", target.name);
            } else {
                for r in list {
                    let due = match r.due_at {
                        Some(t) => format!(
                            ", due {}{}",
                            crate::engine::rules::calendar::stamp(
                                t,
                                r.timezone.unwrap_or(chrono_tz::UTC)
                            ),
                            if r.breached { " (BREACHED)" } else { "" }
                        ),
                        None => String::new(),
                    };
                    let what = r.asked();
                    println!(
                        "item {} `{}` ({}), step {}: {what}{due}",
                        r.item,
                        shown(&r.name),
                        r.blueprint,
                        r.step
                    );
                }
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt deploy check`.
pub fn deploy(cli: &Global, command: &DeployCommand) -> Outcome {
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
                DeployVerdict::Allow => exit::OK,
                DeployVerdict::Confirm => exit::CONFIRM,
                DeployVerdict::Block => exit::BLOCKED,
            })
        }
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt matrix`.
pub fn matrix(cli: &Global, blueprint: Option<&String>, view: Option<&String>) -> Outcome {
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
                        shown(&p.name),
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
