//! The action vocabulary of items: each action on an item as the audit
//! trail names it, and the sign-off actions' vocabulary (declared once in
//! the rules' `actions` table) as the API's document describes it.

pub use super::rules::actions::{ActionArgs, ActionSpec, MissingArgument, Takers, Verb};

crate::text_schema!(
    Verb,
    "A sign-off action a user may ask for, by its canonical name.",
    Some(Verb::REQUESTED.iter().map(|v| v.name()).collect())
);

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
            ItemAction::SignOff(verb) => verb.spec().audit,
        }
    }

    /// Whether whoever does it follows the item from then on (the book's
    /// "Notifications"): editing or saving it, giving or editing feedback or
    /// a decision, abandoning, canceling an abandon, resetting or scheduling
    /// a reset. Requests and delegations do not subscribe.
    pub fn subscribes(self) -> bool {
        match self {
            ItemAction::Set | ItemAction::Move => true,
            ItemAction::SignOff(verb) => verb.spec().subscribes,
            _ => false,
        }
    }
}
