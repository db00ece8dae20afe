//! What would a candidate blueprint set have decided? Every recorded action
//! of the items is applied again — same actor, same time, same arguments —
//! in a scratch database holding the candidate set and the same people,
//! never the real one, with hooks told that they are replaying (their
//! `replaying()` is true); each item's first divergence (an action the
//! candidate refuses, a sign-off that ends in another state, a deploy
//! decision that changes) is reported. Actions the audit trail does not
//! hold the whole input of are listed as not replayed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::access::Identity;
use crate::engine::act::items::{FieldChange, NewItem};
use crate::engine::core::Engine;
use crate::engine::error::{EngineError, Result};
use crate::engine::read::history::{AuditEntry, Happened};
use crate::engine::read::views::{DeployVerdict, StatusView};
use crate::engine::rules::signoff::{Action, Status};
use crate::engine::rules::values::field_text;
use crate::store::Durability;
use crate::store::{CHAIN_PAGE, chain_pages, parsed_events};

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayRequest<'a> {
    /// The candidate set's files or folders.
    pub candidate: &'a [PathBuf],
    /// Report only items of this blueprint (all are replayed: their
    /// ancestors decide who reviews).
    pub blueprint: Option<&'a str>,
    /// Where the scratch database is made.
    pub scratch: &'a Path,
}

/// What the candidate set would have decided.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplayReport {
    /// Items compared.
    pub items: usize,
    /// Actions applied again.
    pub replayed: usize,
    /// Items whose history diverges.
    pub diverged: usize,
    /// Recorded actions that cannot be replayed (by audit action), and how many.
    pub not_replayed: BTreeMap<String, usize>,
    /// Each diverging item's first divergence.
    pub divergences: Vec<Divergence>,
    /// Every current deploy decision that would change.
    pub deploy_changes: Vec<DeployChange>,
}

/// An item's first divergence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Divergence {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// The recorded action where it diverges (its audit name), if an action was refused.
    pub action: Option<String>,
    /// When it was recorded.
    pub at: Option<String>,
    /// What differs.
    pub what: String,
}

/// A deploy decision the candidate would change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeployChange {
    /// The item.
    pub item: String,
    /// The infrastructure.
    pub infrastructure: String,
    /// The decision now.
    pub now: DeployVerdict,
    /// The candidate's (`None`: the candidate has no such infrastructure).
    pub candidate: Option<DeployVerdict>,
}

impl Engine {
    /// Replays the recorded history against `request.candidate` in a scratch
    /// database (admins).
    pub fn replay(&mut self, who: &Identity, request: &ReplayRequest<'_>) -> Result<ReplayReport> {
        if !who.admin {
            return Err(crate::engine::error::Refusal::NotPermitted {
                who: who.name.clone(),
                what: "replay the history (admins only)".into(),
            }
            .into());
        }
        let path = request.scratch.join("replay.db");
        remove_scratch(&path);
        let mut scratch = Engine::open(&path, Durability::Normal)?;
        scratch.load_blueprints(request.candidate, None)?;
        let renames = Renames::of(&mut scratch)?;
        let admin = Identity::local_admin();
        for u in self.users()? {
            scratch.add_user(&admin, &u.name, u.email.as_deref(), u.admin)?;
        }
        for (group, members) in self.groups()? {
            scratch.add_group(&admin, &group, &members)?;
        }
        let mut report = ReplayReport {
            items: 0,
            replayed: 0,
            diverged: 0,
            not_replayed: BTreeMap::new(),
            divergences: Vec::new(),
            deploy_changes: Vec::new(),
        };
        let mut ids: HashMap<i64, i64> = HashMap::new();
        let mut refused: HashMap<i64, Divergence> = HashMap::new();
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut blueprints: HashMap<i64, String> = HashMap::new();
        // The chain a page at a time, in one read of the recorded history.
        let history = self.store.read()?;
        for page in chain_pages(&*history, CHAIN_PAGE) {
            for event in parsed_events(page?)?.into_iter().map(AuditEntry::from) {
                let Some(item) = event.item else { continue };
                if refused.contains_key(&item) {
                    continue;
                }
                let actor = scratch
                    .identify_user(&event.actor)
                    .unwrap_or_else(|_| Identity::local_admin());
                let outcome = crate::hooks::while_replaying(|| {
                    let event = renames.applied(&event, &mut blueprints);
                    replay_one(&mut scratch, &actor, &event, &mut ids, &mut names)
                });
                match outcome {
                    Some(Ok(())) => report.replayed += 1,
                    None => *report.not_replayed.entry(event.action.clone()).or_default() += 1,
                    Some(Err(e)) => {
                        refused.insert(
                            item,
                            Divergence {
                                item: item.to_string(),
                                name: names.get(&item).cloned().unwrap_or_default(),
                                action: Some(event.action.clone()),
                                at: Some(event.at.clone()),
                                what: format!("the candidate refuses it: {e}"),
                            },
                        );
                    }
                }
            }
        }
        drop(history);
        // The items now, against the candidate's.
        let items = self.items(
            &admin,
            &crate::engine::read::lists::ItemFilter::of(request.blueprint, None),
        )?;
        for view in items {
            let id: i64 = view.id.parse().unwrap_or_default();
            report.items += 1;
            let first = refused.remove(&id);
            let Some(mapped) = ids.get(&id) else {
                report.divergences.push(first.unwrap_or_else(|| Divergence {
                    item: view.id.clone(),
                    name: view.name.clone(),
                    action: None,
                    at: None,
                    what: "its creation was not replayed".into(),
                }));
                continue;
            };
            let (now, then) = (self.status(&admin, id)?, scratch.status(&admin, *mapped)?);
            let what = differs(&renames.status(&now), &then);
            match (first, what) {
                (Some(d), _) => report.divergences.push(d),
                (None, Some(what)) => report.divergences.push(Divergence {
                    item: view.id.clone(),
                    name: view.name.clone(),
                    action: None,
                    at: None,
                    what,
                }),
                (None, None) => {}
            }
            report
                .deploy_changes
                .extend(deploy_changes(&view.id, &now, &then));
        }
        report.diverged = report.divergences.len();
        drop(scratch);
        remove_scratch(&path);
        Ok(report)
    }
}

/// Removes a scratch database with its log files, if there.
fn remove_scratch(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Where the candidate's deploy decisions for an item differ from today's.
fn deploy_changes(item: &str, now: &StatusView, then: &StatusView) -> Vec<DeployChange> {
    let mut changes = Vec::new();
    for d in &now.deploy {
        let theirs = then
            .deploy
            .iter()
            .find(|t| t.infrastructure == d.infrastructure);
        let candidate = theirs.map(|t| t.decision);
        if candidate != Some(d.decision) {
            changes.push(DeployChange {
                item: item.to_string(),
                infrastructure: d.infrastructure.clone(),
                now: d.decision,
                candidate,
            });
        }
    }
    changes
}

/// Applies one recorded event, as the audit trail reads it, in the scratch
/// engine: `None` when it is not an action the trail holds the whole input
/// of.
fn replay_one(
    scratch: &mut Engine,
    actor: &Identity,
    event: &AuditEntry,
    ids: &mut HashMap<i64, i64>,
    names: &mut HashMap<i64, String>,
) -> Option<std::result::Result<(), EngineError>> {
    let item = event.item?;
    let at = chrono::DateTime::parse_from_rfc3339(&event.at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc));
    let mapped = ids.get(&item).copied();
    Some(match &event.happened {
        Happened::Created {
            name,
            blueprint,
            parent,
            fields,
            values,
        } => {
            names.insert(item, name.clone());
            let parent = match parent {
                Some(p) => Some(*ids.get(p)?),
                None => None,
            };
            let sets: Vec<(String, String)> = fields
                .iter()
                .cloned()
                .zip(values.iter().map(field_text))
                .collect();
            let new = NewItem {
                blueprint,
                version: None,
                name,
                parent,
                sets: &sets,
            };
            scratch.create(actor, &new, at).map(|v| {
                if let Ok(id) = v.id.parse() {
                    ids.insert(item, id);
                }
            })
        }
        Happened::FieldsChanged { fields, after } => {
            let changes: Vec<FieldChange> = fields
                .iter()
                .zip(after)
                .map(|(k, v)| match v {
                    serde_json::Value::Null => FieldChange::Unset(k.clone()),
                    v => FieldChange::Set(k.clone(), field_text(v)),
                })
                .collect();
            scratch
                .set_fields(actor, mapped?, &changes, None, at)
                .map(|_| ())
        }
        Happened::Moved { to: Some(step), .. } => scratch
            .move_item(actor, mapped?, Some(step), None, at)
            .map(|_| ()),
        Happened::SignOff(entry) => {
            let action = entry.action.clone()?;
            let id = mapped?;
            // A decision taken again the way it stood (a comment edit, taken
            // before such repeats were refused) changes nothing to replay.
            let stood = match scratch.store.read().and_then(|tx| tx.item(id)) {
                Ok(item) => item.and_then(|i| i.signoffs.get(&entry.step).map(|s| s.status)),
                Err(e) => return Some(Err(e.into())),
            };
            let again = matches!(
                (&action, stood),
                (Action::Approve { .. }, Some(Status::Approved))
                    | (Action::Reject { .. }, Some(Status::Rejected))
            );
            if again {
                Ok(())
            } else {
                scratch
                    .signoff(actor, id, Some(&entry.step), action, at)
                    .map(|_| ())
            }
        }
        _ => return None,
    })
}

/// The names the candidate's own `migrate` blocks give to steps and fields
/// of earlier versions, by blueprint: a step the candidate renames is the
/// same step under its new name, not a divergence.
#[derive(Default)]
struct Renames {
    steps: HashMap<String, BTreeMap<String, String>>,
    fields: HashMap<String, BTreeMap<String, String>>,
}

impl Renames {
    /// The renames of every migration of the candidate set, older versions
    /// first (a name renamed twice takes its last name).
    fn of(scratch: &mut Engine) -> Result<Renames> {
        let tx = scratch.store.read()?;
        let mut migrations = Vec::new();
        for (_, _, set) in scratch.cache.newest_sets(&tx, None)? {
            migrations.extend(set.migrations.iter().cloned());
        }
        migrations.sort_by_key(|m| (m.blueprint.to_string(), m.from));
        migrations.dedup();
        let mut out = Renames::default();
        for m in migrations {
            let b = m.blueprint.to_string();
            for (map, renamed) in [(&mut out.steps, &m.steps), (&mut out.fields, &m.fields)] {
                let names = map.entry(b.clone()).or_default();
                for new in names.values_mut() {
                    if let Some(next) = renamed.get(new.as_str()) {
                        new.clone_from(next);
                    }
                }
                for (old, new) in renamed {
                    names.entry(old.clone()).or_insert_with(|| new.clone());
                }
            }
        }
        Ok(out)
    }

    fn step(&self, blueprint: &str, step: &str) -> String {
        rename(&self.steps, blueprint, step)
    }

    fn field(&self, blueprint: &str, field: &str) -> String {
        rename(&self.fields, blueprint, field)
    }

    /// The event with the candidate's names (`blueprints`: each item's
    /// blueprint, learnt from its creation).
    fn applied(&self, event: &AuditEntry, blueprints: &mut HashMap<i64, String>) -> AuditEntry {
        let mut event = event.clone();
        let Some(item) = event.item else {
            return event;
        };
        if let Happened::Created { blueprint, .. } = &event.happened {
            blueprints.insert(item, blueprint.clone());
        }
        let Some(b) = blueprints.get(&item) else {
            return event;
        };
        match &mut event.happened {
            Happened::Created { fields, .. } | Happened::FieldsChanged { fields, .. } => {
                for f in fields.iter_mut() {
                    *f = self.field(b, f);
                }
            }
            Happened::Moved { to: Some(step), .. } => *step = self.step(b, step),
            Happened::SignOff(entry) => entry.step = self.step(b, &entry.step),
            _ => {}
        }
        event
    }

    /// The status with the candidate's names for its steps.
    fn status(&self, now: &StatusView) -> StatusView {
        let mut now = now.clone();
        let b = now.item.blueprint.clone();
        if let Some(step) = now.item.step.as_mut() {
            *step = self.step(&b, step);
        }
        for s in &mut now.signoffs {
            s.step = self.step(&b, &s.step);
        }
        now
    }
}

fn rename(map: &HashMap<String, BTreeMap<String, String>>, blueprint: &str, name: &str) -> String {
    map.get(blueprint)
        .and_then(|names| names.get(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// What differs between an item's status now and the candidate's.
fn differs(now: &StatusView, then: &StatusView) -> Option<String> {
    if now.item.step != then.item.step {
        return Some(format!(
            "it would be on step {:?}, not {:?}",
            then.item.step.as_deref().unwrap_or("-"),
            now.item.step.as_deref().unwrap_or("-")
        ));
    }
    for s in &now.signoffs {
        let theirs = then.signoffs.iter().find(|t| t.step == s.step);
        match theirs {
            Some(t) if t.status != s.status => {
                return Some(format!(
                    "the sign-off of `{}` would be {:?}, not {:?}",
                    s.step, t.status, s.status
                ));
            }
            None => return Some(format!("step `{}` would have no sign-off", s.step)),
            _ => {}
        }
    }
    None
}
