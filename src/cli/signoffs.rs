//! `govrt signoff …`: every sign-off action, and how its result is printed.

use super::runtime::{parse_time, print_json, with_caller};
use super::{Cli, CliError, Outcome};
use crate::engine::signoff::{Action, Verdict as FeedbackVerdict};
use crate::engine::{self};
use clap::{Args, Subcommand};

/// Arguments shared by sign-off commands.
#[derive(Debug, Args)]
pub struct SignOffTarget {
    /// The item.
    pub item: i64,
    /// The step whose sign-off (default: the current step's).
    #[arg(long)]
    pub step: Option<String>,
}

/// `govrt signoff …`.
#[derive(Debug, Subcommand)]
pub enum SignOffCommand {
    /// Request the review (NOT_STARTED → WAITING_FOR_FEEDBACK).
    RequestReview {
        #[command(flatten)]
        target: SignOffTarget,
        /// Mail the eligible reviewers.
        #[arg(long)]
        notify: bool,
    },
    /// Request the final approval (→ WAITING_FOR_APPROVAL).
    RequestFinal {
        #[command(flatten)]
        target: SignOffTarget,
        /// Mail the final approvers.
        #[arg(long)]
        notify: bool,
    },
    /// Give or edit feedback for a group: approved, minor or major.
    Feedback {
        #[command(flatten)]
        target: SignOffTarget,
        /// The feedback group.
        group: String,
        /// approved, minor or major.
        verdict: String,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Send back from the final approver to feedback.
    BackToFeedback {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Approve (or change a rejection into an approval).
    Approve {
        #[command(flatten)]
        target: SignOffTarget,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject (or change an approval into a rejection).
    Reject {
        #[command(flatten)]
        target: SignOffTarget,
        /// A comment.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Abandon the sign-off (locks the workflow).
    Abandon {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Cancel an abandon, restoring state and reviews.
    CancelAbandon {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Reset to NOT_STARTED; reviews are archived.
    Reset {
        #[command(flatten)]
        target: SignOffTarget,
    },
    /// Schedule a reset.
    ScheduleReset {
        #[command(flatten)]
        target: SignOffTarget,
        /// When (RFC 3339).
        #[arg(long)]
        at: String,
    },
    /// Delegate one's review of a group (or `final`) to a user.
    Delegate {
        #[command(flatten)]
        target: SignOffTarget,
        /// The group, or `final`.
        group: String,
        /// The delegate.
        user: String,
    },
}

/// A one-line summary of an event's details.
pub(super) fn summarize(details: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(step) = details.get("step").and_then(|s| s.as_str()) {
        parts.push(format!("step={step}"));
    }
    if let (Some(b), Some(a)) = (
        details.get("before").and_then(|v| v.as_str()),
        details.get("after").and_then(|v| v.as_str()),
    ) {
        parts.push(format!("{b} → {a}"));
    }
    if let Some(after) = details
        .get("after")
        .and_then(|v| v.get("step"))
        .and_then(|v| v.as_str())
    {
        parts.push(format!("→ {after}"));
    }
    if let Some(events) = details.get("events").and_then(|v| v.as_array()) {
        for e in events {
            let mut text = e
                .get("event")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            if let Some(g) = e.get("group").and_then(|v| v.as_str()) {
                text.push_str(&format!(" group={g}"));
            }
            if let Some(v) = e.get("verdict").and_then(|v| v.as_str()) {
                text.push_str(&format!(" {v}"));
            }
            parts.push(text);
        }
    }
    if let Some(fields) = details.get("fields").and_then(|v| v.as_object()) {
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        if !names.is_empty() {
            parts.push(format!("fields: {}", names.join(", ")));
        }
    }
    if let Some(infra) = details.get("infrastructure").and_then(|v| v.as_str()) {
        parts.push(format!("infrastructure={infra}"));
    }
    parts.join("; ")
}

pub(super) fn print_signoff(v: &engine::SignOffView) {
    println!(
        "sign-off `{}` of step `{}`: {}",
        v.label,
        v.step,
        v.status.as_str()
    );
    if let Some(r) = &v.requester {
        println!("  requested by {r}");
    }
    for g in &v.feedback {
        println!(
            "  {} ({}): {}/{} review{}{}",
            g.label,
            g.id,
            g.reviews.len(),
            g.min,
            if g.min == 1 { "" } else { "s" },
            if g.complete { ", complete" } else { "" }
        );
        for r in &g.reviews {
            println!(
                "    {} {}{}",
                r.reviewer,
                r.verdict.as_str(),
                r.comment
                    .as_ref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            );
        }
    }
    for d in &v.delegations {
        println!("  {} delegated {} to {}", d.from, d.group, d.to);
    }
    if let Some(d) = &v.decision {
        println!(
            "  final: {} by {}{}",
            if d.approved { "APPROVED" } else { "REJECTED" },
            d.by,
            d.comment
                .as_ref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
    }
    if let Some(t) = v.next_reset_at {
        println!(
            "  resets automatically at {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    if let Some(t) = v.scheduled_reset_at {
        println!(
            "  reset scheduled at {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
    if v.rounds_archived > 0 {
        println!(
            "  {} earlier round{} archived",
            v.rounds_archived,
            if v.rounds_archived == 1 { "" } else { "s" }
        );
    }
}

/// `govrt signoff …`.
pub fn signoff(cli: &Cli, command: &SignOffCommand) -> Outcome {
    let notify = matches!(
        command,
        SignOffCommand::RequestReview { notify: true, .. }
            | SignOffCommand::RequestFinal { notify: true, .. }
    );
    let (target, action) = match command {
        SignOffCommand::RequestReview { target, .. } => (target, Action::RequestReview),
        SignOffCommand::RequestFinal { target, .. } => (target, Action::RequestFinalApproval),
        SignOffCommand::Feedback {
            target,
            group,
            verdict,
            comment,
        } => {
            let Some(verdict) = FeedbackVerdict::parse(verdict) else {
                return Outcome::Error(CliError::invalid_input(
                    format!("`{verdict}` is not a feedback verdict"),
                    Some("write `approved`, `minor` or `major`".into()),
                ));
            };
            (
                target,
                Action::GiveFeedback {
                    group: group.clone(),
                    verdict,
                    comment: comment.clone(),
                },
            )
        }
        SignOffCommand::BackToFeedback { target } => (target, Action::BackToFeedback),
        SignOffCommand::Approve { target, comment } => (
            target,
            Action::Approve {
                comment: comment.clone(),
            },
        ),
        SignOffCommand::Reject { target, comment } => (
            target,
            Action::Reject {
                comment: comment.clone(),
            },
        ),
        SignOffCommand::Abandon { target } => (target, Action::Abandon),
        SignOffCommand::CancelAbandon { target } => (target, Action::CancelAbandon),
        SignOffCommand::Reset { target } => (target, Action::Reset),
        SignOffCommand::ScheduleReset { target, at } => (
            target,
            Action::ScheduleReset {
                at: tryo!(parse_time(at, "--at")),
            },
        ),
        SignOffCommand::Delegate {
            target,
            group,
            user,
        } => (
            target,
            Action::Delegate {
                group: group.clone(),
                to: user.clone(),
            },
        ),
    };
    let json = cli.json;
    with_caller(
        cli,
        |e, who| {
            e.signoff_notify(
                who,
                target.item,
                target.step.as_deref(),
                action,
                notify,
                None,
            )
        },
        |v| {
            if json {
                print_json(v)
            } else {
                print_signoff(v)
            }
        },
    )
}
