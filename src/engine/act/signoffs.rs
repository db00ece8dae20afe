//! Sign-off actions through the pure state machine of [`crate::engine::rules::signoff`],
//! the scheduler's tick that applies due resets, and the actions a user may
//! take now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::engine::access::{Delegators, Identity, Permission, Resolver};
use crate::engine::act::items::{Change, ChangeOptions};
use crate::engine::actions::{ActionArgs, ItemAction, Verb};
use crate::engine::change_hooks::run_change_hooks;
use crate::engine::core::Engine;
use crate::engine::error::{EngineError, Refusal, Result, refuse, script_failed};
use crate::engine::limits;
use crate::engine::read::status::signoff_view;
use crate::engine::read::views::{Allowed, Permitted, SignOffView};
use crate::engine::rules::actions::Needed;
use crate::engine::rules::bound;
use crate::engine::rules::signoff::SignOffEvents;
use crate::engine::rules::signoff::rules_of;
use crate::engine::rules::signoff::{self, Action, SignOffState, Status};
use crate::engine::script_view::script_view;

/// A sign-off action with how it is to be done.
#[derive(Debug, Clone)]
pub struct SignOffRequest<'a> {
    /// The step whose sign-off it is (default: the item's current step).
    pub step: Option<&'a str>,
    /// The action.
    pub action: Action,
    /// A review or final-approval request mails the eligible reviewers.
    pub notify: bool,
    /// Why (a reset, an abandon, a rejection, a scheduled reset): audited and mailed.
    pub reason: Option<String>,
    /// The time of the action (default: now).
    pub now: Option<DateTime<Utc>>,
    /// Refuse if the item is not at this revision (`If-Match`): of
    /// concurrent actions naming one revision, one wins.
    pub expect_revision: Option<i64>,
}

/// What `tick` did.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct TickReport {
    /// Sign-offs reset: (item, step).
    pub resets: Vec<(String, String)>,
    /// Reminders sent.
    pub reminders: Vec<Sent>,
    /// Escalations made.
    pub escalations: Vec<Sent>,
}

/// A reminder or an escalation a tick sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sent {
    /// The item.
    pub item: String,
    /// The step of the sign-off.
    pub step: String,
    /// The feedback group, or `final`.
    pub group: String,
    /// The reminder's number this round (1 for an escalation).
    pub number: u32,
}

/// A decision taken again the way it stands (approving an APPROVED
/// sign-off): refused, so that neither concurrent approvers nor a second
/// click replace the decision and its comment (the first one stands). A
/// change of decision (APPROVED ↔ REJECTED) is an edit, and taken.
pub(in crate::engine) fn refuse_redecision(
    step: &str,
    state: &signoff::SignOffState,
    action: &Action,
) -> Result<()> {
    let again = match action {
        Action::Approve { .. } => state.status == Status::Approved,
        Action::Reject { .. } => state.status == Status::Rejected,
        _ => false,
    };
    match (&state.decision, again) {
        (Some(decision), true) => refuse(Refusal::AlreadyDecided {
            step: step.to_string(),
            status: state.status.as_str().to_string(),
            by: decision.by.clone(),
        }),
        _ => Ok(()),
    }
}

impl Engine {
    /// Applies a sign-off action to the sign-off of `step` (default: the current step).
    pub fn signoff(
        &mut self,
        who: &Identity,
        id: i64,
        step: Option<&str>,
        action: Action,
        now: Option<DateTime<Utc>>,
    ) -> Result<SignOffView> {
        let request = SignOffRequest {
            step,
            action,
            notify: false,
            reason: None,
            now,
            expect_revision: None,
        };
        self.signoff_with(who, id, request)
    }

    /// A sign-off action as a front end asks for it; with `notify`, a review
    /// or final-approval request mails the eligible reviewers or approvers.
    pub fn signoff_with(
        &mut self,
        who: &Identity,
        id: i64,
        request: SignOffRequest<'_>,
    ) -> Result<SignOffView> {
        let SignOffRequest {
            step,
            action,
            notify,
            reason,
            now,
            expect_revision,
        } = request;
        let now = self.now_or(now);
        let comment = match &action {
            Action::GiveFeedback { comment, .. }
            | Action::Approve { comment }
            | Action::Reject { comment } => comment.as_deref(),
            _ => None,
        };
        for (what, text) in [("comment", comment), ("reason", reason.as_deref())] {
            if let Some(text) = text {
                limits::check_length(what, text, limits::MAX_COMMENT)?;
            }
        }
        let how = ChangeOptions {
            expect_revision,
            now,
            action: ItemAction::SignOff(action.verb()),
            keep_approvals: false,
        };
        self.change_item(who, id, how, |tx, resolver, item| {
            let blueprint = resolver.own_blueprint()?;
            let step_id = match step.map(str::to_string).or_else(|| item.step.clone()) {
                Some(s) => s,
                None => return refuse(Refusal::NotFound { what: format!("sign-off (a `{}` has no workflow)", blueprint.id) }),
            };
            let Some(spec) = blueprint.step(&step_id).and_then(|s| s.signoff.as_ref()) else {
                let with: Vec<&str> = blueprint.workflow.iter().flat_map(|w| &w.steps).filter(|s| s.signoff.is_some()).map(|s| s.id.as_str()).collect();
                return refuse(Refusal::NotFound {
                    what: format!("sign-off on step `{step_id}` (steps with a sign-off: {}; name the step of one of them)", if with.is_empty() { "none".to_string() } else { with.join(", ") }),
                });
            };
            if let Action::Delegate { to, .. } = &action
                && tx.user(to)?.is_none()
            {
                return refuse(Refusal::NotFound { what: format!("user `{to}`") });
            }
            let state = item.signoffs.get(&step_id).cloned().unwrap_or_default();
            refuse_redecision(&step_id, &state, &action)?;
            let delegators = Delegators::load(tx, &state)?;
            let actor = resolver.actor(&step_id, &state, Needed::of(&action), &delegators)?;
            let mut rules = rules_of(spec);
            rules.content = bound::content_of(spec, resolver.chain);
            resolver.exclude_for(tx, spec, Some(&action), &mut rules)?;
            let (mut next, events) = signoff::apply(&state, &action, &actor, &rules, now)?;
            reset_at_hook(resolver, &step_id, &events, now, &mut next)?;
            let mut details = json!({"step": step_id, "action": action, "before": state.status, "after": next.status, "events": events, "notify": notify});
            if matches!(action, Action::Approve { .. } | Action::Reject { .. }) {
                // What the decision was taken on: each group's reviews, and the open major issues.
                let groups: serde_json::Map<String, Json> = spec.feedback.iter().map(|g| {
                    let reviews = state.counted_reviews(g.id.as_str());
                    (g.id.to_string(), json!({"reviews": reviews, "min": g.min, "complete": reviews >= g.min as usize, "required": g.required}))
                }).collect();
                let major: Vec<&str> = state.reviews.iter().filter(|r| r.verdict == signoff::Verdict::MajorIssue).map(|r| r.reviewer.as_str()).collect();
                details["feedback_state"] = json!({"groups": groups, "major_issues": major});
            }
            if let Some(reason) = &reason {
                details["reason"] = json!(reason);
            }
            let note = match &action {
                Action::GiveFeedback { comment, .. } => comment.clone(),
                Action::Approve { comment } | Action::Reject { comment } => reason.clone().or_else(|| comment.clone()),
                _ => reason.clone(),
            };
            item.signoffs.insert(step_id.clone(), next);
            let view = signoff_view(blueprint, item, &step_id, now).ok_or_else(|| Refusal::NotFound { what: "sign-off".into() })?;
            let view = resolver.redact_signoff(view);
            Ok(Change { details, signoff: Some(SignOffEvents { step: step_id, events, notify, note }), out: view })
        })
    }

    /// Applies every reset due at `now`, then sends the escalations and
    /// reminders that fell due.
    pub fn tick(&mut self, now: Option<DateTime<Utc>>) -> Result<TickReport> {
        let now = self.now_or(now);
        let due = self.store.read()?.items_due(now)?;
        let scheduler = Identity::scheduler();
        let mut report = TickReport::default();
        for id in due {
            let (resets, service): (Vec<String>, Vec<String>) = {
                let tx = self.store.read()?;
                match tx.item(id)? {
                    Some(item) => {
                        let when = |f: fn(&signoff::SignOffState) -> Option<DateTime<Utc>>| {
                            item.signoffs
                                .iter()
                                .filter(|(_, s)| f(s).is_some_and(|d| d <= now))
                                .map(|(k, _)| k.clone())
                                .collect()
                        };
                        (when(|s| s.due_at()), when(|s| s.wake_at))
                    }
                    None => continue,
                }
            };
            for step in resets {
                // A reset that requests the review again (`rerequest`) mails
                // the reviewers, as a request with notify does.
                let request = SignOffRequest {
                    step: Some(&step),
                    action: Action::AutomaticReset,
                    notify: true,
                    reason: None,
                    now: Some(now),
                    expect_revision: None,
                };
                match self.signoff_with(&scheduler, id, request) {
                    Ok(_) => report.resets.push((id.to_string(), step)),
                    // Another process reset it first: nothing left to do.
                    Err(EngineError::Refused(Refusal::InvalidTransition { .. })) => {}
                    Err(e) => return Err(e),
                }
            }
            for step in service {
                for event in self.service_tick(id, &step, now)? {
                    match event {
                        signoff::Event::Reminded { group, number } => report.reminders.push(Sent {
                            item: id.to_string(),
                            step: step.clone(),
                            group,
                            number,
                        }),
                        signoff::Event::Escalated { group, .. } => report.escalations.push(Sent {
                            item: id.to_string(),
                            step: step.clone(),
                            group,
                            number: 1,
                        }),
                        _ => {}
                    }
                }
            }
        }
        Ok(report)
    }
}

/// On a new approval, the `reset_at` hook's date for the next automatic
/// reset, if it gives one.
pub(in crate::engine) fn reset_at_hook(
    resolver: &Resolver<'_>,
    step: &str,
    events: &[signoff::Event],
    now: DateTime<Utc>,
    next: &mut SignOffState,
) -> Result<()> {
    let blueprint = &resolver.chain[0].blueprint;
    let newly_approved = events.iter().any(|e| {
        matches!(
            e,
            signoff::Event::Decided {
                approved: true,
                status_changed: true,
                ..
            }
        )
    });
    if !newly_approved || !resolver.set.hooks.has(blueprint, "reset_at") {
        return Ok(());
    }
    let view = script_view(resolver.set, resolver.chain, 0);
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let decided = resolver
        .set
        .hooks
        .call(blueprint, "reset_at", vec![view, step.into(), at.into()])
        .map_err(script_failed)?;
    if let Some(d) = decided.filter(|d| !d.is_unit()) {
        let text = d.clone().into_string().unwrap_or_else(|_| d.to_string());
        match crate::model::parse::parse_date_time(&text) {
            Some(t) => next.next_reset_at = Some(t),
            None => {
                return refuse(Refusal::ScriptFailed {
                    error: format!(
                        "hook `reset_at` returned `{text}`, which is not an RFC 3339 date-time"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Whether the hooks accept the item as `action` would leave it, its
/// sign-off of `step` becoming `next`: `reset_at`, then the change hooks
/// (`validate`, `compute_…`, `after_change`) as the action runs them,
/// on a copy that is kept nowhere.
pub(in crate::engine) fn hooks_accept(
    resolver: &Resolver<'_>,
    step: &str,
    action: &Action,
    outcome: (SignOffState, Vec<signoff::Event>),
    now: DateTime<Utc>,
) -> Result<()> {
    let (mut next, events) = outcome;
    reset_at_hook(resolver, step, &events, now, &mut next)?;
    let mut item = resolver.chain[0].clone();
    item.signoffs.insert(step.to_string(), next);
    let name = ItemAction::SignOff(action.verb()).audit_name();
    let set = resolver.set;
    let unhooked = resolver.hides_any().then(|| item.clone());
    let hooked = run_change_hooks(set, &resolver.chain[1..], &mut item, name);
    resolver
        .censor(unhooked, hooked, |mut blind, ancestors| {
            run_change_hooks(set, ancestors, &mut blind, name).map(drop)
        })
        .map(drop)
}

impl Engine {
    /// What `who` may do to an item now: write, delete, and per sign-off the
    /// actions the state machine would accept from them. The web UI shows
    /// exactly these buttons; the engine still decides when one is pressed.
    pub fn permitted(&mut self, who: &Identity, id: i64) -> Result<Permitted> {
        let now = self.now_or(None);
        self.with_readable_in(who, id, |tx, resolver, item, blueprint| {
            let mut signoffs = BTreeMap::new();
            for step in blueprint.workflow.iter().flat_map(|w| &w.steps) {
                let Some(spec) = &step.signoff else { continue };
                let state = item
                    .signoffs
                    .get(step.id.as_str())
                    .cloned()
                    .unwrap_or_default();
                let delegators = Delegators::load(tx, &state)?;
                let actor = resolver.actor(step.id.as_str(), &state, Needed::Every, &delegators)?;
                let mut rules = rules_of(spec);
                resolver.exclude_for(tx, spec, None, &mut rules)?;
                let accepts =
                    |action: &Action| signoff::apply(&state, action, &actor, &rules, now).is_ok();
                let mut actions = Vec::new();
                let plain = |verb: Verb| Allowed { verb, group: None };
                // Feedback and delegations are per group, below.
                let per_group = |v: &Verb| matches!(v, Verb::GiveFeedback | Verb::Delegate);
                for verb in Verb::REQUESTED.into_iter().filter(|v| !per_group(v)) {
                    let args = ActionArgs {
                        // Any time to come: the probe only asks whether a reset may be scheduled.
                        at: Some(now + chrono::Duration::days(1)),
                        ..ActionArgs::default()
                    };
                    // Approving an approval (or rejecting a rejection) would only
                    // change its comment: not offered as a decision.
                    let same_decision = matches!(
                        (verb, state.status),
                        (Verb::Approve, Status::Approved) | (Verb::Reject, Status::Rejected)
                    );
                    if !same_decision
                        && Action::from_verb(verb, args).is_ok_and(|action| accepts(&action))
                    {
                        actions.push(plain(verb));
                    }
                }
                // Nobody is called this: delegating to it only tests eligibility.
                let nobody = "\u{0}".to_string();
                for group in spec
                    .feedback
                    .iter()
                    .map(|g| g.id.to_string())
                    .chain(["final".to_string()])
                {
                    let of = |verb: Verb| Allowed {
                        verb,
                        group: Some(group.clone()),
                    };
                    if group != "final"
                        && accepts(&Action::GiveFeedback {
                            group: group.clone(),
                            verdict: signoff::Verdict::Approved,
                            comment: None,
                        })
                    {
                        actions.push(of(Verb::GiveFeedback));
                    }
                    if accepts(&Action::Delegate {
                        group: group.clone(),
                        to: nobody.clone(),
                    }) {
                        actions.push(of(Verb::Delegate));
                    }
                }
                signoffs.insert(step.id.to_string(), actions);
            }
            Ok(Permitted {
                write: resolver.has(Permission::Write),
                delete: resolver.has(Permission::Delete),
                signoffs,
            })
        })
    }
}
