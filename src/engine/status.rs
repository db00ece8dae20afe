//! The governance status of an item (the design notes, "Governance status"):
//! steps, sign-offs with their feedback, approval and the deploy decision on
//! each infrastructure, computed from the item and its blueprint.

use chrono::{DateTime, Utc};

use super::bound;
use super::conditions;
use super::signoff::{self, Status};
use super::sla;
use super::views::*;
use super::workflow::{self};
use crate::model::Item;
use crate::model::{Blueprint, BlueprintSet, Policy};

pub(super) fn signoff_view(
    blueprint: &Blueprint,
    item: &Item,
    step: &str,
    now: DateTime<Utc>,
) -> Option<SignOffView> {
    let s = blueprint.step(step)?;
    let spec = s.signoff.as_ref()?;
    let state = item.signoffs.get(step).cloned().unwrap_or_default();
    // Not applicable is quiet: no clock runs and no review is wanted.
    let skipped = state.status == signoff::Status::NotApplicable;
    let feedback: Vec<GroupView> = spec
        .feedback
        .iter()
        .map(|g| {
            let reviews: Vec<signoff::Review> = state.reviews_of(g.id.as_str()).cloned().collect();
            GroupView {
                id: g.id.to_string(),
                label: g.label.clone(),
                min: g.min,
                complete: state.counted_reviews(g.id.as_str()) >= g.min as usize,
                required: g.required,
                reviews,
                outdated: state
                    .outdated_reviews
                    .iter()
                    .filter(|o| o.entry.group == g.id.as_str())
                    .cloned()
                    .collect(),
                service: (!g.service.is_empty() && !skipped).then(|| {
                    sla::view(
                        &g.service,
                        state.clocks.get(g.id.as_str()),
                        state.status,
                        now,
                    )
                }),
            }
        })
        .collect();
    // A sign-off of a skipped step waits for nothing: no group is missing.
    let missing_feedback = feedback
        .iter()
        .filter(|g| !g.complete && !skipped)
        .map(|g| g.id.clone())
        .collect();
    let open_major_issues = state
        .reviews
        .iter()
        .filter(|r| r.verdict == signoff::Verdict::MajorIssue)
        .map(|r| r.reviewer.clone())
        .collect();
    Some(SignOffView {
        step: step.to_string(),
        label: spec.label.clone(),
        status: state.status,
        mandatory: spec.mandatory,
        gates_deployment: spec.gates_deployment,
        requester: state.requester.clone(),
        feedback,
        decision: state.decision.clone(),
        delegations: state.delegations.clone(),
        approved_at: state.approved_at,
        next_reset_at: state.next_reset_at,
        scheduled_reset_at: state.scheduled_reset_at,
        rounds_archived: state.history.len(),
        missing_feedback,
        open_major_issues,
        no_major: spec.final_approval.no_major,
        binds: spec.binds.iter().map(ToString::to_string).collect(),
        outdated_decisions: state.outdated_decisions.clone(),
        final_service: (!spec.final_approval.service.is_empty() && !skipped).then(|| {
            sla::view(
                &spec.final_approval.service,
                state.clocks.get("final"),
                state.status,
                now,
            )
        }),
    })
}

/// Whether any sign-off of the blueprint gates deployment.
pub(super) fn gates_deployment(blueprint: &Blueprint) -> bool {
    blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .any(|s| s.signoff.as_ref().is_some_and(|o| o.gates_deployment))
}

/// Whether `chain[0]` (under its ancestors) is approved for deployment, and why.
pub(super) fn is_approved(blueprint: &Blueprint, chain: &[Item]) -> (bool, String) {
    let item = &chain[0];
    if item.signoffs.values().any(|s| s.status.locks_workflow()) {
        let (step, s) = item
            .signoffs
            .iter()
            .find(|(_, s)| s.status.locks_workflow())
            .map_or(("?", Status::Rejected), |(k, s)| (k.as_str(), s.status));
        return (
            false,
            format!(
                "the workflow is locked: the sign-off of step `{step}` is {}",
                s.as_str()
            ),
        );
    }
    if !gates_deployment(blueprint) {
        // Nothing approves such an item: it is never "approved" (the design notes
        // "Deployment gating"; the book's "Runtime choices").
        return (
            false,
            format!("no sign-off gates deployment of `{}` items", blueprint.id),
        );
    }
    let steps = blueprint
        .workflow
        .as_ref()
        .map_or(&[][..], |w| &w.steps[..]);
    let current = item
        .step
        .as_deref()
        .and_then(|s| steps.iter().position(|x| x.id.as_str() == s))
        .unwrap_or(0);
    let mut waived = Vec::new();
    let pending: Vec<String> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s, s.signoff.as_ref().filter(|o| o.gates_deployment)?)))
        .filter_map(|(i, s, spec)| {
            let state = item.signoffs.get(s.id.as_str());
            let status = state.map_or(Status::NotStarted, |o| o.status);
            if let Some(skip) = item.skipped.get(s.id.as_str())
                && status == Status::NotApplicable
            {
                waived.push(format!(
                    "the sign-off of step `{}` is NOT_APPLICABLE ({})",
                    s.id,
                    skip.reason()
                ));
                return None;
            }
            // A step not reached yet whose condition is false now will be
            // skipped when the workflow passes it (a `visible` hook is not
            // asked here: such a step is counted as applying).
            if i > current && !item.finished && status == Status::NotStarted {
                let d = conditions::decide(s, item, &chain[1..], None);
                if !d.applies {
                    waived.push(format!(
                        "the sign-off of step `{}` does not apply ({})",
                        s.id,
                        d.why()
                    ));
                    return None;
                }
            }
            if status != Status::Approved {
                return Some(format!("the sign-off of step `{}` is {}", s.id, status.as_str()));
            }
            // Belt and braces: the approval is of the content it was given on.
            let approved_on = state.and_then(|o| o.decision.as_ref()).and_then(|d| d.content.as_deref());
            let now = bound::content_of(spec, chain);
            (now.is_some() && approved_on != now.as_deref()).then(|| {
                let fields: Vec<String> = spec.binds.iter().map(ToString::to_string).collect();
                format!(
                    "the approval of step `{}` was given on other content than the current one (it binds {})",
                    s.id,
                    fields.join(", ")
                )
            })
        })
        .collect();
    if pending.is_empty() {
        let mut why = "every sign-off that gates deployment is APPROVED".to_string();
        if !waived.is_empty() {
            why = format!("{why} or does not apply: {}", waived.join("; "));
        }
        (true, why)
    } else {
        (false, pending.join("; "))
    }
}

/// The verdict of a policy on an item approved or not.
pub(super) fn verdict(policy: Policy, approved: bool) -> DeployVerdict {
    match (policy, approved) {
        (Policy::Always, _) | (_, true) => DeployVerdict::Allow,
        (Policy::Warn, false) => DeployVerdict::Confirm,
        (Policy::Prevent, false) => DeployVerdict::Block,
    }
}

pub(super) fn decide(
    blueprint: &Blueprint,
    chain: &[Item],
    infra: &crate::model::Infrastructure,
) -> DeployDecision {
    let (approved, why) = is_approved(blueprint, chain);
    let decision = verdict(infra.policy, approved);
    let (_, reason) = match (infra.policy, approved) {
        (Policy::Always, _) => (
            DeployVerdict::Allow,
            "policy `always`: deployed without checking".to_string(),
        ),
        (_, true) => (DeployVerdict::Allow, why),
        (Policy::Warn, false) => (
            DeployVerdict::Confirm,
            format!("not approved ({why}); policy `warn` needs a confirmation"),
        ),
        (Policy::Prevent, false) => (DeployVerdict::Block, format!("not approved: {why}")),
    };
    DeployDecision {
        infrastructure: infra.id.to_string(),
        policy: infra.policy,
        decision,
        reason,
        confirmed: false,
    }
}

pub(super) fn status_of(
    set: &BlueprintSet,
    blueprint: &Blueprint,
    chain: &[Item],
    now: DateTime<Utc>,
) -> StatusView {
    let item = &chain[0];
    let steps: Vec<StepView> = match &blueprint.workflow {
        Some(w) => {
            let current = item
                .step
                .as_deref()
                .and_then(|s| w.steps.iter().position(|x| x.id.as_str() == s))
                .unwrap_or(0);
            let skipped: Vec<bool> = w
                .steps
                .iter()
                .map(|s| item.skipped.contains_key(s.id.as_str()))
                .collect();
            let states = workflow::step_states(&skipped, current, item.finished);
            w.steps
                .iter()
                .zip(states)
                .map(|(s, state)| StepView {
                    id: s.id.to_string(),
                    label: s.label.clone(),
                    state,
                    when: s.when.as_ref().map(|w| w.text.clone()),
                    skipped: (state == workflow::StepState::Skipped)
                        .then(|| item.skipped.get(s.id.as_str()).cloned())
                        .flatten(),
                })
                .collect()
        }
        None => Vec::new(),
    };
    let signoffs = blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .filter_map(|s| signoff_view(blueprint, item, s.id.as_str(), now))
        .collect();
    StatusView {
        item: view(item, blueprint),
        steps,
        signoffs,
        approved: is_approved(blueprint, chain).0,
        gated: gates_deployment(blueprint),
        // An item of a blueprint with no workflow is not deployed: its
        // status shows no decision (`deploy check` still answers).
        deploy: set
            .infrastructures
            .values()
            .filter(|_| blueprint.workflow.is_some())
            .map(|i| decide(blueprint, chain, i))
            .collect(),
    }
}
