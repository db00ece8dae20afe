//! The governance status of an item (the design notes, "Governance status"):
//! steps, sign-offs with their feedback, approval and the deploy decision on
//! each infrastructure, computed from the item and its blueprint.

use chrono::{DateTime, Utc};

use crate::engine::read::views::*;
use crate::engine::rules::deploy::{decide, gates_deployment, is_approved};
use crate::engine::rules::signoff::{self};
use crate::engine::rules::sla;
use crate::engine::rules::workflow::{self};
use crate::model::Item;
use crate::model::{Blueprint, BlueprintSet};

pub(in crate::engine) fn signoff_view(
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

pub(in crate::engine) fn status_of(
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
