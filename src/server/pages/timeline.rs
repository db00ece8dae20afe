//! An item's timeline: its audit events, in words.

use super::frame::{Viewer, layout};
use crate::engine::ItemView;
use crate::engine::rules::signoff::Action;
use crate::engine::{AuditEntry, Happened, SignOffEntry};
use crate::model::invisible::shown;
use maud::{Markup, html};

/// An audit event in words.
pub(super) fn describe(e: &AuditEntry) -> String {
    let step = |s: &Option<String>| s.as_deref().unwrap_or("null").to_string();
    let quoted = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &e.happened {
        Happened::Created { name, .. } => format!("created the item “{name}”"),
        Happened::FieldsChanged { fields, .. } => format!("changed {}", quoted(fields)),
        Happened::Moved {
            from,
            to,
            finished,
            skipped,
            reopened,
        } => {
            let mut out = if *finished {
                "finished the workflow".to_string()
            } else {
                format!("moved it from step {} to step {}", step(from), step(to))
            };
            for (s, why) in skipped {
                out.push_str(&format!("; skipped step {s} ({why})"));
            }
            if !reopened.is_empty() {
                out.push_str(&format!("; reopened step {}", reopened.join(", ")));
            }
            out
        }
        Happened::Deleted { .. } => "deleted the item".into(),
        Happened::Subscribed => "subscribed".into(),
        Happened::Unsubscribed => "unsubscribed".into(),
        Happened::DeployConfirmed { infrastructure } => {
            format!("confirmed a deployment on {infrastructure}")
        }
        Happened::SignOff(s) => {
            let what = e.action.trim_start_matches("signoff.").replace('_', " ");
            let mut out = format!("{what} on the sign-off of step {}", s.step);
            if let Some(g) = s.group() {
                out.push_str(&format!(" (group {g})"));
            }
            if let Some(Action::GiveFeedback { verdict, .. }) = &s.action {
                out.push_str(&format!(": {}", verdict.as_str()));
            }
            if let (Some(b), Some(a)) = (s.before, s.after)
                && b != a
            {
                out.push_str(&format!(
                    " — {} → {}",
                    b.as_str().replace('_', " "),
                    a.as_str().replace('_', " ")
                ));
            }
            out
        }
        Happened::Migrated { from, to, changes } => {
            let version = |v: &Option<i64>| v.map_or("?".to_string(), |v| v.to_string());
            let mut out = format!(
                "migrated it from version {} to version {} of its blueprint",
                version(from),
                version(to)
            );
            if !changes.is_empty() {
                out.push_str(&format!(": {}", changes.join("; ")));
            }
            out
        }
        Happened::Rebound { cause } => match cause {
            Some(c) => format!("changed item {c}, which this item's sign-offs are bound to"),
            None => "changed what this item's sign-offs are bound to".into(),
        },
        Happened::Other => e.action.replace(['.', '_'], " "),
    }
}

/// The comment given with an event, if any.
fn comment(e: &AuditEntry) -> Option<&str> {
    match &e.happened {
        Happened::SignOff(s) => s.comment(),
        _ => None,
    }
}

/// The audit events of an item, newest first.
pub fn timeline(viewer: &Viewer, item: &ItemView, events: &[AuditEntry]) -> Markup {
    layout(
        &format!("Timeline of {}", shown(&item.name)),
        Some(viewer),
        "/items",
        html! {
            p.hint { a href=(format!("/items/{}", item.id)) { "← " (shown(&item.name)) } }
            h1 { "Timeline of " (shown(&item.name)) }
            p.hint { (events.len()) " events, from the audit trail (each one hash-chained to the one before)." }
            ol.timeline reversed {
                @for e in events.iter().rev() {
                    li {
                        time datetime=(e.at) { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) " UTC" } br;
                        strong { (e.actor) } " " (describe(e))
                        @if let Some(how) = &e.authentication { " " span.hint.auth { "(through " (how.describe()) ")" } }
                        @if let Some(c) = comment(e) { br; q { (shown(c)) } }
                        @if let Happened::SignOff(SignOffEntry { reason: Some(r), .. }) = &e.happened { br; "Reason: " q { (shown(r)) } }
                        @for b in e.bound_summary() { br; (b) }
                    }
                }
            }
        },
    )
}
