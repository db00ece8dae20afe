//! The sign-off state machine's transitions: [`apply`] takes one action to
//! a state, one small function per action, each checking the states it is
//! allowed from and who may take it before it changes anything.

use chrono::{DateTime, Utc};

use super::{
    Action, Actor, Decision, Delegation, Event, Review, Rules, SignOffState, Status, Verdict,
    archive, clocks, not_permitted, transition,
};
use crate::engine::rules::refusal::Refusal;

/// What every transition reads: the state before, the action, who takes it,
/// the rules and the time.
struct Step<'a> {
    state: &'a SignOffState,
    action: &'a Action,
    actor: &'a Actor<'a>,
    rules: &'a Rules<'a>,
    now: DateTime<Utc>,
}

type Outcome = Result<Vec<Event>, Refusal>;

impl Step<'_> {
    fn from(&self) -> Status {
        self.state.status
    }

    /// Refused unless the sign-off is in one of the states the action's
    /// declaration allows it from.
    fn only_from(&self) -> Result<(), Refusal> {
        if self.action.verb().spec().from.contains(&self.from()) {
            Ok(())
        } else {
            Err(transition(self.from(), self.action))
        }
    }

    /// Refused unless `may`; `what` says what was refused and why.
    fn only_if(&self, may: bool, what: &str) -> Result<(), Refusal> {
        if may {
            Ok(())
        } else {
            Err(not_permitted(self.actor, what))
        }
    }

    /// Refused when the state bars the actor from `group` (`final`: the
    /// final approval); `what` says what was refused, before why.
    fn not_barred(&self, group: &str, what: &str) -> Result<(), Refusal> {
        match self.rules.barred(self.state, group, self.actor.name) {
            Some(why) => Err(not_permitted(self.actor, &format!("{what}: {why}"))),
            None => Ok(()),
        }
    }

    /// Write permission, a final approver or an admin.
    fn may_administer(&self) -> bool {
        self.actor.can_write || self.actor.is_final_approver || self.actor.is_admin
    }

    /// Refused when `group` is not one of the sign-off's feedback groups.
    fn known_group(&self, group: &str) -> Result<(), Refusal> {
        if self.rules.groups.contains(&group) {
            Ok(())
        } else {
            Err(Refusal::NotFound {
                what: format!("feedback group `{group}`"),
            })
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
    if state.status == Status::NotApplicable {
        // No action applies: the step was skipped. Moving the workflow back
        // before it decides again (the design notes, "Skipped steps").
        return Err(Refusal::InvalidTransition {
            action: action.name().to_string(),
            state: "NOT_APPLICABLE (its step was skipped: move the workflow back before it to decide again)".into(),
        });
    }
    let step = Step {
        state,
        action,
        actor,
        rules,
        now,
    };
    let mut next = state.clone();
    let events = match action {
        Action::RequestReview => request_review(&step, &mut next),
        Action::GiveFeedback {
            group,
            verdict,
            comment,
        } => give_feedback(&step, &mut next, group, *verdict, comment),
        Action::Delegate { group, to } => delegate(&step, &mut next, group, to),
        Action::RequestFinalApproval => request_final_approval(&step, &mut next),
        Action::BackToFeedback => back_to_feedback(&step, &mut next),
        Action::Approve { comment } => decide(&step, &mut next, true, comment),
        Action::Reject { comment } => decide(&step, &mut next, false, comment),
        Action::Abandon => abandon(&step, &mut next),
        Action::CancelAbandon => cancel_abandon(&step, &mut next),
        Action::Reset => reset(&step, &mut next),
        Action::ScheduleReset { at } => schedule_reset(&step, &mut next, *at),
        Action::AutomaticReset => automatic_reset(&step, &mut next),
    }?;
    clocks::settle(&mut next, rules, now);
    Ok((next, events))
}

fn request_review(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.actor.can_write || s.actor.is_admin,
        "request a review (write permission needed)",
    )?;
    next.status = Status::WaitingForFeedback;
    next.requester = Some(s.actor.name.to_string());
    Ok(vec![Event::ReviewRequested])
}

fn give_feedback(
    s: &Step<'_>,
    next: &mut SignOffState,
    group: &str,
    verdict: Verdict,
    comment: &Option<String>,
) -> Outcome {
    s.only_from()?;
    s.known_group(group)?;
    let eligible = s.actor.feedback_groups.iter().any(|g| g == group);
    s.only_if(
        eligible || s.actor.is_admin,
        &format!("give feedback for group `{group}`"),
    )?;
    s.not_barred(group, &format!("give feedback for group `{group}`"))?;
    let review = Review {
        group: group.to_string(),
        reviewer: s.actor.name.to_string(),
        verdict,
        comment: comment.clone(),
        at: s.now,
        as_admin: !eligible,
        content: s.rules.content.clone(),
    };
    let existing = next
        .reviews
        .iter_mut()
        .find(|r| r.group == group && r.reviewer == s.actor.name);
    let (edited, status_changed) = match existing {
        Some(old) => {
            let changed = old.verdict != verdict;
            *old = review;
            (true, changed)
        }
        None => {
            next.reviews.push(review);
            (false, true)
        }
    };
    Ok(vec![Event::FeedbackGiven {
        group: group.to_string(),
        verdict,
        edited,
        status_changed,
    }])
}

fn delegate(s: &Step<'_>, next: &mut SignOffState, group: &str, to: &str) -> Outcome {
    s.only_from()?;
    let eligible = if group == "final" {
        s.actor.is_final_approver
    } else {
        s.known_group(group)?;
        s.actor.feedback_groups.iter().any(|g| g == group)
    };
    s.only_if(
        eligible || s.actor.is_admin,
        &format!("delegate `{group}` (only an eligible reviewer may)"),
    )?;
    if to == s.actor.name {
        return Err(Refusal::InvalidValue {
            what: "delegate".into(),
            why: "a reviewer cannot delegate to themselves".into(),
        });
    }
    // A delegation hands over a decision the delegator could take now,
    // once: never one they are barred from, nor a slot they used, nor to
    // someone the slot bars.
    s.not_barred(group, &format!("delegate `{group}`"))?;
    s.only_if(
        !s.state.slot_used(group, s.actor.name),
        &format!(
            "delegate `{group}`: they already reviewed for it this round (a delegation hands over a slot that has not been used)"
        ),
    )?;
    if let Some(why) = s.rules.barred(s.state, group, to) {
        return Err(Refusal::InvalidValue {
            what: format!("delegate `{to}`"),
            why: format!("they may not act for `{group}`: {why}"),
        });
    }
    next.delegations.push(Delegation {
        group: group.to_string(),
        from: s.actor.name.to_string(),
        to: to.to_string(),
        at: s.now,
    });
    Ok(vec![Event::Delegated {
        group: group.to_string(),
        to: to.to_string(),
    }])
}

fn request_final_approval(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.actor.can_write || s.actor.is_admin,
        "request the final approval (write permission needed)",
    )?;
    if let Some(refusal) = s.rules.missing_feedback(s.state) {
        return Err(refusal);
    }
    next.status = Status::WaitingForApproval;
    if next.requester.is_none() {
        next.requester = Some(s.actor.name.to_string());
    }
    Ok(vec![Event::FinalApprovalRequested])
}

fn back_to_feedback(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.actor.is_final_approver || s.actor.is_admin,
        "send back to feedback (only a final approver may)",
    )?;
    next.status = Status::WaitingForFeedback;
    Ok(vec![Event::SentBackToFeedback])
}

/// Approve (`approved`) or reject, or change a decision already taken.
fn decide(
    s: &Step<'_>,
    next: &mut SignOffState,
    approved: bool,
    comment: &Option<String>,
) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.actor.is_final_approver || s.actor.is_admin,
        if approved {
            "approve (only a final approver may)"
        } else {
            "reject (only a final approver may)"
        },
    )?;
    s.not_barred("final", "decide on this sign-off")?;
    if approved {
        if let Some(refusal) = s
            .rules
            .missing_feedback(s.state)
            .or_else(|| s.rules.open_major_issues(s.state))
        {
            return Err(refusal);
        }
    }
    let from = s.from();
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
        by: s.actor.name.to_string(),
        comment: comment.clone(),
        at: s.now,
        as_admin: !s.actor.is_final_approver,
        content: s.rules.content.clone(),
    });
    if approved && status_changed {
        next.approved_at = Some(s.now);
        next.next_reset_at = s.rules.reset_every.and_then(|d| d.after(s.now));
    } else if !approved {
        next.next_reset_at = None;
        next.approved_at = None;
    }
    Ok(vec![Event::Decided {
        approved,
        edited,
        status_changed,
    }])
}

fn abandon(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.may_administer(),
        "abandon (write permission or final approver needed)",
    )?;
    next.abandoned_from = Some(s.from());
    next.status = Status::Abandoned;
    Ok(vec![Event::Abandoned])
}

fn cancel_abandon(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_from()?;
    s.only_if(
        s.may_administer(),
        "cancel the abandon (write permission or final approver needed)",
    )?;
    next.status = s.state.abandoned_from.unwrap_or_default();
    next.abandoned_from = None;
    Ok(vec![Event::AbandonCanceled])
}

fn reset(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    s.only_if(
        s.may_administer(),
        "reset (write permission or final approver needed)",
    )?;
    archive(next, s.actor.name, s.now);
    Ok(vec![Event::Reset { automatic: false }])
}

fn schedule_reset(s: &Step<'_>, next: &mut SignOffState, at: DateTime<Utc>) -> Outcome {
    s.only_if(
        s.may_administer(),
        "schedule a reset (write permission or final approver needed)",
    )?;
    if at <= s.now {
        // It would fall due at the next tick: a reset now, without saying so.
        return Err(Refusal::InvalidValue {
            what: format!(
                "reset time `{}`",
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            ),
            why: "it is not in the future (to reset now, reset the sign-off)".into(),
        });
    }
    next.scheduled_reset_at = Some(at);
    Ok(vec![Event::ResetScheduled { at }])
}

fn automatic_reset(s: &Step<'_>, next: &mut SignOffState) -> Outcome {
    let due = s.state.due_at().is_some_and(|d| d <= s.now);
    if !due {
        return Err(Refusal::InvalidTransition {
            action: s.action.name().into(),
            state: format!("{} with no reset due", s.from().as_str()),
        });
    }
    let requester = s.state.requester.clone();
    archive(next, s.actor.name, s.now);
    if s.rules.rerequest {
        next.status = Status::WaitingForFeedback;
        next.requester = requester;
        Ok(vec![
            Event::Reset { automatic: true },
            Event::ReviewRequested,
        ])
    } else {
        Ok(vec![Event::Reset { automatic: true }])
    }
}
