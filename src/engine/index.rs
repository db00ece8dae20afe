//! The status kept beside each item ([`ItemIndex`]), derived from the item,
//! its ancestors and its blueprint: what lists filter and sort by, who may
//! read it, and who may give each review it waits for. Eligibility is the
//! inverse of `access`: instead of asking whether one caller matches a
//! principal, it lists the keys of everyone who does, so the reviews
//! waiting for a caller are one indexed lookup of the caller's keys.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::access::{Identity, hook_reviewer_names};
use super::error::Result;
use super::rules::deploy::decide;
use super::rules::signoff::Status;
use super::rules::sla;
use super::rules::values;
use super::script_view::script_view;
use super::set_cache::LoadedSet;
use crate::engine::rules::signoff::SignOffState;
use crate::model::{Blueprint, Principal, PrincipalRef, RoleId};
use crate::model::{Item, SignOff};
use crate::store::index::{ItemIndex, QueueEntry, key};

/// The keys a caller matches: a user's name and groups, or an API key's
/// name, and everyone's.
pub(super) fn keys_of(who: &Identity) -> Vec<String> {
    let mut keys = if who.api_key {
        vec![key::api_key(&who.name)]
    } else {
        std::iter::once(key::user(&who.name))
            .chain(who.groups.iter().map(|g| key::group(g)))
            .collect()
    };
    keys.push(key::EVERYONE.to_string());
    keys
}

/// The keys that match principals of the item at `chain[at]`, found the way
/// `access::Resolver` matches one caller (the same depth limit on roles).
struct Inverse<'a> {
    set: &'a LoadedSet,
    chain: &'a [Item],
}

impl Inverse<'_> {
    fn blueprint(&self, at: usize) -> Option<&Blueprint> {
        self.chain
            .get(at)
            .and_then(|i| self.set.blueprint(&i.blueprint))
    }

    fn principals(&self, list: &[Principal], at: usize, depth: usize, out: &mut BTreeSet<String>) {
        for p in list {
            self.principal(p, at, depth, out);
        }
    }

    fn principal(&self, p: &Principal, at: usize, depth: usize, out: &mut BTreeSet<String>) {
        match p {
            Principal::User { name } => {
                out.insert(key::user(name));
            }
            Principal::Group { name } => {
                out.insert(key::group(name));
            }
            Principal::ApiKey { name } => {
                out.insert(key::api_key(name));
            }
            Principal::Everyone => {
                out.insert(key::EVERYONE.into());
            }
            Principal::Role { role } => self.role(role.as_str(), at, depth, out),
            Principal::Field { field } => self.field(at, field.as_str(), depth, out),
            Principal::AncestorField { blueprint, field } => {
                if let Some((index, _)) = self
                    .chain
                    .iter()
                    .enumerate()
                    .skip(at)
                    .find(|(_, i)| i.blueprint == blueprint.as_str())
                {
                    self.field(index, field.as_str(), depth, out);
                }
            }
        }
    }

    fn reference(&self, p: &PrincipalRef, at: usize, depth: usize, out: &mut BTreeSet<String>) {
        match p {
            PrincipalRef::User(n) => {
                out.insert(key::user(n));
            }
            PrincipalRef::Group(g) => {
                out.insert(key::group(g));
            }
            PrincipalRef::ApiKey(n) => {
                out.insert(key::api_key(n));
            }
            PrincipalRef::Role(r) => self.role(r, at, depth, out),
        }
    }

    fn role(&self, role: &str, at: usize, depth: usize, out: &mut BTreeSet<String>) {
        if depth > 16 {
            return;
        }
        let Some(item) = self.chain.get(at) else {
            return;
        };
        match role {
            // `creator` compares names only, whoever acts: a user or a key.
            "creator" => {
                out.insert(key::user(&item.creator));
                out.insert(key::api_key(&item.creator));
            }
            "everyone" => {
                out.insert(key::EVERYONE.into());
            }
            _ => {
                if let Some(r) = self
                    .blueprint(at)
                    .and_then(|b| b.roles.get(&RoleId(role.to_string())))
                {
                    self.principals(&r.principals, at, depth + 1, out);
                }
            }
        }
    }

    fn field(&self, at: usize, field: &str, depth: usize, out: &mut BTreeSet<String>) {
        let (Some(item), Some(blueprint)) = (self.chain.get(at), self.blueprint(at)) else {
            return;
        };
        let (Some(value), Some(f)) = (item.fields.get(field), blueprint.field(field)) else {
            return;
        };
        for p in values::principals_in(value, &f.ty) {
            self.reference(&p, at, depth + 1, out);
        }
    }
}

/// Adds who the sign-off's state bars from `group` to `barred`.
fn barred_by_state(
    spec: &SignOff,
    state: &SignOffState,
    group: &str,
    barred: &mut BTreeSet<(String, String)>,
) {
    // Who the state bars (`not requester`, `not reviewer`, a review
    // given); `not PRINCIPALS` is resolved again as the queue is read.
    let exclude = super::exclusions::exclusions_of(spec, group);
    if exclude.is_some_and(|e| e.not_requester)
        && let Some(r) = &state.requester
    {
        barred.insert((group.to_string(), r.clone()));
    }
    if group == "final" {
        if exclude.is_some_and(|e| e.not_reviewer) {
            for r in &state.reviews {
                barred.insert((group.to_string(), r.reviewer.clone()));
            }
        }
    } else {
        for r in state.reviews_of(group) {
            barred.insert((group.to_string(), r.reviewer.clone()));
        }
    }
}

/// The kept index of `chain[0]` (its ancestors after it) under `set`, at
/// `now` (which decides only whether a stopped clock had breached).
pub(super) fn index_of(set: &LoadedSet, chain: &[Item], now: DateTime<Utc>) -> Result<ItemIndex> {
    let item = &chain[0];
    let Some(blueprint) = set.blueprint(&item.blueprint) else {
        return Ok(ItemIndex::default());
    };
    let inverse = Inverse { set, chain };
    let mut readers = BTreeSet::new();
    inverse.principals(&blueprint.permissions.read, 0, 0, &mut readers);
    let owner = {
        let mut owners = BTreeSet::new();
        if blueprint.roles.contains_key(&RoleId("owner".into())) {
            inverse.role("owner", 0, 0, &mut owners);
        }
        owners
            .iter()
            .find_map(|k| k.strip_prefix("u:").map(str::to_string))
            .or_else(|| Some(item.creator.clone()))
    };
    let deploys = set
        .infrastructures
        .iter()
        .map(|(id, infra)| {
            (
                id.to_string(),
                decide(blueprint, chain, infra)
                    .decision
                    .as_str()
                    .to_string(),
            )
        })
        .collect();
    let mut index = ItemIndex {
        readers: readers.into_iter().collect(),
        owner,
        deploys,
        ..ItemIndex::default()
    };
    let current = item
        .step
        .as_deref()
        .filter(|_| !item.finished)
        .and_then(|s| Some((s, blueprint.step(s)?.signoff.as_ref()?)));
    let Some((step, spec)) = current else {
        return Ok(index);
    };
    let state = item.signoffs.get(step).cloned().unwrap_or_default();
    index.signoff = Some(state.status.as_str().to_string());
    let due = |group: &str| {
        sla::level_of(spec, group)
            .filter(|l| l.sla.is_some())
            .and_then(|l| sla::view(l, state.clocks.get(group), state.status, now).due_at)
            .map(|t| t.timestamp())
    };
    let groups: Vec<(&str, &[Principal])> = match state.status {
        Status::WaitingForFeedback => spec
            .feedback
            .iter()
            .map(|g| (g.id.as_str(), g.reviewers.as_slice()))
            .collect(),
        Status::WaitingForApproval => vec![("final", spec.final_approval.reviewers.as_slice())],
        _ => Vec::new(),
    };
    index.review_due = groups.iter().filter_map(|(g, _)| due(g)).min();
    let mut queue = BTreeSet::new();
    let mut barred = BTreeSet::new();
    let mut view = None;
    for (group, principals) in groups {
        let mut keys = BTreeSet::new();
        inverse.principals(principals, 0, 0, &mut keys);
        let ours: Vec<_> = state
            .delegations
            .iter()
            .filter(|d| d.group == group)
            .collect();
        for d in &ours {
            keys.insert(key::user(&d.to));
            keys.insert(key::api_key(&d.to));
        }
        for d in ours.iter().filter(|d| !ours.iter().any(|o| o.to == d.from)) {
            barred.insert((group.to_string(), d.from.clone()));
        }
        if let Some(level) = sla::level_of(spec, group)
            && state.escalated(group)
        {
            // Its targets are told; `grant` makes them eligible too.
            let targets = level.escalate.as_ref().map_or(&[][..], |e| &e.to[..]);
            inverse.principals(targets, 0, 0, &mut keys);
        }
        if set.hooks.has(&item.blueprint, "reviewers") {
            let view = view.get_or_insert_with(|| script_view(set, chain, 0));
            let added = hook_reviewer_names(set, &item.blueprint, view, step, group)?;
            for p in added
                .iter()
                .flatten()
                .filter_map(|n| crate::model::parse::parse_principal_ref(n))
            {
                inverse.reference(&p, 0, 0, &mut keys);
            }
        }
        barred_by_state(spec, &state, group, &mut barred);
        let due_at = due(group);
        queue.extend(keys.into_iter().map(|key| QueueEntry {
            key,
            group: group.to_string(),
            due_at,
        }));
    }
    index.queue = queue.into_iter().collect();
    index.barred = barred.into_iter().collect();
    Ok(index)
}

/// The settings key recording which derivation the kept index was built
/// with; an index built by another (or none: a database from before it)
/// is rebuilt when the database opens.
const KEPT_SETTING: &str = "kept_index";
/// The derivation of [`index_of`]: raise it when the derivation changes.
const KEPT_VERSION: &str = "2";
/// Items rebuilt or checked a transaction.
const BATCH: i64 = 1000;

/// An item whose kept index differs from what its state gives.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndexDifference {
    /// The item.
    pub item: i64,
    /// What differs, in words.
    pub what: Vec<String>,
}

/// What `govrt db check` found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IndexReport {
    /// Items checked.
    pub items: usize,
    /// Those whose kept index differed.
    pub differences: Vec<IndexDifference>,
    /// Whether the differences were repaired.
    pub repaired: bool,
}

/// The parts of two indexes that differ, in words.
fn differences(stored: &ItemIndex, computed: &ItemIndex) -> Vec<String> {
    let mut out = Vec::new();
    use std::fmt::Debug;
    let parts: [(&str, &dyn Debug, &dyn Debug); 7] = [
        ("sign-off", &stored.signoff, &computed.signoff),
        ("review due", &stored.review_due, &computed.review_due),
        ("owner", &stored.owner, &computed.owner),
        ("readers", &stored.readers, &computed.readers),
        ("deploy", &stored.deploys, &computed.deploys),
        ("review queue", &stored.queue, &computed.queue),
        ("barred", &stored.barred, &computed.barred),
    ];
    for (name, kept, now) in parts {
        let (kept, now) = (format!("{kept:?}"), format!("{now:?}"));
        if kept != now {
            out.push(format!("{name}: kept {kept}, computed {now}"));
        }
    }
    out
}

impl super::core::Engine {
    /// Writes the kept index of `chain[0]` (as the action wrote it, its
    /// ancestors after it) in `tx`; `before` is its index before the action
    /// (`None`: what is stored is read). Returns what it wrote.
    pub(super) fn keep(
        tx: &crate::store::Tx<'_>,
        set: &LoadedSet,
        chain: &[Item],
        before: Option<&ItemIndex>,
        now: DateTime<Utc>,
    ) -> Result<ItemIndex> {
        let after = index_of(set, chain, now)?;
        let stored;
        let before = match before {
            Some(b) => Some(b),
            None => {
                stored = tx.item_index(chain[0].id)?;
                stored.as_ref()
            }
        };
        tx.write_index(chain[0].id, before, &after)?;
        Ok(after)
    }

    /// Writes again the kept index of every descendant of `id`: their
    /// readers, reviewers, owners and deploy verdicts may read `id`'s
    /// fields.
    pub(super) fn keep_descendants(
        tx: &crate::store::Tx<'_>,
        cache: &mut super::set_cache::SetCache,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut parents = vec![id];
        while let Some(parent) = parents.pop() {
            let mut after = 0;
            loop {
                let rows = tx.items_after(None, Some(parent), after, BATCH)?;
                let ended = (rows.len() as i64) < BATCH;
                for row in rows {
                    after = row.id;
                    parents.push(row.id);
                    let set = cache.get(tx, &row.blueprint, row.version)?;
                    let chain = Self::with_ancestors(tx, row)?;
                    Self::keep(tx, &set, &chain, None, now)?;
                }
                if ended {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Builds the kept index of every item when it was built by another
    /// derivation, or never (a database from before it).
    pub(super) fn ensure_index(&mut self) -> Result<()> {
        let current = self.store.read()?.setting(KEPT_SETTING)?;
        if current.as_deref() == Some(KEPT_VERSION) {
            return Ok(());
        }
        self.walk_index(true)?;
        let tx = self.store.write()?;
        tx.set_setting(KEPT_SETTING, KEPT_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// Recomputes the kept index of every item and compares it with what is
    /// stored (`govrt db check`); with `repair`, writes what it computed
    /// where they differ.
    pub fn check_index(&mut self, repair: bool) -> Result<IndexReport> {
        let mut report = self.walk_index(repair)?;
        report.repaired = repair && !report.differences.is_empty();
        Ok(report)
    }

    /// Every item's index recomputed, compared, and written where it
    /// differs when `write`; a batch of items a transaction.
    fn walk_index(&mut self, write: bool) -> Result<IndexReport> {
        let now = self.now_or(None);
        let mut report = IndexReport::default();
        let mut after = 0;
        loop {
            let tx = if write {
                self.store.write()?
            } else {
                self.store.read()?
            };
            let rows = tx.items_after(None, None, after, BATCH)?;
            let ended = (rows.len() as i64) < BATCH;
            for row in rows {
                after = row.id;
                report.items += 1;
                let set = self.cache.get(&tx, &row.blueprint, row.version)?;
                let chain = Self::with_ancestors(&tx, row)?;
                let computed = index_of(&set, &chain, now)?;
                let stored = tx.item_index(chain[0].id)?.unwrap_or_default();
                let what = differences(&stored, &computed);
                if what.is_empty() {
                    continue;
                }
                if write {
                    tx.write_index(chain[0].id, Some(&stored), &computed)?;
                }
                report.differences.push(IndexDifference {
                    item: chain[0].id,
                    what,
                });
            }
            if write {
                tx.commit()?;
            }
            if ended {
                return Ok(report);
            }
        }
    }
}
