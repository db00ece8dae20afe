//! The sign-off state machine of the design notes (docs/src/design.md), as a pure function:
//! (state, action, actor, now) → (new state, events) or a refusal.
//!
//! It never reads the clock, the database or the blueprint files: the engine
//! resolves who the actor is (writer, eligible reviewer, final approver) and
//! passes it in, and stores what comes out.
//!
//! Its tests (the design notes' table case by case, and property tests over
//! random action sequences) are in `signoff/tests.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::refusal::Refusal;
use crate::model::Duration;
pub use crate::model::signoff::{
    Decision, Delegation, Outdated, Review, Round, SignOffState, Status, Verdict,
};

/// A sign-off action (imperative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Ask the feedback groups to review.
    RequestReview,
    /// Give (or edit) feedback for a group.
    GiveFeedback {
        /// The group.
        group: String,
        /// The verdict.
        verdict: Verdict,
        /// The comment.
        comment: Option<String>,
    },
    /// Hand one's eligibility for a group (or `final`) to another user.
    Delegate {
        /// The group, or `final`.
        group: String,
        /// The delegate.
        to: String,
    },
    /// Ask the final approver to decide.
    RequestFinalApproval,
    /// Send it back from the final approver to the reviewers.
    BackToFeedback,
    /// Approve (or edit a decision into an approval).
    Approve {
        /// The comment.
        comment: Option<String>,
    },
    /// Reject (or edit a decision into a rejection).
    Reject {
        /// The comment.
        comment: Option<String>,
    },
    /// Abandon the sign-off (locks the workflow).
    Abandon,
    /// Cancel an abandon, restoring the state and reviews.
    CancelAbandon,
    /// Reset to NOT_STARTED, archiving the reviews.
    Reset,
    /// Schedule a reset.
    ScheduleReset {
        /// When.
        at: DateTime<Utc>,
    },
    /// A reset applied by the scheduler because one fell due.
    AutomaticReset,
}

impl Action {
    /// The feedback group the action is for (`final`: the final approval),
    /// for the actions that name one.
    pub fn group(&self) -> Option<&str> {
        match self {
            Action::GiveFeedback { group, .. } | Action::Delegate { group, .. } => Some(group),
            _ => None,
        }
    }

    /// The name used in refusals ("give feedback"); see `actions::Verb`.
    pub fn name(&self) -> &'static str {
        self.verb().words()
    }
}

/// What happened (past tense), for the audit trail and notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A review was requested.
    ReviewRequested,
    /// Feedback was given; `edited` when it replaced the reviewer's earlier one.
    FeedbackGiven {
        /// The group.
        group: String,
        /// The verdict.
        verdict: Verdict,
        /// Whether it replaced earlier feedback.
        edited: bool,
        /// Whether the verdict changed (false for comment-only edits).
        status_changed: bool,
    },
    /// Eligibility was delegated.
    Delegated {
        /// The group, or `final`.
        group: String,
        /// The delegate.
        to: String,
    },
    /// The final approval was requested.
    FinalApprovalRequested,
    /// Sent back to feedback.
    SentBackToFeedback,
    /// Approved or rejected; `edited` when it changed an earlier decision.
    Decided {
        /// Approved (true) or rejected.
        approved: bool,
        /// Whether it replaced an earlier decision.
        edited: bool,
        /// Whether the decision changed (false for comment-only edits).
        status_changed: bool,
    },
    /// Abandoned.
    Abandoned,
    /// The abandon was canceled.
    AbandonCanceled,
    /// Reset; `automatic` when the scheduler did it.
    Reset {
        /// Done by the scheduler.
        automatic: bool,
    },
    /// A reset was scheduled.
    ResetScheduled {
        /// When.
        at: DateTime<Utc>,
    },
    /// A change of bound content outdated approving reviews and the decision.
    Outdated {
        /// The bound fields that changed.
        changed: Vec<String>,
        /// The reviews outdated: (group, reviewer).
        reviews: Vec<(String, String)>,
        /// The final decision outdated, if one was: approved (true) or rejected.
        decision: Option<bool>,
    },
    /// An admin kept the reviews and the decision through a change of bound
    /// content (`--keep-approvals`).
    ApprovalsKept {
        /// The bound fields that changed.
        changed: Vec<String>,
    },
    /// The scheduler reminded who has not reviewed (`remind every`).
    Reminded {
        /// The group, or `final`.
        group: String,
        /// The reminder's number this round.
        number: u32,
    },
    /// The review was escalated (`escalate after … to …`).
    Escalated {
        /// The group, or `final`.
        group: String,
        /// The escalation principals, as written.
        to: Vec<String>,
        /// They became eligible (`grant`).
        grant: bool,
    },
}

impl Event {
    /// What an outdating did, in words: `the approval outdated by a change
    /// of metrics, with 2 reviews`; `None` for any other event.
    pub fn outdated_words(&self) -> Option<String> {
        let Event::Outdated {
            changed,
            reviews,
            decision,
        } = self
        else {
            return None;
        };
        let reviews = match reviews.len() {
            0 => String::new(),
            1 => "1 review".to_string(),
            n => format!("{n} reviews"),
        };
        let by = format!("outdated by a change of {}", changed.join(", "));
        Some(match decision {
            Some(approved) => {
                let d = if *approved {
                    "the approval"
                } else {
                    "the rejection"
                };
                if reviews.is_empty() {
                    format!("{d} {by}")
                } else {
                    format!("{d} {by}, with {reviews}")
                }
            }
            None => format!("{reviews} {by}"),
        })
    }

    /// The event's name, as the audit trail writes it (`feedback_given`).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ReviewRequested => "review_requested",
            Event::FeedbackGiven { .. } => "feedback_given",
            Event::Delegated { .. } => "delegated",
            Event::FinalApprovalRequested => "final_approval_requested",
            Event::SentBackToFeedback => "sent_back_to_feedback",
            Event::Decided { .. } => "decided",
            Event::Abandoned => "abandoned",
            Event::AbandonCanceled => "abandon_canceled",
            Event::Reset { .. } => "reset",
            Event::ResetScheduled { .. } => "reset_scheduled",
            Event::Outdated { .. } => "outdated",
            Event::ApprovalsKept { .. } => "approvals_kept",
            Event::Reminded { .. } => "reminded",
            Event::Escalated { .. } => "escalated",
        }
    }
}

/// Who is acting, as the engine resolved it for this item and sign-off.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    /// The user or API key name (`scheduler` for the scheduler).
    pub name: &'a str,
    /// Has write permission on the item.
    pub can_write: bool,
    /// The feedback groups the actor may review (delegations applied).
    pub feedback_groups: Vec<String>,
    /// May give the final approval (delegations applied).
    pub is_final_approver: bool,
    /// An admin: may act for anyone (recorded).
    pub is_admin: bool,
}

/// The static rules of one sign-off, from the blueprint.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    /// The ids of the feedback groups.
    pub groups: Vec<&'a str>,
    /// Each group's `min` (a group not listed needs 1 review): when its
    /// service-level clock stops.
    pub mins: Vec<(&'a str, u32)>,
    /// The groups (and `final`) with a service level: those whose clocks
    /// are kept.
    pub clocked: Vec<&'a str>,
    /// The slots (feedback groups, `final`) whoever requested the review
    /// may not act for (`not requester`).
    pub not_requester: Vec<&'a str>,
    /// Whoever gave feedback in this round may not decide (`not reviewer`).
    pub not_reviewer: bool,
    /// The people the slots' `not PRINCIPALS` exclude, among those the
    /// action concerns, as the engine resolved them on the item.
    pub excluded: Vec<Excluded>,
    /// An approved sign-off is reset this long after approval.
    pub reset_every: Option<Duration>,
    /// An automatic reset requests the review again, of the same
    /// reviewers, for the same requester (`rerequest`).
    pub rerequest: bool,
    /// The `required` feedback groups with their `min`: the final approval
    /// can be neither requested nor given until each has its reviews.
    pub required: Vec<(&'a str, u32)>,
    /// `no major`: no approval while any current review is MAJOR_ISSUE.
    pub no_major: bool,
    /// The SHA-256 of the bound content now (`binds`), stamped on the
    /// reviews and decisions given; `None` when the sign-off binds nothing.
    pub content: Option<String>,
}

/// Someone a slot's `not PRINCIPALS` excludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    /// The feedback group, or `final`.
    pub slot: String,
    /// The user or API key.
    pub name: String,
    /// Why, e.g. "`not field developer` names them".
    pub why: String,
}

impl Rules<'_> {
    /// The first `required` group short of its `min` current reviews.
    fn missing_feedback(&self, state: &SignOffState) -> Option<Refusal> {
        self.required.iter().find_map(|&(group, min)| {
            let have = state.counted_reviews(group);
            (have < min as usize).then(|| Refusal::FeedbackRequired {
                group: group.to_string(),
                have,
                min,
            })
        })
    }

    /// Why `name` may not act for `group` (`final`: the final approval) of
    /// this sign-off, whatever grants they hold: the slot's own constraints
    /// (`not requester`, `not reviewer`, `not PRINCIPALS`). A barred person
    /// can neither act for the slot nor delegate it, nor be its delegate.
    pub fn barred(&self, state: &SignOffState, group: &str, name: &str) -> Option<String> {
        if self.not_requester.contains(&group) && state.requester.as_deref() == Some(name) {
            return Some(
                "they requested the sign-off (`not requester`: separation of duties)".into(),
            );
        }
        if group == "final" && self.not_reviewer && state.reviews.iter().any(|r| r.reviewer == name)
        {
            return Some(
                "they gave feedback in this round (`not reviewer`: separation of duties)".into(),
            );
        }
        self.excluded
            .iter()
            .find(|e| e.slot == group && e.name == name)
            .map(|e| format!("{} (separation of duties)", e.why))
    }

    /// Under `no major`, the reviewers whose current review is MAJOR_ISSUE.
    fn open_major_issues(&self, state: &SignOffState) -> Option<Refusal> {
        let reviewers: Vec<String> = state
            .reviews
            .iter()
            .filter(|r| r.verdict == Verdict::MajorIssue)
            .map(|r| r.reviewer.clone())
            .collect();
        (self.no_major && !reviewers.is_empty()).then_some(Refusal::MajorIssueOpen { reviewers })
    }
}

fn transition(from: Status, action: &Action) -> Refusal {
    Refusal::InvalidTransition {
        action: action.name().to_string(),
        state: from.as_str().to_string(),
    }
}

fn not_permitted(actor: &Actor<'_>, what: &str) -> Refusal {
    Refusal::NotPermitted {
        who: actor.name.to_string(),
        what: what.to_string(),
    }
}

/// What a change of the bound content does to a sign-off (DESIGN "Bound
/// content"): the approving reviews and the decision not given on `content`
/// become outdated (kept, no longer counted), MAJOR_ISSUE reviews stay, and
/// the sign-off takes the state the rest gives: WAITING_FOR_FEEDBACK if a
/// review was requested, else NOT_STARTED. `None` when nothing is outdated
/// (nothing was given on other content, or the sign-off is not started or
/// abandoned: an abandon keeps what it froze).
pub fn outdate(
    state: &SignOffState,
    rules: &Rules<'_>,
    content: &str,
    changed: &[String],
    now: DateTime<Utc>,
) -> Option<(SignOffState, Event)> {
    if matches!(state.status, Status::NotStarted | Status::Abandoned) {
        return None;
    }
    let stale = |c: &Option<String>| c.as_deref() != Some(content);
    let mut next = state.clone();
    let (gone, kept): (Vec<Review>, Vec<Review>) = std::mem::take(&mut next.reviews)
        .into_iter()
        .partition(|r| r.approves() && stale(&r.content));
    next.reviews = kept;
    let decision = next.decision.take_if(|d| stale(&d.content));
    if gone.is_empty() && decision.is_none() {
        return None;
    }
    let event = Event::Outdated {
        changed: changed.to_vec(),
        reviews: gone
            .iter()
            .map(|r| (r.group.clone(), r.reviewer.clone()))
            .collect(),
        decision: decision.as_ref().map(|d| d.approved),
    };
    let outdated = |entry| Outdated {
        entry,
        at: now,
        changed: changed.to_vec(),
    };
    next.outdated_reviews.extend(gone.into_iter().map(outdated));
    if let Some(d) = decision {
        next.outdated_decisions.push(Outdated {
            entry: d,
            at: now,
            changed: changed.to_vec(),
        });
    }
    next.status = if next.requester.is_some() {
        Status::WaitingForFeedback
    } else {
        Status::NotStarted
    };
    next.next_reset_at = None;
    clocks::settle(&mut next, rules, now);
    Some((next, event))
}

/// Stamps the current reviews and the decision with `content`: an admin's
/// `--keep-approvals` says they hold for the changed content.
pub fn keep(state: &SignOffState, content: &str) -> SignOffState {
    let mut next = state.clone();
    for r in &mut next.reviews {
        r.content = Some(content.to_string());
    }
    if let Some(d) = &mut next.decision {
        d.content = Some(content.to_string());
    }
    next
}

/// Archives the current round and starts afresh.
pub(crate) fn archive(state: &mut SignOffState, by: &str, now: DateTime<Utc>) {
    let round = Round {
        status: state.status,
        requester: state.requester.take(),
        reviews: std::mem::take(&mut state.reviews),
        decision: state.decision.take(),
        outdated_reviews: std::mem::take(&mut state.outdated_reviews),
        outdated_decisions: std::mem::take(&mut state.outdated_decisions),
        reset_at: now,
        reset_by: by.to_string(),
    };
    state.history.push(round);
    state.status = Status::NotStarted;
    state.approved_at = None;
    state.delegations.clear();
    state.abandoned_from = None;
    state.next_reset_at = None;
    state.scheduled_reset_at = None;
    state.clocks.clear();
    state.wake_at = None;
}

mod apply;
pub mod clocks;

pub use apply::apply;
/// The sign-off events of one action, as the state machine made them: what
/// decides the mail the action sends.
#[derive(Debug, Clone)]
pub(crate) struct SignOffEvents {
    /// The step whose sign-off it is.
    pub(crate) step: String,
    /// What happened.
    pub(crate) events: Vec<Event>,
    /// A review or final-approval request that mails the eligible reviewers.
    pub(crate) notify: bool,
    /// What the actor wrote with it (a comment or a reason), for the mail.
    pub(crate) note: Option<String>,
}

/// The static rules of a sign-off, as the state machine takes them.
pub(crate) fn rules_of(spec: &crate::model::SignOff) -> Rules<'_> {
    Rules {
        groups: spec.feedback.iter().map(|g| g.id.as_str()).collect(),
        clocked: super::sla::levels(spec).map(|(group, _)| group).collect(),
        mins: spec
            .feedback
            .iter()
            .map(|g| (g.id.as_str(), g.min))
            .collect(),
        not_requester: spec
            .feedback
            .iter()
            .filter(|g| g.exclude.not_requester)
            .map(|g| g.id.as_str())
            .chain(spec.final_approval.exclude.not_requester.then_some("final"))
            .collect(),
        not_reviewer: spec.final_approval.exclude.not_reviewer,
        excluded: Vec::new(),
        reset_every: spec.reset_every,
        rerequest: spec.rerequest,
        required: spec
            .feedback
            .iter()
            .filter(|g| g.required)
            .map(|g| (g.id.as_str(), g.min))
            .collect(),
        no_major: spec.final_approval.no_major,
        content: None,
    }
}

#[cfg(test)]
mod tests;
