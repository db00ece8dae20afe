//! `govrt explain`: a diagnostic code's page, or why a user may or may not
//! take a sign-off action on an item now; and `govrt who-can`.

use clap::Args;

use super::global::{CliError, Global, Outcome, exit};
use super::runtime::{print_json, with_reader};
use crate::engine::{
    self, Engine, ExplainRequest, Explained, Explanation, Grant, Identity, WhoCan,
};

/// `govrt explain CODE` or `govrt explain ITEM --user U --action ACTION`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code (`gov::E0101`, `E0101`) or an item id.
    target: String,
    /// With an item: the user who would act (default: `--as`).
    #[arg(long)]
    user: Option<String>,
    /// With an item: the sign-off action (`approve`, `feedback`, `request-review`, …) or `advance`.
    #[arg(long)]
    action: Option<String>,
    /// The feedback group (feedback; delegate, where `final` is the final approval).
    #[arg(long)]
    group: Option<String>,
    /// The step whose sign-off it is (default: the item's current step).
    #[arg(long)]
    step: Option<String>,
}

/// `govrt who-can ITEM ACTION`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// The item.
    item: i64,
    /// The sign-off action (`approve`, `feedback`, `request-review`, …) or `advance`.
    action: String,
    /// The feedback group (feedback; delegate, where `final` is the final approval).
    #[arg(long)]
    group: Option<String>,
    /// The step whose sign-off it is (default: the item's current step).
    #[arg(long)]
    step: Option<String>,
}

pub(super) fn explain(cli: &Global, args: &ExplainArgs) -> Outcome {
    if let Ok(item) = args.target.parse::<i64>() {
        return explain_action(cli, item, args);
    }
    explain_code(&args.target, cli.json)
}

fn verb(action: Option<&String>) -> Result<Explained, Outcome> {
    let Some(name) = action else {
        return Err(Outcome::Error(CliError {
            code: "usage",
            message: "explaining an item needs the action: `--action ACTION`".into(),
            help: Some(format!("actions: {}", Explained::listed())),
            exit: exit::USAGE,
        }));
    };
    Explained::from_name(name).ok_or_else(|| {
        Outcome::Error(CliError::invalid_input(
            format!("unknown action `{name}`"),
            Some(format!("actions: {}", Explained::listed())),
        ))
    })
}

fn explain_action(cli: &Global, item: i64, args: &ExplainArgs) -> Outcome {
    let verb = match verb(args.action.as_ref()) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let Some(user) = args.user.as_ref().or(cli.as_user.as_ref()) else {
        return Outcome::Error(CliError {
            code: "usage",
            message: "explaining an item needs the user who would act: `--user USER`".into(),
            help: Some("or `--as USER` to explain for yourself".into()),
            exit: exit::USAGE,
        });
    };
    let request = request(verb, &args.group, &args.step);
    answer(
        cli,
        |e, who| e.explain(who, item, user, &request),
        print_explanation,
    )
}

fn request<'a>(
    action: Explained,
    group: &'a Option<String>,
    step: &'a Option<String>,
) -> ExplainRequest<'a> {
    ExplainRequest {
        action,
        group: group.as_deref(),
        step: step.as_deref(),
    }
}

/// Answers with what `f` finds for the reader: JSON, or `human`'s words.
fn answer<T: serde::Serialize>(
    cli: &Global,
    f: impl FnOnce(&mut Engine, &Identity) -> engine::Result<T>,
    human: fn(&T),
) -> Outcome {
    let json = cli.json;
    with_reader(cli, f, |v| if json { print_json(v) } else { human(v) })
}

fn grant_line(g: &Grant) -> String {
    g.path.join(" → ")
}

/// What the action is on: `on the sign-off of step `review` of item 3`.
fn place(action: Explained, step: &str, item: &str) -> String {
    match action {
        Explained::Advance => format!("item {item} from step `{step}`"),
        Explained::SignOff(_) => format!("on the sign-off of step `{step}` of item {item}"),
    }
}

fn print_explanation(x: &Explanation) {
    let group = x
        .group
        .as_ref()
        .map(|g| format!(" ({g})"))
        .unwrap_or_default();
    println!(
        "{} {} {}{group} {}",
        x.user,
        if x.allowed { "may" } else { "may not" },
        x.action.words(),
        place(x.action, &x.step, &x.item)
    );
    println!(
        "  state: {} ({}; `{}` starts from {})",
        x.state.status,
        if x.state.met { "met" } else { "not met" },
        x.action,
        x.state.allowed_from.join(", ")
    );
    let sections = [
        (
            "grants",
            x.grants.iter().map(grant_line).collect::<Vec<_>>(),
        ),
        ("blockers", x.blockers.clone()),
        ("hook", x.hook.clone()),
        ("delegations", x.delegations.clone()),
        ("hook errors", x.hook_errors.clone()),
    ];
    for (title, lines) in sections {
        if lines.is_empty() {
            if title == "grants" {
                println!("  grants: none");
            }
            continue;
        }
        println!("  {title}:");
        for l in lines {
            println!("    {l}");
        }
    }
}

pub(super) fn who_can(cli: &Global, args: &WhoCanArgs) -> Outcome {
    let verb = match verb(Some(&args.action)) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let request = request(verb, &args.group, &args.step);
    answer(
        cli,
        |e, who| e.who_can(who, args.item, &request),
        print_who_can,
    )
}

fn print_who_can(w: &WhoCan) {
    let group = w
        .group
        .as_ref()
        .map(|g| format!(" ({g})"))
        .unwrap_or_default();
    if w.users.is_empty() {
        println!(
            "nobody may {}{group} {} now",
            w.action.words(),
            place(w.action, &w.step, &w.item)
        );
    } else {
        println!(
            "who may {}{group} {} now:",
            w.action.words(),
            place(w.action, &w.step, &w.item)
        );
        for u in &w.users {
            println!("  {}", u.user);
            for g in &u.grants {
                println!("    {}", grant_line(g));
            }
        }
    }
    if !w.blocked.is_empty() {
        println!("holding a grant, but may not now:");
        for u in &w.blocked {
            println!("  {}", u.user);
            for b in &u.blockers {
                println!("    - {b}");
            }
        }
    }
}

fn explain_code(code: &str, json: bool) -> Outcome {
    let Some(c) = crate::diag::Code::parse(code) else {
        return Outcome::Error(CliError::invalid_input(
            format!("unknown diagnostic code `{code}`"),
            Some(
                "codes look like `gov::E0101` or `E0101` (`govrt validate` prints them); an item id explains an action: `govrt explain ITEM --user U --action approve`"
                    .into(),
            ),
        ));
    };
    let severity = match c.severity() {
        crate::diag::Severity::Error => "error",
        crate::diag::Severity::Warning => "warning",
    };
    if json {
        println!(
            "{}",
            serde_json::json!({
                "code": c.as_str(), "severity": severity, "name": c.slug(),
                "summary": c.summary(), "explanation": crate::diag::explanation_text(c.page()),
            })
        );
    } else {
        print!("{}", crate::diag::explanation_text(c.page()));
    }
    Outcome::Exit(exit::OK)
}
