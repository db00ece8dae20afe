//! Who may do what to an item: the acting identity, the chain of an item and
//! its ancestors, and the resolver of principals, permissions and sign-off
//! eligibility (blueprint principals, the `reviewers` hook, delegations).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use super::authentication::Authentication;
use super::core::Engine;
use super::error::{Refusal, Result, refuse, script_failed};
use super::rules::actions::Needed;
use super::rules::signoff::{Actor, SignOffState};
use super::rules::values;
use super::script_view::script_view;
use super::set_cache::{LoadedSet, SetCache};
use crate::model::Item;
use crate::model::{Blueprint, Principal, PrincipalRef};
use crate::store::Tx;

/// Who is acting.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The user or API key name.
    pub name: String,
    /// An API key rather than a user.
    pub api_key: bool,
    /// An admin: may act for anyone.
    pub admin: bool,
    /// The groups the user belongs to.
    pub groups: Vec<String>,
    /// The credential this identity came from, when its last use is not
    /// recorded yet (see [`Engine::record_use`]).
    pub unrecorded_use: Option<i64>,
    /// How it was established: kept with every audit event it writes.
    pub authentication: Authentication,
}

impl Identity {
    /// User `name` as the rules see them when someone else acts (a
    /// delegator, a delegate): none when gone or disabled.
    pub(super) fn of_user(tx: &Tx<'_>, name: &str) -> Result<Option<Identity>> {
        Ok(match tx.user(name)? {
            Some(u) if !u.disabled => Some(Identity {
                groups: tx.groups_of(&u.name)?,
                name: u.name,
                api_key: false,
                admin: u.admin,
                unrecorded_use: None,
                authentication: Authentication::System,
            }),
            _ => None,
        })
    }

    /// The scheduler: applies due resets.
    pub fn scheduler() -> Identity {
        Identity::admin_named("scheduler")
    }

    /// The owner of the database file acting through the CLI (an admin, as
    /// with `sqlite3`). The name holds a `:`, which no user name may, so the
    /// audit trail never confuses it with a user called `admin` or `local`.
    pub fn local_admin() -> Identity {
        Identity::admin_named(LOCAL_ADMIN)
    }

    fn admin_named(name: &str) -> Identity {
        Identity {
            name: name.into(),
            api_key: false,
            admin: true,
            groups: Vec::new(),
            unrecorded_use: None,
            authentication: Authentication::System,
        }
    }
}

/// The name of the local owner of the database in the audit trail.
pub const LOCAL_ADMIN: &str = "local:admin";

/// Which permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Permission {
    Read,
    Write,
    Delete,
    /// Attach children (the blueprint's `permission create`, else `write`).
    Create,
}

/// Resolves principals for one item and one identity.
pub(super) struct Resolver<'a> {
    /// The item's set.
    pub(super) set: &'a LoadedSet,
    /// The item, then its ancestors, nearest first.
    pub(super) chain: &'a [Item],
    /// Who acts.
    pub(super) who: &'a Identity,
}

/// Records how principals matched: every path from a rule of the blueprint
/// down to the acting identity, for `explain`. The checks that decide run
/// with [`NoTrace`], which records nothing and stops at the first match;
/// with [`Paths`] the same code looks at every principal.
pub(super) trait Trace {
    /// Whether every path is wanted (no stop at the first match).
    fn all(&self) -> bool;
    /// Goes one step down a path.
    fn enter(&mut self, step: impl FnOnce() -> String);
    /// Comes back up.
    fn leave(&mut self);
    /// The path so far, ended by `leaf`, matched.
    fn matched(&mut self, leaf: impl FnOnce() -> String);
    /// A fact that is not a path: a blocker or what a hook said.
    fn note(&mut self, note: impl FnOnce() -> Note);
}

/// A fact `explain` reports beside the paths.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Note {
    /// Something that stands in the way.
    Blocker(String),
    /// What the `reviewers` hook returned.
    Hook(String),
    /// A delegation that counts.
    Delegation(String),
}

/// Records nothing: the resolver's checks as they decide.
pub(super) struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn all(&self) -> bool {
        false
    }
    #[inline(always)]
    fn enter(&mut self, _: impl FnOnce() -> String) {}
    #[inline(always)]
    fn leave(&mut self) {}
    #[inline(always)]
    fn matched(&mut self, _: impl FnOnce() -> String) {}
    #[inline(always)]
    fn note(&mut self, _: impl FnOnce() -> Note) {}
}

/// Records every path that matched, and the notes.
#[derive(Debug, Default)]
pub(super) struct Paths {
    stack: Vec<String>,
    /// The paths that matched, each from the rule down to the identity.
    pub(super) found: Vec<Vec<String>>,
    /// The notes, in order.
    pub(super) notes: Vec<Note>,
}

impl Trace for Paths {
    fn all(&self) -> bool {
        true
    }
    fn enter(&mut self, step: impl FnOnce() -> String) {
        self.stack.push(step());
    }
    fn leave(&mut self) {
        self.stack.pop();
    }
    fn matched(&mut self, leaf: impl FnOnce() -> String) {
        let mut path = self.stack.clone();
        path.push(leaf());
        self.found.push(path);
    }
    fn note(&mut self, note: impl FnOnce() -> Note) {
        self.notes.push(note());
    }
}

/// `matched` when `yes`, and `yes`.
fn leaf<T: Trace>(t: &mut T, yes: bool, what: impl FnOnce() -> String) -> bool {
    if yes {
        t.matched(what);
    }
    yes
}

impl Resolver<'_> {
    pub(super) fn blueprint(&self, at: usize) -> Option<&Blueprint> {
        self.chain
            .get(at)
            .and_then(|i| self.set.blueprint(&i.blueprint))
    }

    pub(super) fn matches_any_traced<T: Trace>(
        &self,
        principals: &[Principal],
        at: usize,
        depth: usize,
        t: &mut T,
    ) -> bool {
        if t.all() {
            let mut any = false;
            for p in principals {
                any |= self.matches_traced(p, at, depth, t);
            }
            any
        } else {
            principals
                .iter()
                .any(|p| self.matches_traced(p, at, depth, t))
        }
    }

    pub(super) fn matches_ref_traced<T: Trace>(
        &self,
        p: &PrincipalRef,
        at: usize,
        depth: usize,
        t: &mut T,
    ) -> bool {
        let who = self.who;
        match p {
            PrincipalRef::User(n) => {
                leaf(t, !who.api_key && who.name == *n, || format!("user `{n}`"))
            }
            PrincipalRef::Group(g) => leaf(t, !who.api_key && who.groups.contains(g), || {
                format!("group `{g}`, of which `{}` is a member", who.name)
            }),
            PrincipalRef::ApiKey(n) => leaf(t, who.api_key && who.name == *n, || {
                format!("API key `{n}`")
            }),
            PrincipalRef::Role(r) => self.matches_role_traced(r, at, depth, t),
        }
    }

    pub(super) fn matches_role_traced<T: Trace>(
        &self,
        role: &str,
        at: usize,
        depth: usize,
        t: &mut T,
    ) -> bool {
        if depth > 16 {
            return false;
        }
        let Some(item) = self.chain.get(at) else {
            return false;
        };
        if role == "creator" {
            return leaf(t, item.creator == self.who.name, || {
                format!(
                    "role `creator`: `{}` created item {}",
                    self.who.name, item.id
                )
            });
        }
        if role == "everyone" {
            return leaf(t, true, || "everyone".to_string());
        }
        let Some(r) = self
            .blueprint(at)
            .and_then(|b| b.roles.get(&crate::model::RoleId(role.to_string())))
        else {
            return false;
        };
        t.enter(|| format!("role `{role}` of item {} ({})", item.id, item.blueprint));
        let yes = self.matches_any_traced(&r.principals, at, depth + 1, t);
        t.leave();
        yes
    }

    fn field_holds_traced<T: Trace>(
        &self,
        at: usize,
        field: &str,
        depth: usize,
        t: &mut T,
        step: impl FnOnce() -> String,
    ) -> bool {
        let (Some(item), Some(blueprint)) = (self.chain.get(at), self.blueprint(at)) else {
            return false;
        };
        let (Some(value), Some(f)) = (item.fields.get(field), blueprint.field(field)) else {
            return false;
        };
        let held = values::principals_in(value, &f.ty);
        t.enter(step);
        let yes = if t.all() {
            let mut any = false;
            for p in &held {
                any |= self.matches_ref_traced(p, at, depth + 1, t);
            }
            any
        } else {
            held.iter()
                .any(|p| self.matches_ref_traced(p, at, depth + 1, t))
        };
        t.leave();
        yes
    }

    pub(super) fn matches_traced<T: Trace>(
        &self,
        p: &Principal,
        at: usize,
        depth: usize,
        t: &mut T,
    ) -> bool {
        let who = self.who;
        match p {
            Principal::User { name } => leaf(t, !who.api_key && who.name == *name, || {
                format!("user `{name}`")
            }),
            Principal::Group { name } => leaf(t, !who.api_key && who.groups.contains(name), || {
                format!("group `{name}`, of which `{}` is a member", who.name)
            }),
            Principal::ApiKey { name } => leaf(t, who.api_key && who.name == *name, || {
                format!("API key `{name}`")
            }),
            Principal::Role { role } => self.matches_role_traced(role.as_str(), at, depth, t),
            Principal::Everyone => leaf(t, true, || "everyone".to_string()),
            Principal::Field { field } => {
                let id = self.chain.get(at).map_or(0, |i| i.id);
                self.field_holds_traced(at, field.as_str(), depth, t, || {
                    format!("field `{field}` of item {id}")
                })
            }
            Principal::AncestorField { blueprint, field } => {
                match self
                    .chain
                    .iter()
                    .enumerate()
                    .skip(at)
                    .find(|(_, i)| i.blueprint == blueprint.as_str())
                {
                    Some((index, holder)) => {
                        let id = holder.id;
                        self.field_holds_traced(index, field.as_str(), depth, t, || {
                            format!("`{blueprint}.field {field}` on item {id}")
                        })
                    }
                    None => false,
                }
            }
        }
    }

    pub(super) fn has(&self, permission: Permission) -> bool {
        self.has_traced(permission, &mut NoTrace)
    }

    pub(super) fn has_traced<T: Trace>(&self, permission: Permission, t: &mut T) -> bool {
        if self.who.admin {
            return leaf(t, true, || {
                format!(
                    "`{}` is an admin: may act for anyone (recorded as such)",
                    self.who.name
                )
            });
        }
        let Some(b) = self.blueprint(0) else {
            return false;
        };
        let (name, list) = match permission {
            Permission::Read => ("read", &b.permissions.read),
            Permission::Write => ("write", &b.permissions.write),
            Permission::Delete => ("delete", &b.permissions.delete),
            Permission::Create => (
                "create",
                b.permissions
                    .create
                    .as_ref()
                    .unwrap_or(&b.permissions.write),
            ),
        };
        t.enter(|| format!("`permission {name}` of blueprint `{}`", b.id));
        let yes = self.matches_any_traced(list, 0, 0, t);
        t.leave();
        yes
    }

    /// Refuses unless `who` has `permission`; `what` is what they tried.
    pub(super) fn require(
        &self,
        permission: Permission,
        what: impl FnOnce() -> String,
    ) -> Result<()> {
        if self.has(permission) {
            Ok(())
        } else {
            refuse(Refusal::NotPermitted {
                who: self.who.name.clone(),
                what: what(),
            })
        }
    }

    /// Refuses, as if item `id` did not exist, unless `who` may read it: an
    /// item one may not read looks like a missing one, so ids reveal nothing.
    pub(super) fn require_readable(&self, id: i64) -> Result<()> {
        if self.has(Permission::Read) {
            Ok(())
        } else {
            refuse(Refusal::NotFound {
                what: format!("item {id}"),
            })
        }
    }

    /// The blueprint of the item itself.
    pub(super) fn own_blueprint(&self) -> Result<&Blueprint> {
        self.blueprint(0).ok_or_else(|| {
            Refusal::NotFound {
                what: format!("blueprint `{}`", self.chain[0].blueprint),
            }
            .into()
        })
    }

    /// The actor facts for the sign-off of `step`, delegations applied. The
    /// `reviewers` hook is asked only about the groups in `needed`: for the
    /// others only the blueprint's reviewers count (the action at hand does
    /// not depend on them).
    pub(super) fn actor(
        &self,
        step: &str,
        state: &SignOffState,
        needed: Needed<'_>,
        delegators: &Delegators,
    ) -> Result<Actor<'_>> {
        let name = self.who.name.as_str();
        let Some(signoff) = self
            .blueprint(0)
            .and_then(|b| b.step(step))
            .and_then(|s| s.signoff.as_ref())
        else {
            return Ok(Actor {
                name,
                can_write: false,
                feedback_groups: vec![],
                is_final_approver: false,
                is_admin: self.who.admin,
            });
        };
        let view = std::cell::OnceCell::new();
        let mut feedback_groups = Vec::new();
        for g in &signoff.feedback {
            let group = g.id.as_str();
            let asked = Eligibility {
                step,
                state,
                group,
                principals: &g.reviewers,
                ask_hook: needed.asks(group),
                delegators,
            };
            if self.eligible_traced(&asked, &view, &mut NoTrace)? {
                feedback_groups.push(g.id.to_string());
            }
        }
        let last = Eligibility {
            step,
            state,
            group: "final",
            principals: &signoff.final_approval.reviewers,
            ask_hook: needed.asks("final"),
            delegators,
        };
        Ok(Actor {
            name,
            can_write: self.has(Permission::Write),
            feedback_groups,
            is_final_approver: self.eligible_traced(&last, &view, &mut NoTrace)?,
            is_admin: self.who.admin,
        })
    }

    /// Whether `who` is eligible for `asked.group` (`final`: the final
    /// approval): a delegate, or, unless they delegated it away, one of the
    /// blueprint's reviewers or of those the `reviewers` hook adds.
    pub(super) fn eligible_traced<T: Trace>(
        &self,
        asked: &Eligibility<'_>,
        view: &std::cell::OnceCell<rhai::Dynamic>,
        t: &mut T,
    ) -> Result<bool> {
        self.eligible_at(asked, view, t, 0)
    }

    /// [`Resolver::eligible_traced`], `depth` delegations away from the
    /// person who acts.
    fn eligible_at<T: Trace>(
        &self,
        asked: &Eligibility<'_>,
        view: &std::cell::OnceCell<rhai::Dynamic>,
        t: &mut T,
        depth: usize,
    ) -> Result<bool> {
        let name = self.who.name.as_str();
        let group = asked.group;
        let mut yes = false;
        let ours = asked.state.delegations.iter().filter(|d| d.group == group);
        for d in ours.clone().filter(|d| d.to == name) {
            // A delegation counts only while its delegator could act now.
            match self.delegator_blocked(asked, view, &d.from, depth)? {
                None => {
                    yes = leaf(t, true, || format!("delegated to `{name}` by `{}`", d.from));
                    t.note(|| {
                        Note::Delegation(format!("`{}` delegated `{group}` to `{name}`", d.from))
                    });
                }
                Some(why) => t.note(|| {
                    Note::Blocker(format!(
                        "`{}` delegated `{group}` to `{name}`, but the delegation counts for nothing: {why}",
                        d.from
                    ))
                }),
            }
        }
        if yes && !t.all() {
            return Ok(true);
        }
        // Delegated away: the delegate acts instead. (Asked through a
        // delegate, the question is whether the delegator could act were it
        // not for the delegation.)
        if let Some(d) = ours.clone().find(|d| d.from == name).filter(|_| depth == 0) {
            t.note(|| {
                Note::Blocker(format!(
                    "`{name}` delegated `{group}` to `{}`: the delegate acts instead",
                    d.to
                ))
            });
            return Ok(yes);
        }
        yes |= self.matches_any_traced(asked.principals, 0, 0, t);
        if yes && !t.all() {
            return Ok(true);
        }
        // An escalation with `grant` adds its principals once it happened.
        let escalated = asked
            .state
            .clocks
            .get(group)
            .and_then(|c| c.escalated_at)
            .zip(
                self.blueprint(0)
                    .and_then(|b| b.step(asked.step))
                    .and_then(|s| s.signoff.as_ref())
                    .and_then(|spec| super::rules::sla::level_of(spec, group))
                    .map(|l| l.granted())
                    .filter(|g| !g.is_empty()),
            );
        if let Some((at, granted)) = escalated {
            t.enter(|| {
                format!(
                    "the escalation of `{group}` (`escalate … grant`) on {}",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            });
            yes |= self.matches_any_traced(granted, 0, 0, t);
            t.leave();
            if yes && !t.all() {
                return Ok(true);
            }
        }
        let blueprint_id = self.chain[0].blueprint.as_str();
        if !asked.ask_hook || !self.set.hooks.has(blueprint_id, "reviewers") {
            return Ok(yes);
        }
        let view = view.get_or_init(|| script_view(self.set, self.chain, 0));
        let Some(added) = hook_reviewer_names(self.set, blueprint_id, view, asked.step, group)?
        else {
            return Ok(yes);
        };
        t.note(|| {
            Note::Hook(format!(
                "the `reviewers` hook added {} for `{group}`",
                if added.is_empty() {
                    "nobody".to_string()
                } else {
                    added.join(", ")
                }
            ))
        });
        t.enter(|| format!("the `reviewers` hook of `{blueprint_id}`"));
        for p in added
            .iter()
            .filter_map(|p| crate::model::parse::parse_principal_ref(p))
        {
            yes |= self.matches_ref_traced(&p, 0, 0, t);
            if yes && !t.all() {
                break;
            }
        }
        t.leave();
        Ok(yes)
    }
}

/// One eligibility question: may `who` act for `group` of the sign-off of
/// `step` (whose state is `state`), reviewers being `principals`?
pub(super) struct Eligibility<'a> {
    pub(super) step: &'a str,
    pub(super) state: &'a SignOffState,
    pub(super) group: &'a str,
    pub(super) principals: &'a [Principal],
    /// Whether the `reviewers` hook is asked too.
    pub(super) ask_hook: bool,
    /// Who the delegators of the sign-off's delegations are now.
    pub(super) delegators: &'a Delegators,
}

/// How many delegations away from the person acting a delegator's own
/// eligibility is still followed; a longer chain counts for nothing.
const MAX_DELEGATION_CHAIN: usize = 8;

/// The delegators of a sign-off's delegations as they are now: each one's
/// identity, or none when the user is gone or disabled. A delegation is
/// eligibility borrowed from its delegator, so it is re-derived, through
/// them, whenever the delegate acts or is listed.
#[derive(Debug, Default)]
pub(super) struct Delegators(BTreeMap<String, Option<Identity>>);

impl Delegators {
    /// The delegators of `state`'s delegations, read in `tx`.
    pub(super) fn load(tx: &Tx<'_>, state: &SignOffState) -> Result<Delegators> {
        let mut out = BTreeMap::new();
        for d in &state.delegations {
            if out.contains_key(&d.from) {
                continue;
            }
            out.insert(d.from.clone(), Identity::of_user(tx, &d.from)?);
        }
        Ok(Delegators(out))
    }
}

impl Resolver<'_> {
    /// Why `from`'s delegation of `asked.group` gives nothing now (`None`:
    /// it holds): the delegator is gone or disabled, barred from the slot,
    /// used it, or is no longer eligible for it themselves.
    fn delegator_blocked(
        &self,
        asked: &Eligibility<'_>,
        view: &std::cell::OnceCell<rhai::Dynamic>,
        from: &str,
        depth: usize,
    ) -> Result<Option<String>> {
        let group = asked.group;
        if depth >= MAX_DELEGATION_CHAIN {
            return Ok(Some(format!(
                "it is more than {MAX_DELEGATION_CHAIN} delegations away from an eligible reviewer"
            )));
        }
        let Some(Some(delegator)) = asked.delegators.0.get(from) else {
            return Ok(Some(format!("`{from}` is disabled or no longer a user")));
        };
        let spec = self
            .blueprint(0)
            .and_then(|b| b.step(asked.step))
            .and_then(|s| s.signoff.as_ref());
        let through = Resolver {
            set: self.set,
            chain: self.chain,
            who: delegator,
        };
        if let Some(why) = spec.and_then(|spec| through.barred(spec, asked.state, group)) {
            return Ok(Some(format!("`{from}` may not act for `{group}`: {why}")));
        }
        if asked.state.slot_used(group, from) {
            return Ok(Some(format!(
                "`{from}` already acted for `{group}` this round"
            )));
        }
        // The delegator's own grants, not an admin's power to act for anyone.
        if through.eligible_at(asked, view, &mut NoTrace, depth + 1)? {
            Ok(None)
        } else {
            Ok(Some(format!(
                "`{from}` is no longer eligible for `{group}`"
            )))
        }
    }
}

impl Engine {
    /// Loads an item with its ancestors and its set, and checks that the caller may read it.
    pub(super) fn readable(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        who: &Identity,
        id: i64,
    ) -> Result<(Vec<Item>, Arc<LoadedSet>)> {
        let (chain, set) = Self::loaded(tx, cache, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        resolver.require_readable(id)?;
        Ok((chain, set))
    }

    /// An item with its ancestors and the set it runs against; no permission checked.
    pub(super) fn loaded(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        id: i64,
    ) -> Result<(Vec<Item>, Arc<LoadedSet>)> {
        let chain = Self::chain(tx, id)?;
        let set = cache.get(tx, &chain[0].blueprint, chain[0].version)?;
        Ok((chain, set))
    }

    pub(super) fn chain(tx: &Tx<'_>, id: i64) -> Result<Vec<Item>> {
        let Some(item) = tx.item(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        Self::with_ancestors(tx, item)
    }

    /// `item` and its ancestors, nearest first, read by the store at once.
    pub(super) fn with_ancestors(tx: &Tx<'_>, item: Item) -> Result<Vec<Item>> {
        let ancestors = tx.ancestors(&item)?;
        let mut chain = Vec::with_capacity(1 + ancestors.len());
        chain.push(item);
        chain.extend(ancestors);
        Ok(chain)
    }
}

impl Engine {
    /// The items of `blueprint` (of every blueprint: `None`) that `who` may
    /// read, in id order, each with its ancestors and the set of its
    /// blueprint version.
    pub(super) fn readable_items(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        who: &Identity,
        blueprint: Option<&str>,
    ) -> Result<Vec<(Vec<Item>, Arc<LoadedSet>)>> {
        let mut out = Vec::new();
        for row in tx.items(blueprint, None)? {
            let chain = Self::with_ancestors(tx, row)?;
            let set = cache.get(tx, &chain[0].blueprint, chain[0].version)?;
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            if resolver.has(Permission::Read) {
                out.push((chain, set));
            }
        }
        Ok(out)
    }

    /// Runs `f` on an item `who` may read, with its resolver and blueprint.
    pub(super) fn with_readable<T>(
        &mut self,
        who: &Identity,
        id: i64,
        f: impl FnOnce(&Resolver<'_>, &Item, &Blueprint) -> Result<T>,
    ) -> Result<T> {
        self.with_readable_in(who, id, |_, resolver, item, blueprint| {
            f(resolver, item, blueprint)
        })
    }

    /// [`Engine::with_readable`], `f` also given the read transaction.
    pub(super) fn with_readable_in<T>(
        &mut self,
        who: &Identity,
        id: i64,
        f: impl FnOnce(&Tx<'_>, &Resolver<'_>, &Item, &Blueprint) -> Result<T>,
    ) -> Result<T> {
        let tx = self.store.read()?;
        let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        let item = &chain[0];
        f(&tx, &resolver, item, resolver.own_blueprint()?)
    }
}

/// Marks an audit event's details with how its actor was authenticated
/// and, for an admin acting for anyone, `as_admin`.
pub(super) fn stamp(details: &mut Json, who: &Identity) {
    if let Json::Object(map) = details {
        map.insert("auth".into(), who.authentication.to_json());
        if who.admin {
            map.insert("as_admin".into(), Json::Bool(true));
        }
    }
}

/// The names the `reviewers` hook of `blueprint` adds to `group` of `step`,
/// or `None` when it returned no list.
pub(super) fn hook_reviewer_names(
    set: &LoadedSet,
    blueprint: &str,
    view: &rhai::Dynamic,
    step: &str,
    group: &str,
) -> Result<Option<Vec<String>>> {
    let args = vec![view.clone(), step.into(), group.into()];
    let result = set
        .hooks
        .call(blueprint, "reviewers", args)
        .map_err(script_failed)?;
    let list = result
        .map(|r| crate::hooks::to_json(&r))
        .unwrap_or(Json::Null);
    let Json::Array(items) = list else {
        return Ok(None);
    };
    Ok(Some(
        items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
    ))
}
