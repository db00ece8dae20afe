//! `govrt item …`: create, show, list, set, advance, move, delete, history.

use super::global::{Global, Outcome};
use super::paging::{PageArgs, print_next};
use super::runtime::{print_json, split_assignment, with_caller, with_reader};
use super::signoffs::summarize;
use crate::engine::ItemFilter;
use crate::engine::read::cursor::List;
use crate::engine::rules::values;
use crate::engine::{self, AuditEntry, EditOptions, FieldChange, ItemView};
use crate::model::invisible::shown;
use clap::Subcommand;

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
        /// An ACTIVE version of the blueprint (default: the newest ACTIVE one).
        #[arg(long)]
        version: Option<u32>,
    },
    /// List items.
    List {
        /// Only items of this blueprint.
        #[arg(long)]
        blueprint: Option<String>,
        /// Only children of this item.
        #[arg(long)]
        parent: Option<i64>,
        /// Only items at this step.
        #[arg(long)]
        step: Option<String>,
        /// Only items whose current sign-off is in this state
        /// (`WAITING_FOR_FEEDBACK`, `APPROVED`, …).
        #[arg(long, value_parser = parse_status)]
        signoff: Option<crate::engine::rules::signoff::Status>,
        /// Only items of this owner.
        #[arg(long)]
        owner: Option<String>,
        /// Only items with this deploy verdict: `INFRASTRUCTURE:VERDICT`.
        #[arg(long, value_name = "INFRA:VERDICT", value_parser = crate::engine::parse_deploy_filter)]
        deploy: Option<(String, String)>,
        /// Only items this condition holds for, as a table's `filter` takes
        /// it: fields (`risk_tier == high`), `step == STEP`, `signoff STEP ==
        /// STATE`, `sla STEP breached`, `due within 30 days`.
        #[arg(long, value_name = "COND")]
        filter: Option<String>,
        #[command(flatten)]
        page: PageArgs,
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
        /// Admins: keep the reviews and decisions bound to these fields
        /// (`binds`) instead of outdating them; audited as such.
        #[arg(long)]
        keep_approvals: bool,
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
        /// Admins: keep the reviews and decisions bound to these fields
        /// (`binds`) instead of outdating them; audited as such.
        #[arg(long)]
        keep_approvals: bool,
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
        #[command(flatten)]
        page: PageArgs,
    },
}

pub(super) fn print_item(item: &engine::ItemView) {
    println!(
        "item {}: {} ({} v{})",
        item.id,
        shown(&item.name),
        item.blueprint,
        item.version
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
        println!("  {k} = {}", shown(&values::display(v)));
    }
}

/// `govrt item …`.
pub fn item(cli: &Global, command: &ItemCommand) -> Outcome {
    let json = cli.json;
    match command {
        ItemCommand::Create {
            blueprint,
            name,
            parent,
            sets,
            version,
        } => create(cli, (blueprint, name, *parent), sets, *version),
        ItemCommand::List {
            blueprint,
            parent,
            step,
            signoff,
            owner,
            deploy,
            filter,
            page,
        } => {
            let after = tryo!(page.after(List::Items));
            let filter = ItemFilter {
                step: step.clone(),
                signoff: *signoff,
                owner: owner.clone(),
                deploy: deploy.clone(),
                condition: filter.clone(),
                ..ItemFilter::of(blueprint.as_deref(), *parent)
            };
            with_reader(
                cli,
                |e, who| e.items_page(who, &filter, after, page.limit()),
                |(items, next)| {
                    print_next(List::Items, *next);
                    print_items(items, json);
                },
            )
        }
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
            keep_approvals,
        } => {
            let mut changes = Vec::new();
            for v in values {
                let (k, v) = tryo!(split_assignment(v));
                changes.push(FieldChange::Set(k, v));
            }
            change_fields(
                cli,
                *item,
                &changes,
                edit_options(*expect_revision, *keep_approvals),
            )
        }
        ItemCommand::Unset {
            item,
            fields,
            expect_revision,
            keep_approvals,
        } => {
            let changes: Vec<FieldChange> = fields
                .iter()
                .map(|f| FieldChange::Unset(f.clone()))
                .collect();
            change_fields(
                cli,
                *item,
                &changes,
                edit_options(*expect_revision, *keep_approvals),
            )
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
        ItemCommand::History { item, page } => {
            let after = tryo!(page.after(List::History));
            with_reader(
                cli,
                |e, who| e.history_page(who, *item, after, page.limit()),
                |(events, next)| {
                    print_next(List::History, *next);
                    print_history(events, json);
                },
            )
        }
    }
}

/// `item create`: the new item's blueprint, name and parent, its field
/// values (`FIELD=VALUE`) and the blueprint version.
fn create(
    cli: &Global,
    (blueprint, name, parent): (&str, &str, Option<i64>),
    sets: &[String],
    version: Option<u32>,
) -> Outcome {
    let json = cli.json;
    let mut pairs = Vec::new();
    for s in sets {
        pairs.push(tryo!(split_assignment(s)));
    }
    let new = engine::NewItem {
        blueprint,
        version,
        name,
        parent,
        sets: &pairs,
    };
    with_caller(
        cli,
        |e, who| e.create(who, &new, None),
        |item| print_created(item, json),
    )
}

/// What `item create` prints: the new id (and a line for people), or JSON.
fn print_created(item: &ItemView, json: bool) {
    if json {
        print_json(item);
    } else {
        println!("{}", item.id);
        eprintln!(
            "created {} `{}` (id {})",
            item.blueprint,
            shown(&item.name),
            item.id
        );
    }
}

/// A page of items, as a table or JSON.
fn print_items(items: &[ItemView], json: bool) {
    if json {
        print_json(&items);
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
                shown(&i.name),
                i.step.as_deref().unwrap_or("-")
            );
        }
    }
}

/// A page of an item's history, one line an event, or JSON.
fn print_history(events: &[AuditEntry], json: bool) {
    if json {
        print_json(&events);
    } else {
        for ev in events {
            let mut summary = vec![summarize(&ev.happened)];
            summary.extend(ev.bound_summary());
            summary.retain(|s| !s.is_empty());
            println!(
                "#{:<5} {}  {:<12} {:<32} {}",
                ev.seq,
                ev.at,
                ev.actor,
                ev.action,
                summary.join("; ")
            );
        }
    }
}

/// `item set` and `item unset`: one edit of an item's fields.
pub(super) fn change_fields(
    cli: &Global,
    item: i64,
    changes: &[FieldChange],
    options: EditOptions,
) -> Outcome {
    let json = cli.json;
    with_caller(
        cli,
        |e, who| e.set_fields_with(who, item, changes, options),
        |i| {
            if json {
                print_json(i)
            } else {
                println!("item {} updated (revision {})", i.id, i.revision)
            }
        },
    )
}

fn edit_options(expect_revision: Option<i64>, keep_approvals: bool) -> EditOptions {
    EditOptions {
        expect_revision,
        now: None,
        keep_approvals,
    }
}

pub(super) fn print_moved(item: &engine::ItemView, json: bool) {
    if json {
        print_json(item);
    } else if item.workflow == Some(engine::rules::workflow::WorkflowState::Finished) {
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

/// A sign-off state as the command line writes it (`WAITING_FOR_FEEDBACK`).
fn parse_status(text: &str) -> Result<crate::engine::rules::signoff::Status, String> {
    serde_json::from_value(serde_json::Value::String(text.to_ascii_uppercase())).map_err(|_| {
        format!("`{text}` is not a sign-off state (NOT_STARTED, WAITING_FOR_FEEDBACK, WAITING_FOR_APPROVAL, APPROVED, REJECTED, ABANDONED)")
    })
}
