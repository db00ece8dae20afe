//! The one write path of item actions (load, check the revision, apply, run
//! the change hooks, audit, queue mail, commit) and the item actions on it:
//! create, read, list, set fields, move, delete.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value as Json, json};

use crate::engine::access::stamp;
use crate::engine::access::{Identity, Permission, Resolver};
use crate::engine::actions::ItemAction;
use crate::engine::change_hooks::run_change_hooks;
use crate::engine::core::Engine;
use crate::engine::error::{EngineError, Refusal, Result, refuse};
use crate::engine::index_cache::KeptCache;
use crate::engine::limits;
use crate::engine::notices::mails_for;
use crate::engine::read::views::ItemView;
use crate::engine::read::views::view;
use crate::engine::rules::bound;
use crate::engine::rules::signoff::SignOffEvents;
use crate::engine::rules::signoff::SignOffState;
use crate::engine::rules::values;
use crate::engine::set_cache::{LoadedSet, SetCache};
use crate::model::Item;
use crate::model::{Blueprint, FieldType, PrincipalRef};
use crate::store::{ItemUpdate, NewEvent, Tx};

/// A field change: set to the text given, or unset.
#[derive(Debug, Clone)]
pub enum FieldChange {
    /// `FIELD=VALUE`.
    Set(String, String),
    /// Unset.
    Unset(String),
}

impl FieldChange {
    /// The field it changes.
    pub fn field(&self) -> &str {
        match self {
            FieldChange::Set(f, _) | FieldChange::Unset(f) => f,
        }
    }
}

/// How an item action runs through [`Engine::change_item`].
#[derive(Debug, Clone, Copy)]
pub(in crate::engine) struct ChangeOptions {
    /// The revision the caller expects (a stale one is refused).
    pub(in crate::engine) expect_revision: Option<i64>,
    /// The time of the action.
    pub(in crate::engine) now: DateTime<Utc>,
    /// The action, as the audit trail names it.
    pub(in crate::engine) action: ItemAction,
    /// An admin keeps the reviews and decisions through a change of the
    /// content they are bound to (`--keep-approvals`), audited as such.
    pub(in crate::engine) keep_approvals: bool,
}

/// What a change is, past the caller's closure: its audit name, whether
/// approvals are kept through it, and its time.
#[derive(Clone, Copy)]
struct After<'a> {
    action: &'a str,
    keep_approvals: bool,
    now: DateTime<Utc>,
}

/// What the write of a change takes: who made it, its audit details, the
/// sign-off events that decide its mail.
struct Written<'a> {
    who: &'a Identity,
    details: &'a Json,
    signoff: Vec<&'a SignOffEvents>,
    base_url: &'a str,
    after: After<'a>,
}

/// What follows a change in memory: the hooks (their follow-up recorded in
/// the details), the approvals the changed content outdates, and the new
/// revision in the details.
fn follow_change(
    set: &LoadedSet,
    chain: &[Item],
    resolver: &Resolver<'_>,
    item: &mut Item,
    details: &mut Json,
    after: &After<'_>,
) -> Result<bound::Rebound> {
    let unhooked = resolver.hides_any().then(|| item.clone());
    let hooked = run_change_hooks(set, &chain[1..], item, after.action);
    let follow_up = resolver.censor(unhooked, hooked, |mut blind, ancestors| {
        run_change_hooks(set, ancestors, &mut blind, after.action).map(drop)
    })?;
    let rebound = match set
        .blueprint(&item.blueprint)
        .filter(|b| bound::binds_any(b))
    {
        Some(b) => {
            let before = (&chain[0], &chain[1..]);
            bound::rebind(
                b,
                before,
                item,
                &chain[1..],
                after.keep_approvals,
                after.now,
            )
        }
        None => bound::Rebound::default(),
    };
    if let Json::Object(map) = details {
        if !follow_up.is_null() {
            map.insert("follow_up".into(), follow_up);
        }
        if !rebound.details.is_empty() {
            map.insert("bound".into(), Json::Array(rebound.details.clone()));
        }
        if after.keep_approvals {
            map.insert("keep_approvals".into(), json!(true));
        }
        map.insert("revision".into(), json!(item.revision));
    }
    Ok(rebound)
}

/// How an edit of fields runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EditOptions {
    /// The revision the caller expects (a stale one is refused).
    pub expect_revision: Option<i64>,
    /// The time of the edit (default: now).
    pub now: Option<DateTime<Utc>>,
    /// Admins only: keep the reviews and decisions bound to the fields
    /// changed, instead of outdating them.
    pub keep_approvals: bool,
}

impl ChangeOptions {
    /// An edit of the item itself (fields, workflow): its ancestors are read
    /// only when its permissions or roles read them.
    pub(in crate::engine) fn edit(
        action: ItemAction,
        expect_revision: Option<i64>,
        now: DateTime<Utc>,
    ) -> ChangeOptions {
        ChangeOptions {
            expect_revision,
            now,
            action,
            keep_approvals: false,
        }
    }
}

/// A committed change of an item, as its descendants' bound content sees it.
struct Cause<'a> {
    before: &'a Item,
    after: &'a Item,
    who: &'a Identity,
    action: &'a str,
    keep_approvals: bool,
    now: DateTime<Utc>,
    base_url: &'a str,
}

/// What an item action changed in memory, for the write path.
pub(in crate::engine) struct Change<T> {
    /// The audit event's details, written as they are.
    pub(in crate::engine) details: Json,
    /// The sign-off events the action made, which decide the mail it sends.
    pub(in crate::engine) signoff: Option<SignOffEvents>,
    /// What the action returns.
    pub(in crate::engine) out: T,
}

impl<T> Change<T> {
    /// A change with no sign-off events.
    pub(in crate::engine) fn plain(details: Json, out: T) -> Change<T> {
        Change {
            details,
            signoff: None,
            out,
        }
    }
}

/// A new item: its blueprint (and the ACTIVE version to use; the newest
/// when `None`), name, parent and field values as written.
#[derive(Debug, Clone, Copy)]
pub struct NewItem<'a> {
    /// The blueprint.
    pub blueprint: &'a str,
    /// An ACTIVE version of it (default: the newest ACTIVE one).
    pub version: Option<u32>,
    /// The name.
    pub name: &'a str,
    /// The parent item.
    pub parent: Option<i64>,
    /// Field values as written (`FIELD`, `VALUE`).
    pub sets: &'a [(String, String)],
}

impl Engine {
    pub(in crate::engine) fn parse_changes(
        tx: &Tx<'_>,
        blueprint: &Blueprint,
        item: &mut Item,
        changes: &[FieldChange],
    ) -> Result<Vec<String>> {
        limits::check_edit_size(changes.len())?;
        let mut touched = Vec::new();
        for change in changes {
            let name = match change {
                FieldChange::Set(n, _) | FieldChange::Unset(n) => n,
            };
            let Some(field) = blueprint.field(name) else {
                let names: Vec<&str> = blueprint.fields.iter().map(|f| f.id.as_str()).collect();
                let hint = crate::diag::closest(name, names.iter().copied()).map_or_else(
                    || format!("the fields of `{}` are {}", blueprint.id, names.join(", ")),
                    |c| format!("did you mean `{c}`?"),
                );
                return refuse(Refusal::NotFound {
                    what: format!("field `{name}` in blueprint `{}` ({hint})", blueprint.id),
                });
            };
            match change {
                FieldChange::Set(_, text) => {
                    limits::check_field_input(name, &field.ty, text)?;
                    let value = values::parse_input(&field.ty, text).map_err(|why| {
                        Refusal::InvalidValue {
                            what: format!("value for `{name}`"),
                            why,
                        }
                    })?;
                    check_references(tx, &field.ty, &value, name)?;
                    item.fields.insert(name.clone(), value);
                }
                FieldChange::Unset(_) => {
                    if field.required {
                        return refuse(Refusal::InvalidValue {
                            what: format!("change to `{name}`"),
                            why: "a required field cannot be unset".into(),
                        });
                    }
                    item.fields.remove(name);
                }
            }
            touched.push(name.clone());
        }
        Ok(touched)
    }

    /// Creates an item with the newest ACTIVE version of its blueprint.
    pub fn create_item(
        &mut self,
        who: &Identity,
        blueprint_id: &str,
        name: &str,
        parent: Option<i64>,
        sets: &[(String, String)],
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let item = NewItem {
            blueprint: blueprint_id,
            version: None,
            name,
            parent,
            sets,
        };
        self.create(who, &item, now)
    }

    /// Creates an item (with a named ACTIVE version of its blueprint, or
    /// the newest).
    pub fn create(
        &mut self,
        who: &Identity,
        item: &NewItem<'_>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let NewItem {
            blueprint: blueprint_id,
            version,
            name,
            parent,
            sets,
        } = *item;
        let now = self.now_or(now);
        check_new_name(name)?;
        let tx = self.store.write()?;
        let version = match Self::version_for_new_item(&tx, blueprint_id, version) {
            Err(EngineError::Refused(Refusal::NotFound { what })) if version.is_none() => {
                return refuse(Refusal::NotFound {
                    what: format!(
                        "{what} (load blueprints with `govrt init` or `govrt blueprint load`)"
                    ),
                });
            }
            other => other?,
        };
        let set = self.cache.get(&tx, blueprint_id, version)?;
        let Some(blueprint) = set.blueprint(blueprint_id) else {
            return refuse(Refusal::NotFound {
                what: format!("blueprint `{blueprint_id}`"),
            });
        };
        let ancestors = Self::ancestors_for_new(&tx, &mut self.cache, who, blueprint, parent)?;
        let mut item = fresh_item(blueprint, version, parent, name, who, now);
        let changes: Vec<FieldChange> = sets
            .iter()
            .map(|(k, v)| FieldChange::Set(k.clone(), v.clone()))
            .collect();
        Self::parse_changes(&tx, blueprint, &mut item, &changes)?;
        let probe: Vec<Item> = std::iter::once(item.clone())
            .chain(ancestors.iter().cloned())
            .collect();
        let creating = Resolver {
            set: &set,
            chain: &probe,
            who,
        };
        creating.require_fields_writable(changes.iter().map(FieldChange::field))?;
        let missing: Vec<String> = blueprint
            .fields
            .iter()
            .filter(|f| f.required && f.step.is_none() && !item.fields.contains_key(f.id.as_str()))
            .map(|f| f.id.to_string())
            .collect();
        if !missing.is_empty() {
            return refuse(Refusal::MissingRequiredFields {
                step: "item".into(),
                fields: missing,
            });
        }
        let unhooked = creating.hides_any().then(|| item.clone());
        let hooked = run_change_hooks(&set, &ancestors, &mut item, "item.create");
        let follow_up = creating.censor(unhooked, hooked, |mut blind, ancestors| {
            run_change_hooks(&set, ancestors, &mut blind, "item.create").map(drop)
        })?;
        if !who.api_key {
            item.subscribers.insert(who.name.clone(), true);
        }
        let id = tx.insert_item(&item)?;
        item.id = id;
        let mut chain = vec![item];
        chain.extend(ancestors);
        // Nothing is kept for a new item yet.
        let kept = Self::keep(&tx, &set, &chain, Some(&Default::default()), now)?;
        let item = &chain[0];
        let mut details = json!({"blueprint": blueprint_id, "version": version, "name": name, "parent": parent, "fields": item.fields, "as_admin": who.admin, "follow_up": follow_up});
        stamp(&mut details, who);
        tx.append_event(Some(id), &who.name, "item.create", now, &details)?;
        tx.commit()?;
        self.kept
            .remember(crate::engine::index_cache::revisions(&chain), kept);
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        Ok(resolver.redact_view(view(&chain[0], blueprint)))
    }

    /// The ancestors of a new item under `parent`, once the caller may
    /// create there and the parent is of the blueprint's parent kind.
    fn ancestors_for_new(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        who: &Identity,
        blueprint: &Blueprint,
        parent: Option<i64>,
    ) -> Result<Vec<Item>> {
        let blueprint_id = blueprint.id.as_str();
        let mut ancestors: Vec<Item> = Vec::new();
        match (parent, &blueprint.parent) {
            (Some(p), Some(expected)) => {
                let chain = Self::chain(tx, p)?;
                ancestors = chain.clone();
                let parent_set = cache.get(tx, &chain[0].blueprint, chain[0].version)?;
                let resolver = Resolver {
                    set: &parent_set,
                    chain: &chain,
                    who,
                };
                // An unreadable parent answers as a missing one: nothing of
                // it (its blueprint) is told before the caller may read it.
                resolver.require_readable(p)?;
                if chain[0].blueprint != expected.as_str() {
                    return refuse(Refusal::InvalidValue {
                        what: "parent".into(),
                        why: format!(
                            "item {p} is a `{}`; a `{blueprint_id}` lives under a `{expected}`",
                            chain[0].blueprint
                        ),
                    });
                }
                // Attaching a child takes a permission on the parent: the child
                // inherits its reviewers and shows in its tree.
                resolver.require(Permission::Create, || {
                format!("create a `{blueprint_id}` under item {p} (its blueprint's `permission create`, by default its write permission)")
            })?;
            }
            (Some(_), None) => {
                return refuse(Refusal::InvalidValue {
                    what: "parent".into(),
                    why: format!("a `{blueprint_id}` has no parent in its blueprint"),
                });
            }
            _ => {}
        }
        Ok(ancestors)
    }

    /// An item, if the caller may read it.
    pub fn item(&mut self, who: &Identity, id: i64) -> Result<ItemView> {
        self.with_readable(who, id, |resolver, item, blueprint| {
            Ok(resolver.redact_view(view(item, blueprint)))
        })
    }

    /// Runs `change` on an item inside one write transaction: loads it, checks
    /// the expected revision, applies, bumps the revision, writes, audits,
    /// queues the mail the change's sign-off events call for.
    pub(in crate::engine) fn change_item<T>(
        &mut self,
        who: &Identity,
        id: i64,
        how: ChangeOptions,
        change: impl FnOnce(&Tx<'_>, &Resolver<'_>, &mut Item) -> Result<Change<T>>,
    ) -> Result<T> {
        let ChangeOptions {
            expect_revision,
            now,
            action,
            keep_approvals,
        } = how;
        if keep_approvals && !who.admin {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what:
                    "keep approvals through a change of the content they are bound to (admins only)"
                        .into(),
            });
        }
        let base_url = self.base_url.clone();
        let tx = self.store.write()?;
        let Some(item) = tx.item_to_change(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        let set = self.cache.get(&tx, &item.blueprint, item.version)?;
        // Loaded whatever the action needs: the kept index reads them.
        let chain = Self::with_ancestors(&tx, item)?;
        if let Some(expected) = expect_revision
            && chain[0].revision != expected
        {
            return refuse(Refusal::StaleRevision {
                item: id,
                expected,
                actual: chain[0].revision,
            });
        }
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        resolver.require_readable(id)?;
        let mut item = chain[0].clone();
        item.revision += 1;
        item.updated_at = now;
        let Change {
            mut details,
            signoff,
            out,
        } = change(&tx, &resolver, &mut item)?;
        let after = After {
            action: action.audit_name(),
            keep_approvals,
            now,
        };
        let rebound = follow_change(&set, &chain, &resolver, &mut item, &mut details, &after)?;
        stamp(&mut details, who);
        // An explicit unsubscribe stays.
        if action.subscribes() && who.name != "scheduler" && !who.api_key {
            item.subscribers.entry(who.name.clone()).or_insert(true);
        }
        if let Some(b) = set.blueprint(&item.blueprint) {
            crate::engine::rules::sla::schedule(b, &mut item.signoffs);
        }
        let written = Written {
            who,
            details: &details,
            signoff: signoff.iter().chain(&rebound.events).collect(),
            base_url: &base_url,
            after,
        };
        Self::write_change(
            tx,
            (&mut self.kept, &mut self.cache),
            &set,
            chain,
            item,
            &written,
        )?;
        Ok(out)
    }

    /// Writes a changed item with its audit event, its kept index and the
    /// mail its sign-off events call for, and carries the change to its
    /// descendants; then commits.
    fn write_change(
        tx: Tx<'_>,
        (kept, cache): (&mut KeptCache, &mut SetCache),
        set: &LoadedSet,
        chain: Vec<Item>,
        item: Item,
        w: &Written<'_>,
    ) -> Result<()> {
        let (who, now, id) = (w.who, w.after.now, item.id);
        let event = NewEvent {
            actor: &who.name,
            action: w.after.action,
            at: now,
            details: w.details,
        };
        // The kept index is written with the row, in the action's own
        // statements.
        let kept_before = match kept.take(&chain) {
            Some(index) => index,
            None => crate::engine::index::index_of(set, &chain, now)?,
        };
        let mut updated = chain;
        let before = std::mem::replace(&mut updated[0], item);
        let kept_after = crate::engine::index::index_of(set, &updated, now)?;
        let update = ItemUpdate {
            item: &updated[0],
            before: &before,
            event: &event,
            kept: Some((&kept_before, &kept_after)),
        };
        let Some(seq) = tx.update_item(&update)? else {
            return refuse(Refusal::StaleRevision {
                item: id,
                expected: before.revision,
                actual: before.revision + 1,
            });
        };
        let mut messages = Vec::new();
        for events in &w.signoff {
            messages.extend(mails_for(&tx, set, &updated, who, events, w.base_url)?);
        }
        tx.queue_messages(seq, Some(id), &messages, now)?;
        let cause = Cause {
            before: &before,
            after: &updated[0],
            who,
            action: w.after.action,
            keep_approvals: w.after.keep_approvals,
            now,
            base_url: w.base_url,
        };
        Self::rebind_descendants(&tx, cache, set, &cause)?;
        if tx.has_children(id)? {
            Self::keep_descendants(&tx, cache, id, now)?;
        }
        let kept_key = crate::engine::index_cache::revisions(&updated);
        tx.commit_keeping(Some(updated.swap_remove(0)))?;
        kept.remember(kept_key, kept_after);
        Ok(())
    }

    /// A change of an item's fields outdates what its descendants' sign-offs
    /// bound to them (`binds project.field …`): each descendant so changed
    /// gets its own audit event and mail, in the same transaction.
    fn rebind_descendants(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        set: &LoadedSet,
        cause: &Cause<'_>,
    ) -> Result<()> {
        let (before, after, who) = (cause.before, cause.after, cause.who);
        if before.fields == after.fields {
            return Ok(());
        }
        let changed: Vec<String> = before
            .fields
            .keys()
            .chain(after.fields.keys())
            .filter(|k| before.fields.get(*k) != after.fields.get(*k))
            .cloned()
            .collect();
        let bound_here = set
            .set
            .blueprints
            .values()
            .any(|b| bound::binds_fields_of(b, &after.blueprint, &changed));
        if !bound_here {
            return Ok(());
        }
        let mut queue = tx.items(None, Some(after.id))?;
        while let Some(old) = queue.pop() {
            queue.extend(tx.items(None, Some(old.id))?);
            let dset = cache.get(tx, &old.blueprint, old.version)?;
            let Some(blueprint) = dset.blueprint(&old.blueprint) else {
                continue;
            };
            if !bound::binds_fields_of(blueprint, &after.blueprint, &changed) {
                continue;
            }
            // Its ancestors now (the changed item among them), and as they were.
            let mut chain = Self::with_ancestors(tx, old.clone())?;
            let ancestors_before: Vec<Item> = chain[1..]
                .iter()
                .map(|a| {
                    if a.id == before.id {
                        before.clone()
                    } else {
                        a.clone()
                    }
                })
                .collect();
            let mut item = old.clone();
            item.revision += 1;
            item.updated_at = cause.now;
            let rebound = bound::rebind(
                blueprint,
                (&old, &ancestors_before),
                &mut item,
                &chain[1..],
                cause.keep_approvals,
                cause.now,
            );
            if rebound.details.is_empty() {
                continue;
            }
            let details = json!({
                "cause": {"item": after.id, "action": cause.action, "changed": changed},
                "bound": rebound.details,
                "revision": item.revision,
            });
            let event = NewEvent {
                actor: &who.name,
                action: if cause.keep_approvals {
                    "signoff.approvals_kept"
                } else {
                    "signoff.outdated"
                },
                at: cause.now,
                details: &details,
            };
            crate::engine::rules::sla::schedule(blueprint, &mut item.signoffs);
            let update = ItemUpdate {
                item: &item,
                before: &old,
                event: &event,
                // Kept with every descendant's, once the action's item is written.
                kept: None,
            };
            let Some(seq) = tx.update_item(&update)? else {
                return refuse(Refusal::StaleRevision {
                    item: old.id,
                    expected: old.revision,
                    actual: old.revision + 1,
                });
            };
            chain[0] = item;
            let mut messages = Vec::new();
            for events in &rebound.events {
                messages.extend(mails_for(tx, &dset, &chain, who, events, cause.base_url)?);
            }
            tx.queue_messages(seq, Some(old.id), &messages, cause.now)?;
        }
        Ok(())
    }

    /// Sets and unsets fields.
    pub fn set_fields(
        &mut self,
        who: &Identity,
        id: i64,
        changes: &[FieldChange],
        expect_revision: Option<i64>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let options = EditOptions {
            expect_revision,
            now,
            keep_approvals: false,
        };
        self.set_fields_with(who, id, changes, options)
    }

    /// Sets and unsets fields, as `options` says.
    pub fn set_fields_with(
        &mut self,
        who: &Identity,
        id: i64,
        changes: &[FieldChange],
        options: EditOptions,
    ) -> Result<ItemView> {
        let how = ChangeOptions {
            keep_approvals: options.keep_approvals,
            ..ChangeOptions::edit(
                ItemAction::Set,
                options.expect_revision,
                self.now_or(options.now),
            )
        };
        self.change_item(who, id, how, |tx, resolver, item| {
            if changes.is_empty() {
                resolver.require(Permission::Write, || format!("edit item {id}"))?;
            }
            resolver.require_fields_writable(changes.iter().map(FieldChange::field))?;
            let blueprint = resolver.own_blueprint()?;
            let before = item.fields.clone();
            let touched = Self::parse_changes(tx, blueprint, item, changes)?;
            let diff: BTreeMap<&String, Json> = touched
                .iter()
                .map(|f| {
                    (
                        f,
                        json!({"before": before.get(f), "after": item.fields.get(f)}),
                    )
                })
                .collect();
            Ok(Change::plain(
                json!({"fields": diff}),
                resolver.redact_view(view(item, blueprint)),
            ))
        })
    }

    /// Deletes an item without children.
    pub fn delete_item(
        &mut self,
        who: &Identity,
        id: i64,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.now_or(now);
        let tx = self.store.write()?;
        let (chain, set) = Self::loaded(&tx, &mut self.cache, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        resolver.require_readable(id)?;
        resolver.require(Permission::Delete, || format!("delete item {id}"))?;
        if tx.has_children(id)? {
            return refuse(Refusal::InvalidValue {
                what: "delete".into(),
                why: format!("item {id} has children; delete them first"),
            });
        }
        let details = json!({"name": chain[0].name, "blueprint": chain[0].blueprint, "fields": chain[0].fields});
        tx.delete_item(
            id,
            &NewEvent {
                actor: &who.name,
                action: ItemAction::Delete.audit_name(),
                at: now,
                details: &details,
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

pub(in crate::engine) fn check_references(
    tx: &Tx<'_>,
    ty: &FieldType,
    value: &Json,
    field: &str,
) -> Result<()> {
    let invalid = |why: String| {
        refuse(Refusal::InvalidValue {
            what: format!("value for `{field}`"),
            why,
        })
    };
    let reference = match (ty, value) {
        (FieldType::List { of }, Json::Array(items)) => {
            for v in items {
                check_references(tx, of, v, field)?;
            }
            return Ok(());
        }
        (FieldType::User, Json::String(name)) => Some(PrincipalRef::User(name.clone())),
        (FieldType::Group, Json::String(name)) => Some(PrincipalRef::Group(name.clone())),
        (FieldType::Principal, Json::String(text)) => {
            crate::model::parse::parse_principal_ref(text)
        }
        (FieldType::Ref { blueprint }, Json::String(id)) => {
            let target = id
                .parse::<i64>()
                .ok()
                .map(|i| tx.item(i))
                .transpose()?
                .flatten();
            return match target {
                Some(t) if t.blueprint == blueprint.as_str() => Ok(()),
                Some(t) => invalid(format!(
                    "item {id} is a `{}`, not a `{blueprint}`",
                    t.blueprint
                )),
                None => refuse(Refusal::NotFound {
                    what: format!("item {id}"),
                }),
            };
        }
        _ => None,
    };
    match reference {
        Some(PrincipalRef::User(n)) if tx.user(&n)?.is_none() => {
            invalid(format!("no user `{n}` (an admin adds users)"))
        }
        Some(PrincipalRef::Group(g)) if !tx.group_exists(&g)? => {
            invalid(format!("no group `{g}` (an admin adds groups)"))
        }
        _ => Ok(()),
    }
}

/// Refused unless `name` may name a new item: not empty, no control
/// character, not too long.
fn check_new_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return refuse(Refusal::InvalidValue {
            what: "item name".into(),
            why: "it is empty".into(),
        });
    }
    if name.contains(char::is_control) {
        return refuse(Refusal::InvalidValue {
            what: format!("item name `{}`", name.escape_debug()),
            why: "it has a control character (a line break, a tab…)".into(),
        });
    }
    limits::check_length("item name", name, limits::MAX_NAME)?;
    Ok(())
}

/// A new item of `blueprint` before its first change: on its first step,
/// the fields' defaults set, each sign-off NOT_STARTED.
fn fresh_item(
    blueprint: &Blueprint,
    version: u32,
    parent: Option<i64>,
    name: &str,
    who: &Identity,
    now: DateTime<Utc>,
) -> Item {
    let mut item = Item {
        id: 0,
        blueprint: blueprint.id.to_string(),
        version,
        parent,
        name: name.to_string(),
        fields: serde_json::Map::new(),
        step: blueprint
            .workflow
            .as_ref()
            .and_then(|w| w.steps.first())
            .map(|s| s.id.to_string()),
        finished: false,
        signoffs: BTreeMap::new(),
        creator: who.name.clone(),
        created_at: now,
        updated_at: now,
        revision: 1,
        subscribers: BTreeMap::new(),
        skipped: BTreeMap::new(),
    };
    for f in &blueprint.fields {
        if let Some(d) = &f.default {
            item.fields
                .insert(f.id.to_string(), values::default_json(d, &f.ty));
        }
    }
    for step in blueprint.workflow.iter().flat_map(|w| &w.steps) {
        if step.signoff.is_some() {
            item.signoffs
                .insert(step.id.to_string(), SignOffState::default());
        }
    }
    item
}
