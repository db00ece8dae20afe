//! Reading: an item's status, lists of statuses, deploy checks (a
//! confirmation is audited), the reviews waiting for a user and matrix views.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::engine::access::{Delegators, Identity, NoTrace, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::read::status::status_of;
use crate::engine::read::views::*;
use crate::engine::rules::actions::Needed;
use crate::engine::rules::deploy::decide;
use crate::engine::rules::signoff::Status;
use crate::engine::set_cache::SetCache;
use crate::model::Item;
use crate::store::Tx;

impl Engine {
    /// The governance status of an item.
    pub fn status(&mut self, who: &Identity, id: i64) -> Result<StatusView> {
        let now = self.now_or(None);
        self.with_readable(who, id, |resolver, _, blueprint| {
            Ok(resolver.redact_status(status_of(resolver.set, blueprint, resolver.chain, now)))
        })
    }
}

impl Engine {
    /// Checks whether an item may be deployed on an infrastructure; a
    /// confirmation under `warn` is audited.
    pub fn deploy_check(
        &mut self,
        who: &Identity,
        id: i64,
        infrastructure: &str,
        confirm: bool,
        now: Option<DateTime<Utc>>,
    ) -> Result<DeployDecision> {
        let now = self.now_or(now);
        // A plain check only reads; a confirmation is written to the audit trail.
        let tx = if confirm {
            self.store.write()?
        } else {
            self.store.read()?
        };
        let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        let blueprint = resolver.own_blueprint()?;
        let Some(infra) = set
            .infrastructures
            .get(&crate::model::InfrastructureId(infrastructure.to_string()))
        else {
            let ids: Vec<&str> = set.infrastructures.keys().map(|i| i.as_str()).collect();
            return refuse(Refusal::NotFound {
                what: format!(
                    "infrastructure `{infrastructure}` (declared: {})",
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                ),
            });
        };
        let mut decision = decide(blueprint, &chain, infra);
        if decision.decision == DeployVerdict::Confirm && confirm {
            decision.decision = DeployVerdict::Allow;
            decision.confirmed = true;
            decision.reason = format!("confirmed by `{}` although {}", who.name, decision.reason);
            let mut details = json!({"infrastructure": infrastructure, "reason": decision.reason});
            crate::engine::access::stamp(&mut details, who);
            tx.append_event(Some(id), &who.name, "deploy.confirm", now, &details)?;
            tx.commit()?;
        }
        Ok(decision)
    }

    /// The reviews waiting for `who`, found by evaluating the eligibility
    /// rules on every item without the kept index (what the index must
    /// answer; tests and `db check` compare the two), by item.
    pub fn reviews_evaluated(&mut self, who: &Identity) -> Result<Vec<PendingReview>> {
        let now = self.now_or(None);
        let tx = self.store.read()?;
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let rows = tx.items_after(None, None, after, 1000)?;
            let ended = rows.len() < 1000;
            for row in rows {
                after = row.id;
                out.extend(Self::pending_of(&mut self.cache, &tx, who, &row, now)?);
            }
            if ended {
                return Ok(out);
            }
        }
    }

    /// The sign-off of `row`'s current step, if it waits for `who`: one
    /// entry per feedback group they may review, or the final approval.
    pub(in crate::engine) fn pending_of(
        cache: &mut SetCache,
        tx: &Tx<'_>,
        who: &Identity,
        row: &Item,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingReview>> {
        let mut out = Vec::new();
        let Some(step) = row.step.clone() else {
            return Ok(out);
        };
        let Some(state) = row.signoffs.get(&step) else {
            return Ok(out);
        };
        if !matches!(
            state.status,
            Status::WaitingForFeedback | Status::WaitingForApproval
        ) {
            return Ok(out);
        }
        let chain = Self::chain(tx, row.id)?;
        let set = cache.get(tx, &row.blueprint, row.version)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who: &Identity {
                admin: false,
                ..who.clone()
            },
        };
        let delegators = Delegators::load(tx, state)?;
        let actor = resolver.actor(&step, state, Needed::Every, &delegators)?;
        let spec = resolver
            .blueprint(0)
            .and_then(|b| b.step(&step))
            .and_then(|s| s.signoff.as_ref());
        let entry = |group: &str| {
            let service = spec
                .and_then(|spec| crate::engine::rules::sla::level_of(spec, group))
                .filter(|l| l.sla.is_some())
                .map(|l| {
                    crate::engine::rules::sla::view(l, state.clocks.get(group), state.status, now)
                });
            PendingReview {
                item: row.id.to_string(),
                name: row.name.clone(),
                blueprint: row.blueprint.clone(),
                step: step.clone(),
                status: state.status,
                role: PendingReview::role_of(group).into(),
                group: group.into(),
                due_at: service.as_ref().and_then(|v| v.due_at),
                timezone: service
                    .as_ref()
                    .filter(|v| v.due_at.is_some())
                    .map(|v| v.timezone),
                breached: service.is_some_and(|v| v.breached),
                escalated: false,
                watch_only: false,
            }
        };
        let barred =
            |slot: &str| spec.is_some_and(|spec| resolver.barred(spec, state, slot).is_some());
        if state.status == Status::WaitingForFeedback {
            for g in &actor.feedback_groups {
                if !state
                    .reviews
                    .iter()
                    .any(|r| r.group == *g && r.reviewer == who.name)
                    && !barred(g)
                {
                    out.push(entry(g));
                }
            }
        } else if actor.is_final_approver && !barred("final") {
            out.push(entry("final"));
        }
        // A clock escalated to `who`: the review is theirs to follow up,
        // to act on only where the escalation grants it.
        let Some(spec) = spec else {
            return Ok(out);
        };
        let open: Vec<&str> = if state.status == Status::WaitingForFeedback {
            spec.feedback.iter().map(|g| g.id.as_str()).collect()
        } else {
            vec!["final"]
        };
        for group in open {
            let Some(escalation) = crate::engine::rules::sla::level_of(spec, group)
                .and_then(|l| l.escalate.as_ref())
                .filter(|_| state.escalated(group))
            else {
                continue;
            };
            if !resolver.matches_any_traced(&escalation.to, 0, 0, &mut NoTrace) {
                continue;
            }
            match out.iter_mut().find(|p| p.group == group) {
                Some(listed) => listed.escalated = true,
                None if !escalation.grant => out.push(PendingReview {
                    escalated: true,
                    watch_only: true,
                    ..entry(group)
                }),
                None => {}
            }
        }
        Ok(out)
    }

    /// The points of a matrix view.
    pub fn matrix(
        &mut self,
        who: &Identity,
        blueprint: Option<&str>,
        view_id: Option<&str>,
    ) -> Result<MatrixView> {
        let tx = self.store.read()?;
        let versions = tx.blueprint_versions()?;
        let candidates: Vec<String> = match blueprint {
            Some(b) => vec![b.to_string()],
            None => {
                let mut names: Vec<String> = versions.iter().map(|v| v.blueprint.clone()).collect();
                names.dedup();
                names
            }
        };
        for name in candidates {
            let Some(version) = self.cache.latest(&tx, &name)? else {
                continue;
            };
            let set = self.cache.get(&tx, &name, version)?;
            let Some(b) = set.blueprint(&name) else {
                continue;
            };
            let Some(m) = b
                .matrices
                .iter()
                .find(|m| view_id.is_none_or(|v| m.id.as_str() == v))
            else {
                continue;
            };
            let mut points = Vec::new();
            for (chain, item_set) in Self::readable_items(&tx, &mut self.cache, who, Some(&name))? {
                let resolver = Resolver {
                    set: &item_set,
                    chain: &chain,
                    who,
                };
                let row = &chain[0];
                let (Some(x), Some(y)) = (
                    resolver.readable_field(m.x.as_str()),
                    resolver.readable_field(m.y.as_str()),
                ) else {
                    continue;
                };
                let other = |f: &Option<crate::model::FieldId>| {
                    f.as_ref()
                        .and_then(|f| resolver.readable_field(f.as_str()).cloned())
                };
                points.push(MatrixPoint {
                    item: row.id.to_string(),
                    name: row.name.clone(),
                    x: x.clone(),
                    y: y.clone(),
                    size: other(&m.size),
                    color: other(&m.color),
                });
            }
            let mut axes = BTreeMap::from([
                ("x".to_string(), m.x.to_string()),
                ("y".to_string(), m.y.to_string()),
            ]);
            if let Some(s) = &m.size {
                axes.insert("size".into(), s.to_string());
            }
            if let Some(c) = &m.color {
                axes.insert("color".into(), c.to_string());
            }
            return Ok(MatrixView {
                blueprint: name.clone(),
                view: m.id.to_string(),
                label: m.label.clone(),
                axes,
                points,
            });
        }
        refuse(Refusal::NotFound {
            what: match (blueprint, view_id) {
                (Some(b), Some(v)) => format!("matrix view `{v}` of blueprint `{b}`"),
                (Some(b), None) => format!("matrix view of blueprint `{b}`"),
                (None, Some(v)) => format!("matrix view `{v}`"),
                (None, None) => "matrix view in any blueprint".into(),
            },
        })
    }
}
