//! Stored blueprint sets: loading a checked set as new versions, and reading
//! a stored blueprint back.

use super::core::{Engine, now_or};
use super::error::{EngineError, Refusal, Result, refuse};
use crate::check::{self, ScriptSource};
use crate::diag::SourceFile;
use crate::model::Blueprint;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What loading a blueprint set did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Blueprints stored as a new version: (id, version).
    pub new_versions: Vec<(String, u32)>,
    /// Blueprints unchanged since their newest version.
    pub unchanged: Vec<(String, u32)>,
}

impl Engine {
    /// Loads a blueprint set from disk; a changed blueprint becomes a new version.
    pub fn load_blueprints(
        &mut self,
        paths: &[PathBuf],
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
        self.store_set(&sources, checked, now_or(now))
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
        self.store_set(&sources, checked, now_or(now))
    }

    /// Stores a checked set: a new version for each changed blueprint.
    pub(super) fn store_set(
        &mut self,
        sources: &[Arc<SourceFile>],
        checked: check::Checked,
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
        let mut report = LoadReport {
            new_versions: Vec::new(),
            unchanged: Vec::new(),
        };
        let mut changed = Vec::new();
        for (id, blueprint) in &set.blueprints {
            let fingerprint = fingerprint(blueprint);
            match tx.latest_blueprint_version(id.as_str())? {
                Some((v, f)) if f == fingerprint => report.unchanged.push((id.to_string(), v)),
                latest => {
                    let version =
                        latest.map_or(blueprint.version, |(v, _)| (v + 1).max(blueprint.version));
                    changed.push((id.to_string(), version, blueprint.version, fingerprint));
                }
            }
        }
        if !changed.is_empty() {
            let set_id = tx.insert_blueprint_set(&gov, &scripts, now)?;
            for (id, version, declared, fingerprint) in &changed {
                tx.insert_blueprint_version(id, *version, *declared, fingerprint, set_id, now)?;
                report.new_versions.push((id.clone(), *version));
            }
            let details = json!({"files": gov.iter().map(|(n, _)| n).collect::<Vec<_>>(), "new_versions": report.new_versions});
            tx.append_event(None, "admin", "blueprints.load", now, &details)?;
        }
        tx.commit()?;
        self.cache.set_of.clear();
        Ok(report)
    }

    /// Every stored blueprint version: (id, version, declared version, loaded at).
    pub fn blueprint_versions(&mut self) -> Result<Vec<(String, u32, u32, String)>> {
        let tx = self.store.read()?;
        Ok(tx
            .blueprint_versions()?
            .into_iter()
            .map(|r| (r.blueprint, r.version, r.declared, r.loaded_at))
            .collect())
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

pub(super) fn fingerprint(blueprint: &Blueprint) -> String {
    let mut text = serde_json::to_string(blueprint).unwrap_or_default();
    if let Some(s) = &blueprint.script {
        text.push_str(&s.source);
    }
    crate::store::secret_hash(&text)
}
