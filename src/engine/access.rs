//! Who may do what to an item: the acting identity, the chain of an item and
//! its ancestors, and the resolver of principals, permissions and sign-off
//! eligibility (blueprint principals, the `reviewers` hook, delegations).

use std::sync::Arc;

use serde_json::Value as Json;

use super::core::Engine;
use super::error::{Refusal, Result, refuse, script_failed};
use super::script_view::script_view;
use super::set_cache::{LoadedSet, SetCache};
use super::signoff::{Actor, Needed, SignOffState};
use super::values;
use crate::model::{Blueprint, Principal, PrincipalRef};
use crate::store::{ItemRow, Tx};

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
}

impl Identity {
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
    pub(super) chain: &'a [ItemRow],
    /// Who acts.
    pub(super) who: &'a Identity,
}

impl Resolver<'_> {
    pub(super) fn blueprint(&self, at: usize) -> Option<&Blueprint> {
        self.chain
            .get(at)
            .and_then(|i| self.set.blueprint(&i.blueprint))
    }

    pub(super) fn matches_any(&self, principals: &[Principal], at: usize, depth: usize) -> bool {
        principals.iter().any(|p| self.matches(p, at, depth))
    }

    pub(super) fn matches_ref(&self, p: &PrincipalRef, at: usize, depth: usize) -> bool {
        match p {
            PrincipalRef::User(n) => !self.who.api_key && self.who.name == *n,
            PrincipalRef::Group(g) => !self.who.api_key && self.who.groups.contains(g),
            PrincipalRef::ApiKey(n) => self.who.api_key && self.who.name == *n,
            PrincipalRef::Role(r) => self.matches_role(r, at, depth),
        }
    }

    pub(super) fn matches_role(&self, role: &str, at: usize, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        if role == "creator" {
            return self
                .chain
                .get(at)
                .is_some_and(|i| i.creator == self.who.name);
        }
        if role == "everyone" {
            return true;
        }
        self.blueprint(at)
            .and_then(|b| b.roles.get(&crate::model::RoleId(role.to_string())))
            .is_some_and(|r| self.matches_any(&r.principals, at, depth + 1))
    }

    pub(super) fn field_holds(&self, at: usize, field: &str, depth: usize) -> bool {
        let (Some(item), Some(blueprint)) = (self.chain.get(at), self.blueprint(at)) else {
            return false;
        };
        let (Some(value), Some(f)) = (item.fields.get(field), blueprint.field(field)) else {
            return false;
        };
        values::principals_in(value, &f.ty)
            .iter()
            .any(|p| self.matches_ref(p, at, depth + 1))
    }

    pub(super) fn matches(&self, p: &Principal, at: usize, depth: usize) -> bool {
        match p {
            Principal::User { name } => !self.who.api_key && self.who.name == *name,
            Principal::Group { name } => !self.who.api_key && self.who.groups.contains(name),
            Principal::ApiKey { name } => self.who.api_key && self.who.name == *name,
            Principal::Role { role } => self.matches_role(role.as_str(), at, depth),
            Principal::Everyone => true,
            Principal::Field { field } => self.field_holds(at, field.as_str(), depth),
            Principal::AncestorField { blueprint, field } => {
                match self
                    .chain
                    .iter()
                    .enumerate()
                    .skip(at)
                    .find(|(_, i)| i.blueprint == blueprint.as_str())
                {
                    Some((index, _)) => self.field_holds(index, field.as_str(), depth),
                    None => false,
                }
            }
        }
    }

    pub(super) fn has(&self, permission: Permission) -> bool {
        if self.who.admin {
            return true;
        }
        let Some(b) = self.blueprint(0) else {
            return false;
        };
        let list = match permission {
            Permission::Read => &b.permissions.read,
            Permission::Write => &b.permissions.write,
            Permission::Delete => &b.permissions.delete,
            Permission::Create => b
                .permissions
                .create
                .as_ref()
                .unwrap_or(&b.permissions.write),
        };
        self.matches_any(list, 0, 0)
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
        // Extra reviewers from the `reviewers` hook, per group.
        let blueprint_id = self.chain[0].blueprint.as_str();
        let hooked = self.set.hooks.has(blueprint_id, "reviewers");
        let view = std::cell::OnceCell::new();
        let extra = |group: &str| -> Result<bool> {
            if !hooked || !needed.asks(group) {
                return Ok(false);
            }
            let view = view.get_or_init(|| script_view(self.set, self.chain, 0));
            let args = vec![view.clone(), step.into(), group.into()];
            let result = self
                .set
                .hooks
                .call(blueprint_id, "reviewers", args)
                .map_err(script_failed)?;
            let list = result
                .map(|r| crate::hooks::to_json(&r))
                .unwrap_or(Json::Null);
            let Json::Array(items) = list else {
                return Ok(false);
            };
            Ok(items
                .iter()
                .filter_map(Json::as_str)
                .filter_map(crate::check::values::parse_principal_ref)
                .any(|p| self.matches_ref(&p, 0, 0)))
        };
        let eligible = |group: &str, principals: &[Principal]| -> Result<bool> {
            let delegated_away = state
                .delegations
                .iter()
                .any(|d| d.group == group && d.from == name);
            let delegated_to = state
                .delegations
                .iter()
                .any(|d| d.group == group && d.to == name);
            Ok(delegated_to
                || (!delegated_away && (self.matches_any(principals, 0, 0) || extra(group)?)))
        };
        let mut feedback_groups = Vec::new();
        for g in &signoff.feedback {
            if eligible(g.id.as_str(), &g.reviewers)? {
                feedback_groups.push(g.id.to_string());
            }
        }
        Ok(Actor {
            name,
            can_write: self.has(Permission::Write),
            feedback_groups,
            is_final_approver: eligible("final", &signoff.final_approval.reviewers)?,
            is_admin: self.who.admin,
        })
    }
}

impl Engine {
    /// Loads an item with its ancestors and its set, and checks that the caller may read it.
    pub(super) fn readable(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        who: &Identity,
        id: i64,
    ) -> Result<(Vec<ItemRow>, Arc<LoadedSet>)> {
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
    ) -> Result<(Vec<ItemRow>, Arc<LoadedSet>)> {
        let chain = Self::chain(tx, id)?;
        let set = cache.get(tx, &chain[0].blueprint, chain[0].version)?;
        Ok((chain, set))
    }

    pub(super) fn chain(tx: &Tx<'_>, id: i64) -> Result<Vec<ItemRow>> {
        let Some(item) = tx.item(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        Self::chain_from(item, |id| Ok(tx.item(id)?))
    }

    /// `item` and its ancestors, nearest first, each found by `parent_of`.
    pub(super) fn chain_from(
        item: ItemRow,
        mut parent_of: impl FnMut(i64) -> Result<Option<ItemRow>>,
    ) -> Result<Vec<ItemRow>> {
        let mut chain = vec![item];
        while let Some(parent) = chain.last().and_then(|i| i.parent) {
            if chain.len() > 64 {
                break;
            }
            match parent_of(parent)? {
                Some(p) => chain.push(p),
                None => break,
            }
        }
        Ok(chain)
    }
}

impl Engine {
    /// Runs `f` on an item `who` may read, with its resolver and blueprint.
    pub(super) fn with_readable<T>(
        &mut self,
        who: &Identity,
        id: i64,
        f: impl FnOnce(&Resolver<'_>, &ItemRow, &Blueprint) -> Result<T>,
    ) -> Result<T> {
        let tx = self.store.read()?;
        let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        let item = &chain[0];
        f(&resolver, item, resolver.own_blueprint()?)
    }
}
