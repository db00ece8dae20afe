//! The action vocabulary: one enum of the actions on items and sign-offs,
//! with one canonical name each. The CLI's subcommands, the API's and the web
//! UI's paths, the audit trail, the refusals and the docs all speak it, so an
//! action is spelled the same way wherever a user meets it.
//!
//! Pure data: nothing here reads the clock, the database or the blueprints.

use std::fmt;

use chrono::{DateTime, Utc};

use super::rules::signoff::{Action, Verdict};

/// A sign-off action by name (its arguments aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// Ask the feedback groups to review.
    RequestReview,
    /// Give (or edit) feedback for a group.
    GiveFeedback,
    /// Hand one's eligibility for a group (or `final`) to another user.
    Delegate,
    /// Ask the final approver to decide.
    RequestFinalApproval,
    /// Send it back from the final approver to the reviewers.
    BackToFeedback,
    /// Approve (or edit a decision into an approval).
    Approve,
    /// Reject (or edit a decision into a rejection).
    Reject,
    /// Abandon the sign-off (locks the workflow).
    Abandon,
    /// Cancel an abandon.
    CancelAbandon,
    /// Reset to NOT_STARTED, archiving the reviews.
    Reset,
    /// Schedule a reset.
    ScheduleReset,
    /// A reset applied by the scheduler because one fell due.
    AutomaticReset,
}

impl Verb {
    /// Every sign-off action a user may ask for, in the order the docs list
    /// them (the scheduler's automatic reset aside).
    pub const REQUESTED: [Verb; 11] = [
        Verb::RequestReview,
        Verb::RequestFinalApproval,
        Verb::GiveFeedback,
        Verb::BackToFeedback,
        Verb::Approve,
        Verb::Reject,
        Verb::Abandon,
        Verb::CancelAbandon,
        Verb::Reset,
        Verb::ScheduleReset,
        Verb::Delegate,
    ];

    /// The canonical name: the CLI's `govrt signoff NAME` and the API's and
    /// web UI's `…/signoff/NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Verb::RequestReview => "request-review",
            Verb::GiveFeedback => "feedback",
            Verb::Delegate => "delegate",
            Verb::RequestFinalApproval => "request-final",
            Verb::BackToFeedback => "back-to-feedback",
            Verb::Approve => "approve",
            Verb::Reject => "reject",
            Verb::Abandon => "abandon",
            Verb::CancelAbandon => "cancel-abandon",
            Verb::Reset => "reset",
            Verb::ScheduleReset => "schedule-reset",
            Verb::AutomaticReset => "automatic-reset",
        }
    }

    /// The action in words, as refusals say it ("cannot give feedback …").
    pub fn words(self) -> &'static str {
        match self {
            Verb::RequestReview => "request review",
            Verb::GiveFeedback => "give feedback",
            Verb::Delegate => "delegate",
            Verb::RequestFinalApproval => "request final approval",
            Verb::BackToFeedback => "back to feedback",
            Verb::Approve => "approve",
            Verb::Reject => "reject",
            Verb::Abandon => "abandon",
            Verb::CancelAbandon => "cancel abandon",
            Verb::Reset => "reset",
            Verb::ScheduleReset => "schedule reset",
            Verb::AutomaticReset => "automatic reset",
        }
    }

    /// The action by its canonical name; the automatic reset is the
    /// scheduler's and has no name a user may ask for.
    pub fn from_name(name: &str) -> Option<Verb> {
        Verb::REQUESTED.into_iter().find(|v| v.name() == name)
    }

    /// What the action undoes, for the actions that undo work (they are
    /// confirmed, with a reason, before the web UI sends them).
    pub fn undoes(self) -> Option<&'static str> {
        Some(match self {
            Verb::Reset => {
                "archives the current reviews and decision and starts the sign-off over; an approval stops counting for deployment"
            }
            Verb::Abandon => {
                "locks the workflow until the abandon is canceled; deployment waits meanwhile"
            }
            Verb::Reject => {
                "rejects the sign-off and locks the workflow; deployment is blocked until it is reset"
            }
            Verb::ScheduleReset => {
                "resets the sign-off at the time given, archiving its reviews and decision"
            }
            _ => return None,
        })
    }

    /// The names users may ask for, comma-separated (for messages).
    pub fn listed() -> String {
        Verb::REQUESTED.map(Verb::name).join(", ")
    }
}

crate::text_schema!(
    Verb,
    "A sign-off action a user may ask for, by its canonical name.",
    Some(Verb::REQUESTED.iter().map(|v| v.name()).collect())
);

impl serde::Serialize for Verb {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An action on an item, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemAction {
    /// Create the item.
    Create,
    /// Set and unset fields.
    Set,
    /// Move it in its workflow.
    Move,
    /// Delete it.
    Delete,
    /// An action on one of its sign-offs.
    SignOff(Verb),
    /// The scheduler reminded the reviewers of a sign-off (`remind every`).
    Remind,
    /// The scheduler escalated a review of a sign-off (`escalate after`).
    Escalate,
}

impl ItemAction {
    /// The audit trail's name (`item.set`, `signoff.give_feedback`), also
    /// what the `after_change` hook is told.
    pub fn audit_name(self) -> &'static str {
        match self {
            ItemAction::Create => "item.create",
            ItemAction::Set => "item.set",
            ItemAction::Move => "item.move",
            ItemAction::Delete => crate::store::DELETION_ACTION,
            ItemAction::Remind => "signoff.remind",
            ItemAction::Escalate => "signoff.escalate",
            ItemAction::SignOff(verb) => match verb {
                Verb::RequestReview => "signoff.request_review",
                Verb::GiveFeedback => "signoff.give_feedback",
                Verb::Delegate => "signoff.delegate",
                Verb::RequestFinalApproval => "signoff.request_final_approval",
                Verb::BackToFeedback => "signoff.back_to_feedback",
                Verb::Approve => "signoff.approve",
                Verb::Reject => "signoff.reject",
                Verb::Abandon => "signoff.abandon",
                Verb::CancelAbandon => "signoff.cancel_abandon",
                Verb::Reset => "signoff.reset",
                Verb::ScheduleReset => "signoff.schedule_reset",
                Verb::AutomaticReset => "signoff.automatic_reset",
            },
        }
    }

    /// Whether whoever does it follows the item from then on (the book's
    /// "Notifications"): editing or saving it, giving or editing feedback or
    /// a decision, abandoning, canceling an abandon, resetting or scheduling
    /// a reset. Requests and delegations do not subscribe.
    pub fn subscribes(self) -> bool {
        matches!(
            self,
            ItemAction::Set
                | ItemAction::Move
                | ItemAction::SignOff(
                    Verb::GiveFeedback
                        | Verb::Approve
                        | Verb::Reject
                        | Verb::Abandon
                        | Verb::CancelAbandon
                        | Verb::Reset
                        | Verb::ScheduleReset
                )
        )
    }
}

/// The arguments a sign-off action may take, as a front end collected them.
#[derive(Debug, Clone, Default)]
pub struct ActionArgs {
    /// The feedback group (feedback, delegate; `final` to delegate the final approval).
    pub group: Option<String>,
    /// The feedback verdict.
    pub verdict: Option<Verdict>,
    /// A comment (feedback, approve, reject).
    pub comment: Option<String>,
    /// The delegate.
    pub to: Option<String>,
    /// When a scheduled reset happens.
    pub at: Option<DateTime<Utc>>,
}

/// An argument an action needs and was not given: its name, as the API's
/// body and the web UI's forms spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingArgument(pub &'static str);

impl Action {
    /// The action `verb` names, with its arguments from `args`.
    pub fn from_verb(verb: Verb, args: ActionArgs) -> Result<Action, MissingArgument> {
        let group = || args.group.clone().ok_or(MissingArgument("group"));
        Ok(match verb {
            Verb::RequestReview => Action::RequestReview,
            Verb::GiveFeedback => Action::GiveFeedback {
                group: group()?,
                verdict: args.verdict.ok_or(MissingArgument("verdict"))?,
                comment: args.comment,
            },
            Verb::Delegate => Action::Delegate {
                group: group()?,
                to: args.to.ok_or(MissingArgument("user"))?,
            },
            Verb::RequestFinalApproval => Action::RequestFinalApproval,
            Verb::BackToFeedback => Action::BackToFeedback,
            Verb::Approve => Action::Approve {
                comment: args.comment,
            },
            Verb::Reject => Action::Reject {
                comment: args.comment,
            },
            Verb::Abandon => Action::Abandon,
            Verb::CancelAbandon => Action::CancelAbandon,
            Verb::Reset => Action::Reset,
            Verb::ScheduleReset => Action::ScheduleReset {
                at: args.at.ok_or(MissingArgument("at"))?,
            },
            Verb::AutomaticReset => Action::AutomaticReset,
        })
    }

    /// The action's name.
    pub fn verb(&self) -> Verb {
        match self {
            Action::RequestReview => Verb::RequestReview,
            Action::GiveFeedback { .. } => Verb::GiveFeedback,
            Action::Delegate { .. } => Verb::Delegate,
            Action::RequestFinalApproval => Verb::RequestFinalApproval,
            Action::BackToFeedback => Verb::BackToFeedback,
            Action::Approve { .. } => Verb::Approve,
            Action::Reject { .. } => Verb::Reject,
            Action::Abandon => Verb::Abandon,
            Action::CancelAbandon => Verb::CancelAbandon,
            Action::Reset => Verb::Reset,
            Action::ScheduleReset { .. } => Verb::ScheduleReset,
            Action::AutomaticReset => Verb::AutomaticReset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_requested_verb_is_found_by_its_name_and_names_are_unique() {
        let mut names: Vec<&str> = Verb::REQUESTED.iter().map(|v| v.name()).collect();
        for verb in Verb::REQUESTED {
            assert_eq!(Verb::from_name(verb.name()), Some(verb));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Verb::REQUESTED.len());
        assert_eq!(Verb::from_name("automatic-reset"), None);
    }

    #[test]
    fn an_action_built_from_its_verb_has_that_verb() {
        let args = ActionArgs {
            group: Some("risk".into()),
            verdict: Some(Verdict::Approved),
            comment: None,
            to: Some("bob".into()),
            at: Some(Utc::now()),
        };
        for verb in Verb::REQUESTED.into_iter().chain([Verb::AutomaticReset]) {
            let action = Action::from_verb(verb, args.clone()).unwrap();
            assert_eq!(action.verb(), verb);
        }
        assert_eq!(
            Action::from_verb(Verb::GiveFeedback, ActionArgs::default()),
            Err(MissingArgument("group"))
        );
    }
}
