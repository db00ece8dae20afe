//! Moving running items between versions of a blueprint, by the `migrate`
//! block of the set that made the new version: steps mapped, fields renamed,
//! set or dropped, each sign-off kept (state and reviews) or reset. The old
//! side is checked against the stored old version first; a dry run reports
//! per item what would change and what stops it, changing nothing; applying
//! moves one item per transaction, each with an audited `item.migrate`
//! event and a new revision. Items already on the new version are left
//! alone, so an interrupted migration resumes where it stopped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::engine::access::Identity;
use crate::engine::act::versions::VersionState;
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::rules::signoff::archive;
use crate::engine::rules::values;
use crate::model::Item;
use crate::model::{Blueprint, Migration};
use crate::store::{ItemUpdate, NewEvent};

/// What to migrate.
#[derive(Debug, Clone, Copy)]
pub struct MigrateRequest<'a> {
    /// The blueprint.
    pub blueprint: &'a str,
    /// The version items move from.
    pub from: u32,
    /// The version they move to.
    pub to: u32,
    /// Report only; change nothing.
    pub dry_run: bool,
    /// Only these items (all of the version when empty).
    pub items: &'a [i64],
}

/// What a migration did, or would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MigrationReport {
    /// The blueprint.
    pub blueprint: String,
    /// The version items move from.
    pub from: u32,
    /// The version they move to.
    pub to: u32,
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Each item of the old version asked for.
    pub items: Vec<ItemMigration>,
    /// Items moved (or that would move, in a dry run).
    pub moved: usize,
    /// Items that cannot move, with the reasons in their entry.
    pub blocked: usize,
    /// Items asked for that were on the new version already.
    pub already: usize,
}

/// One item's move.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemMigration {
    /// The item's id.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Its step before and after.
    pub step: Option<Move>,
    /// Fields renamed that hold a value.
    pub renamed: Vec<Move>,
    /// Fields given the migration's value (they were unset).
    pub set: Vec<String>,
    /// Fields whose values were dropped.
    pub dropped: Vec<String>,
    /// What became of each sign-off.
    pub signoffs: Vec<SignOffMove>,
    /// Why it cannot move (empty when it can).
    pub problems: Vec<String>,
    /// Whether it moved (or would, in a dry run).
    pub moved: bool,
}

/// A step (or a renamed field) before and after a migration.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Move {
    /// Before.
    pub from: String,
    /// After.
    pub to: String,
}

/// A sign-off before and after a migration.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignOffMove {
    /// The old step.
    pub from: String,
    /// The new step (`None`: dropped, the new step has no sign-off).
    pub to: Option<String>,
    /// `keep` (state and reviews), `reset` (NOT_STARTED, reviews archived) or `drop`.
    pub fate: String,
}

impl Engine {
    /// Migrates (or, in a dry run, reports) the items of `request`
    /// (admins).
    pub fn migrate(
        &mut self,
        who: &Identity,
        request: &MigrateRequest<'_>,
        now: Option<DateTime<Utc>>,
    ) -> Result<MigrationReport> {
        let now = self.now_or(now);
        if !who.admin {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what: "migrate items (admins only)".into(),
            });
        }
        let (migration, old, new, rows) = {
            let tx = self.store.read()?;
            let state = tx
                .blueprint_versions()?
                .into_iter()
                .find(|v| v.blueprint == request.blueprint && v.version == request.to)
                .map(|v| VersionState::parse(&v.state));
            migratable_to(state, request)?;
            let new_set = self.cache.get(&tx, request.blueprint, request.to)?;
            let Some(migration) = new_set
                .migrations
                .iter()
                .find(|m| m.blueprint.as_str() == request.blueprint && m.from == request.from)
                .cloned()
            else {
                return refuse(Refusal::InvalidValue {
                    what: format!(
                        "migration of `{}` from {} to {}",
                        request.blueprint, request.from, request.to
                    ),
                    why: format!(
                        "the set of version {} has no `migrate {} {} -> {} {{ … }}` block: write it beside the blueprint's change and load the set",
                        request.to, request.blueprint, request.from, request.to
                    ),
                });
            };
            let old_set = self.cache.get(&tx, request.blueprint, request.from)?;
            let (Some(old), Some(new)) = (
                old_set.blueprint(request.blueprint).cloned(),
                new_set.blueprint(request.blueprint).cloned(),
            ) else {
                return refuse(Refusal::NotFound {
                    what: format!("blueprint `{}`", request.blueprint),
                });
            };
            let problems = old_side_problems(&migration, &old, &new);
            if !problems.is_empty() {
                return refuse(Refusal::InvalidValue {
                    what: format!(
                        "migration of `{}` from {} to {}",
                        request.blueprint, request.from, request.to
                    ),
                    why: problems.join("; "),
                });
            }
            let rows: Vec<Item> = tx
                .items(Some(request.blueprint), None)?
                .into_iter()
                .filter(|r| request.items.is_empty() || request.items.contains(&r.id))
                .collect();
            (migration, old, new, rows)
        };
        let mut report = MigrationReport {
            blueprint: request.blueprint.to_string(),
            from: request.from,
            to: request.to,
            dry_run: request.dry_run,
            items: Vec::new(),
            moved: 0,
            blocked: 0,
            already: 0,
        };
        for id in request.items {
            if !rows.iter().any(|r| r.id == *id) {
                return refuse(Refusal::NotFound {
                    what: format!("item {id} of blueprint `{}`", request.blueprint),
                });
            }
        }
        for row in rows {
            if row.version == request.to {
                report.already += 1;
                continue;
            }
            if row.version != request.from {
                continue;
            }
            let entry = if request.dry_run {
                let computed = self.migrate_hook(&migration, &row)?;
                plan(&migration, &new, &row, &computed).0
            } else {
                self.migrate_one(who, &migration, &old, &new, row.id, now)?
            };
            if entry.moved {
                report.moved += 1;
            } else {
                report.blocked += 1;
            }
            report.items.push(entry);
        }
        Ok(report)
    }

    /// Moves one item, in its own transaction, from its row as read now.
    fn migrate_one(
        &mut self,
        who: &Identity,
        migration: &Migration,
        old: &Blueprint,
        new: &Blueprint,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<ItemMigration> {
        let tx = self.store.write()?;
        let Some(row) = tx.item(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        let computed = Self::hook_values(&mut self.cache, &tx, migration, &row)?;
        let (mut entry, moved) = plan(migration, new, &row, &computed);
        let Some(mut moved) = moved.filter(|_| entry.problems.is_empty()) else {
            entry.moved = false;
            return Ok(entry);
        };
        for m in &entry.signoffs {
            if m.fate == "reset"
                && let Some(to) = &m.to
                && let Some(state) = moved.signoffs.get_mut(to)
            {
                archive(state, &who.name, now);
            }
        }
        crate::engine::rules::sla::schedule(new, &mut moved.signoffs);
        moved.version = migration.to;
        moved.updated_at = now;
        moved.revision += 1;
        let details = json!({
            "from": migration.from,
            "to": migration.to,
            "old_blueprint_version": old.version,
            "step": entry.step,
            "renamed": entry.renamed,
            "set": entry.set,
            "dropped": entry.dropped,
            "signoffs": entry.signoffs,
            "as_admin": true,
        });
        let event = NewEvent {
            actor: &who.name,
            action: "item.migrate",
            at: now,
            details: &details,
        };
        let update = ItemUpdate {
            item: &moved,
            before: &row,
            event: &event,
            // Kept below, from the new version's blueprint and the stored index.
            kept: None,
        };
        if tx.update_item(&update)?.is_none() {
            return refuse(Refusal::StaleRevision {
                item: row.id,
                expected: row.revision,
                actual: row.revision + 1,
            });
        }
        let new_set = self.cache.get(&tx, &moved.blueprint, moved.version)?;
        let mut chain = Self::with_ancestors(&tx, moved)?;
        Self::keep(&tx, &new_set, &chain, None, now)?;
        let moved = chain.swap_remove(0);
        tx.commit_keeping(Some(moved))?;
        entry.moved = true;
        Ok(entry)
    }
}

impl Engine {
    /// What the new version's `migrate(item, from, to)` hook returns for
    /// `row`, read in its own transaction (a dry run).
    fn migrate_hook(&mut self, migration: &Migration, row: &Item) -> Result<Computed> {
        let tx = self.store.read()?;
        Self::hook_values(&mut self.cache, &tx, migration, row)
    }

    /// Calls the new version's `migrate(item, from, to)` hook, if its script
    /// has one, with the item as its own (old) version shows it: the field
    /// values of the map it returns are set on the new version.
    fn hook_values(
        cache: &mut crate::engine::set_cache::SetCache,
        tx: &crate::store::Tx<'_>,
        migration: &Migration,
        row: &Item,
    ) -> Result<Computed> {
        let id = migration.blueprint.as_str();
        let set = cache.get(tx, id, migration.to)?;
        if !set.hooks.has(id, "migrate") {
            return Ok(Computed::new());
        }
        let old = cache.get(tx, id, migration.from)?;
        let chain = Self::chain(tx, row.id)?;
        let view = crate::engine::script_view::script_view(&old, &chain, 0);
        let args = vec![
            view,
            rhai::Dynamic::from(i64::from(migration.from)),
            rhai::Dynamic::from(i64::from(migration.to)),
        ];
        let returned = set
            .hooks
            .call(id, "migrate", args)
            .map_err(crate::engine::error::script_failed)?;
        Ok(match returned.map(|d| crate::hooks::to_json(&d)) {
            Some(serde_json::Value::Object(map)) => map.into_iter().collect(),
            _ => Computed::new(),
        })
    }
}

/// Field values a `migrate` hook computed, by field, as it returned them.
type Computed = BTreeMap<String, serde_json::Value>;

/// What of the migration does not fit the stored old version: names it
/// maps from that the old version does not have, old steps and fields with
/// nowhere to go, renamed fields whose types differ.
pub(in crate::engine) fn old_side_problems(
    m: &Migration,
    old: &Blueprint,
    new: &Blueprint,
) -> Vec<String> {
    let mut problems = Vec::new();
    let old_steps: Vec<&str> = old
        .workflow
        .iter()
        .flat_map(|w| w.steps.iter().map(|s| s.id.as_str()))
        .collect();
    for from in m.steps.keys().chain(m.signoffs.keys()) {
        if !old_steps.contains(&from.as_str()) {
            problems.push(format!("version {} has no step `{from}`", m.from));
        }
    }
    for step in &old_steps {
        if !m.steps.contains_key(*step) && new.step(step).is_none() {
            problems.push(format!(
                "step `{step}` of version {} is not in version {}: map it (`step {step} -> NEW`)",
                m.from, m.to
            ));
        }
    }
    for (from, to) in &m.fields {
        match (old.field(from), new.field(to)) {
            (None, _) => problems.push(format!("version {} has no field `{from}`", m.from)),
            (Some(a), Some(b)) if a.ty.describe() != b.ty.describe() => problems.push(format!(
                "field `{from}` is `{}` and `{to}` is `{}`: a renamed field keeps its type",
                a.ty.describe(),
                b.ty.describe()
            )),
            _ => {}
        }
    }
    for f in &old.fields {
        let id = f.id.as_str();
        if new.field(id).is_none() && !m.fields.contains_key(id) && !m.drops.contains(id) {
            problems.push(format!(
                "field `{id}` of version {} is not in version {}: rename it (`field {id} -> NEW`) or drop it (`drop {id}`)",
                m.from, m.to
            ));
        }
    }
    problems
}

/// Refused unless items may move to the version `request` names, in its
/// state (`None`: not stored): ACTIVE, or DRAFT for a dry run.
fn migratable_to(state: Option<VersionState>, request: &MigrateRequest<'_>) -> Result<()> {
    // A dry run previews a DRAFT too: what activating it would mean.
    let previewable = request.dry_run && state == Some(VersionState::Draft);
    if state != Some(VersionState::Active) && !previewable {
        return refuse(Refusal::InvalidValue {
            what: format!("version {} of `{}`", request.to, request.blueprint),
            why: match state {
                None => "it is not stored: load the set that declares it".into(),
                Some(VersionState::Draft) => format!(
                    "it is DRAFT; items move to an ACTIVE version (`govrt blueprint activate {} {}`); preview the migration with `--dry-run`",
                    request.blueprint, request.to
                ),
                Some(s) => format!(
                    "it is {}; items move to an ACTIVE version (`govrt blueprint activate`)",
                    s.as_str()
                ),
            },
        });
    }
    Ok(())
}

/// The fields of an item on the new version: renamed, dropped, then set
/// where unset, then what the `migrate` hook computed.
fn migrate_fields(
    m: &Migration,
    new: &Blueprint,
    row: &Item,
    computed: &Computed,
    entry: &mut ItemMigration,
) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    for (k, v) in &row.fields {
        if m.drops.contains(k) {
            entry.dropped.push(k.clone());
        } else if let Some(to) = m.fields.get(k) {
            entry.renamed.push(Move {
                from: k.clone(),
                to: to.clone(),
            });
            fields.insert(to.clone(), v.clone());
        } else if new.field(k).is_some() {
            fields.insert(k.clone(), v.clone());
        } else {
            entry.dropped.push(k.clone());
        }
    }
    for (k, v) in &m.sets {
        if !fields.contains_key(k)
            && let Some(f) = new.field(k)
        {
            fields.insert(k.clone(), values::default_json(v, &f.ty));
            entry.set.push(k.clone());
        }
    }
    // What the `migrate` hook computed, checked like any input.
    for (k, v) in computed {
        let Some(f) = new.field(k) else {
            entry.problems.push(format!(
                "the `migrate` hook returned `{k}`, which version {} has no field of",
                m.to
            ));
            continue;
        };
        match v {
            serde_json::Value::Null => {
                fields.remove(k);
            }
            v => match values::parse_input(&f.ty, &values::field_text(v)) {
                Ok(value) => {
                    fields.insert(k.clone(), value);
                    entry.set.push(k.clone());
                }
                Err(why) => entry.problems.push(format!(
                    "the `migrate` hook's value for `{k}` does not fit: {why}"
                )),
            },
        }
    }
    fields
}

/// The sign-offs of an item on the new version: each to its mapped step,
/// kept or reset; dropped where the new step has none.
fn migrate_signoffs(
    m: &Migration,
    new: &Blueprint,
    row: &Item,
    entry: &mut ItemMigration,
) -> BTreeMap<String, crate::engine::rules::signoff::SignOffState> {
    let step_to = |s: &str| m.steps.get(s).cloned().unwrap_or_else(|| s.to_string());
    let mut signoffs = BTreeMap::new();
    for (from, state) in &row.signoffs {
        let (to, reset) = match m.signoffs.get(from) {
            Some((to, reset)) => (to.clone(), *reset),
            None => (step_to(from), false),
        };
        let Some(spec) = new.step(&to).and_then(|s| s.signoff.as_ref()) else {
            entry.signoffs.push(SignOffMove {
                from: from.clone(),
                to: None,
                fate: "drop".into(),
            });
            continue;
        };
        if signoffs.contains_key(&to) {
            entry.problems.push(format!(
                "two sign-offs would move to step `{to}`: reset or map one elsewhere"
            ));
        }
        if !reset {
            for r in &state.reviews {
                if !spec.feedback.iter().any(|g| g.id.as_str() == r.group) {
                    entry.problems.push(format!(
                        "the sign-off of `{from}` holds a review of group `{}`, which the sign-off of `{to}` does not have: reset it (`signoff {from} -> {to} reset`)",
                        r.group
                    ));
                }
            }
        }
        signoffs.insert(to.clone(), state.clone());
        entry.signoffs.push(SignOffMove {
            from: from.clone(),
            to: Some(to),
            fate: if reset { "reset" } else { "keep" }.into(),
        });
    }
    for step in new.workflow.iter().flat_map(|w| &w.steps) {
        if step.signoff.is_some() {
            signoffs.entry(step.id.to_string()).or_default();
        }
    }
    signoffs
}

/// The item as it would be on the new version, and its report entry
/// (`None` for the row when it cannot move).
fn plan(
    m: &Migration,
    new: &Blueprint,
    row: &Item,
    computed: &Computed,
) -> (ItemMigration, Option<Item>) {
    let mut entry = ItemMigration {
        item: row.id.to_string(),
        name: row.name.clone(),
        step: None,
        renamed: Vec::new(),
        set: Vec::new(),
        dropped: Vec::new(),
        signoffs: Vec::new(),
        problems: Vec::new(),
        moved: false,
    };
    let mut next = row.clone();
    next.fields = migrate_fields(m, new, row, computed, &mut entry);
    // The step.
    let step_to = |s: &str| m.steps.get(s).cloned().unwrap_or_else(|| s.to_string());
    if let Some(step) = &row.step {
        let to = step_to(step);
        if new.step(&to).is_none() {
            entry
                .problems
                .push(format!("step `{step}` has no place in version {}", m.to));
        }
        entry.step = Some(Move {
            from: step.clone(),
            to: to.clone(),
        });
        next.step = Some(to);
    }
    next.signoffs = migrate_signoffs(m, new, row, &mut entry);
    // The item's own required fields (step fields are asked for when the
    // item leaves their step, as on any version).
    for f in new.fields.iter().filter(|f| f.step.is_none() && f.required) {
        if !next.fields.contains_key(f.id.as_str()) {
            entry.problems.push(format!(
                "required field `{}` is not set: give it a value (`set {} = …`)",
                f.id, f.id
            ));
        }
    }
    let ok = entry.problems.is_empty();
    entry.moved = ok;
    (entry, ok.then_some(next))
}
