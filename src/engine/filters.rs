//! Filters over items (a table's `filter`, `item list --filter`): a checked
//! condition evaluated on what the caller may read of an item, its tests of
//! where the item stands answered from the item's step, its sign-offs,
//! their review clocks and their re-certification dates at a time. A field
//! the caller may not read counts as unset, so which items a filter keeps
//! does not tell its value. A filter given as text is checked against the
//! blueprints of the items it meets.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::access::Resolver;
use super::error::{EngineError, Result};
use super::rules::conditions::holds;
use super::rules::sla;
use super::set_cache::{LoadedSet, SetCache};
use crate::check::{ScriptSource, check_filter};
use crate::diag::{Diagnostic, SourceFile};
use crate::model::condition::{Condition, StateTest};
use crate::model::signoff::Status;
use crate::store::Tx;

/// Whether `filter` holds for the resolver's item, as its caller may read
/// it, at `now`.
pub(super) fn filter_holds(
    filter: &Condition,
    resolver: &Resolver<'_>,
    now: DateTime<Utc>,
) -> bool {
    let fields: Vec<_> = filter.fields().into_iter().cloned().collect();
    let values = resolver.readable_bound(&fields);
    holds(filter, &values, &|test| stands(test, resolver, now))
}

/// Whether the item stands as `test` says, at `now`.
fn stands(test: &StateTest, resolver: &Resolver<'_>, now: DateTime<Utc>) -> bool {
    let item = &resolver.chain[0];
    match test {
        StateTest::Step { step, equal } => (item.step.as_deref() == Some(step.as_str())) == *equal,
        StateTest::SignOff {
            step,
            status,
            equal,
        } => {
            let current = item
                .signoffs
                .get(step.as_str())
                .map_or(Status::NotStarted, |s| s.status);
            (current == *status) == *equal
        }
        StateTest::Breached { step } => {
            let (Some(state), Some(spec)) = (
                item.signoffs.get(step.as_str()),
                resolver
                    .blueprint(0)
                    .and_then(|b| b.step(step.as_str()))
                    .and_then(|s| s.signoff.as_ref()),
            ) else {
                return false;
            };
            sla::levels(spec)
                .filter(|(_, level)| level.sla.is_some())
                .any(|(group, level)| {
                    sla::view(level, state.clocks.get(group), state.status, now).breached
                })
        }
        StateTest::DueWithin(within) => within.after(now).is_some_and(|horizon| {
            item.signoffs
                .values()
                .any(|s| s.due_at().is_some_and(|due| due <= horizon))
        }),
    }
}

/// A filter given as text (`item list --filter`), checked once against
/// each blueprint version whose items it meets: an item of a blueprint it
/// does not fit (a field that blueprint lacks) is not kept.
pub(super) struct TextFilter {
    file: Arc<SourceFile>,
    checked: HashMap<(String, u32), Option<Condition>>,
}

impl TextFilter {
    /// The filter `text`, checked against the newest version of `blueprint`
    /// (of every blueprint, without one): refused with its diagnostics when
    /// it fits none of them.
    pub(super) fn new(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        text: &str,
        blueprint: Option<&str>,
    ) -> Result<TextFilter> {
        let mut filter = TextFilter {
            file: SourceFile::new("--filter", text),
            checked: HashMap::new(),
        };
        let mut first_problems = None;
        let mut fits = false;
        for (name, version, set) in cache.newest_sets(tx, blueprint)? {
            let checked = filter.check(&set, &name);
            match checked {
                Ok(condition) => {
                    fits = true;
                    filter.checked.insert((name, version), Some(condition));
                }
                Err(problems) => {
                    first_problems.get_or_insert(problems);
                    filter.checked.insert((name, version), None);
                }
            }
        }
        match (fits, first_problems) {
            (false, Some(problems)) => Err(EngineError::InvalidFilter(problems)),
            _ => Ok(filter),
        }
    }

    fn check(
        &self,
        set: &LoadedSet,
        blueprint: &str,
    ) -> std::result::Result<Condition, Vec<Diagnostic>> {
        let (sources, scripts) = &set.sources;
        check_filter(sources, scripts as &dyn ScriptSource, blueprint, &self.file)
            .map(|when| when.condition)
    }

    /// Whether the filter keeps the resolver's item at `now`.
    pub(super) fn keeps(&mut self, resolver: &Resolver<'_>, now: DateTime<Utc>) -> bool {
        let item = &resolver.chain[0];
        let key = (item.blueprint.clone(), item.version);
        if !self.checked.contains_key(&key) {
            let condition = self.check(resolver.set, &item.blueprint).ok();
            self.checked.insert(key.clone(), condition);
        }
        self.checked
            .get(&key)
            .and_then(Option::as_ref)
            .is_some_and(|c| filter_holds(c, resolver, now))
    }
}
