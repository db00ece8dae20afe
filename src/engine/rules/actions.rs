//! The sign-off actions, declared once: each action's canonical name, its
//! words, its audit name, the states it may be taken from, who may take
//! it, whether it subscribes and what it undoes ([`ACTIONS`]). The CLI's
//! subcommands, the API's and the web UI's paths, the audit trail, the
//! refusals, the state machine's guards and `explain` all read it.
//!
//! Pure data: nothing here reads the clock, the database or the blueprints.

use std::fmt;

use chrono::{DateTime, Utc};

use super::signoff::{Action, Status, Verdict};

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

/// Who may take a sign-off action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takers {
    /// Whoever may write the item (or an admin).
    Writers,
    /// An eligible reviewer of the action's feedback group (`final`: a
    /// final approver), or an admin.
    Reviewers,
    /// A final approver, or an admin.
    FinalApprovers,
    /// Whoever may write the item or is a final approver, or an admin.
    Administrators,
    /// The scheduler, when a reset falls due.
    Scheduler,
}

/// One sign-off action, declared once: every front end, the audit trail,
/// the state machine's guards and `explain` read it here.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    /// The action.
    pub verb: Verb,
    /// Its canonical name: the CLI's `govrt signoff NAME` and the API's and
    /// web UI's `…/signoff/NAME`.
    pub name: &'static str,
    /// The action in words, as refusals say it ("cannot give feedback …").
    pub words: &'static str,
    /// The audit trail's name of the action.
    pub audit: &'static str,
    /// The states it may be taken from.
    pub from: &'static [Status],
    /// Who may take it.
    pub takers: Takers,
    /// Whoever takes it follows the item from then on (the book's
    /// "Notifications"); requests and delegations do not subscribe.
    pub subscribes: bool,
    /// What it undoes, for the actions that undo work (they are confirmed,
    /// with a reason, before the web UI sends them).
    pub undoes: Option<&'static str>,
}

use Status::{Abandoned, Approved, NotStarted, Rejected, WaitingForApproval, WaitingForFeedback};

/// Every state but NOT_APPLICABLE (from which no action applies).
const ANY: &[Status] = &[
    NotStarted,
    WaitingForFeedback,
    WaitingForApproval,
    Approved,
    Rejected,
    Abandoned,
];

/// The sign-off actions, in the order of [`Verb`]'s variants.
pub const ACTIONS: [ActionSpec; 12] = [
    ActionSpec {
        verb: Verb::RequestReview,
        name: "request-review",
        words: "request review",
        audit: "signoff.request_review",
        from: &[NotStarted],
        takers: Takers::Writers,
        subscribes: false,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::GiveFeedback,
        name: "feedback",
        words: "give feedback",
        audit: "signoff.give_feedback",
        from: &[WaitingForFeedback],
        takers: Takers::Reviewers,
        subscribes: true,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::Delegate,
        name: "delegate",
        words: "delegate",
        audit: "signoff.delegate",
        from: &[WaitingForFeedback, WaitingForApproval],
        takers: Takers::Reviewers,
        subscribes: false,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::RequestFinalApproval,
        name: "request-final",
        words: "request final approval",
        audit: "signoff.request_final_approval",
        from: &[NotStarted, WaitingForFeedback],
        takers: Takers::Writers,
        subscribes: false,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::BackToFeedback,
        name: "back-to-feedback",
        words: "back to feedback",
        audit: "signoff.back_to_feedback",
        from: &[WaitingForApproval],
        takers: Takers::FinalApprovers,
        subscribes: false,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::Approve,
        name: "approve",
        words: "approve",
        audit: "signoff.approve",
        from: &[WaitingForApproval, Approved, Rejected],
        takers: Takers::FinalApprovers,
        subscribes: true,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::Reject,
        name: "reject",
        words: "reject",
        audit: "signoff.reject",
        from: &[WaitingForApproval, Approved, Rejected],
        takers: Takers::FinalApprovers,
        subscribes: true,
        undoes: Some(
            "rejects the sign-off and locks the workflow; deployment is blocked until it is reset",
        ),
    },
    ActionSpec {
        verb: Verb::Abandon,
        name: "abandon",
        words: "abandon",
        audit: "signoff.abandon",
        from: &[
            NotStarted,
            WaitingForFeedback,
            WaitingForApproval,
            Approved,
            Rejected,
        ],
        takers: Takers::Administrators,
        subscribes: true,
        undoes: Some(
            "locks the workflow until the abandon is canceled; deployment waits meanwhile",
        ),
    },
    ActionSpec {
        verb: Verb::CancelAbandon,
        name: "cancel-abandon",
        words: "cancel abandon",
        audit: "signoff.cancel_abandon",
        from: &[Abandoned],
        takers: Takers::Administrators,
        subscribes: true,
        undoes: None,
    },
    ActionSpec {
        verb: Verb::Reset,
        name: "reset",
        words: "reset",
        audit: "signoff.reset",
        from: ANY,
        takers: Takers::Administrators,
        subscribes: true,
        undoes: Some(
            "archives the current reviews and decision and starts the sign-off over; an approval stops counting for deployment",
        ),
    },
    ActionSpec {
        verb: Verb::ScheduleReset,
        name: "schedule-reset",
        words: "schedule reset",
        audit: "signoff.schedule_reset",
        from: ANY,
        takers: Takers::Administrators,
        subscribes: true,
        undoes: Some("resets the sign-off at the time given, archiving its reviews and decision"),
    },
    ActionSpec {
        verb: Verb::AutomaticReset,
        name: "automatic-reset",
        words: "automatic reset",
        audit: "signoff.automatic_reset",
        from: ANY,
        takers: Takers::Scheduler,
        subscribes: false,
        undoes: None,
    },
];

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
        match action.verb().spec().takers {
            Takers::Writers | Takers::Scheduler => Needed::Nothing,
            Takers::Reviewers => match action.group() {
                Some(group) if group != "final" => Needed::Group(group),
                _ => Needed::Final,
            },
            Takers::FinalApprovers | Takers::Administrators => Needed::Final,
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

/// The states an action may start from, as the table of the design notes
/// says (who acts aside).
pub fn allowed_from(action: &Action) -> &'static [Status] {
    action.verb().spec().from
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

    /// The action's declaration in [`ACTIONS`].
    pub fn spec(self) -> &'static ActionSpec {
        &ACTIONS[self as usize]
    }

    /// The canonical name: the CLI's `govrt signoff NAME` and the API's and
    /// web UI's `…/signoff/NAME`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The action in words, as refusals say it ("cannot give feedback …").
    pub fn words(self) -> &'static str {
        self.spec().words
    }

    /// The action by its canonical name; the automatic reset is the
    /// scheduler's and has no name a user may ask for.
    pub fn from_name(name: &str) -> Option<Verb> {
        Verb::REQUESTED.into_iter().find(|v| v.name() == name)
    }

    /// What the action undoes, for the actions that undo work.
    pub fn undoes(self) -> Option<&'static str> {
        self.spec().undoes
    }

    /// The names users may ask for, comma-separated (for messages).
    pub fn listed() -> String {
        Verb::REQUESTED.map(Verb::name).join(", ")
    }
}

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
    fn the_table_is_in_the_order_of_the_verbs() {
        for (i, spec) in ACTIONS.iter().enumerate() {
            assert_eq!(spec.verb as usize, i, "{}", spec.name);
        }
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
