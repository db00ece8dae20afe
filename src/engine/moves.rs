//! Workflow moves: deciding whether a move may happen (write permission,
//! a locked workflow, required fields, mandatory sign-offs, the `mandatory`
//! and `before_advance` hooks), and making it. `explain --action advance`
//! asks the same decision.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Identity;
use super::access::{Permission, Resolver};
use super::actions::ItemAction;
use super::core::Engine;
use super::error::{Refusal, Result, refuse, script_failed};
use super::items::{Change, ChangeOptions};
use super::script_view::script_view;
use super::signoff::Status;
use super::views::{ItemView, view};
use super::workflow::{self, StepFacts};
use crate::model::Blueprint;
use crate::store::ItemRow;

impl Engine {
    pub(super) fn step_facts(blueprint: &Blueprint, item: &ItemRow) -> Vec<StepFacts> {
        blueprint
            .workflow
            .iter()
            .flat_map(|w| &w.steps)
            .map(|s| StepFacts {
                id: s.id.to_string(),
                missing_fields: s
                    .fields
                    .iter()
                    .filter(|f| {
                        blueprint.field(f.as_str()).is_some_and(|f| f.required)
                            && !item.fields.contains_key(f.as_str())
                    })
                    .map(|f| f.to_string())
                    .collect(),
                mandatory: s.signoff.as_ref().is_some_and(|o| o.mandatory),
                signoff: s.signoff.as_ref().map(|_| {
                    item.signoffs
                        .get(s.id.as_str())
                        .map_or(Status::NotStarted, |o| o.status)
                }),
            })
            .collect()
    }

    /// Moves to the next step (`to` = None) or to step `to`.
    pub fn move_item(
        &mut self,
        who: &Identity,
        id: i64,
        to: Option<&str>,
        expect_revision: Option<i64>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let how = ChangeOptions::edit(ItemAction::Move, expect_revision, now);
        self.change_item(who, id, how, |_, resolver, item| {
            let target = decide_move(resolver, item, to)?;
            let blueprint = resolver.own_blueprint()?;
            let steps = blueprint
                .workflow
                .as_ref()
                .map_or(&[][..], |w| &w.steps[..]);
            let before = json!({"step": item.step, "finished": item.finished});
            if target >= steps.len() {
                item.finished = true;
                item.step = steps.last().map(|s| s.id.to_string());
            } else {
                item.finished = false;
                item.step = Some(steps[target].id.to_string());
            }
            Ok(Change::plain(
                json!({"before": before, "after": {"step": item.step, "finished": item.finished}}),
                view(item, blueprint),
            ))
        })
    }
}

/// Whether the resolver's identity may move `item` to the next step (`to` =
/// None) or to step `to` now: the index of the step it would reach
/// (`steps.len()`: past the last), or why not.
pub(super) fn decide_move(
    resolver: &Resolver<'_>,
    item: &ItemRow,
    to: Option<&str>,
) -> Result<usize> {
    let id = item.id;
    resolver.require(Permission::Write, || {
        format!("move item {id} in its workflow")
    })?;
    let blueprint = resolver.own_blueprint()?;
    let Some(workflow) = &blueprint.workflow else {
        return refuse(Refusal::InvalidValue {
            what: "move".into(),
            why: format!("a `{}` has no workflow", blueprint.id),
        });
    };
    let current = item
        .step
        .as_deref()
        .and_then(|s| workflow.steps.iter().position(|x| x.id.as_str() == s))
        .unwrap_or(0);
    let target = match to {
        None => {
            if item.finished {
                return refuse(Refusal::InvalidValue {
                    what: "advance".into(),
                    why: "the workflow is already finished".into(),
                });
            }
            current + 1
        }
        Some(step) => match workflow.steps.iter().position(|x| x.id.as_str() == step) {
            Some(i) => i,
            None => {
                let ids: Vec<&str> = workflow.steps.iter().map(|s| s.id.as_str()).collect();
                return refuse(Refusal::NotFound {
                    what: format!("step `{step}` (the steps are {})", ids.join(", ")),
                });
            }
        },
    };
    let mut facts = Engine::step_facts(blueprint, item);
    let locked = item.signoffs.values().any(|s| s.status.locks_workflow());
    let forward = target > current && !item.finished;
    let hooks = &resolver.set.hooks;
    let bp = item.blueprint.clone();
    let hooked = forward && (hooks.has(&bp, "mandatory") || hooks.has(&bp, "before_advance"));
    let script_item = if hooked {
        script_view(resolver.set, resolver.chain, 0)
    } else {
        rhai::Dynamic::UNIT
    };
    if hooked && hooks.has(&bp, "mandatory") {
        for f in facts.iter_mut().filter(|f| f.signoff.is_some()) {
            let decided = hooks
                .call(
                    &bp,
                    "mandatory",
                    vec![script_item.clone(), f.id.clone().into()],
                )
                .map_err(script_failed)?;
            if let Some(flag) = decided.and_then(|d| d.as_bool().ok()) {
                f.mandatory = flag;
            }
        }
    }
    workflow::check_move(&facts, current, item.finished, target, locked)?;
    if hooked && hooks.has(&bp, "before_advance") {
        let from: rhai::Dynamic = item.step.clone().map_or(rhai::Dynamic::UNIT, Into::into);
        let to: rhai::Dynamic = workflow
            .steps
            .get(target)
            .map_or(rhai::Dynamic::UNIT, |s| s.id.to_string().into());
        let verdict = hooks
            .call(&bp, "before_advance", vec![script_item.clone(), from, to])
            .map_err(script_failed)?;
        if let Some(reason) = verdict.filter(|v| !v.is_unit()) {
            let why = reason
                .clone()
                .into_string()
                .unwrap_or_else(|_| reason.to_string());
            return refuse(Refusal::RefusedByRule { why });
        }
    }
    Ok(target)
}
