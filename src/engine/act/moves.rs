//! Workflow moves: deciding whether a move may happen (write permission,
//! a locked workflow, required fields, mandatory sign-offs, the `mandatory`
//! and `before_advance` hooks), which steps it skips or reopens (`when`
//! conditions and the `visible` hook), and making it. `explain --action advance`
//! asks the same decision.

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use crate::engine::Identity;
use crate::engine::access::{Permission, Resolver};
use crate::engine::act::items::{Change, ChangeOptions};
use crate::engine::actions::ItemAction;
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse, script_failed};
use crate::engine::read::views::{ItemView, view};
use crate::engine::rules::conditions::{self, Decision};
use crate::engine::rules::signoff::SignOffEvents;
use crate::engine::rules::signoff::{self, Event, Status};
use crate::engine::rules::workflow::{self, StepFacts};
use crate::engine::script_view::script_view;
use crate::model::Item;
use crate::model::condition::Skip;
use crate::model::{Blueprint, Step};

impl Engine {
    pub(in crate::engine) fn step_facts(blueprint: &Blueprint, item: &Item) -> Vec<StepFacts> {
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
                skipped: item.skipped.contains_key(s.id.as_str()),
            })
            .collect()
    }

    /// Moves to the next step that applies (`to` = None) or to step `to`,
    /// skipping the steps passed that do not apply.
    pub fn move_item(
        &mut self,
        who: &Identity,
        id: i64,
        to: Option<&str>,
        expect_revision: Option<i64>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let how = ChangeOptions::edit(ItemAction::Move, expect_revision, self.now_or(now));
        self.change_item(who, id, how, |_, resolver, item| {
            let plan = decide_move(resolver, item, to)?;
            let blueprint = resolver.own_blueprint()?;
            let steps = blueprint
                .workflow
                .as_ref()
                .map_or(&[][..], |w| &w.steps[..]);
            let before = json!({"step": item.step, "finished": item.finished});
            let from = if item.finished {
                steps.len()
            } else {
                item.step
                    .as_deref()
                    .and_then(|c| steps.iter().position(|s| s.id.as_str() == c))
                    .unwrap_or(0)
            };
            let (skipped, reopened) = apply_skips(blueprint, item, &plan, &who.name);
            let reworked = reopen_on_rework(steps, item, plan.target, from, &who.name);
            if plan.target >= steps.len() {
                item.finished = true;
                item.step = steps.last().map(|s| s.id.to_string());
            } else {
                item.finished = false;
                item.step = Some(steps[plan.target].id.to_string());
            }
            let mut details =
                json!({"before": before, "after": {"step": item.step, "finished": item.finished}});
            if !skipped.is_empty() {
                details["skipped"] = Json::Array(skipped);
            }
            if !reopened.is_empty() {
                details["reopened"] = json!(reopened);
            }
            let out = resolver.redact_view(view(item, blueprint));
            let Some(nearest) = reworked.first().cloned() else {
                return Ok(Change::plain(details, out));
            };
            details["reset_on_rework"] = json!(reworked);
            // Followers hear of it as of a reset, with why.
            let signoff = SignOffEvents {
                step: nearest,
                events: vec![Event::Reset { automatic: false }],
                notify: false,
                note: Some("the item moved back before this step: its approval is reopened".into()),
            };
            Ok(Change {
                details,
                signoff: Some(signoff),
                out,
            })
        })
    }
}

/// A move back from step `from` to step `target` reopens the APPROVED
/// mandatory sign-offs of the steps it goes back before (after `target`, up
/// to `from`), unless they say `keep on rework`: the round is archived and
/// the sign-off is NOT_STARTED again, so that nothing reworked deploys on
/// the old approval. Returns the steps reopened, nearest the target first.
fn reopen_on_rework(
    steps: &[crate::model::Step],
    item: &mut Item,
    target: usize,
    from: usize,
    by: &str,
) -> Vec<String> {
    let now = item.updated_at;
    let mut reopened = Vec::new();
    if target >= from {
        return reopened;
    }
    for step in steps.iter().take(from.saturating_add(1)).skip(target + 1) {
        let rework = step
            .signoff
            .as_ref()
            .is_some_and(|o| o.mandatory && !o.keep_on_rework);
        if let Some(state) = item.signoffs.get_mut(step.id.as_str())
            && rework
            && state.status == Status::Approved
        {
            signoff::archive(state, by, now);
            reopened.push(step.id.to_string());
        }
    }
    reopened
}

/// Records the steps a move skips and forgets those it moves back before:
/// a skipped step's sign-off becomes NOT_APPLICABLE (any round in progress
/// archived), a reopened one NOT_STARTED. Returns the audit entries of the
/// skipped steps and the ids of the reopened ones.
fn apply_skips(
    blueprint: &Blueprint,
    item: &mut Item,
    plan: &MovePlan,
    by: &str,
) -> (Vec<Json>, Vec<String>) {
    let now = item.updated_at;
    let mut reopened = Vec::new();
    for step in &plan.reopened {
        item.skipped.remove(step);
        if let Some(state) = item.signoffs.get_mut(step)
            && state.status == Status::NotApplicable
        {
            state.status = Status::NotStarted;
        }
        reopened.push(step.clone());
    }
    let mut entries = Vec::new();
    for (step, decision) in &plan.skips {
        if blueprint.step(step).is_some_and(|s| s.signoff.is_some()) {
            let state = item.signoffs.entry(step.clone()).or_default();
            if state.status != Status::NotStarted || !state.reviews.is_empty() {
                signoff::archive(state, by, now);
            }
            state.status = Status::NotApplicable;
        }
        entries.push(json!({
            "step": step,
            "decided_by": decision.decided_by,
            "values": decision.values,
        }));
        item.skipped.insert(
            step.clone(),
            Skip {
                decided_by: decision.decided_by.clone(),
                values: decision.values.clone(),
                by: by.to_string(),
                at: now,
            },
        );
    }
    (entries, reopened)
}

/// What a move does: the step it reaches and the steps it skips or reopens.
pub(in crate::engine) struct MovePlan {
    /// The index of the step reached (`steps.len()`: past the last).
    pub(in crate::engine) target: usize,
    /// The steps passed that do not apply, and why.
    pub(in crate::engine) skips: Vec<(String, Decision)>,
    /// The skipped steps a move back reopens (at or after the target).
    pub(in crate::engine) reopened: Vec<String>,
}

/// Whether step `i` of `steps` applies to the resolver's item now: the first
/// always does; then the `visible` hook, where it answers, else its `when`.
/// `script_item` is the item as hooks see it (unit when no hook reads it).
pub(in crate::engine) fn step_applies(
    resolver: &Resolver<'_>,
    steps: &[crate::model::Step],
    i: usize,
    script_item: &rhai::Dynamic,
) -> Result<Decision> {
    let (step, item) = (&steps[i], &resolver.chain[0]);
    if i == 0 {
        return Ok(conditions::decide(
            step,
            item,
            &resolver.chain[1..],
            Some(true),
        ));
    }
    let hooks = &resolver.set.hooks;
    let mut answer = None;
    if hooks.has(&item.blueprint, "visible") {
        let said = hooks
            .call(
                &item.blueprint,
                "visible",
                vec![script_item.clone(), step.id.to_string().into()],
            )
            .map_err(script_failed)?;
        answer = said.and_then(|d| d.as_bool().ok());
    }
    Ok(conditions::decide(step, item, &resolver.chain[1..], answer))
}

/// Where a move goes: the workflow's steps, the current one, and where the
/// move starts from (past the last step when finished).
struct Course<'a> {
    steps: &'a [Step],
    current: usize,
    from: usize,
}

/// The step a move goes to (`to`, or the next that applies), the steps it
/// passes that do not apply (skipped, with why), and the skipped steps a
/// move back reopens.
#[allow(
    clippy::type_complexity,
    reason = "the three parts of a move's course, named where they are taken apart"
)]
fn target_of(
    resolver: &Resolver<'_>,
    item: &Item,
    course: &Course<'_>,
    to: Option<&str>,
    script_item: &rhai::Dynamic,
) -> Result<(usize, Vec<(String, Decision)>, Vec<String>)> {
    let Course {
        steps,
        current,
        from,
    } = *course;
    let applies = |i: usize| step_applies(resolver, steps, i, script_item);
    let not_applicable = |i: usize, d: &Decision| {
        refuse(Refusal::StepNotApplicable {
            step: steps[i].id.to_string(),
            why: d.why(),
        })
    };
    let mut skips = Vec::new();
    let mut reopened = Vec::new();
    let target = match to {
        None => {
            if item.finished {
                return refuse(Refusal::InvalidValue {
                    what: "advance".into(),
                    why: "the workflow is already finished".into(),
                });
            }
            // The current step is passed too: if it no longer applies, it is skipped.
            let mut next = current;
            loop {
                let d = applies(next)?;
                if next > current && d.applies {
                    break next;
                }
                if !d.applies {
                    skips.push((steps[next].id.to_string(), d));
                }
                next += 1;
                if next == steps.len() {
                    break next;
                }
            }
        }
        Some(step) => {
            let Some(i) = steps.iter().position(|x| x.id.as_str() == step) else {
                let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
                return refuse(Refusal::NotFound {
                    what: format!("step `{step}` (the steps are {})", ids.join(", ")),
                });
            };
            if i != current || item.finished {
                let d = applies(i)?;
                if !d.applies {
                    return not_applicable(i, &d);
                }
            }
            for (k, passed) in steps.iter().enumerate().take(i).skip(from) {
                let d = applies(k)?;
                if !d.applies {
                    skips.push((passed.id.to_string(), d));
                }
            }
            if i < from {
                reopened = steps[i..]
                    .iter()
                    .filter(|s| item.skipped.contains_key(s.id.as_str()))
                    .map(|s| s.id.to_string())
                    .collect();
            }
            i
        }
    };
    Ok((target, skips, reopened))
}

/// The `before_advance` hook's word on a move forward to `target`: a
/// refusal with its reason, or nothing.
fn before_advance(
    resolver: &Resolver<'_>,
    item: &Item,
    target: Option<&Step>,
    script_item: &rhai::Dynamic,
) -> Result<()> {
    let hooks = &resolver.set.hooks;
    let bp = item.blueprint.clone();

    let from: rhai::Dynamic = item.step.clone().map_or(rhai::Dynamic::UNIT, Into::into);
    let to: rhai::Dynamic = target.map_or(rhai::Dynamic::UNIT, |s| s.id.to_string().into());
    let verdict = hooks
        .call(&bp, "before_advance", vec![script_item.clone(), from, to])
        .map_err(script_failed)?;
    if let Some(reason) = verdict.filter(|v| !v.is_unit()) {
        let why = reason
            .clone()
            .into_string()
            .unwrap_or_else(|_| reason.to_string());
        let unhooked = resolver.hides_any().then(|| item.clone());
        return resolver.censor(
            unhooked,
            refuse(Refusal::RefusedByRule { why }),
            |blind, ancestors| {
                let chain: Vec<Item> = std::iter::once(blind)
                    .chain(ancestors.iter().cloned())
                    .collect();
                let view = script_view(resolver.set, &chain, 0);
                let from: rhai::Dynamic = item.step.clone().map_or(rhai::Dynamic::UNIT, Into::into);
                let to: rhai::Dynamic =
                    target.map_or(rhai::Dynamic::UNIT, |s| s.id.to_string().into());
                match hooks
                    .call(&bp, "before_advance", vec![view, from, to])
                    .map_err(script_failed)?
                    .filter(|v| !v.is_unit())
                {
                    Some(r) => refuse(Refusal::RefusedByRule {
                        why: r.clone().into_string().unwrap_or_else(|_| r.to_string()),
                    }),
                    None => Ok(()),
                }
            },
        );
    }
    Ok(())
}

/// Whether the resolver's identity may move `item` to the next step that
/// applies (`to` = None) or to step `to` now: what the move does, or why not.
pub(in crate::engine) fn decide_move(
    resolver: &Resolver<'_>,
    item: &Item,
    to: Option<&str>,
) -> Result<MovePlan> {
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
    let steps = &workflow.steps;
    let current = item
        .step
        .as_deref()
        .and_then(|s| steps.iter().position(|x| x.id.as_str() == s))
        .unwrap_or(0);
    let from = if item.finished { steps.len() } else { current };
    let hooks = &resolver.set.hooks;
    let bp = item.blueprint.clone();
    let hooked = ["mandatory", "before_advance", "visible"]
        .iter()
        .any(|h| hooks.has(&bp, h));
    let script_item = if hooked {
        script_view(resolver.set, resolver.chain, 0)
    } else {
        rhai::Dynamic::UNIT
    };
    let course = Course {
        steps,
        current,
        from,
    };
    let (target, skips, reopened) = target_of(resolver, item, &course, to, &script_item)?;
    let mut facts = Engine::step_facts(blueprint, item);
    for (step, _) in &skips {
        if let Some(f) = facts.iter_mut().find(|f| &f.id == step) {
            f.skipped = true;
        }
    }
    let locked = item.signoffs.values().any(|s| s.status.locks_workflow());
    let forward = target > current && !item.finished;
    if forward && hooks.has(&bp, "mandatory") {
        for f in facts
            .iter_mut()
            .filter(|f| f.signoff.is_some() && !f.skipped)
        {
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
    if forward && hooks.has(&bp, "before_advance") {
        before_advance(resolver, item, steps.get(target), &script_item)?;
    }
    Ok(MovePlan {
        target,
        skips,
        reopened,
    })
}
