//! Stored blueprint sets: loading a checked set as new versions, and reading
//! a stored blueprint back.

use crate::check::{self, ScriptSource};
use crate::diag::SourceFile;
use crate::engine::core::Engine;
use crate::engine::error::{EngineError, Refusal, Result, refuse};
use crate::model::Blueprint;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use crate::engine::act::versions::VersionState;

/// A migration's problems against the stored old version.
pub(in crate::engine) struct MigrationProblems {
    /// `migration of `B` from N to M`.
    migration: String,
    /// What does not fit.
    problems: Vec<String>,
}

/// What loading a blueprint set did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Blueprints stored as a new version: (id, version).
    pub new_versions: Vec<(String, u32)>,
    /// Blueprints unchanged since their newest version.
    pub unchanged: Vec<(String, u32)>,
    /// Unchanged blueprints whose newest version was a DRAFT, now ACTIVE.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub activated: Vec<(String, u32)>,
    /// Running items on a step a new version removes, that no `migrate`
    /// block of the set moves: they stay on their version until one does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stranded: Vec<Stranded>,
}

/// A running item on a step the new version of its blueprint removes, with
/// no migration of the set to move it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Stranded {
    /// The item.
    pub item: i64,
    /// Its name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The version it is on.
    pub version: u32,
    /// The step it is at, which the new version does not have.
    pub step: String,
    /// The new version.
    pub new_version: u32,
}

impl Stranded {
    /// What to do about it.
    pub fn help(&self) -> String {
        format!(
            "version {n} is stored now: write `version {next}` in blueprint `{b}` with `migrate {b} {v} -> {next} {{ step {s} -> STEP }}` beside it, load the set, then `govrt migrate {b} --from {v} --to {next}`",
            b = self.blueprint,
            v = self.version,
            n = self.new_version,
            next = self.new_version + 1,
            s = self.step
        )
    }
}

impl Engine {
    /// Loads a blueprint set from disk; a changed blueprint becomes a new
    /// ACTIVE version.
    pub fn load_blueprints(
        &mut self,
        paths: &[PathBuf],
        now: Option<DateTime<Utc>>,
    ) -> Result<LoadReport> {
        self.load_blueprints_as(paths, VersionState::Active, now)
    }

    /// Loads a blueprint set from disk; a changed blueprint becomes a new
    /// version in `state` (ACTIVE, or DRAFT: stored and checked, taking no
    /// items until activated). Loaded as ACTIVE, an unchanged blueprint
    /// whose newest version is a DRAFT activates it.
    pub fn load_blueprints_as(
        &mut self,
        paths: &[PathBuf],
        state: VersionState,
        now: Option<DateTime<Utc>>,
    ) -> Result<LoadReport> {
        let files = check::collect_files(paths).map_err(|e| Refusal::InvalidValue {
            what: "blueprint path".into(),
            why: e.to_string(),
        })?;
        let (sources, unreadable) = check::read_sources(&files);
        if !unreadable.is_empty() {
            return Err(EngineError::InvalidBlueprints(unreadable));
        }
        let checked = check::check_sources(&sources, &check::DiskScripts);
        self.store_set(&sources, checked, state, self.now_or(now))
    }

    /// Loads a blueprint set given as (file name, text) pairs, with no scripts
    /// beyond those given as (resolved path, text).
    pub fn load_blueprint_texts(
        &mut self,
        files: &[(&str, &str)],
        scripts: &[(&str, &str)],
        now: Option<DateTime<Utc>>,
    ) -> Result<LoadReport> {
        let sources: Vec<Arc<SourceFile>> =
            files.iter().map(|(n, t)| SourceFile::new(*n, *t)).collect();
        let scripts: BTreeMap<PathBuf, String> = scripts
            .iter()
            .map(|(n, t)| (PathBuf::from(n), t.to_string()))
            .collect();
        let checked = check::check_sources(&sources, &scripts as &dyn ScriptSource);
        self.store_set(&sources, checked, VersionState::Active, self.now_or(now))
    }

    /// Stores a checked set: a new version for each changed blueprint.
    pub(in crate::engine) fn store_set(
        &mut self,
        sources: &[Arc<SourceFile>],
        checked: check::Checked,
        state: VersionState,
        now: DateTime<Utc>,
    ) -> Result<LoadReport> {
        if checked.has_errors() {
            return Err(EngineError::InvalidBlueprints(checked.diagnostics));
        }
        let Some(set) = checked.set else {
            return Err(EngineError::InvalidBlueprints(checked.diagnostics));
        };
        let gov: Vec<(String, String)> = sources
            .iter()
            .map(|s| (s.name.clone(), s.text.to_string()))
            .collect();
        // Blueprints may share one script file: it is stored once.
        let scripts: Vec<(String, String)> = set
            .blueprints
            .values()
            .filter_map(|b| b.script.as_ref())
            .map(|s| (s.resolved.clone(), s.source.clone()))
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let tx = self.store.write()?;
        // A migration's old side, against the stored old version.
        if let Some(p) = Self::migration_problems(&mut self.cache, &tx, &set)?
            .into_iter()
            .next()
        {
            return refuse(Refusal::InvalidValue {
                what: p.migration,
                why: p.problems.join("; "),
            });
        }
        let mut report = LoadReport {
            new_versions: Vec::new(),
            unchanged: Vec::new(),
            activated: Vec::new(),
            stranded: Vec::new(),
        };
        let mut changed = Vec::new();
        for (id, blueprint) in &set.blueprints {
            let fingerprint = fingerprint(blueprint);
            match tx.latest_blueprint_version(id.as_str())? {
                Some((v, f)) if f == fingerprint => {
                    report.unchanged.push((id.to_string(), v));
                    let draft =
                        tx.newest_version_in(id.as_str(), VersionState::Draft.as_str())? == Some(v);
                    if draft && state == VersionState::Active {
                        tx.set_version_state(id.as_str(), v, state.as_str())?;
                        let details =
                            json!({"blueprint": id.as_str(), "version": v, "before": "DRAFT"});
                        tx.append_event(None, "admin", "blueprint.activate", now, &details)?;
                        report.activated.push((id.to_string(), v));
                    }
                }
                latest => {
                    let version =
                        latest.map_or(blueprint.version, |(v, _)| (v + 1).max(blueprint.version));
                    changed.push((id.to_string(), version, blueprint.version, fingerprint));
                }
            }
        }
        // A migration to a version already stored is read from that
        // version's set: one written beside it afterwards would be silently
        // left out, so it is refused with what to do instead.
        for m in &set.migrations {
            let id = m.blueprint.as_str();
            if !report.unchanged.iter().any(|(b, v)| b == id && *v == m.to) {
                continue;
            }
            let stored = self.cache.get(&tx, id, m.to)?;
            if !stored.migrations.contains(m) {
                return refuse(Refusal::InvalidValue {
                    what: format!("migration of `{id}` from {} to {}", m.from, m.to),
                    why: format!(
                        "version {to} of `{id}` is stored already, without this block, and an unchanged blueprint is not stored again: write `version {next}` in blueprint `{id}` and `migrate {id} {from} -> {next} {{ … }}`, load the set, then `govrt migrate {id} --from {from} --to {next}`",
                        to = m.to,
                        next = m.to + 1,
                        from = m.from
                    ),
                });
            }
        }
        if !changed.is_empty() {
            let set_id = tx.insert_blueprint_set(&gov, &scripts, now)?;
            for (id, version, declared, fingerprint) in &changed {
                let stored = crate::store::NewVersion {
                    blueprint: id,
                    version: *version,
                    declared: *declared,
                    fingerprint,
                    set_id,
                    state: state.as_str(),
                };
                tx.insert_blueprint_version(&stored, now)?;
                report.new_versions.push((id.clone(), *version));
                report.stranded.extend(stranded(&tx, &set, id, *version)?);
            }
            let details = json!({"files": gov.iter().map(|(n, _)| n).collect::<Vec<_>>(), "new_versions": report.new_versions, "state": state.as_str()});
            tx.append_event(None, "admin", "blueprints.load", now, &details)?;
        }
        tx.commit()?;
        self.cache.set_of.clear();
        Ok(report)
    }

    /// The problems of each migration of `set` against the stored version it
    /// moves items from (migrations from a version that is not stored are
    /// not checked), for those with any.
    pub(in crate::engine) fn migration_problems(
        cache: &mut crate::engine::set_cache::SetCache,
        tx: &crate::store::Tx<'_>,
        set: &crate::model::BlueprintSet,
    ) -> Result<Vec<MigrationProblems>> {
        let stored = tx.blueprint_versions()?;
        let mut out = Vec::new();
        for m in &set.migrations {
            let id = m.blueprint.as_str();
            if !stored
                .iter()
                .any(|v| v.blueprint == id && v.version == m.from)
            {
                continue;
            }
            let old_set = cache.get(tx, id, m.from)?;
            if let (Some(old), Some(new)) = (old_set.blueprint(id), set.blueprint(id)) {
                let problems = crate::engine::act::migrate::old_side_problems(m, old, new);
                if !problems.is_empty() {
                    out.push(MigrationProblems {
                        migration: format!("migration of `{id}` from {} to {}", m.from, m.to),
                        problems,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The problems of `set`'s migrations against this database's stored
    /// versions (`govrt validate --db`), each as one sentence.
    pub fn check_migrations(&mut self, set: &crate::model::BlueprintSet) -> Result<Vec<String>> {
        let tx = self.store.read()?;
        Ok(Self::migration_problems(&mut self.cache, &tx, set)?
            .into_iter()
            .map(|p| format!("{}: {}", p.migration, p.problems.join("; ")))
            .collect())
    }

    /// Every stored blueprint version, by blueprint and version.
    pub fn blueprint_versions(&mut self) -> Result<Vec<crate::store::BlueprintVersionRow>> {
        Ok(self.store.read()?.blueprint_versions()?)
    }

    /// A stored blueprint (newest version, or `version`).
    pub fn blueprint(&mut self, id: &str, version: Option<u32>) -> Result<Blueprint> {
        let tx = self.store.read()?;
        let version = match version {
            Some(v) => v,
            None => match self.cache.latest(&tx, id)? {
                Some(v) => v,
                None => {
                    return refuse(Refusal::NotFound {
                        what: format!("blueprint `{id}`"),
                    });
                }
            },
        };
        let set = self.cache.get(&tx, id, version)?;
        set.blueprint(id).cloned().ok_or_else(|| {
            Refusal::NotFound {
                what: format!("blueprint `{id}`"),
            }
            .into()
        })
    }
}

pub(in crate::engine) fn fingerprint(blueprint: &Blueprint) -> String {
    let mut text = serde_json::to_string(blueprint).unwrap_or_default();
    if let Some(s) = &blueprint.script {
        text.push_str(&s.source);
    }
    crate::store::secret_hash(&text)
}

/// The running items of `blueprint` on a step its new `version` in `set`
/// does not have, that no migration of `set` moves from their version.
fn stranded(
    tx: &crate::store::Tx<'_>,
    set: &crate::model::BlueprintSet,
    blueprint: &str,
    version: u32,
) -> Result<Vec<Stranded>> {
    let Some(new) = set.blueprint(blueprint) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in tx.items(Some(blueprint), None)? {
        let Some(step) = row.step.as_deref() else {
            continue;
        };
        if row.version == version || new.step(step).is_some() {
            continue;
        }
        let moved = set.migrations.iter().any(|m| {
            m.blueprint.as_str() == blueprint
                && m.from == row.version
                && m.to == version
                && m.steps.contains_key(step)
        });
        if !moved {
            out.push(Stranded {
                item: row.id,
                name: row.name.clone(),
                blueprint: blueprint.to_string(),
                version: row.version,
                step: step.to_string(),
                new_version: version,
            });
        }
    }
    Ok(out)
}
