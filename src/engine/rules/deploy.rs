//! Whether an item may be deployed: approved when every sign-off that
//! gates deployment is APPROVED (or does not apply) on the content it was
//! given on, and the verdict an infrastructure's policy makes of that.

use serde::Serialize;

use super::bound;
use super::conditions;
use super::signoff::Status;
use crate::model::{Blueprint, Item, Policy};

/// ALLOW, CONFIRM or BLOCK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeployVerdict {
    /// Deploy.
    Allow,
    /// Deploy only with an explicit confirmation.
    Confirm,
    /// Do not deploy.
    Block,
}

impl DeployVerdict {
    /// `ALLOW`, `CONFIRM`, `BLOCK`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeployVerdict::Allow => "ALLOW",
            DeployVerdict::Confirm => "CONFIRM",
            DeployVerdict::Block => "BLOCK",
        }
    }
}

/// A deploy decision.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeployDecision {
    /// The infrastructure.
    pub infrastructure: String,
    /// Its policy.
    pub policy: Policy,
    /// The decision.
    pub decision: DeployVerdict,
    /// Why.
    pub reason: String,
    /// Whether a confirmation was given (and audited).
    pub confirmed: bool,
}

/// Whether any sign-off of the blueprint gates deployment.
pub(crate) fn gates_deployment(blueprint: &Blueprint) -> bool {
    blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .any(|s| s.signoff.as_ref().is_some_and(|o| o.gates_deployment))
}

/// Whether `chain[0]` (under its ancestors) is approved for deployment, and why.
pub(crate) fn is_approved(blueprint: &Blueprint, chain: &[Item]) -> (bool, String) {
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
pub(crate) fn verdict(policy: Policy, approved: bool) -> DeployVerdict {
    match (policy, approved) {
        (Policy::Always, _) | (_, true) => DeployVerdict::Allow,
        (Policy::Warn, false) => DeployVerdict::Confirm,
        (Policy::Prevent, false) => DeployVerdict::Block,
    }
}

pub(crate) fn decide(
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
