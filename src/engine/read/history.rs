//! An item's history as typed values. Stored audit details are JSON written
//! by whichever govrt made the event; this is the one place they are read
//! back, so the CLI, the API and the web UI describe an event from the same
//! facts. What an old event does not say is left out, never guessed.

use serde::Serialize;
use serde_json::Value as Json;

use crate::engine::rules::signoff::{Action, Event, Status};
use crate::store::EventRow;

/// One audit event of an item: as stored (serialized as such), and what it
/// says happened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// The item it is about.
    pub item: Option<i64>,
    /// Who acted.
    pub actor: String,
    /// What was done, as the audit trail names it (`signoff.approve`).
    pub action: String,
    /// When (RFC 3339).
    pub at: String,
    /// The stored details.
    pub details: Json,
    /// The previous event's hash; left out for a reader who may not read
    /// every field of the item (it is computed from them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// This event's hash; left out as `prev_hash` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// What happened, read from the details.
    #[serde(skip)]
    pub happened: Happened,
    /// What a change of bound content did to the item's sign-offs with it.
    #[serde(skip)]
    pub bound: Vec<SignOffEntry>,
    /// Done by an admin acting for someone (recorded as such).
    #[serde(skip)]
    pub as_admin: bool,
    /// An admin kept the approvals through a change of bound content.
    #[serde(skip)]
    pub keep_approvals: bool,
    /// How the actor was authenticated (`auth` in the details; none for
    /// events written before it was recorded).
    #[serde(skip)]
    pub authentication: Option<crate::engine::Authentication>,
}

impl AuditEntry {
    /// What the change did to sign-offs bound to the content it changed, in
    /// words: `review outdated by a change of metrics: 2 reviews and the
    /// decision (APPROVED → WAITING_FOR_FEEDBACK)`.
    pub fn bound_summary(&self) -> Vec<String> {
        self.bound
            .iter()
            .flat_map(|b| {
                b.events.iter().filter_map(move |e| {
                    let states = match (b.before, b.after) {
                        (Some(x), Some(y)) if x != y => {
                            format!(" ({} → {})", x.as_str(), y.as_str())
                        }
                        _ => String::new(),
                    };
                    match e {
                        Event::Outdated { .. } => Some(format!(
                            "sign-off of step {}: {}{states}",
                            b.step,
                            e.outdated_words().unwrap_or_default(),
                        )),
                        Event::ApprovalsKept { changed } => Some(format!(
                            "sign-off of step {}: reviews and decision kept through a change of {} (`--keep-approvals`)",
                            b.step,
                            changed.join(", ")
                        )),
                        _ => None,
                    }
                })
            })
            .collect()
    }
}

/// What an audit event says happened to an item.
#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    /// The item was created with these fields set.
    Created {
        /// Its name.
        name: String,
        /// Its blueprint.
        blueprint: String,
        /// Its parent.
        parent: Option<i64>,
        /// The fields set, in the order written.
        fields: Vec<String>,
        /// Their values, as stored, in the same order.
        values: Vec<Json>,
    },
    /// Fields were set or unset.
    FieldsChanged {
        /// The fields, in the order written.
        fields: Vec<String>,
        /// Their values after the change, in the same order (`null`: unset).
        after: Vec<Json>,
    },
    /// The item moved in its workflow.
    Moved {
        /// The step it left.
        from: Option<String>,
        /// The step it reached.
        to: Option<String>,
        /// Whether the workflow is now finished.
        finished: bool,
        /// The steps it skipped, each with why (`when risk_tier == high,
        /// with risk_tier = "low"`).
        skipped: Vec<(String, String)>,
        /// The skipped steps it moved back before, to be decided again.
        reopened: Vec<String>,
    },
    /// The item was deleted, with these fields.
    Deleted {
        /// Its name.
        name: String,
        /// Its blueprint.
        blueprint: String,
        /// The fields it had.
        fields: Vec<String>,
    },
    /// Someone followed it.
    Subscribed,
    /// Someone stopped following it.
    Unsubscribed,
    /// A deployment was confirmed under a `warn` policy.
    DeployConfirmed {
        /// The infrastructure.
        infrastructure: String,
    },
    /// The item was migrated to another version of its blueprint.
    Migrated {
        /// The version it left.
        from: Option<i64>,
        /// The version it reached.
        to: Option<i64>,
        /// What changed, each in words (`step review → validation`,
        /// `field tier renamed to risk_tier`, `sign-off of step review reset`).
        changes: Vec<String>,
    },
    /// A sign-off action.
    SignOff(SignOffEntry),
    /// A change of an ancestor's fields outdated (or, by an admin, kept) what
    /// this item's sign-offs are bound to; see [`AuditEntry::bound`].
    Rebound {
        /// The ancestor whose change it was.
        cause: Option<i64>,
    },
    /// Something this version does not describe.
    Other,
}

/// A sign-off action as the audit trail recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignOffEntry {
    /// The step whose sign-off it was.
    pub step: String,
    /// The action with its arguments (absent when the stored one does not parse).
    pub action: Option<Action>,
    /// The state before.
    pub before: Option<Status>,
    /// The state after.
    pub after: Option<Status>,
    /// What happened, in order.
    pub events: Vec<Event>,
    /// Why, where the actor said (resets, abandons, rejections).
    pub reason: Option<String>,
}

impl SignOffEntry {
    /// The comment given with the action, if any.
    pub fn comment(&self) -> Option<&str> {
        match &self.action {
            Some(
                Action::GiveFeedback { comment, .. }
                | Action::Approve { comment }
                | Action::Reject { comment },
            ) => comment.as_deref(),
            _ => None,
        }
    }

    /// The feedback group (or `final`) the action was about, if any.
    pub fn group(&self) -> Option<&str> {
        match &self.action {
            Some(Action::GiveFeedback { group, .. } | Action::Delegate { group, .. }) => {
                Some(group)
            }
            _ => None,
        }
    }
}

impl Happened {
    /// Reads what an event of `action` with these stored details says.
    pub fn read(action: &str, details: &Json) -> Happened {
        let text = |v: &Json| v.as_str().map(str::to_string);
        let keys = |v: &Json| {
            v.as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        match action {
            "item.create" => Happened::Created {
                name: text(&details["name"]).unwrap_or_default(),
                blueprint: text(&details["blueprint"]).unwrap_or_default(),
                parent: details["parent"].as_i64(),
                fields: keys(&details["fields"]),
                values: details["fields"]
                    .as_object()
                    .map(|m| m.values().cloned().collect())
                    .unwrap_or_default(),
            },
            "item.set" => Happened::FieldsChanged {
                fields: keys(&details["fields"]),
                after: details["fields"]
                    .as_object()
                    .map(|m| m.values().map(|c| c["after"].clone()).collect())
                    .unwrap_or_default(),
            },
            "item.move" => Happened::Moved {
                from: text(&details["before"]["step"]),
                to: text(&details["after"]["step"]),
                finished: details["after"]["finished"].as_bool().unwrap_or(false),
                skipped: details["skipped"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| {
                        let values = s["values"]
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default();
                        let decided_by = s["decided_by"].as_str().unwrap_or_default();
                        (
                            text(&s["step"]).unwrap_or_default(),
                            crate::model::condition::reason(decided_by, &values),
                        )
                    })
                    .collect(),
                reopened: details["reopened"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(text)
                    .collect(),
            },
            "item.delete" => Happened::Deleted {
                name: text(&details["name"]).unwrap_or_default(),
                blueprint: text(&details["blueprint"]).unwrap_or_default(),
                fields: keys(&details["fields"]),
            },
            "item.migrate" => Happened::Migrated {
                from: details["from"].as_i64(),
                to: details["to"].as_i64(),
                changes: migration_changes(details),
            },
            "subscription.add" => Happened::Subscribed,
            "subscription.remove" => Happened::Unsubscribed,
            "deploy.confirm" => Happened::DeployConfirmed {
                infrastructure: text(&details["infrastructure"]).unwrap_or_default(),
            },
            "signoff.outdated" | "signoff.approvals_kept" => Happened::Rebound {
                cause: details["cause"]["item"].as_i64(),
            },
            a if a.starts_with("signoff.") => Happened::SignOff(SignOffEntry::read(details)),
            _ => Happened::Other,
        }
    }
}

impl SignOffEntry {
    fn read(details: &Json) -> SignOffEntry {
        SignOffEntry {
            step: details["step"].as_str().unwrap_or_default().to_string(),
            action: parsed(&details["action"]),
            before: parsed(&details["before"]),
            after: parsed(&details["after"]),
            events: details["events"]
                .as_array()
                .map(|list| list.iter().filter_map(parsed).collect())
                .unwrap_or_default(),
            reason: details["reason"].as_str().map(str::to_string),
        }
    }
}

/// A stored value as `T`, if it still reads as one.
fn parsed<T: serde::de::DeserializeOwned>(value: &Json) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

impl From<EventRow> for AuditEntry {
    fn from(e: EventRow) -> AuditEntry {
        AuditEntry {
            happened: Happened::read(&e.action, &e.details),
            as_admin: e.details["as_admin"].as_bool() == Some(true),
            keep_approvals: e.details["keep_approvals"].as_bool() == Some(true),
            authentication: crate::engine::Authentication::from_details(&e.details),
            bound: e.details["bound"]
                .as_array()
                .map(|list| list.iter().map(SignOffEntry::read).collect())
                .unwrap_or_default(),
            seq: e.seq,
            item: e.item,
            actor: e.actor,
            action: e.action,
            at: e.at,
            details: e.details,
            prev_hash: Some(e.prev_hash),
            hash: Some(e.hash),
        }
    }
}

/// What an `item.migrate` event's details say changed, each in words.
fn migration_changes(details: &Json) -> Vec<String> {
    let text = |v: &Json| v.as_str().unwrap_or_default().to_string();
    let list = |v: &Json| v.as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let step = &details["step"];
    if step.is_object() && step["from"] != step["to"] {
        out.push(format!(
            "step {} → {}",
            text(&step["from"]),
            text(&step["to"])
        ));
    }
    for r in list(&details["renamed"]) {
        out.push(format!(
            "field {} renamed to {}",
            text(&r["from"]),
            text(&r["to"])
        ));
    }
    for f in list(&details["set"]) {
        out.push(format!("field {} set", text(&f)));
    }
    for f in list(&details["dropped"]) {
        out.push(format!("field {} dropped", text(&f)));
    }
    for s in list(&details["signoffs"]) {
        let fate = text(&s["fate"]);
        let from = text(&s["from"]);
        out.push(match s["to"].as_str() {
            Some(to) if to != from && fate == "keep" => {
                format!("sign-off of step {from} kept on step {to}")
            }
            Some(to) if to != from => {
                format!("sign-off of step {from} {} on step {to}", past(&fate))
            }
            _ if fate == "keep" => format!("sign-off of step {from} kept"),
            _ => format!("sign-off of step {from} {}", past(&fate)),
        });
    }
    out
}

/// `reset` → `reset`, `drop` → `dropped`.
fn past(fate: &str) -> &str {
    match fate {
        "drop" => "dropped",
        "keep" => "kept",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::engine::rules::signoff::Verdict;

    #[test]
    fn a_signoff_event_reads_back_as_it_was_written() {
        let action = Action::GiveFeedback {
            group: "risk".into(),
            verdict: Verdict::MajorIssue,
            comment: Some("no".into()),
        };
        let events = vec![Event::FeedbackGiven {
            group: "risk".into(),
            verdict: Verdict::MajorIssue,
            edited: false,
            status_changed: true,
        }];
        let details = json!({"step": "review", "action": action, "before": Status::WaitingForFeedback, "after": Status::WaitingForFeedback, "events": events, "notify": false});
        let Happened::SignOff(entry) = Happened::read("signoff.give_feedback", &details) else {
            panic!("not a sign-off entry");
        };
        assert_eq!(entry.action.as_ref(), Some(&action));
        assert_eq!(entry.events, events);
        assert_eq!(entry.comment(), Some("no"));
        assert_eq!(entry.group(), Some("risk"));
        assert_eq!(entry.before, Some(Status::WaitingForFeedback));
    }

    #[test]
    fn an_event_kind_is_its_stored_name() {
        for e in [
            Event::ReviewRequested,
            Event::FinalApprovalRequested,
            Event::SentBackToFeedback,
            Event::Abandoned,
            Event::AbandonCanceled,
            Event::Reset { automatic: true },
            Event::ResetScheduled { at: Utc::now() },
            Event::Delegated {
                group: "g".into(),
                to: "u".into(),
            },
            Event::Decided {
                approved: true,
                edited: false,
                status_changed: true,
            },
            Event::FeedbackGiven {
                group: "g".into(),
                verdict: Verdict::Approved,
                edited: false,
                status_changed: true,
            },
        ] {
            assert_eq!(json!(e)["event"], e.kind());
        }
    }

    #[test]
    fn what_an_old_event_does_not_say_is_left_out() {
        let Happened::SignOff(entry) = Happened::read(
            "signoff.approve",
            &json!({"step": "s", "events": [{"event": "unknown"}]}),
        ) else {
            panic!("not a sign-off entry");
        };
        assert_eq!(entry.action, None);
        assert!(entry.events.is_empty());
        assert_eq!(
            Happened::read("blueprints.load", &json!({})),
            Happened::Other
        );
    }
}
