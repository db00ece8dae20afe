//! The sign-off state machine of the design notes (docs/src/design.md), as a pure function:
//! (state, action, actor, now) → (new state, events) or a refusal.
//!
//! It never reads the clock, the database or the blueprint files: the engine
//! resolves who the actor is (writer, eligible reviewer, final approver) and
//! passes it in, and stores what comes out.
//!
//! With its tests (the design notes' table case by case, and property tests over
//! random action sequences) this file is longer than the others: the rules
//! and the evidence that they hold are kept side by side on purpose.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::Refusal;
use crate::model::Duration;
pub use crate::model::signoff::{
    Decision, Delegation, Outdated, Review, Round, SignOffState, Status, Verdict,
};

/// A sign-off action (imperative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The name used in refusals ("give feedback"); see [`super::actions::Verb`].
    pub fn name(&self) -> &'static str {
        self.verb().words()
    }
}

/// What happened (past tense), for the audit trail and notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Whoever requested the review may not give the final approval.
    pub not_requester: bool,
    /// An approved sign-off is reset this long after approval.
    pub reset_every: Option<Duration>,
    /// The `required` feedback groups with their `min`: the final approval
    /// can be neither requested nor given until each has its reviews.
    pub required: Vec<(&'a str, u32)>,
    /// `no major`: no approval while any current review is MAJOR_ISSUE.
    pub no_major: bool,
    /// The SHA-256 of the bound content now (`binds`), stamped on the
    /// reviews and decisions given; `None` when the sign-off binds nothing.
    pub content: Option<String>,
}

impl Rules<'_> {
    /// The first `required` group short of its `min` current reviews.
    fn missing_feedback(&self, state: &SignOffState) -> Option<Refusal> {
        self.required.iter().find_map(|&(group, min)| {
            let have = state.reviews_of(group).count();
            (have < min as usize).then(|| Refusal::FeedbackRequired {
                group: group.to_string(),
                have,
                min,
            })
        })
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

/// The eligibilities a sign-off action depends on (see `signoff::apply`).
#[derive(Debug, Clone, Copy)]
pub enum Needed<'a> {
    /// Every group and the final approval (to list what one may do).
    Every,
    /// One feedback group.
    Group(&'a str),
    /// The final approval (deciding, and administering without write permission).
    Final,
    /// None: the action needs write permission only, or nothing.
    Nothing,
}

impl<'a> Needed<'a> {
    /// What `action` depends on: `apply` reads no other eligibility for it.
    pub fn of(action: &'a Action) -> Needed<'a> {
        match action {
            Action::RequestReview | Action::RequestFinalApproval | Action::AutomaticReset => {
                Needed::Nothing
            }
            Action::GiveFeedback { group, .. } => Needed::Group(group),
            Action::Delegate { group, .. } if group != "final" => Needed::Group(group),
            Action::Delegate { .. }
            | Action::Approve { .. }
            | Action::Reject { .. }
            | Action::BackToFeedback
            | Action::Abandon
            | Action::CancelAbandon
            | Action::Reset
            | Action::ScheduleReset { .. } => Needed::Final,
        }
    }

    /// Whether eligibility for `group` (`final`: the final approval) is needed.
    pub fn asks(self, group: &str) -> bool {
        match self {
            Needed::Every => true,
            Needed::Group(g) => g == group,
            Needed::Final => group == "final",
            Needed::Nothing => false,
        }
    }
}

/// Applies `action` by `actor` at `now` to `state`.
pub fn apply(
    state: &SignOffState,
    action: &Action,
    actor: &Actor<'_>,
    rules: &Rules<'_>,
    now: DateTime<Utc>,
) -> Result<(SignOffState, Vec<Event>), Refusal> {
    let mut next = state.clone();
    let from = state.status;
    let may_administer = actor.can_write || actor.is_final_approver || actor.is_admin;
    let events = match action {
        Action::RequestReview => {
            if from != Status::NotStarted {
                return Err(transition(from, action));
            }
            if !(actor.can_write || actor.is_admin) {
                return Err(not_permitted(
                    actor,
                    "request a review (write permission needed)",
                ));
            }
            next.status = Status::WaitingForFeedback;
            next.requester = Some(actor.name.to_string());
            vec![Event::ReviewRequested]
        }
        Action::GiveFeedback {
            group,
            verdict,
            comment,
        } => {
            if from != Status::WaitingForFeedback {
                return Err(transition(from, action));
            }
            if !rules.groups.contains(&group.as_str()) {
                return Err(Refusal::NotFound {
                    what: format!("feedback group `{group}`"),
                });
            }
            let eligible = actor.feedback_groups.iter().any(|g| g == group);
            if !eligible && !actor.is_admin {
                return Err(not_permitted(
                    actor,
                    &format!("give feedback for group `{group}`"),
                ));
            }
            let review = Review {
                group: group.clone(),
                reviewer: actor.name.to_string(),
                verdict: *verdict,
                comment: comment.clone(),
                at: now,
                as_admin: !eligible,
                content: rules.content.clone(),
            };
            let existing = next
                .reviews
                .iter_mut()
                .find(|r| r.group == *group && r.reviewer == actor.name);
            let (edited, status_changed) = match existing {
                Some(old) => {
                    let changed = old.verdict != *verdict;
                    *old = review;
                    (true, changed)
                }
                None => {
                    next.reviews.push(review);
                    (false, true)
                }
            };
            vec![Event::FeedbackGiven {
                group: group.clone(),
                verdict: *verdict,
                edited,
                status_changed,
            }]
        }
        Action::Delegate { group, to } => {
            if !matches!(
                from,
                Status::WaitingForFeedback | Status::WaitingForApproval
            ) {
                return Err(transition(from, action));
            }
            let eligible = if group == "final" {
                actor.is_final_approver
            } else {
                if !rules.groups.contains(&group.as_str()) {
                    return Err(Refusal::NotFound {
                        what: format!("feedback group `{group}`"),
                    });
                }
                actor.feedback_groups.iter().any(|g| g == group)
            };
            if !eligible && !actor.is_admin {
                return Err(not_permitted(
                    actor,
                    &format!("delegate `{group}` (only an eligible reviewer may)"),
                ));
            }
            if to == actor.name {
                return Err(Refusal::InvalidValue {
                    what: "delegate".into(),
                    why: "a reviewer cannot delegate to themselves".into(),
                });
            }
            next.delegations.push(Delegation {
                group: group.clone(),
                from: actor.name.to_string(),
                to: to.clone(),
                at: now,
            });
            vec![Event::Delegated {
                group: group.clone(),
                to: to.clone(),
            }]
        }
        Action::RequestFinalApproval => {
            if !matches!(from, Status::NotStarted | Status::WaitingForFeedback) {
                return Err(transition(from, action));
            }
            if !(actor.can_write || actor.is_admin) {
                return Err(not_permitted(
                    actor,
                    "request the final approval (write permission needed)",
                ));
            }
            if let Some(refusal) = rules.missing_feedback(state) {
                return Err(refusal);
            }
            next.status = Status::WaitingForApproval;
            if next.requester.is_none() {
                next.requester = Some(actor.name.to_string());
            }
            vec![Event::FinalApprovalRequested]
        }
        Action::BackToFeedback => {
            if from != Status::WaitingForApproval {
                return Err(transition(from, action));
            }
            if !(actor.is_final_approver || actor.is_admin) {
                return Err(not_permitted(
                    actor,
                    "send back to feedback (only a final approver may)",
                ));
            }
            next.status = Status::WaitingForFeedback;
            vec![Event::SentBackToFeedback]
        }
        Action::Approve { comment } | Action::Reject { comment } => {
            let approved = matches!(action, Action::Approve { .. });
            if !matches!(
                from,
                Status::WaitingForApproval | Status::Approved | Status::Rejected
            ) {
                return Err(transition(from, action));
            }
            if !(actor.is_final_approver || actor.is_admin) {
                return Err(not_permitted(
                    actor,
                    if approved {
                        "approve (only a final approver may)"
                    } else {
                        "reject (only a final approver may)"
                    },
                ));
            }
            if rules.not_requester && state.requester.as_deref() == Some(actor.name) {
                return Err(Refusal::NotPermitted {
                    who: actor.name.to_string(),
                    what: "decide on a sign-off they requested (`not requester`: separation of duties)".into(),
                });
            }
            if approved {
                if let Some(refusal) = rules
                    .missing_feedback(state)
                    .or_else(|| rules.open_major_issues(state))
                {
                    return Err(refusal);
                }
            }
            let edited = from != Status::WaitingForApproval;
            let target = if approved {
                Status::Approved
            } else {
                Status::Rejected
            };
            let status_changed = from != target;
            next.status = target;
            next.decision = Some(Decision {
                approved,
                by: actor.name.to_string(),
                comment: comment.clone(),
                at: now,
                as_admin: !actor.is_final_approver,
                content: rules.content.clone(),
            });
            if approved && status_changed {
                next.approved_at = Some(now);
                next.next_reset_at = rules.reset_every.and_then(|d| d.after(now));
            } else if !approved {
                next.next_reset_at = None;
            }
            vec![Event::Decided {
                approved,
                edited,
                status_changed,
            }]
        }
        Action::Abandon => {
            if from == Status::Abandoned {
                return Err(transition(from, action));
            }
            if !may_administer {
                return Err(not_permitted(
                    actor,
                    "abandon (write permission or final approver needed)",
                ));
            }
            next.abandoned_from = Some(from);
            next.status = Status::Abandoned;
            vec![Event::Abandoned]
        }
        Action::CancelAbandon => {
            if from != Status::Abandoned {
                return Err(transition(from, action));
            }
            if !may_administer {
                return Err(not_permitted(
                    actor,
                    "cancel the abandon (write permission or final approver needed)",
                ));
            }
            next.status = state.abandoned_from.unwrap_or_default();
            next.abandoned_from = None;
            vec![Event::AbandonCanceled]
        }
        Action::Reset => {
            if !may_administer {
                return Err(not_permitted(
                    actor,
                    "reset (write permission or final approver needed)",
                ));
            }
            archive(&mut next, actor.name, now);
            vec![Event::Reset { automatic: false }]
        }
        Action::ScheduleReset { at } => {
            if !may_administer {
                return Err(not_permitted(
                    actor,
                    "schedule a reset (write permission or final approver needed)",
                ));
            }
            if *at <= now {
                // It would fall due at the next tick: a reset now, without saying so.
                return Err(Refusal::InvalidValue {
                    what: format!(
                        "reset time `{}`",
                        at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    ),
                    why: "it is not in the future (to reset now, reset the sign-off)".into(),
                });
            }
            next.scheduled_reset_at = Some(*at);
            vec![Event::ResetScheduled { at: *at }]
        }
        Action::AutomaticReset => {
            let due = state.due_at().is_some_and(|d| d <= now);
            if !due {
                return Err(Refusal::InvalidTransition {
                    action: action.name().into(),
                    state: format!("{} with no reset due", from.as_str()),
                });
            }
            archive(&mut next, actor.name, now);
            vec![Event::Reset { automatic: true }]
        }
    };
    Ok((next, events))
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

/// The states an action may start from, as the table of the design notes
/// says (who acts aside).
pub fn allowed_from(action: &Action) -> &'static [Status] {
    use Status::*;
    const ANY: &[Status] = &[
        NotStarted,
        WaitingForFeedback,
        WaitingForApproval,
        Approved,
        Rejected,
        Abandoned,
    ];
    match action {
        Action::RequestReview => &[NotStarted],
        Action::GiveFeedback { .. } => &[WaitingForFeedback],
        Action::Delegate { .. } => &[WaitingForFeedback, WaitingForApproval],
        Action::RequestFinalApproval => &[NotStarted, WaitingForFeedback],
        Action::BackToFeedback => &[WaitingForApproval],
        Action::Approve { .. } | Action::Reject { .. } => &[WaitingForApproval, Approved, Rejected],
        Action::Abandon => &[
            NotStarted,
            WaitingForFeedback,
            WaitingForApproval,
            Approved,
            Rejected,
        ],
        Action::CancelAbandon => &[Abandoned],
        Action::Reset | Action::ScheduleReset { .. } | Action::AutomaticReset => ANY,
    }
}

/// Archives the current round and starts afresh.
fn archive(state: &mut SignOffState, by: &str, now: DateTime<Utc>) {
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
    state.delegations.clear();
    state.abandoned_from = None;
    state.next_reset_at = None;
    state.scheduled_reset_at = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DurationUnit;
    use proptest::prelude::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    fn rules() -> Rules<'static> {
        Rules {
            groups: vec!["it_ops", "risk"],
            not_requester: true,
            reset_every: Some(Duration {
                amount: 6,
                unit: DurationUnit::Month,
            }),
            required: vec![],
            no_major: false,
            content: None,
        }
    }

    /// `risk` is required with two reviews, and the final approval says `no major`.
    fn strict_rules() -> Rules<'static> {
        Rules {
            required: vec![("risk", 2)],
            no_major: true,
            ..rules()
        }
    }

    fn writer(name: &str) -> Actor<'_> {
        Actor {
            name,
            can_write: true,
            feedback_groups: vec![],
            is_final_approver: false,
            is_admin: false,
        }
    }

    fn reviewer<'a>(name: &'a str, group: &str) -> Actor<'a> {
        Actor {
            name,
            can_write: false,
            feedback_groups: vec![group.to_string()],
            is_final_approver: false,
            is_admin: false,
        }
    }

    fn approver(name: &str) -> Actor<'_> {
        Actor {
            name,
            can_write: false,
            feedback_groups: vec![],
            is_final_approver: true,
            is_admin: false,
        }
    }

    fn run(
        state: &SignOffState,
        action: Action,
        actor: &Actor<'_>,
    ) -> Result<SignOffState, Refusal> {
        apply(state, &action, actor, &rules(), t(0)).map(|(s, _)| s)
    }

    #[test]
    fn the_happy_path_of_the_table() {
        let s = SignOffState::default();
        let s = run(&s, Action::RequestReview, &writer("owner")).unwrap();
        assert_eq!(s.status, Status::WaitingForFeedback);
        let s = run(
            &s,
            Action::GiveFeedback {
                group: "risk".into(),
                verdict: Verdict::MinorIssue,
                comment: None,
            },
            &reviewer("r", "risk"),
        )
        .unwrap();
        let (s, events) = apply(
            &s,
            &Action::GiveFeedback {
                group: "risk".into(),
                verdict: Verdict::MinorIssue,
                comment: Some("typo".into()),
            },
            &reviewer("r", "risk"),
            &rules(),
            t(1),
        )
        .unwrap();
        assert_eq!(s.reviews.len(), 1, "re-submitting edits the review");
        assert_eq!(
            events,
            vec![Event::FeedbackGiven {
                group: "risk".into(),
                verdict: Verdict::MinorIssue,
                edited: true,
                status_changed: false
            }]
        );
        let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
        let s = run(&s, Action::BackToFeedback, &approver("boss")).unwrap();
        assert_eq!(s.status, Status::WaitingForFeedback);
        let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
        let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
        assert_eq!(s.status, Status::Approved);
        assert_eq!(
            s.next_reset_at,
            Some(t(0).checked_add_months(chrono::Months::new(6)).unwrap())
        );
        let s = run(
            &s,
            Action::Reject {
                comment: Some("changed my mind".into()),
            },
            &approver("boss"),
        )
        .unwrap();
        assert_eq!(s.status, Status::Rejected);
        assert!(s.status.locks_workflow());
    }

    #[test]
    fn refusals_name_what_was_wrong() {
        let s = SignOffState::default();
        assert!(matches!(
            run(&s, Action::RequestReview, &reviewer("r", "risk")),
            Err(Refusal::NotPermitted { .. })
        ));
        assert!(matches!(
            run(&s, Action::BackToFeedback, &approver("a")),
            Err(Refusal::InvalidTransition { .. })
        ));
        let s = run(&s, Action::RequestReview, &writer("owner")).unwrap();
        let outsider = reviewer("x", "it_ops");
        assert!(matches!(
            run(
                &s,
                Action::GiveFeedback {
                    group: "risk".into(),
                    verdict: Verdict::Approved,
                    comment: None
                },
                &outsider
            ),
            Err(Refusal::NotPermitted { .. })
        ));
        let s = run(&s, Action::RequestFinalApproval, &writer("owner")).unwrap();
        let requester_as_approver = Actor {
            is_final_approver: true,
            ..writer("owner")
        };
        assert!(matches!(
            run(
                &s,
                Action::Approve { comment: None },
                &requester_as_approver
            ),
            Err(Refusal::NotPermitted { .. })
        ));
    }

    #[test]
    fn final_approval_needs_no_feedback() {
        let s = run(
            &SignOffState::default(),
            Action::RequestFinalApproval,
            &writer("owner"),
        )
        .unwrap();
        let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
        assert_eq!(s.status, Status::Approved);
    }

    #[test]
    fn automatic_reset_waits_for_its_time_and_archives() {
        let s = run(
            &SignOffState::default(),
            Action::RequestFinalApproval,
            &writer("owner"),
        )
        .unwrap();
        let s = run(&s, Action::Approve { comment: None }, &approver("boss")).unwrap();
        let scheduler = Actor {
            name: "scheduler",
            can_write: false,
            feedback_groups: vec![],
            is_final_approver: false,
            is_admin: true,
        };
        assert!(apply(&s, &Action::AutomaticReset, &scheduler, &rules(), t(24)).is_err());
        let later = s.next_reset_at.unwrap();
        let (s, events) = apply(&s, &Action::AutomaticReset, &scheduler, &rules(), later).unwrap();
        assert_eq!(s.status, Status::NotStarted);
        assert_eq!(s.history.len(), 1);
        assert_eq!(
            s.history[0].decision.as_ref().map(|d| d.approved),
            Some(true)
        );
        assert_eq!(events, vec![Event::Reset { automatic: true }]);
    }

    #[derive(Debug, Clone)]
    enum Who {
        Writer,
        Reviewer(usize),
        Approver,
        Admin,
        Nobody,
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::RequestReview),
            (0usize..3, 0usize..3, any::<bool>()).prop_map(|(g, v, c)| Action::GiveFeedback {
                group: ["it_ops", "risk", "nope"][g].to_string(),
                verdict: [Verdict::Approved, Verdict::MinorIssue, Verdict::MajorIssue][v],
                comment: c.then(|| "c".to_string()),
            }),
            (0usize..3).prop_map(|g| Action::Delegate {
                group: ["it_ops", "risk", "final"][g].to_string(),
                to: "delegate".into()
            }),
            Just(Action::RequestFinalApproval),
            Just(Action::BackToFeedback),
            Just(Action::Approve { comment: None }),
            Just(Action::Reject { comment: None }),
            Just(Action::Abandon),
            Just(Action::CancelAbandon),
            Just(Action::Reset),
            (0i64..100).prop_map(|h| Action::ScheduleReset { at: t(h) }),
            Just(Action::AutomaticReset),
        ]
    }

    fn any_actor() -> impl Strategy<Value = Who> {
        prop_oneof![
            Just(Who::Writer),
            (0usize..2).prop_map(Who::Reviewer),
            Just(Who::Approver),
            Just(Who::Admin),
            Just(Who::Nobody)
        ]
    }

    fn actor_of(who: &Who) -> Actor<'static> {
        match who {
            Who::Writer => writer("owner"),
            Who::Reviewer(0) => reviewer("rev_it", "it_ops"),
            Who::Reviewer(_) => reviewer("rev_risk", "risk"),
            Who::Approver => approver("boss"),
            Who::Admin => Actor {
                name: "admin",
                can_write: false,
                feedback_groups: vec![],
                is_final_approver: false,
                is_admin: true,
            },
            Who::Nobody => Actor {
                name: "nobody",
                can_write: false,
                feedback_groups: vec![],
                is_final_approver: false,
                is_admin: false,
            },
        }
    }

    /// Whether the table of the design notes (docs/src/design.md) allows `action` from `from` (who aside).
    fn table_allows(from: Status, action: &Action) -> bool {
        allowed_from(action).contains(&from)
    }

    fn reviews_count(s: &SignOffState) -> usize {
        s.reviews.len() + s.history.iter().map(|r| r.reviews.len()).sum::<usize>()
    }

    /// An actor with random eligibilities, and the same actor with the
    /// eligibilities `needed` does not ask about changed at random.
    fn actors_differing_outside(
        needed: Needed<'_>,
        groups: [bool; 3],
        final_approver: bool,
        noise: [bool; 4],
        can_write: bool,
        is_admin: bool,
    ) -> (Actor<'static>, Actor<'static>) {
        let names = ["it_ops", "risk", "nope"];
        let of = |flags: [bool; 3]| -> Vec<String> {
            names
                .iter()
                .zip(flags)
                .filter(|(_, on)| *on)
                .map(|(g, _)| g.to_string())
                .collect()
        };
        let mut other = groups;
        for (i, g) in names.iter().enumerate() {
            if !needed.asks(g) {
                other[i] = noise[i];
            }
        }
        let actor = |groups, is_final_approver| Actor {
            name: "someone",
            can_write,
            feedback_groups: of(groups),
            is_final_approver,
            is_admin,
        };
        let other_final = if needed.asks("final") {
            final_approver
        } else {
            noise[3]
        };
        (actor(groups, final_approver), actor(other, other_final))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Whatever the history given on content `a` or `b`, a change to `b`
        /// leaves no approving review or decision given on other content
        /// counted, keeps every MAJOR_ISSUE, loses nothing (current and
        /// outdated together are what there was), and leaves the sign-off
        /// waiting for feedback (or not started when nobody requested it).
        #[test]
        fn a_change_of_bound_content_outdates_exactly_what_was_given_on_other_content(
            steps in prop::collection::vec((any_action(), any_actor(), any::<bool>()), 1..30),
        ) {
            let mut state = SignOffState::default();
            for (action, who, on_b) in steps {
                let rules = Rules { content: Some(if on_b { "b" } else { "a" }.into()), ..rules() };
                if let Ok((next, _)) = apply(&state, &action, &actor_of(&who), &rules, t(1)) {
                    state = next;
                }
            }
            let changed = vec!["metrics".to_string()];
            match outdate(&state, "b", &changed, t(2)) {
                None => {
                    let stale = state.reviews.iter().any(|r| r.approves() && r.content.as_deref() != Some("b"))
                        || state.decision.as_ref().is_some_and(|d| d.content.as_deref() != Some("b"));
                    prop_assert!(!stale || matches!(state.status, Status::NotStarted | Status::Abandoned));
                }
                Some((next, event)) => {
                    prop_assert!(next.reviews.iter().all(|r| !r.approves() || r.content.as_deref() == Some("b")));
                    prop_assert!(next.decision.as_ref().is_none_or(|d| d.content.as_deref() == Some("b")));
                    let majors = |s: &SignOffState| s.reviews.iter().filter(|r| !r.approves()).count();
                    prop_assert_eq!(majors(&next), majors(&state));
                    prop_assert_eq!(
                        next.reviews.len() + next.outdated_reviews.len(),
                        state.reviews.len() + state.outdated_reviews.len()
                    );
                    let expected = if next.requester.is_some() { Status::WaitingForFeedback } else { Status::NotStarted };
                    prop_assert_eq!(next.status, expected);
                    let Event::Outdated { reviews, decision, .. } = event else {
                        return Err(TestCaseError::fail("not an outdating"));
                    };
                    prop_assert_eq!(reviews.len(), next.outdated_reviews.len() - state.outdated_reviews.len());
                    prop_assert_eq!(decision.is_some(), state.decision.is_some() && next.decision.is_none());
                    // Outdating twice changes nothing more.
                    prop_assert!(outdate(&next, "b", &changed, t(3)).is_none());
                }
            }
        }

        /// `Needed::of` is what `apply` reads: eligibilities outside it never
        /// change the outcome, so the engine may skip asking hooks about them.
        #[test]
        fn apply_reads_only_the_needed_eligibilities(
            prefix in prop::collection::vec((any_action(), any_actor()), 0..12),
            action in any_action(),
            groups in any::<[bool; 3]>(),
            final_approver in any::<bool>(),
            noise in any::<[bool; 4]>(),
            can_write in any::<bool>(),
            is_admin in any::<bool>(),
        ) {
            let mut state = SignOffState::default();
            for (a, who) in prefix {
                if let Ok((next, _)) = apply(&state, &a, &actor_of(&who), &rules(), t(1)) {
                    state = next;
                }
            }
            let (one, other) = actors_differing_outside(
                Needed::of(&action), groups, final_approver, noise, can_write, is_admin,
            );
            let a = apply(&state, &action, &one, &rules(), t(2));
            let b = apply(&state, &action, &other, &rules(), t(2));
            prop_assert_eq!(a, b);
        }

        /// Under a required group and `no major`, no sequence of actions by
        /// anyone reaches a final approval request or an approval without the
        /// group's `min` current reviews, nor an approval over a current
        /// MAJOR_ISSUE; and the strict rules refuse only what the plain ones
        /// allow for those reasons.
        #[test]
        fn required_feedback_and_no_major_cannot_be_skipped(
            steps in prop::collection::vec((any_action(), any_actor(), 0i64..48), 1..40),
        ) {
            let strict = strict_rules();
            let mut state = SignOffState::default();
            for (action, who, hour) in steps {
                let actor = actor_of(&who);
                let plain = apply(&state, &action, &actor, &rules(), t(hour));
                match apply(&state, &action, &actor, &strict, t(hour)) {
                    Ok((next, events)) => {
                        prop_assert_eq!(plain, Ok((next.clone(), events.clone())));
                        let risk = state.reviews_of("risk").count();
                        let major = state.reviews.iter().any(|r| r.verdict == Verdict::MajorIssue);
                        if action == Action::RequestFinalApproval {
                            prop_assert!(risk >= 2);
                        }
                        if matches!(action, Action::Approve { .. }) {
                            prop_assert!(risk >= 2 && !major);
                        }
                        state = next;
                    }
                    Err(Refusal::FeedbackRequired { .. } | Refusal::MajorIssueOpen { .. }) => {
                        let gated = matches!(action, Action::RequestFinalApproval | Action::Approve { .. });
                        prop_assert!(gated);
                    }
                    Err(refusal) => prop_assert_eq!(plain, Err(refusal)),
                }
            }
        }

        #[test]
        fn random_sequences_stay_within_the_table(steps in prop::collection::vec((any_action(), any_actor(), 0i64..48), 1..40)) {
            let mut state = SignOffState::default();
            for (action, who, hour) in steps {
                let actor = actor_of(&who);
                let before = state.clone();
                match apply(&state, &action, &actor, &rules(), t(hour)) {
                    Ok((next, events)) => {
                        prop_assert!(table_allows(before.status, &action), "{action:?} allowed from {:?}", before.status);
                        prop_assert!(!events.is_empty());
                        // No review is ever lost: current + archived never shrinks.
                        prop_assert!(reviews_count(&next) >= reviews_count(&before));
                        // At most one current review per reviewer and group.
                        let mut keys: Vec<_> = next.reviews.iter().map(|r| (&r.group, &r.reviewer)).collect();
                        keys.sort();
                        let n = keys.len();
                        keys.dedup();
                        prop_assert_eq!(n, keys.len());
                        if next.status == Status::Approved || next.status == Status::Rejected {
                            prop_assert!(next.decision.is_some());
                        }
                        // Abandon then cancel is the identity (but for the audit trail).
                        if action == Action::Abandon {
                            let (back, _) = apply(&next, &Action::CancelAbandon, &actor, &rules(), t(hour)).unwrap();
                            prop_assert_eq!(&back, &before);
                        }
                        state = next;
                    }
                    Err(_) => prop_assert_eq!(&state, &before),
                }
            }
        }
    }
}
