//! The record of one sign-off of one item, as stored with the item: its
//! status, current reviews, final decision, delegations, reset times and
//! archived rounds. The sign-off rules (the engine's `signoff` module) turn
//! one record into the next; the store keeps it; nothing here decides.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The state of a sign-off.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// No review requested yet.
    #[default]
    NotStarted,
    /// Reviewers are giving feedback.
    WaitingForFeedback,
    /// The final approver is asked to decide.
    WaitingForApproval,
    /// Approved: the step may be left, deployment may go ahead.
    Approved,
    /// Rejected: the workflow is locked.
    Rejected,
    /// Abandoned: the workflow is locked until the abandon is canceled.
    Abandoned,
    /// Its step was skipped (its condition was false when the workflow
    /// reached or passed it): no action applies; deployment counts it as
    /// satisfied, and says so.
    NotApplicable,
}

impl Status {
    /// The name used in outputs (`WAITING_FOR_FEEDBACK`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "NOT_STARTED",
            Status::WaitingForFeedback => "WAITING_FOR_FEEDBACK",
            Status::WaitingForApproval => "WAITING_FOR_APPROVAL",
            Status::Approved => "APPROVED",
            Status::Rejected => "REJECTED",
            Status::Abandoned => "ABANDONED",
            Status::NotApplicable => "NOT_APPLICABLE",
        }
    }

    /// Every state, in the order a sign-off goes through them.
    pub const ALL: [Status; 7] = [
        Status::NotStarted,
        Status::WaitingForFeedback,
        Status::WaitingForApproval,
        Status::Approved,
        Status::Rejected,
        Status::Abandoned,
        Status::NotApplicable,
    ];

    /// The state of this name (`APPROVED`, `approved`).
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }

    /// Rejected and abandoned sign-offs lock the workflow.
    pub fn locks_workflow(self) -> bool {
        matches!(self, Status::Rejected | Status::Abandoned)
    }
}

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// No issue.
    Approved,
    /// Minor issues.
    MinorIssue,
    /// Major issues.
    MajorIssue,
}

impl Verdict {
    /// Parses `approved`, `minor`, `major` (and the upper-case names).
    pub fn parse(text: &str) -> Option<Verdict> {
        match text.to_ascii_lowercase().as_str() {
            "approved" | "approve" => Some(Verdict::Approved),
            "minor" | "minor_issue" => Some(Verdict::MinorIssue),
            "major" | "major_issue" => Some(Verdict::MajorIssue),
            _ => None,
        }
    }

    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "APPROVED",
            Verdict::MinorIssue => "MINOR_ISSUE",
            Verdict::MajorIssue => "MAJOR_ISSUE",
        }
    }
}

/// One reviewer's current feedback in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    /// The feedback group.
    pub group: String,
    /// Who gave it.
    pub reviewer: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The comment.
    pub comment: Option<String>,
    /// When it was given or last edited.
    pub at: DateTime<Utc>,
    /// Given by an admin acting outside the group.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub as_admin: bool,
    /// The SHA-256 of the sign-off's bound content when it was given (`binds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Review {
    /// Whether it approves, with or without minor issues: what a change of
    /// bound content outdates. A MAJOR_ISSUE stays: a veto survives rework.
    pub fn approves(&self) -> bool {
        self.verdict != Verdict::MajorIssue
    }
}

/// The final decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    /// Approved (true) or rejected.
    pub approved: bool,
    /// Who decided.
    pub by: String,
    /// The comment.
    pub comment: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Decided by an admin acting outside the approvers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub as_admin: bool,
    /// The SHA-256 of the sign-off's bound content when it was taken (`binds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A review or a decision made outdated by a change of the bound content:
/// kept and shown, no longer counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outdated<T> {
    /// The review or decision as it was.
    pub entry: T,
    /// When it was outdated.
    pub at: DateTime<Utc>,
    /// The bound fields whose change outdated it.
    pub changed: Vec<String>,
}

/// A delegation: `to` is eligible in `from`'s place for `group` (`final` for the final approval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delegation {
    /// The feedback group, or `final`.
    pub group: String,
    /// The delegator.
    pub from: String,
    /// The delegate.
    pub to: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A finished round of reviews, archived by a reset (kept in history).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Round {
    /// The state the sign-off was in when it was reset.
    pub status: Status,
    /// Who requested the review.
    pub requester: Option<String>,
    /// The reviews of the round.
    pub reviews: Vec<Review>,
    /// The decision of the round.
    pub decision: Option<Decision>,
    /// Reviews of the round outdated by a change of bound content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outdated_reviews: Vec<Outdated<Review>>,
    /// Decisions of the round outdated by a change of bound content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outdated_decisions: Vec<Outdated<Decision>>,
    /// When the round was archived.
    pub reset_at: DateTime<Utc>,
    /// Who reset it (`scheduler` for automatic resets).
    pub reset_by: String,
}

/// Everything about one sign-off of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct SignOffState {
    /// Where it stands.
    pub status: Status,
    /// Who requested the review (or the final approval, if none was requested).
    pub requester: Option<String>,
    /// Current reviews: one per reviewer and group.
    pub reviews: Vec<Review>,
    /// The final decision, when taken.
    pub decision: Option<Decision>,
    /// Delegations of this round.
    pub delegations: Vec<Delegation>,
    /// The state left by an abandon, restored by cancel.
    pub abandoned_from: Option<Status>,
    /// When it was last approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When an approved sign-off resets by itself (`reset every`, `reset_at` hook).
    pub next_reset_at: Option<DateTime<Utc>>,
    /// A reset scheduled by someone.
    pub scheduled_reset_at: Option<DateTime<Utc>>,
    /// Archived rounds, oldest first.
    pub history: Vec<Round>,
    /// Reviews of this round outdated by a change of bound content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outdated_reviews: Vec<Outdated<Review>>,
    /// Decisions of this round outdated by a change of bound content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outdated_decisions: Vec<Outdated<Decision>>,
    /// The service-level clocks of this round, by feedback group (`final`
    /// for the final approval): when each ran, what it sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clocks: BTreeMap<String, Clock>,
    /// When the scheduler next has a reminder or an escalation to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_at: Option<DateTime<Utc>>,
}

/// The clock of one feedback group (or of the final approval): it runs
/// while the review is asked for and not given, pauses while the sign-off
/// is abandoned, and starts afresh with a reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Clock {
    /// The spans it ran, oldest first; the last is open while it runs.
    pub runs: Vec<Run>,
    /// How many reminders were sent (reminder N falls due after N periods).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reminders: u32,
    /// When it escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<DateTime<Utc>>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A span of time a clock ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Run {
    /// When it started.
    pub from: DateTime<Utc>,
    /// When it stopped; `None` while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

impl Clock {
    /// Whether it is running.
    pub fn running(&self) -> bool {
        self.runs.last().is_some_and(|r| r.to.is_none())
    }
}

impl SignOffState {
    /// Whether the clock of `group` (`final`: the final approval's) escalated this round.
    pub fn escalated(&self, group: &str) -> bool {
        self.clocks
            .get(group)
            .is_some_and(|c| c.escalated_at.is_some())
    }

    /// The earliest reset due, if any (a periodic one only counts while approved).
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        let periodic = self
            .next_reset_at
            .filter(|_| self.status == Status::Approved);
        match (periodic, self.scheduled_reset_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest time the scheduler has work on it: a reset, a reminder
    /// or an escalation.
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        match (self.due_at(), self.wake_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Reviews of `group`.
    pub fn reviews_of<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Review> + 'a {
        self.reviews.iter().filter(move |r| r.group == group)
    }

    /// How many current reviews of `group` count towards its `min`: one
    /// per slot. A delegation hands a slot over, so people linked by the
    /// delegations of `group` (at any number of removes, either way) hold
    /// one slot between them, and their reviews count once.
    pub fn counted_reviews(&self, group: &str) -> usize {
        let links: Vec<(&str, &str)> = self
            .delegations
            .iter()
            .filter(|d| d.group == group)
            .map(|d| (d.from.as_str(), d.to.as_str()))
            .collect();
        let mut slots: Vec<&str> = self
            .reviews_of(group)
            .map(|r| slot_of(&links, r.reviewer.as_str()))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots.len()
    }

    /// Whether `name` used their slot of `group` (`final`: the final
    /// approval) this round: gave a current review, or took the decision.
    pub fn slot_used(&self, group: &str, name: &str) -> bool {
        if group == "final" {
            return self.decision.as_ref().is_some_and(|d| d.by == name);
        }
        self.reviews_of(group).any(|r| r.reviewer == name)
    }
}

/// The slot `name` holds among `links` (delegator, delegate): the least
/// name of everyone linked to them, so that linked people share one.
fn slot_of<'a>(links: &[(&'a str, &'a str)], name: &'a str) -> &'a str {
    let mut seen = vec![name];
    let mut next = 0;
    while let Some(&at) = seen.get(next) {
        next += 1;
        for &(from, to) in links {
            for (a, b) in [(from, to), (to, from)] {
                if a == at && !seen.contains(&b) {
                    seen.push(b);
                }
            }
        }
    }
    seen.into_iter().min().unwrap_or(name)
}
