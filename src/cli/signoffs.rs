//! `govrt signoff …`: every sign-off action, and how its result is printed.

use super::global::{CliError, Global, Outcome};
use super::runtime::{parse_time, print_json, with_caller};
use crate::engine::actions::{ActionArgs, MissingArgument, Verb};
use crate::engine::rules::signoff::{Action, Event, Status, Verdict as FeedbackVerdict};
use crate::engine::{self};
use crate::model::invisible::shown;
use clap::{Args, Subcommand};

/// Arguments shared by sign-off commands.
#[derive(Debug, Args)]
pub struct SignOffTarget {
    /// The item.
    pub item: i64,
    /// The step whose sign-off (default: the current step's).
    #[arg(long)]
    pub step: Option<String>,
    /// Refuse if the item is not at this revision (of concurrent actions on
    /// one revision, one wins).
    #[arg(long)]
    pub expect_revision: Option<i64>,
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
        /// Why: recorded in the audit trail and the mail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Abandon the sign-off (locks the workflow).
    Abandon {
        #[command(flatten)]
        target: SignOffTarget,
        /// Why: recorded in the audit trail and the mail.
        #[arg(long)]
        reason: Option<String>,
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
        /// Why: recorded in the audit trail and the mail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Schedule a reset.
    ScheduleReset {
        #[command(flatten)]
        target: SignOffTarget,
        /// When (RFC 3339, in the future).
        #[arg(long)]
        at: String,
        /// Why: recorded in the audit trail and the mail.
        #[arg(long)]
        reason: Option<String>,
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
pub(super) fn summarize(happened: &engine::Happened) -> String {
    use engine::Happened;
    let fields =
        |names: &[String]| (!names.is_empty()).then(|| format!("fields: {}", names.join(", ")));
    let parts: Vec<String> = match happened {
        Happened::Created { fields: names, .. }
        | Happened::FieldsChanged { fields: names, .. }
        | Happened::Deleted { fields: names, .. } => fields(names).into_iter().collect(),
        Happened::Moved {
            to,
            skipped,
            reopened,
            ..
        } => {
            let mut parts: Vec<String> = to.iter().map(|to| format!("→ {to}")).collect();
            parts.extend(
                skipped
                    .iter()
                    .map(|(step, why)| format!("skipped {step} ({why})")),
            );
            if !reopened.is_empty() {
                parts.push(format!("reopened {}", reopened.join(", ")));
            }
            parts
        }
        Happened::DeployConfirmed { infrastructure } => {
            vec![format!("infrastructure={infrastructure}")]
        }
        Happened::SignOff(s) => {
            let mut parts = vec![format!("step={}", s.step)];
            if let (Some(b), Some(a)) = (s.before, s.after) {
                parts.push(format!("{} → {}", b.as_str(), a.as_str()));
            }
            for e in &s.events {
                let mut text = e.kind().to_string();
                match e {
                    Event::FeedbackGiven { group, verdict, .. } => {
                        text.push_str(&format!(" group={group} {}", verdict.as_str()));
                    }
                    Event::Delegated { group, .. } => text.push_str(&format!(" group={group}")),
                    _ => {}
                }
                parts.push(text);
            }
            if let Some(comment) = s.comment() {
                parts.push(format!("comment: {}", shown(comment)));
            }
            if let Some(reason) = &s.reason {
                parts.push(format!("reason: {reason}"));
            }
            parts
        }
        Happened::Migrated { from, to, changes } => {
            let version = |v: &Option<i64>| v.map_or("?".to_string(), |v| v.to_string());
            let mut parts = vec![format!("version {} → {}", version(from), version(to))];
            parts.extend(changes.iter().cloned());
            parts
        }
        Happened::Rebound { cause } => cause
            .iter()
            .map(|c| format!("after a change of item {c}"))
            .collect(),
        Happened::Subscribed | Happened::Unsubscribed | Happened::Other => Vec::new(),
    };
    parts.join("; ")
}

/// A service level in one line: `SLA 5 business days: running, 2 business
/// days 3 h elapsed, 2 business days 6 h left, due 2027-01-07T14:00:00Z`.
fn service_line(v: &engine::rules::sla::ServiceView) -> String {
    let stamp = |t| engine::rules::calendar::stamp(t, v.timezone);
    let state = match v.clock {
        engine::rules::sla::ClockState::NotStarted => "not started",
        engine::rules::sla::ClockState::Running => "running",
        engine::rules::sla::ClockState::Paused => "paused",
        engine::rules::sla::ClockState::Stopped => "stopped",
    };
    let mut parts = vec![state.to_string()];
    if v.clock != engine::rules::sla::ClockState::NotStarted {
        parts.push(format!("{} elapsed", v.elapsed));
    }
    if let (Some(left), false) = (&v.remaining, v.breached) {
        parts.push(format!("{left} left"));
    }
    if let Some(due) = v.due_at {
        parts.push(format!("due {}", stamp(due)));
    }
    if v.breached {
        parts.push("BREACHED".into());
    } else if v.at_risk {
        parts.push("at risk".into());
    }
    if v.reminders_sent > 0 {
        parts.push(format!(
            "{} reminder{} sent",
            v.reminders_sent,
            if v.reminders_sent == 1 { "" } else { "s" }
        ));
    }
    if let Some(at) = v.escalated_at {
        parts.push(format!("escalated {}", stamp(at)));
    }
    match &v.sla {
        Some(sla) => format!("SLA {sla}: {}", parts.join(", ")),
        None => format!("clock: {}", parts.join(", ")),
    }
}

/// A feedback group of `govrt signoff status`: its count, clock and reviews.
fn print_group(g: &engine::GroupView) {
    println!(
        "  {} ({}): {}/{} review{}{}{}",
        g.label,
        g.id,
        g.reviews.len(),
        g.min,
        if g.min == 1 { "" } else { "s" },
        if g.complete { ", complete" } else { "" },
        if g.required { ", required" } else { "" }
    );
    if let Some(service) = &g.service {
        println!("    {}", service_line(service));
    }
    for r in &g.reviews {
        println!(
            "    {} {}{}",
            r.reviewer,
            r.verdict.as_str(),
            r.comment
                .as_ref()
                .map(|c| format!(": {}", shown(c)))
                .unwrap_or_default()
        );
    }
    for o in &g.outdated {
        println!(
            "    {} {} (outdated by a change of {})",
            o.entry.reviewer,
            o.entry.verdict.as_str(),
            o.changed.join(", ")
        );
    }
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
    if v.status == Status::NotApplicable {
        // Its step was skipped: it waits for no review and no decision.
        println!("  its step was skipped: no review or decision is wanted");
        return;
    }
    for g in &v.feedback {
        print_group(g);
    }
    if let Some(service) = &v.final_service {
        println!("  final approval: {}", service_line(service));
    }
    for o in &v.outdated_decisions {
        println!(
            "  final: {} by {} (outdated by a change of {})",
            if o.entry.approved {
                "APPROVED"
            } else {
                "REJECTED"
            },
            o.entry.by,
            o.changed.join(", ")
        );
    }
    for d in &v.delegations {
        println!("  {} delegated {} to {}", d.from, d.group, d.to);
    }
    // What a decision now would be taken without.
    if matches!(
        v.status,
        Status::WaitingForFeedback | Status::WaitingForApproval
    ) {
        let missing: Vec<&str> = v
            .feedback
            .iter()
            .filter(|g| !g.complete)
            .map(|g| g.label.as_str())
            .collect();
        if !missing.is_empty() {
            println!("  missing feedback: {}", missing.join(", "));
        }
        if !v.open_major_issues.is_empty() {
            println!(
                "  open major issues: {}{}",
                v.open_major_issues.join(", "),
                if v.no_major {
                    " (no approval while they stand)"
                } else {
                    ""
                }
            );
        }
    }
    if let Some(d) = &v.decision {
        println!(
            "  final: {} by {}{}",
            if d.approved { "APPROVED" } else { "REJECTED" },
            d.by,
            d.comment
                .as_ref()
                .map(|c| format!(": {}", shown(c)))
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
pub fn signoff(cli: &Global, command: &SignOffCommand) -> Outcome {
    let notify = matches!(
        command,
        SignOffCommand::RequestReview { notify: true, .. }
            | SignOffCommand::RequestFinal { notify: true, .. }
    );
    let reason = match command {
        SignOffCommand::Reject { reason, .. }
        | SignOffCommand::Abandon { reason, .. }
        | SignOffCommand::Reset { reason, .. }
        | SignOffCommand::ScheduleReset { reason, .. } => reason.clone(),
        _ => None,
    };
    let none = ActionArgs::default();
    let (target, verb, args) = match command {
        SignOffCommand::RequestReview { target, .. } => (target, Verb::RequestReview, none),
        SignOffCommand::RequestFinal { target, .. } => (target, Verb::RequestFinalApproval, none),
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
            let args = ActionArgs {
                group: Some(group.clone()),
                verdict: Some(verdict),
                comment: comment.clone(),
                ..none
            };
            (target, Verb::GiveFeedback, args)
        }
        SignOffCommand::BackToFeedback { target } => (target, Verb::BackToFeedback, none),
        SignOffCommand::Approve { target, comment } => {
            let args = ActionArgs {
                comment: comment.clone(),
                ..none
            };
            (target, Verb::Approve, args)
        }
        SignOffCommand::Reject {
            target, comment, ..
        } => {
            let args = ActionArgs {
                comment: comment.clone(),
                ..none
            };
            (target, Verb::Reject, args)
        }
        SignOffCommand::Abandon { target, .. } => (target, Verb::Abandon, none),
        SignOffCommand::CancelAbandon { target } => (target, Verb::CancelAbandon, none),
        SignOffCommand::Reset { target, .. } => (target, Verb::Reset, none),
        SignOffCommand::ScheduleReset { target, at, .. } => {
            let args = ActionArgs {
                at: Some(tryo!(parse_time(at, "--at"))),
                ..none
            };
            (target, Verb::ScheduleReset, args)
        }
        SignOffCommand::Delegate {
            target,
            group,
            user,
        } => {
            let args = ActionArgs {
                group: Some(group.clone()),
                to: Some(user.clone()),
                ..none
            };
            (target, Verb::Delegate, args)
        }
    };
    // Clap has given every argument the action needs.
    let action = match Action::from_verb(verb, args) {
        Ok(action) => action,
        Err(MissingArgument(what)) => {
            return Outcome::Error(CliError::invalid_input(
                format!("`{}` needs `{what}`", verb.name()),
                None,
            ));
        }
    };
    let json = cli.json;
    with_caller(
        cli,
        |e, who| {
            let request = engine::SignOffRequest {
                step: target.step.as_deref(),
                action,
                notify,
                reason,
                now: None,
                expect_revision: target.expect_revision,
            };
            e.signoff_with(who, target.item, request)
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
