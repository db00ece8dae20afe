//! An item's timeline: its audit events, in words.

use super::{Viewer, layout};
use crate::engine::ItemView;
use crate::server::field_text;
use crate::store::EventRow;
use maud::{Markup, html};
use serde_json::Value;

/// An audit event in words.
pub(super) fn describe(e: &EventRow) -> String {
    let d = &e.details;
    let text = |v: &Value| field_text(v);
    match e.action.as_str() {
        "item.create" => format!("created the item “{}”", text(&d["name"])),
        "item.set" => {
            let names: Vec<&String> = d["fields"]
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            format!(
                "changed {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        "item.move" => {
            let finished = d["after"]["finished"].as_bool().unwrap_or(false);
            if finished {
                "finished the workflow".into()
            } else {
                format!(
                    "moved it from step {} to step {}",
                    text(&d["before"]["step"]),
                    text(&d["after"]["step"])
                )
            }
        }
        "item.delete" => "deleted the item".into(),
        "subscription.add" => "subscribed".into(),
        "subscription.remove" => "unsubscribed".into(),
        "deploy.confirm" => format!("confirmed a deployment on {}", text(&d["infrastructure"])),
        a if a.starts_with("signoff.") => {
            let what = a.trim_start_matches("signoff.").replace('_', " ");
            let mut out = format!("{what} on the sign-off of step {}", text(&d["step"]));
            if let Some(g) = d["action"]["group"].as_str() {
                out.push_str(&format!(" (group {g})"));
            }
            if let Some(v) = d["action"]["verdict"].as_str() {
                out.push_str(&format!(": {v}"));
            }
            if let (Some(b), Some(a)) = (d["before"].as_str(), d["after"].as_str())
                && b != a
            {
                out.push_str(&format!(
                    " — {} → {}",
                    b.replace('_', " "),
                    a.replace('_', " ")
                ));
            }
            out
        }
        other => other.replace(['.', '_'], " "),
    }
}

/// The audit events of an item, newest first.
pub fn timeline(viewer: &Viewer, item: &ItemView, events: &[EventRow]) -> Markup {
    layout(
        &format!("Timeline of {}", item.name),
        Some(viewer),
        "/items",
        html! {
            p.hint { a href=(format!("/items/{}", item.id)) { "← " (item.name) } }
            h1 { "Timeline of " (item.name) }
            p.hint { (events.len()) " events, from the audit trail (each one hash-chained to the one before)." }
            ol.timeline reversed {
                @for e in events.iter().rev() {
                    li {
                        time datetime=(e.at) { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) " UTC" } br;
                        strong { (e.actor) } " " (describe(e))
                        @if let Some(c) = e.details["action"]["comment"].as_str() { br; q { (c) } }
                    }
                }
            }
        },
    )
}
