//! Compiled blueprint sets by stored version: which stored set holds each
//! blueprint version, each set checked and its scripts compiled once.

use super::error::{EngineError, Refusal, Result, refuse};
use crate::check::{self, ScriptSource};
use crate::diag::SourceFile;
use crate::hooks::Hooks;
use crate::model::BlueprintSet;
use crate::store::Tx;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// A checked set with its compiled hooks.
#[derive(Debug)]
pub struct LoadedSet {
    /// The checked model.
    pub set: BlueprintSet,
    /// Its compiled scripts.
    pub hooks: Hooks,
    /// The files it was checked from, and its scripts by path: what a
    /// filter given on its own is checked against.
    pub sources: (Vec<Arc<SourceFile>>, BTreeMap<PathBuf, String>),
}

impl std::ops::Deref for LoadedSet {
    type Target = BlueprintSet;
    fn deref(&self) -> &BlueprintSet {
        &self.set
    }
}

/// Loaded blueprint sets, by stored set id, and which set holds each version.
#[derive(Default)]
pub(super) struct SetCache {
    sets: HashMap<i64, Arc<LoadedSet>>,
    /// Which stored set holds each (blueprint, version).
    pub(super) set_of: HashMap<(String, u32), i64>,
}

impl SetCache {
    pub(super) fn refresh(&mut self, tx: &Tx<'_>) -> Result<()> {
        self.set_of.clear();
        for row in tx.blueprint_versions()? {
            self.set_of.insert((row.blueprint, row.version), row.set_id);
        }
        Ok(())
    }

    /// The set an item of `blueprint` at `version` runs against.
    pub(super) fn get(
        &mut self,
        tx: &Tx<'_>,
        blueprint: &str,
        version: u32,
    ) -> Result<Arc<LoadedSet>> {
        let key = (blueprint.to_string(), version);
        if !self.set_of.contains_key(&key) {
            self.refresh(tx)?;
        }
        let Some(&set_id) = self.set_of.get(&key) else {
            return refuse(Refusal::NotFound {
                what: format!("blueprint `{blueprint}` version {version}"),
            });
        };
        if let Some(set) = self.sets.get(&set_id) {
            return Ok(Arc::clone(set));
        }
        let (files, scripts) = tx.blueprint_set_files(set_id)?;
        let sources: Vec<Arc<SourceFile>> = files
            .into_iter()
            .map(|(n, t)| SourceFile::new(n, t))
            .collect();
        let scripts: BTreeMap<PathBuf, String> = scripts
            .into_iter()
            .map(|(n, t)| (PathBuf::from(n), t))
            .collect();
        let checked = check::check_sources(&sources, &scripts as &dyn ScriptSource);
        let kept = (sources, scripts);
        let Some(set) = checked.set else {
            return Err(EngineError::InvalidBlueprints(checked.diagnostics));
        };
        let hooks = Hooks::compile(&set).map_err(|e| Refusal::ScriptFailed {
            error: e.to_string(),
        })?;
        let set = Arc::new(LoadedSet {
            set,
            hooks,
            sources: kept,
        });
        self.sets.insert(set_id, Arc::clone(&set));
        Ok(set)
    }

    /// The set of the newest version of every blueprint (or of `only`), by
    /// blueprint name: (blueprint, version, set).
    pub(super) fn newest_sets(
        &mut self,
        tx: &Tx<'_>,
        only: Option<&str>,
    ) -> Result<Vec<(String, u32, Arc<LoadedSet>)>> {
        let mut names: Vec<String> = match only {
            Some(b) => vec![b.to_string()],
            None => tx
                .blueprint_versions()?
                .into_iter()
                .map(|v| v.blueprint)
                .collect(),
        };
        names.sort();
        names.dedup();
        let mut out = Vec::new();
        for name in names {
            let Some(version) = self.latest(tx, &name)? else {
                continue;
            };
            let set = self.get(tx, &name, version)?;
            out.push((name, version, set));
        }
        Ok(out)
    }

    /// The newest version of a blueprint.
    pub(super) fn latest(&mut self, tx: &Tx<'_>, blueprint: &str) -> Result<Option<u32>> {
        Ok(tx.latest_blueprint_version(blueprint)?.map(|(v, _)| v))
    }
}
