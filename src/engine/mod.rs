//! The engine: every action on items, as one transaction holding the new
//! state and its hash-chained audit event. It sees only the checked model
//! (never syntax), resolves who may do what, and delegates the rules to the
//! pure functions of [`signoff`] and [`workflow`].
//!
//! Refusals are typed ([`Refusal`]) with stable codes shared by the CLI and
//! the HTTP API; storage failures are [`StoreError`]s.

pub mod signoff;
pub mod values;
pub mod workflow;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::check::{self, ScriptSource};
use crate::diag::{Diagnostic, SourceFile};
use crate::hooks::Hooks;
use crate::model::{Blueprint, BlueprintSet, FieldType, Policy, Principal, PrincipalRef};
use crate::store::{Durability, EventRow, ItemRow, NewEvent, Store, StoreError, Tx, UserRow};
use signoff::{Action, Actor, Needed, SignOffState, Status};
use workflow::{StepFacts, StepState, WorkflowState};

/// Why the engine refused an action. Codes are stable (CLI `--json`, HTTP API).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// The caller may not do this.
    #[error("`{who}` may not {what}")]
    NotPermitted {
        /// Who tried.
        who: String,
        /// What they tried.
        what: String,
    },
    /// The action is not allowed from the sign-off's state.
    #[error("cannot {action} a sign-off that is {state}")]
    InvalidTransition {
        /// The action.
        action: String,
        /// The state it was in.
        state: String,
    },
    /// The workflow is locked by a rejected or abandoned sign-off.
    #[error("the workflow is locked: {why}")]
    LockedWorkflow {
        /// Why, and how to unlock it.
        why: String,
    },
    /// Required fields of a step are not set.
    #[error("step `{step}` has required fields not set: {}", fields.join(", "))]
    MissingRequiredFields {
        /// The step (or `item` for item-level fields).
        step: String,
        /// The fields.
        fields: Vec<String>,
    },
    /// A mandatory sign-off is not approved.
    #[error("the sign-off of step `{step}` is mandatory and is {status}, not APPROVED")]
    SignOffRequired {
        /// The step.
        step: String,
        /// Its state.
        status: String,
    },
    /// The item changed since the revision the caller expected.
    #[error("item {item} is at revision {actual}, not {expected}")]
    StaleRevision {
        /// The item.
        item: i64,
        /// What the caller expected.
        expected: i64,
        /// What it is.
        actual: i64,
    },
    /// Something named does not exist.
    #[error("no {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A value does not fit.
    #[error("invalid {what}: {why}")]
    InvalidValue {
        /// What was given.
        what: String,
        /// Why it does not fit.
        why: String,
    },
    /// A hook refused the change.
    #[error("refused by a rule: {why}")]
    RefusedByRule {
        /// The rule's reason.
        why: String,
    },
    /// A hook failed (an error in the script, or a sandbox limit).
    #[error("{error}")]
    ScriptFailed {
        /// Script, function, position and message.
        error: String,
    },
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotPermitted { .. } => "not_permitted",
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::LockedWorkflow { .. } => "locked_workflow",
            Refusal::MissingRequiredFields { .. } => "missing_required_fields",
            Refusal::SignOffRequired { .. } => "signoff_required",
            Refusal::StaleRevision { .. } => "stale_revision",
            Refusal::NotFound { .. } => "not_found",
            Refusal::InvalidValue { .. } => "invalid_value",
            Refusal::RefusedByRule { .. } => "refused_by_rule",
            Refusal::ScriptFailed { .. } => "script_error",
        }
    }

    /// How to get past it.
    pub fn help(&self) -> Option<String> {
        Some(match self {
            Refusal::NotPermitted { .. } => {
                "act as a user the blueprint allows (`--as`), or ask an admin".into()
            }
            Refusal::InvalidTransition { .. } => {
                "`govrt status ITEM` shows where the sign-off stands and what can come next".into()
            }
            Refusal::LockedWorkflow { .. } => {
                "`govrt signoff reset ITEM` or `govrt signoff cancel-abandon ITEM` unlocks it"
                    .into()
            }
            Refusal::MissingRequiredFields { fields, .. } => format!(
                "set them first: `govrt item set ITEM {}=…`",
                fields.first().map_or("FIELD", String::as_str)
            ),
            Refusal::SignOffRequired { .. } => {
                "get the sign-off approved first: `govrt status ITEM` shows what it waits for"
                    .into()
            }
            Refusal::StaleRevision { .. } => {
                "read the item again (`govrt item show ITEM`) and retry with its current revision"
                    .into()
            }
            Refusal::NotFound { .. } => return None,
            Refusal::InvalidValue { .. } => return None,
            Refusal::ScriptFailed { .. } => {
                "fix the script (`govrt validate` checks it; `govrt hook test` runs one hook); nothing was changed".into()
            }
            Refusal::RefusedByRule { .. } => {
                "the blueprint's script refused it; fix what it says and retry".into()
            }
        })
    }
}

/// An engine failure: a refusal, an invalid blueprint set, or storage.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The action was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A blueprint set to load is invalid.
    #[error("the blueprint set is invalid ({} problems)", .0.len())]
    InvalidBlueprints(Vec<Diagnostic>),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system failed us.
    #[error("{0}")]
    System(String),
}

/// The result of engine calls.
pub type Result<T> = std::result::Result<T, EngineError>;

fn refuse<T>(r: Refusal) -> Result<T> {
    Err(EngineError::Refused(r))
}

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
}

impl Identity {
    /// The scheduler: applies due resets.
    pub fn scheduler() -> Identity {
        Identity {
            name: "scheduler".into(),
            api_key: false,
            admin: true,
            groups: Vec::new(),
        }
    }
}

/// A checked set with its compiled hooks.
#[derive(Debug)]
pub struct LoadedSet {
    /// The checked model.
    pub set: BlueprintSet,
    /// Its compiled scripts.
    pub hooks: Hooks,
}

impl std::ops::Deref for LoadedSet {
    type Target = BlueprintSet;
    fn deref(&self) -> &BlueprintSet {
        &self.set
    }
}

/// Loaded blueprint sets, by stored set id, and which set holds each version.
#[derive(Default)]
struct SetCache {
    sets: HashMap<i64, Arc<LoadedSet>>,
    set_of: HashMap<(String, u32), i64>,
}

impl SetCache {
    fn refresh(&mut self, tx: &Tx<'_>) -> Result<()> {
        self.set_of.clear();
        for row in tx.blueprint_versions()? {
            self.set_of.insert((row.blueprint, row.version), row.set_id);
        }
        Ok(())
    }

    /// The set an item of `blueprint` at `version` runs against.
    fn get(&mut self, tx: &Tx<'_>, blueprint: &str, version: u32) -> Result<Arc<LoadedSet>> {
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
        let Some(set) = checked.set else {
            return Err(EngineError::InvalidBlueprints(checked.diagnostics));
        };
        let hooks = Hooks::compile(&set).map_err(|e| Refusal::ScriptFailed {
            error: e.to_string(),
        })?;
        let set = Arc::new(LoadedSet { set, hooks });
        self.sets.insert(set_id, Arc::clone(&set));
        Ok(set)
    }

    /// The newest version of a blueprint.
    fn latest(&mut self, tx: &Tx<'_>, blueprint: &str) -> Result<Option<u32>> {
        Ok(tx.latest_blueprint_version(blueprint)?.map(|(v, _)| v))
    }
}

/// What loading a blueprint set did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Blueprints stored as a new version: (id, version).
    pub new_versions: Vec<(String, u32)>,
    /// Blueprints unchanged since their newest version.
    pub unchanged: Vec<(String, u32)>,
}

/// The engine over one database.
pub struct Engine {
    store: Store,
    cache: SetCache,
    base_url: String,
}

/// A field change: set to the text given, or unset.
#[derive(Debug, Clone)]
pub enum FieldChange {
    /// `FIELD=VALUE`.
    Set(String, String),
    /// Unset.
    Unset(String),
}

/// Whether an action needs the item's ancestors loaded.
#[derive(Debug, Clone, Copy)]
enum Ancestors {
    /// Sign-off actions: reviewers often come from ancestors' fields.
    Always,
    /// Field edits and moves: only when the blueprint's permissions or roles read an ancestor.
    ForPermissions,
}

/// Whether any permission or role of a blueprint reads a field of another blueprint.
fn permissions_use_ancestors(blueprint: &Blueprint) -> bool {
    let reads_ancestor = |p: &Principal| matches!(p, Principal::AncestorField { blueprint: b, .. } if *b != blueprint.id);
    let p = &blueprint.permissions;
    p.read
        .iter()
        .chain(&p.write)
        .chain(&p.delete)
        .any(reads_ancestor)
        || blueprint
            .roles
            .values()
            .flat_map(|r| &r.principals)
            .any(reads_ancestor)
}

/// Which permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Permission {
    Read,
    Write,
    Delete,
}

/// Resolves principals for one item and one identity.
struct Resolver<'a> {
    set: &'a LoadedSet,
    /// The item, then its ancestors, nearest first.
    chain: &'a [ItemRow],
    who: &'a Identity,
}

impl Resolver<'_> {
    fn blueprint(&self, at: usize) -> Option<&Blueprint> {
        self.chain
            .get(at)
            .and_then(|i| self.set.blueprint(&i.blueprint))
    }

    fn matches_any(&self, principals: &[Principal], at: usize, depth: usize) -> bool {
        principals.iter().any(|p| self.matches(p, at, depth))
    }

    fn matches_ref(&self, p: &PrincipalRef, at: usize, depth: usize) -> bool {
        match p {
            PrincipalRef::User(n) => !self.who.api_key && self.who.name == *n,
            PrincipalRef::Group(g) => !self.who.api_key && self.who.groups.contains(g),
            PrincipalRef::ApiKey(n) => self.who.api_key && self.who.name == *n,
            PrincipalRef::Role(r) => self.matches_role(r, at, depth),
        }
    }

    fn matches_role(&self, role: &str, at: usize, depth: usize) -> bool {
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

    fn field_holds(&self, at: usize, field: &str, depth: usize) -> bool {
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

    fn matches(&self, p: &Principal, at: usize, depth: usize) -> bool {
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

    fn has(&self, permission: Permission) -> bool {
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
        };
        self.matches_any(list, 0, 0)
    }

    /// The actor facts for the sign-off of `step`, delegations applied. The
    /// `reviewers` hook is asked only about the groups in `needed`: for the
    /// others only the blueprint's reviewers count (the action at hand does
    /// not depend on them).
    fn actor(&self, step: &str, state: &SignOffState, needed: Needed<'_>) -> Result<Actor<'_>> {
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

fn script_failed(e: crate::hooks::ScriptError) -> EngineError {
    EngineError::Refused(Refusal::ScriptFailed {
        error: e.to_string(),
    })
}

/// The view of `chain[at]` that scripts get (LANGUAGE.md "Hooks"), built
/// directly as rhai values and shared, so that passing it to several hooks
/// copies nothing.
fn script_view(set: &BlueprintSet, chain: &[ItemRow], at: usize) -> rhai::Dynamic {
    match chain.get(at) {
        Some(item) => item_script_view(set, item, &chain[at + 1..]),
        None => rhai::Dynamic::UNIT,
    }
}

/// The view of `item` whose ancestors, nearest first, are `ancestors`.
fn item_script_view(set: &BlueprintSet, item: &ItemRow, ancestors: &[ItemRow]) -> rhai::Dynamic {
    use rhai::{Dynamic, Map};
    let text = |s: &str| Dynamic::from(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(Dynamic::UNIT, text);
    let mut fields = Map::new();
    match set.blueprint(&item.blueprint) {
        Some(b) => {
            for f in &b.fields {
                let value = item
                    .fields
                    .get(f.id.as_str())
                    .map_or(Dynamic::UNIT, crate::hooks::to_dynamic);
                fields.insert(f.id.as_str().into(), value);
            }
        }
        None => {
            for (k, v) in &item.fields {
                fields.insert(k.as_str().into(), crate::hooks::to_dynamic(v));
            }
        }
    }
    let mut signoffs = Map::new();
    for (step, s) in &item.signoffs {
        let feedback: rhai::Array = s
            .reviews
            .iter()
            .map(|r| {
                let mut m = Map::new();
                m.insert("group".into(), text(&r.group));
                m.insert("reviewer".into(), text(&r.reviewer));
                m.insert("verdict".into(), text(r.verdict.as_str()));
                m.insert("comment".into(), opt(&r.comment));
                Dynamic::from_map(m)
            })
            .collect();
        let decision = s.decision.as_ref().map_or(Dynamic::UNIT, |d| {
            let mut m = Map::new();
            m.insert("approved".into(), Dynamic::from(d.approved));
            m.insert("by".into(), text(&d.by));
            m.insert("comment".into(), opt(&d.comment));
            Dynamic::from_map(m)
        });
        let mut m = Map::new();
        m.insert("status".into(), text(s.status.as_str()));
        m.insert("requester".into(), opt(&s.requester));
        m.insert("feedback".into(), Dynamic::from_array(feedback));
        m.insert("final".into(), decision);
        signoffs.insert(step.as_str().into(), Dynamic::from_map(m));
    }
    let mut view = Map::new();
    view.insert("id".into(), text(&item.id.to_string()));
    view.insert("name".into(), text(&item.name));
    view.insert("blueprint".into(), text(&item.blueprint));
    view.insert("version".into(), Dynamic::from(i64::from(item.version)));
    view.insert("creator".into(), text(&item.creator));
    view.insert("step".into(), opt(&item.step));
    view.insert("fields".into(), Dynamic::from_map(fields));
    view.insert("signoffs".into(), Dynamic::from_map(signoffs));
    view.insert("parent".into(), script_view(set, ancestors, 0));
    Dynamic::from_map(view).into_shared()
}

/// Who is mailed about a notice.
enum Audience {
    /// The item's subscribers (through its ancestors), but the actor.
    Subscribers,
    /// These users.
    Users(Vec<String>),
    /// Users eligible for a feedback group of the step's sign-off.
    Reviewers,
    /// The final approvers of the step's sign-off.
    Approvers,
}

/// The messages an action sends (DESIGN.md "Notifications"), from its audit details.
fn mails_for(
    tx: &Tx<'_>,
    set: &LoadedSet,
    chain: &[ItemRow],
    who: &Identity,
    details: &Json,
    base_url: &str,
) -> Result<Vec<crate::store::NewMessage>> {
    let Some(events) = details.get("events").and_then(Json::as_array) else {
        return Ok(Vec::new());
    };
    let item = &chain[0];
    let step = details
        .get("step")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(blueprint) = set.blueprint(&item.blueprint) else {
        return Ok(Vec::new());
    };
    let Some(spec) = blueprint.step(&step).and_then(|s| s.signoff.as_ref()) else {
        return Ok(Vec::new());
    };
    let state = item.signoffs.get(&step).cloned().unwrap_or_default();
    let notify = details
        .get("notify")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let label_of = |group: &str| {
        spec.feedback
            .iter()
            .find(|g| g.id.as_str() == group)
            .map_or(group.to_string(), |g| g.label.clone())
    };
    let flag = |e: &Json, key: &str| e.get(key).and_then(Json::as_bool).unwrap_or(false);
    let mut out = Vec::new();
    for e in events {
        let kind = e.get("event").and_then(Json::as_str).unwrap_or_default();
        let comment_only = flag(e, "edited") && !flag(e, "status_changed");
        let (what, audience) = match kind {
            "feedback_given" if !comment_only => {
                let verdict = e.get("verdict").and_then(Json::as_str).unwrap_or_default();
                let group = label_of(e.get("group").and_then(Json::as_str).unwrap_or_default());
                (
                    format!(
                        "{} feedback {verdict} for {group}",
                        if flag(e, "edited") {
                            "changed their"
                        } else {
                            "gave"
                        }
                    ),
                    Audience::Subscribers,
                )
            }
            "decided" if !comment_only => {
                let verb = if flag(e, "approved") {
                    "approved"
                } else {
                    "rejected"
                };
                (
                    format!(
                        "{verb} the sign-off{}",
                        if flag(e, "edited") {
                            " (a changed decision)"
                        } else {
                            ""
                        }
                    ),
                    Audience::Subscribers,
                )
            }
            "abandoned" => ("abandoned the sign-off".to_string(), Audience::Subscribers),
            "abandon_canceled" => (
                "canceled the abandon of the sign-off".to_string(),
                Audience::Subscribers,
            ),
            "reset" => (
                if flag(e, "automatic") {
                    "reset the sign-off (it fell due)".to_string()
                } else {
                    "reset the sign-off".to_string()
                },
                Audience::Subscribers,
            ),
            "reset_scheduled" => (
                format!(
                    "scheduled a reset of the sign-off for {}",
                    e.get("at").and_then(Json::as_str).unwrap_or_default()
                ),
                Audience::Subscribers,
            ),
            "delegated" => {
                let to = e
                    .get("to")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                let group = e.get("group").and_then(Json::as_str).unwrap_or_default();
                let group = if group == "final" {
                    "final approval".to_string()
                } else {
                    format!("{} review", label_of(group))
                };
                (
                    format!("delegated their {group} to you"),
                    Audience::Users(vec![to]),
                )
            }
            "review_requested" if notify => {
                ("requested your review".to_string(), Audience::Reviewers)
            }
            "final_approval_requested" if notify => (
                "requested your final approval".to_string(),
                Audience::Approvers,
            ),
            _ => continue,
        };
        let with_addresses = |users: Vec<String>| -> Result<Vec<(String, Option<String>)>> {
            users
                .into_iter()
                .map(|user| {
                    let address = tx.user(&user)?.and_then(|u| u.email);
                    Ok((user, address))
                })
                .collect()
        };
        // Who, with their address (none: they follow, but get no mail).
        let recipients: Vec<(String, Option<String>)> = match audience {
            Audience::Users(users) => with_addresses(users)?,
            Audience::Subscribers => {
                // The nearest subscription row (the item's, else its parent's…) decides.
                let mut decided: BTreeMap<&str, bool> = BTreeMap::new();
                for it in chain {
                    for (user, subscribed) in &it.subscribers {
                        decided.entry(user).or_insert(*subscribed);
                    }
                }
                with_addresses(
                    decided
                        .into_iter()
                        .filter(|(_, s)| *s)
                        .map(|(u, _)| u.to_string())
                        .collect(),
                )?
            }
            Audience::Reviewers | Audience::Approvers => {
                let mut eligible = Vec::new();
                for user in tx.users()? {
                    let identity = Identity {
                        groups: tx.groups_of(&user.name)?,
                        name: user.name.clone(),
                        api_key: false,
                        admin: false,
                    };
                    let resolver = Resolver {
                        set,
                        chain,
                        who: &identity,
                    };
                    let actor = resolver.actor(&step, &state, Needed::Every)?;
                    let yes = match audience {
                        Audience::Reviewers => !actor.feedback_groups.is_empty(),
                        _ => actor.is_final_approver,
                    };
                    if yes {
                        eligible.push((user.name, user.email));
                    }
                }
                eligible
            }
        };
        let notice = crate::notify::Notice {
            item: item.id,
            item_name: item.name.clone(),
            blueprint: blueprint.label.clone(),
            step: step.clone(),
            signoff: spec.label.clone(),
            state: state.status.as_str().to_string(),
            actor: who.name.clone(),
            what,
        };
        let mut secret = None;
        for (user, address) in recipients {
            let Some(address) = address.filter(|_| user != who.name) else {
                continue;
            };
            let secret = match &mut secret {
                Some(s) => s,
                None => secret.insert(unsubscribe_secret(tx)?),
            };
            let token = crate::notify::unsubscribe_token(secret, &user, item.id);
            out.push(crate::notify::compose(
                &notice, &user, &address, base_url, &token,
            ));
        }
    }
    Ok(out)
}

/// A value a script returned for a field, checked against the field's type
/// and normalized as the CLI would store it; `null` unsets.
fn coerce(ty: &FieldType, value: &Json) -> std::result::Result<Json, String> {
    match (ty, value) {
        (_, Json::Null) => Ok(Json::Null),
        (FieldType::List { of }, Json::Array(items)) => items
            .iter()
            .map(|v| coerce(of, v))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Json::Array),
        (FieldType::Int { .. }, Json::Number(n))
            if n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            values::parse_input(ty, &format!("{}", n.as_f64().unwrap_or_default() as i64))
        }
        (_, Json::String(text)) => values::parse_input(ty, text),
        (_, Json::Number(n)) => values::parse_input(ty, &n.to_string()),
        (_, Json::Bool(b)) => values::parse_input(ty, &b.to_string()),
        (_, other) => Err(format!("{other} does not fit a `{}` field", ty.describe())),
    }
}

/// After a change is applied in memory: computed fields, `after_change`
/// follow-up updates, computed fields again, then `validate`. Returns the
/// follow-up updates (for the audit trail).
fn run_change_hooks(
    set: &LoadedSet,
    ancestors: &[ItemRow],
    item: &mut ItemRow,
    action: &str,
) -> Result<Json> {
    let hooks = &set.hooks;
    let id = item.blueprint.clone();
    let Some(blueprint) = set.blueprint(&id) else {
        return Ok(Json::Null);
    };
    if !hooks.has_script(&id) {
        return Ok(Json::Null);
    }
    // The view is built once; what the hooks change is written into it as they go.
    let mut view = item_script_view(set, item, ancestors);
    // Sets a field a hook gave a value, in the item and in the view.
    let set_field = |item: &mut ItemRow,
                     view: &mut rhai::Dynamic,
                     field: &str,
                     value: &Json,
                     hook: &str|
     -> Result<()> {
        let Some(f) = blueprint.field(field) else {
            return refuse(Refusal::ScriptFailed {
                error: format!("hook `{hook}` set unknown field `{field}`"),
            });
        };
        let value = coerce(&f.ty, value).map_err(|why| Refusal::ScriptFailed {
            error: format!("hook `{hook}` gave `{field}` a bad value: {why}"),
        })?;
        if item.fields.get(field).unwrap_or(&Json::Null) == &value {
            return Ok(());
        }
        if let Some(mut map) = view.write_lock::<rhai::Map>()
            && let Some(mut fields) = map
                .get_mut("fields")
                .and_then(|f| f.write_lock::<rhai::Map>())
        {
            let shown = match &value {
                Json::Null => rhai::Dynamic::UNIT,
                v => crate::hooks::to_dynamic(v),
            };
            fields.insert(field.into(), shown);
        }
        match value {
            Json::Null => item.fields.remove(field),
            v => item.fields.insert(field.to_string(), v),
        };
        Ok(())
    };
    let computed = hooks.computed_fields(&id);
    let compute = |item: &mut ItemRow, view: &mut rhai::Dynamic| -> Result<()> {
        for (hook, field) in &computed {
            if let Some(value) = hooks
                .call(&id, hook, vec![view.clone()])
                .map_err(script_failed)?
            {
                set_field(item, view, field, &crate::hooks::to_json(&value), hook)?;
            }
        }
        Ok(())
    };
    compute(item, &mut view)?;
    let mut follow_up = serde_json::Map::new();
    if hooks.has(&id, "after_change") {
        let event = json!({"action": action, "revision": item.revision});
        let args = vec![view.clone(), crate::hooks::to_dynamic(&event)];
        match hooks
            .call(&id, "after_change", args)
            .map_err(script_failed)?
            .map(|v| crate::hooks::to_json(&v))
        {
            Some(Json::Object(updates)) => {
                for (field, value) in &updates {
                    set_field(item, &mut view, field, value, "after_change")?;
                }
                follow_up = updates;
                compute(item, &mut view)?;
            }
            Some(Json::Null) | None => {}
            Some(other) => {
                return refuse(Refusal::ScriptFailed {
                    error: format!(
                        "hook `after_change` must return a map of field updates or `()`, not {other}"
                    ),
                });
            }
        }
    }
    if hooks.has(&id, "validate") {
        let result = hooks
            .call(&id, "validate", vec![view])
            .map_err(script_failed)?;
        let errors: Vec<String> = match result.map(|v| crate::hooks::to_json(&v)) {
            Some(Json::Array(list)) => list
                .iter()
                .map(|e| match e {
                    Json::String(s) => s.clone(),
                    Json::Object(m) => match (
                        m.get("field").and_then(Json::as_str),
                        m.get("message").and_then(Json::as_str),
                    ) {
                        (Some(f), Some(msg)) => format!("{f}: {msg}"),
                        (None, Some(msg)) => msg.to_string(),
                        _ => e.to_string(),
                    },
                    other => other.to_string(),
                })
                .collect(),
            Some(Json::String(s)) => vec![s],
            _ => Vec::new(),
        };
        if !errors.is_empty() {
            return refuse(Refusal::RefusedByRule {
                why: errors.join("; "),
            });
        }
    }
    Ok(if follow_up.is_empty() {
        Json::Null
    } else {
        Json::Object(follow_up)
    })
}

/// An item as shown to people and tools.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// The id.
    pub id: String,
    /// The name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The pinned blueprint version.
    pub version: u32,
    /// The parent item's id.
    pub parent: Option<String>,
    /// The current step.
    pub step: Option<String>,
    /// ONGOING, FINISHED or LOCKED (absent without a workflow).
    pub workflow: Option<WorkflowState>,
    /// Field values.
    pub fields: serde_json::Map<String, Json>,
    /// Who created it.
    pub creator: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The revision (optimistic concurrency).
    pub revision: i64,
}

fn workflow_state(item: &ItemRow, blueprint: &Blueprint) -> Option<WorkflowState> {
    blueprint.workflow.as_ref()?;
    Some(
        if item.signoffs.values().any(|s| s.status.locks_workflow()) {
            WorkflowState::Locked
        } else if item.finished {
            WorkflowState::Finished
        } else {
            WorkflowState::Ongoing
        },
    )
}

fn view(item: &ItemRow, blueprint: &Blueprint) -> ItemView {
    ItemView {
        id: item.id.to_string(),
        name: item.name.clone(),
        blueprint: item.blueprint.clone(),
        version: item.version,
        parent: item.parent.map(|p| p.to_string()),
        step: item.step.clone(),
        workflow: workflow_state(item, blueprint),
        fields: item.fields.clone(),
        creator: item.creator.clone(),
        created_at: item.created_at,
        updated_at: item.updated_at,
        revision: item.revision,
    }
}

/// The governance status of an item (DESIGN.md "Governance status").
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    /// The item.
    pub item: ItemView,
    /// Each step and its state.
    pub steps: Vec<StepView>,
    /// Each sign-off.
    pub signoffs: Vec<SignOffView>,
    /// Whether every sign-off that gates deployment is approved (and nothing is locked).
    pub approved: bool,
    /// The deploy decision on each infrastructure.
    pub deploy: Vec<DeployDecision>,
}

/// A step in a status.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// FINISHED, ONGOING or NOT_STARTED.
    pub state: StepState,
}

/// A sign-off in a status.
#[derive(Debug, Clone, Serialize)]
pub struct SignOffView {
    /// The step it belongs to.
    pub step: String,
    /// The label.
    pub label: String,
    /// Its state.
    pub status: Status,
    /// Whether the workflow waits for it.
    pub mandatory: bool,
    /// Whether deployment waits for it.
    pub gates_deployment: bool,
    /// Who requested the review.
    pub requester: Option<String>,
    /// Each feedback group.
    pub feedback: Vec<GroupView>,
    /// The final decision.
    pub decision: Option<signoff::Decision>,
    /// Delegations in force.
    pub delegations: Vec<signoff::Delegation>,
    /// When it was approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it resets by itself.
    pub next_reset_at: Option<DateTime<Utc>>,
    /// A scheduled reset.
    pub scheduled_reset_at: Option<DateTime<Utc>>,
    /// Archived rounds.
    pub rounds_archived: usize,
}

/// A feedback group in a status.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// Reviews needed.
    pub min: u32,
    /// Whether it has `min` reviews.
    pub complete: bool,
    /// The reviews.
    pub reviews: Vec<signoff::Review>,
}

/// ALLOW, CONFIRM or BLOCK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Deploy.
    Allow,
    /// Deploy only with an explicit confirmation.
    Confirm,
    /// Do not deploy.
    Block,
}

impl Verdict {
    /// `ALLOW`, `CONFIRM`, `BLOCK`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "ALLOW",
            Verdict::Confirm => "CONFIRM",
            Verdict::Block => "BLOCK",
        }
    }
}

/// A deploy decision.
#[derive(Debug, Clone, Serialize)]
pub struct DeployDecision {
    /// The infrastructure.
    pub infrastructure: String,
    /// Its policy.
    pub policy: Policy,
    /// The decision.
    pub decision: Verdict,
    /// Why.
    pub reason: String,
    /// Whether a confirmation was given (and audited).
    pub confirmed: bool,
}

/// What a user may do to an item now (see [`Engine::permitted`]); by default, nothing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Permitted {
    /// May edit fields and move the item in its workflow.
    pub write: bool,
    /// May delete it.
    pub delete: bool,
    /// Per step with a sign-off: `request-review`, `request-final`,
    /// `back-to-feedback`, `approve`, `reject`, `abandon`, `cancel-abandon`,
    /// `reset`, `schedule-reset`, `feedback:GROUP`, `delegate:GROUP` (or `delegate:final`).
    pub signoffs: BTreeMap<String, Vec<String>>,
}

/// A sign-off waiting for someone.
#[derive(Debug, Clone, Serialize)]
pub struct PendingReview {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The step of the sign-off.
    pub step: String,
    /// The sign-off's state.
    pub status: Status,
    /// `feedback` or `final`.
    pub role: String,
    /// The feedback group (or `final`).
    pub group: String,
}

/// A point of a matrix view.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixPoint {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// x.
    pub x: Json,
    /// y.
    pub y: Json,
    /// Size.
    pub size: Option<Json>,
    /// Colour.
    pub color: Option<Json>,
}

/// A matrix view's points.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixView {
    /// The blueprint.
    pub blueprint: String,
    /// The view id.
    pub view: String,
    /// Its label.
    pub label: String,
    /// Axis fields: x, y, size, color.
    pub axes: BTreeMap<String, String>,
    /// The points (items with both axes set).
    pub points: Vec<MatrixPoint>,
}

/// What `hook test` runs a hook on.
#[derive(Debug, Clone)]
pub enum HookSubject {
    /// An item of the database.
    Item(i64),
    /// An item described in JSON, of the newest version of a blueprint.
    Json {
        /// The blueprint whose script holds the hook.
        blueprint: String,
        /// The item view.
        item: Json,
    },
}

/// Delivery attempts before a message is given up on.
pub const MAX_ATTEMPTS: i64 = 10;
/// Seconds after which a claimed, unsent message is taken up again.
pub const CLAIM_TIMEOUT_SECS: i64 = 300;

/// What a delivery round did.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryReport {
    /// Accepted by the server.
    pub sent: usize,
    /// Failed, to be retried.
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
}

/// What `tick` did.
#[derive(Debug, Clone, Serialize)]
pub struct TickReport {
    /// Sign-offs reset: (item, step).
    pub resets: Vec<(String, String)>,
}

fn now_or(now: Option<DateTime<Utc>>) -> DateTime<Utc> {
    now.unwrap_or_else(Utc::now)
}

/// The secret that signs unsubscribe links, made the first time it is needed.
fn unsubscribe_secret(tx: &Tx<'_>) -> Result<String> {
    const KEY: &str = "unsubscribe_secret";
    match tx.setting(KEY)? {
        Some(secret) => Ok(secret),
        None => Ok(tx.setting_or_insert(KEY, &new_secret("unsub")?)?),
    }
}

/// Random secrets for API keys and tokens, hex-encoded.
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| EngineError::System(format!("no randomness available for a secret: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}_{hex}"))
}

impl Engine {
    /// Opens the engine on a database.
    pub fn open(path: &std::path::Path, durability: Durability) -> Result<Engine> {
        Ok(Engine {
            store: Store::open(path, durability)?,
            cache: SetCache::default(),
            base_url: "http://127.0.0.1:8080".into(),
        })
    }

    /// Starts a group commit (see [`crate::store::Store::begin_batch`]):
    /// the actions until [`Engine::commit_batch`] reach the disk together.
    pub fn begin_batch(&mut self) -> Result<()> {
        Ok(self.store.begin_batch()?)
    }

    /// Commits the actions since [`Engine::begin_batch`], or none of them.
    pub fn commit_batch(&mut self) -> Result<()> {
        let result = self.store.commit_batch();
        if result.is_err() {
            // A blueprint set loaded in the batch is not stored after all.
            self.cache = SetCache::default();
        }
        Ok(result?)
    }

    /// How links in mail reach the daemon.
    pub fn set_base_url(&mut self, url: &str) {
        self.base_url = url.to_string();
    }

    /// `PRAGMA integrity_check`.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.store.integrity_check()?)
    }

    // ------------------------------------------------------------ blueprints

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
    fn store_set(
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
        let scripts: Vec<(String, String)> = set
            .blueprints
            .values()
            .filter_map(|b| b.script.as_ref())
            .map(|s| (s.resolved.clone(), s.source.clone()))
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

    // ------------------------------------------------------------ identities

    /// Adds a user.
    pub fn add_user(&mut self, name: &str, email: Option<&str>, admin: bool) -> Result<()> {
        check_name("user", name)?;
        let tx = self.store.write()?;
        if !tx.insert_user(name, email, admin, Utc::now())? {
            return refuse(Refusal::InvalidValue {
                what: "user".into(),
                why: format!("`{name}` already exists"),
            });
        }
        tx.append_event(
            None,
            "admin",
            "user.add",
            Utc::now(),
            &json!({"user": name, "email": email, "admin": admin}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every user.
    pub fn users(&mut self) -> Result<Vec<UserRow>> {
        Ok(self.store.read()?.users()?)
    }

    /// Adds a group (with members); adding an existing group only adds members.
    pub fn add_group(&mut self, name: &str, members: &[String]) -> Result<()> {
        check_name("group", name)?;
        let tx = self.store.write()?;
        let created = tx.insert_group(name, Utc::now())?;
        for m in members {
            if tx.user(m)?.is_none() {
                return refuse(Refusal::NotFound {
                    what: format!("user `{m}`"),
                });
            }
            tx.add_member(name, m)?;
        }
        tx.append_event(
            None,
            "admin",
            if created {
                "group.add"
            } else {
                "group.add_members"
            },
            Utc::now(),
            &json!({"group": name, "members": members}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Adds a member to an existing group.
    pub fn add_member(&mut self, group: &str, user: &str) -> Result<()> {
        let tx = self.store.write()?;
        if !tx.group_exists(group)? {
            return refuse(Refusal::NotFound {
                what: format!("group `{group}`"),
            });
        }
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        tx.add_member(group, user)?;
        tx.append_event(
            None,
            "admin",
            "group.add_member",
            Utc::now(),
            &json!({"group": group, "user": user}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every group with its members.
    pub fn groups(&mut self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(self.store.read()?.groups()?)
    }

    /// Creates an API key; returns its secret (shown once; only its hash is stored).
    pub fn create_api_key(&mut self, name: &str) -> Result<String> {
        check_name("API key", name)?;
        let secret = new_secret("govk")?;
        let tx = self.store.write()?;
        if !tx.insert_credential(
            "api_key",
            name,
            &crate::store::secret_hash(&secret),
            Utc::now(),
        )? {
            return refuse(Refusal::InvalidValue {
                what: "API key".into(),
                why: format!("`{name}` already exists"),
            });
        }
        tx.append_event(
            None,
            "admin",
            "api_key.create",
            Utc::now(),
            &json!({"name": name}),
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// Creates a token for a user; returns its secret (shown once).
    pub fn create_token(&mut self, user: &str) -> Result<String> {
        let secret = new_secret("govt")?;
        let tx = self.store.write()?;
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        tx.insert_credential(
            "token",
            user,
            &crate::store::secret_hash(&secret),
            Utc::now(),
        )?;
        tx.append_event(
            None,
            "admin",
            "token.create",
            Utc::now(),
            &json!({"user": user}),
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// The identity of a user by name.
    pub fn identify_user(&mut self, name: &str) -> Result<Identity> {
        let tx = self.store.read()?;
        let Some(user) = tx.user(name)? else {
            return refuse(Refusal::NotFound {
                what: format!("user `{name}` (add it with `govrt user add {name}`)"),
            });
        };
        Ok(Identity {
            name: user.name,
            api_key: false,
            admin: user.admin,
            groups: tx.groups_of(name)?,
        })
    }

    /// The identity behind a token or API key secret.
    pub fn identify_secret(&mut self, secret: &str) -> Result<Option<Identity>> {
        let hash = crate::store::secret_hash(secret);
        let tx = self.store.read()?;
        Ok(match tx.credential(&hash)? {
            Some((kind, name)) if kind == "api_key" => Some(Identity {
                name,
                api_key: true,
                admin: false,
                groups: Vec::new(),
            }),
            Some((_, name)) => match tx.user(&name)? {
                Some(user) => Some(Identity {
                    groups: tx.groups_of(&name)?,
                    name: user.name,
                    api_key: false,
                    admin: user.admin,
                }),
                None => None,
            },
            None => None,
        })
    }

    // ------------------------------------------------------------ items

    /// Loads an item with its ancestors and its set, and checks that the caller may read it.
    fn readable(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        who: &Identity,
        id: i64,
    ) -> Result<(Vec<ItemRow>, Arc<LoadedSet>)> {
        let chain = Self::chain(tx, id)?;
        let set = cache.get(tx, &chain[0].blueprint, chain[0].version)?;
        if !(Resolver {
            set: &set,
            chain: &chain,
            who,
        })
        .has(Permission::Read)
        {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what: format!("read item {id}"),
            });
        }
        Ok((chain, set))
    }

    fn chain(tx: &Tx<'_>, id: i64) -> Result<Vec<ItemRow>> {
        let Some(item) = tx.item(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        Self::chain_from(item, |id| Ok(tx.item(id)?))
    }

    /// `item` and its ancestors, nearest first, each found by `parent_of`.
    fn chain_from(
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

    fn parse_changes(
        tx: &Tx<'_>,
        blueprint: &Blueprint,
        item: &mut ItemRow,
        changes: &[FieldChange],
    ) -> Result<Vec<String>> {
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

    /// Creates an item.
    pub fn create_item(
        &mut self,
        who: &Identity,
        blueprint_id: &str,
        name: &str,
        parent: Option<i64>,
        sets: &[(String, String)],
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let now = now_or(now);
        if name.trim().is_empty() {
            return refuse(Refusal::InvalidValue {
                what: "item name".into(),
                why: "it is empty".into(),
            });
        }
        let tx = self.store.write()?;
        let Some(version) = self.cache.latest(&tx, blueprint_id)? else {
            return refuse(Refusal::NotFound {
                what: format!(
                    "blueprint `{blueprint_id}` (load blueprints with `govrt init` or `govrt blueprint load`)"
                ),
            });
        };
        let set = self.cache.get(&tx, blueprint_id, version)?;
        let Some(blueprint) = set.blueprint(blueprint_id) else {
            return refuse(Refusal::NotFound {
                what: format!("blueprint `{blueprint_id}`"),
            });
        };
        let mut ancestors: Vec<ItemRow> = Vec::new();
        match (parent, &blueprint.parent) {
            (Some(p), Some(expected)) => {
                let chain = Self::chain(&tx, p)?;
                ancestors = chain.clone();
                if chain[0].blueprint != expected.as_str() {
                    return refuse(Refusal::InvalidValue {
                        what: "parent".into(),
                        why: format!(
                            "item {p} is a `{}`; a `{blueprint_id}` lives under a `{expected}`",
                            chain[0].blueprint
                        ),
                    });
                }
                let parent_set = self.cache.get(&tx, &chain[0].blueprint, chain[0].version)?;
                let resolver = Resolver {
                    set: &parent_set,
                    chain: &chain,
                    who,
                };
                if !resolver.has(Permission::Read) {
                    return refuse(Refusal::NotPermitted {
                        who: who.name.clone(),
                        what: format!("read item {p}"),
                    });
                }
            }
            (Some(_), None) => {
                return refuse(Refusal::InvalidValue {
                    what: "parent".into(),
                    why: format!("a `{blueprint_id}` has no parent in its blueprint"),
                });
            }
            _ => {}
        }
        let mut item = ItemRow {
            id: 0,
            blueprint: blueprint_id.to_string(),
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
        let changes: Vec<FieldChange> = sets
            .iter()
            .map(|(k, v)| FieldChange::Set(k.clone(), v.clone()))
            .collect();
        Self::parse_changes(&tx, blueprint, &mut item, &changes)?;
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
        let follow_up = run_change_hooks(&set, &ancestors, &mut item, "item.create")?;
        if !who.api_key {
            item.subscribers.insert(who.name.clone(), true);
        }
        let id = tx.insert_item(&item)?;
        item.id = id;
        tx.append_event(Some(id), &who.name, "item.create", now, &json!({"blueprint": blueprint_id, "version": version, "name": name, "parent": parent, "fields": item.fields, "as_admin": who.admin, "follow_up": follow_up}))?;
        tx.commit()?;
        Ok(view(&item, blueprint))
    }

    /// An item, if the caller may read it.
    pub fn item(&mut self, who: &Identity, id: i64) -> Result<ItemView> {
        let tx = self.store.read()?;
        let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound {
            what: format!("blueprint `{}`", chain[0].blueprint),
        })?;
        Ok(view(&chain[0], blueprint))
    }

    /// Items the caller may read, optionally filtered.
    pub fn items(
        &mut self,
        who: &Identity,
        blueprint: Option<&str>,
        parent: Option<i64>,
    ) -> Result<Vec<ItemView>> {
        self.each_readable(who, blueprint, parent, |_, b, row| view(row, b))
    }

    /// `f` of every item `who` may read, optionally filtered.
    fn each_readable<T>(
        &mut self,
        who: &Identity,
        blueprint: Option<&str>,
        parent: Option<i64>,
        f: impl Fn(&LoadedSet, &Blueprint, &ItemRow) -> T,
    ) -> Result<Vec<T>> {
        let tx = self.store.read()?;
        let rows = tx.items(blueprint, parent)?;
        // Items of a list share their ancestors: each is read once.
        let mut ancestors: HashMap<i64, Option<ItemRow>> = HashMap::new();
        let mut out = Vec::new();
        for row in rows {
            let chain = Self::chain_from(row, |id| {
                if let Some(known) = ancestors.get(&id) {
                    return Ok(known.clone());
                }
                let read = tx.item(id)?;
                ancestors.insert(id, read.clone());
                Ok(read)
            })?;
            let set = self.cache.get(&tx, &chain[0].blueprint, chain[0].version)?;
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            if let (true, Some(b)) = (resolver.has(Permission::Read), resolver.blueprint(0)) {
                out.push(f(&set, b, &chain[0]));
            }
        }
        Ok(out)
    }

    /// Runs `change` on an item inside one write transaction: loads it, checks
    /// the expected revision, applies, bumps the revision, writes, audits.
    #[allow(
        clippy::too_many_arguments,
        reason = "one private entry point shared by every item action"
    )]
    fn change_item<T>(
        &mut self,
        who: &Identity,
        id: i64,
        expect_revision: Option<i64>,
        now: DateTime<Utc>,
        action: &str,
        ancestors: Ancestors,
        change: impl FnOnce(&Tx<'_>, &Resolver<'_>, &mut ItemRow) -> Result<(Json, T)>,
    ) -> Result<T> {
        let base_url = self.base_url.clone();
        let tx = self.store.write()?;
        let Some(item) = tx.item(id)? else {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        };
        let set = self.cache.get(&tx, &item.blueprint, item.version)?;
        let needed = match ancestors {
            Ancestors::Always => true,
            Ancestors::ForPermissions => {
                set.hooks.has_script(&item.blueprint)
                    || set
                        .blueprint(&item.blueprint)
                        .is_none_or(permissions_use_ancestors)
            }
        };
        let chain = if needed {
            Self::chain_from(item, |id| Ok(tx.item(id)?))?
        } else {
            vec![item]
        };
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
        let mut item = chain[0].clone();
        item.revision += 1;
        item.updated_at = now;
        let (mut details, out) = change(&tx, &resolver, &mut item)?;
        let follow_up = run_change_hooks(&set, &chain[1..], &mut item, action)?;
        if !follow_up.is_null()
            && let Json::Object(map) = &mut details
        {
            map.insert("follow_up".into(), follow_up);
        }
        if let Json::Object(map) = &mut details {
            map.insert("revision".into(), json!(item.revision));
            if who.admin {
                map.insert("as_admin".into(), json!(true));
            }
        }
        let event = NewEvent {
            actor: &who.name,
            action,
            at: now,
            details: &details,
        };
        // DESIGN.md: whoever edits or saves an item, gives or edits feedback or a
        // decision, abandons, cancels an abandon, resets or schedules a reset
        // follows it from then on (requests and delegations do not subscribe);
        // an explicit unsubscribe stays.
        let subscribes = matches!(
            action,
            "item.set"
                | "item.move"
                | "signoff.give_feedback"
                | "signoff.approve"
                | "signoff.reject"
                | "signoff.abandon"
                | "signoff.cancel_abandon"
                | "signoff.reset"
                | "signoff.schedule_reset"
        );
        if subscribes && who.name != "scheduler" && !who.api_key {
            item.subscribers.entry(who.name.clone()).or_insert(true);
        }
        let Some(seq) = tx.update_item(&item, &chain[0], &event)? else {
            return refuse(Refusal::StaleRevision {
                item: id,
                expected: chain[0].revision,
                actual: chain[0].revision + 1,
            });
        };
        let mut updated = chain;
        updated[0] = item;
        let messages = mails_for(&tx, &set, &updated, who, &details, &base_url)?;
        tx.queue_messages(seq, Some(id), &messages, now)?;
        tx.commit_keeping(Some(updated.swap_remove(0)))?;
        Ok(out)
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
        let now = now_or(now);
        self.change_item(
            who,
            id,
            expect_revision,
            now,
            "item.set",
            Ancestors::ForPermissions,
            |tx, resolver, item| {
                if !resolver.has(Permission::Write) {
                    return refuse(Refusal::NotPermitted {
                        who: who.name.clone(),
                        what: format!("edit item {id}"),
                    });
                }
                let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound {
                    what: "blueprint".into(),
                })?;
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
                Ok((json!({"fields": diff}), view(item, blueprint)))
            },
        )
    }

    fn step_facts(blueprint: &Blueprint, item: &ItemRow) -> Vec<StepFacts> {
        blueprint
            .workflow
            .iter()
            .flat_map(|w| &w.steps)
            .map(|s| StepFacts {
                id: s.id.to_string(),
                missing_fields: s
                    .fields
                    .iter()
                    .filter(|f| {
                        blueprint.field(f.as_str()).is_some_and(|f| f.required)
                            && !item.fields.contains_key(f.as_str())
                    })
                    .map(|f| f.to_string())
                    .collect(),
                mandatory: s.signoff.as_ref().is_some_and(|o| o.mandatory),
                signoff: s.signoff.as_ref().map(|_| {
                    item.signoffs
                        .get(s.id.as_str())
                        .map_or(Status::NotStarted, |o| o.status)
                }),
            })
            .collect()
    }

    /// Moves to the next step (`to` = None) or to step `to`.
    pub fn move_item(
        &mut self,
        who: &Identity,
        id: i64,
        to: Option<&str>,
        expect_revision: Option<i64>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ItemView> {
        let now = now_or(now);
        self.change_item(who, id, expect_revision, now, "item.move", Ancestors::ForPermissions, |_, resolver, item| {
            if !resolver.has(Permission::Write) {
                return refuse(Refusal::NotPermitted { who: who.name.clone(), what: format!("move item {id} in its workflow") });
            }
            let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound { what: "blueprint".into() })?;
            let Some(workflow) = &blueprint.workflow else {
                return refuse(Refusal::InvalidValue { what: "move".into(), why: format!("a `{}` has no workflow", blueprint.id) });
            };
            let current = item.step.as_deref().and_then(|s| workflow.steps.iter().position(|x| x.id.as_str() == s)).unwrap_or(0);
            let target = match to {
                None => {
                    if item.finished {
                        return refuse(Refusal::InvalidValue { what: "advance".into(), why: "the workflow is already finished".into() });
                    }
                    current + 1
                }
                Some(step) => match workflow.steps.iter().position(|x| x.id.as_str() == step) {
                    Some(i) => i,
                    None => {
                        let ids: Vec<&str> = workflow.steps.iter().map(|s| s.id.as_str()).collect();
                        return refuse(Refusal::NotFound { what: format!("step `{step}` (the steps are {})", ids.join(", ")) });
                    }
                },
            };
            let mut facts = Self::step_facts(blueprint, item);
            let locked = item.signoffs.values().any(|s| s.status.locks_workflow());
            let forward = target > current && !item.finished;
            let hooks = &resolver.set.hooks;
            let bp = item.blueprint.clone();
            let hooked = forward && (hooks.has(&bp, "mandatory") || hooks.has(&bp, "before_advance"));
            let script_item = if hooked { script_view(resolver.set, resolver.chain, 0) } else { rhai::Dynamic::UNIT };
            if hooked && hooks.has(&bp, "mandatory") {
                for f in facts.iter_mut().filter(|f| f.signoff.is_some()) {
                    let decided = hooks.call(&bp, "mandatory", vec![script_item.clone(), f.id.clone().into()]).map_err(script_failed)?;
                    if let Some(flag) = decided.and_then(|d| d.as_bool().ok()) {
                        f.mandatory = flag;
                    }
                }
            }
            workflow::check_move(&facts, current, item.finished, target, locked)?;
            if hooked && hooks.has(&bp, "before_advance") {
                let from: rhai::Dynamic = item.step.clone().map_or(rhai::Dynamic::UNIT, Into::into);
                let to: rhai::Dynamic = workflow.steps.get(target).map_or(rhai::Dynamic::UNIT, |s| s.id.to_string().into());
                let verdict = hooks.call(&bp, "before_advance", vec![script_item.clone(), from, to]).map_err(script_failed)?;
                if let Some(reason) = verdict.filter(|v| !v.is_unit()) {
                    let why = reason.clone().into_string().unwrap_or_else(|_| reason.to_string());
                    return refuse(Refusal::RefusedByRule { why });
                }
            }
            let before = json!({"step": item.step, "finished": item.finished});
            if target >= workflow.steps.len() {
                item.finished = true;
                item.step = workflow.steps.last().map(|s| s.id.to_string());
            } else {
                item.finished = false;
                item.step = Some(workflow.steps[target].id.to_string());
            }
            Ok((json!({"before": before, "after": {"step": item.step, "finished": item.finished}}), view(item, blueprint)))
        })
    }

    /// Deletes an item without children.
    pub fn delete_item(
        &mut self,
        who: &Identity,
        id: i64,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = now_or(now);
        let tx = self.store.write()?;
        let chain = Self::chain(&tx, id)?;
        let set = self.cache.get(&tx, &chain[0].blueprint, chain[0].version)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        if !resolver.has(Permission::Delete) {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what: format!("delete item {id}"),
            });
        }
        if tx.has_children(id)? {
            return refuse(Refusal::InvalidValue {
                what: "delete".into(),
                why: format!("item {id} has children; delete them first"),
            });
        }
        tx.delete_item(id)?;
        tx.append_event(Some(id), &who.name, "item.delete", now, &json!({"name": chain[0].name, "blueprint": chain[0].blueprint, "fields": chain[0].fields}))?;
        tx.commit()?;
        Ok(())
    }

    /// Applies a sign-off action to the sign-off of `step` (default: the current step).
    pub fn signoff(
        &mut self,
        who: &Identity,
        id: i64,
        step: Option<&str>,
        action: Action,
        now: Option<DateTime<Utc>>,
    ) -> Result<SignOffView> {
        self.signoff_notify(who, id, step, action, false, now)
    }

    /// A sign-off action; with `notify`, a review or final-approval request
    /// mails the eligible reviewers or approvers.
    pub fn signoff_notify(
        &mut self,
        who: &Identity,
        id: i64,
        step: Option<&str>,
        action: Action,
        notify: bool,
        now: Option<DateTime<Utc>>,
    ) -> Result<SignOffView> {
        let now = now_or(now);
        let audit_name = format!("signoff.{}", action.name().replace(' ', "_"));
        self.change_item(who, id, None, now, &audit_name, Ancestors::Always, |tx, resolver, item| {
            let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound { what: "blueprint".into() })?;
            let step_id = match step.map(str::to_string).or_else(|| item.step.clone()) {
                Some(s) => s,
                None => return refuse(Refusal::NotFound { what: format!("sign-off (a `{}` has no workflow)", blueprint.id) }),
            };
            let Some(spec) = blueprint.step(&step_id).and_then(|s| s.signoff.as_ref()) else {
                let with: Vec<&str> = blueprint.workflow.iter().flat_map(|w| &w.steps).filter(|s| s.signoff.is_some()).map(|s| s.id.as_str()).collect();
                return refuse(Refusal::NotFound {
                    what: format!("sign-off on step `{step_id}` (steps with a sign-off: {}; pick one with `--step`)", if with.is_empty() { "none".to_string() } else { with.join(", ") }),
                });
            };
            if let Action::Delegate { to, .. } = &action
                && tx.user(to)?.is_none()
            {
                return refuse(Refusal::NotFound { what: format!("user `{to}`") });
            }
            let state = item.signoffs.get(&step_id).cloned().unwrap_or_default();
            let actor = resolver.actor(&step_id, &state, Needed::of(&action))?;
            let rules = rules_of(spec);
            let (mut next, events) = signoff::apply(&state, &action, &actor, &rules, now)?;
            let newly_approved = events.iter().any(|e| matches!(e, signoff::Event::Decided { approved: true, status_changed: true, .. }));
            if newly_approved && resolver.set.hooks.has(&item.blueprint, "reset_at") {
                let view = script_view(resolver.set, resolver.chain, 0);
                let at = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                let decided = resolver.set.hooks.call(&item.blueprint, "reset_at", vec![view, step_id.clone().into(), at.into()]).map_err(script_failed)?;
                if let Some(d) = decided.filter(|d| !d.is_unit()) {
                    let text = d.clone().into_string().unwrap_or_else(|_| d.to_string());
                    match crate::check::values::parse_date_time(&text) {
                        Some(t) => next.next_reset_at = Some(t),
                        None => return refuse(Refusal::ScriptFailed { error: format!("hook `reset_at` returned `{text}`, which is not an RFC 3339 date-time") }),
                    }
                }
            }
            let details = json!({"step": step_id, "action": action, "before": state.status, "after": next.status, "events": events, "notify": notify});
            item.signoffs.insert(step_id.clone(), next);
            let view = signoff_view(blueprint, item, &step_id).ok_or_else(|| Refusal::NotFound { what: "sign-off".into() })?;
            Ok((details, view))
        })
    }

    /// Applies every reset due at `now`.
    pub fn tick(&mut self, now: Option<DateTime<Utc>>) -> Result<TickReport> {
        let now = now_or(now);
        let due = self.store.read()?.items_due(now)?;
        let scheduler = Identity::scheduler();
        let mut resets = Vec::new();
        for id in due {
            let steps: Vec<String> = {
                let tx = self.store.read()?;
                match tx.item(id)? {
                    Some(item) => item
                        .signoffs
                        .iter()
                        .filter(|(_, s)| s.due_at().is_some_and(|d| d <= now))
                        .map(|(k, _)| k.clone())
                        .collect(),
                    None => continue,
                }
            };
            for step in steps {
                match self.signoff(
                    &scheduler,
                    id,
                    Some(&step),
                    Action::AutomaticReset,
                    Some(now),
                ) {
                    Ok(_) => resets.push((id.to_string(), step)),
                    // Another process reset it first: nothing left to do.
                    Err(EngineError::Refused(Refusal::InvalidTransition { .. })) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(TickReport { resets })
    }

    /// The governance status of an item.
    pub fn status(&mut self, who: &Identity, id: i64) -> Result<StatusView> {
        self.with_readable(who, id, |resolver, item, blueprint| {
            Ok(status_of(resolver.set, blueprint, item))
        })
    }

    /// Runs `f` on an item `who` may read, with its resolver and blueprint.
    fn with_readable<T>(
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
        let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound {
            what: "blueprint".into(),
        })?;
        f(&resolver, item, blueprint)
    }

    /// The governance status of every item of `blueprint` (all blueprints
    /// when `None`) that `who` may read: the web UI's lists.
    pub fn statuses(&mut self, who: &Identity, blueprint: Option<&str>) -> Result<Vec<StatusView>> {
        self.each_readable(who, blueprint, None, |set, b, row| status_of(set, b, row))
    }

    /// What `who` may do to an item now: write, delete, and per sign-off the
    /// actions the state machine would accept from them. The web UI shows
    /// exactly these buttons; the engine still decides when one is pressed.
    pub fn permitted(&mut self, who: &Identity, id: i64) -> Result<Permitted> {
        self.with_readable(who, id, |resolver, item, blueprint| {
            let mut signoffs = BTreeMap::new();
            let now = Utc::now();
            for step in blueprint.workflow.iter().flat_map(|w| &w.steps) {
                let Some(spec) = &step.signoff else { continue };
                let state = item
                    .signoffs
                    .get(step.id.as_str())
                    .cloned()
                    .unwrap_or_default();
                let actor = resolver.actor(step.id.as_str(), &state, Needed::Every)?;
                let rules = rules_of(spec);
                let accepts =
                    |action: &Action| signoff::apply(&state, action, &actor, &rules, now).is_ok();
                let mut actions = Vec::new();
                for (key, action) in [
                    ("request-review", Action::RequestReview),
                    ("request-final", Action::RequestFinalApproval),
                    ("back-to-feedback", Action::BackToFeedback),
                    ("approve", Action::Approve { comment: None }),
                    ("reject", Action::Reject { comment: None }),
                    ("abandon", Action::Abandon),
                    ("cancel-abandon", Action::CancelAbandon),
                    ("reset", Action::Reset),
                    ("schedule-reset", Action::ScheduleReset { at: now }),
                ] {
                    if accepts(&action) {
                        actions.push(key.to_string());
                    }
                }
                // Nobody is called this: delegating to it only tests eligibility.
                let nobody = "\u{0}".to_string();
                for group in spec
                    .feedback
                    .iter()
                    .map(|g| g.id.to_string())
                    .chain(["final".to_string()])
                {
                    if group != "final"
                        && accepts(&Action::GiveFeedback {
                            group: group.clone(),
                            verdict: signoff::Verdict::Approved,
                            comment: None,
                        })
                    {
                        actions.push(format!("feedback:{group}"));
                    }
                    if accepts(&Action::Delegate {
                        group: group.clone(),
                        to: nobody.clone(),
                    }) {
                        actions.push(format!("delegate:{group}"));
                    }
                }
                signoffs.insert(step.id.to_string(), actions);
            }
            Ok(Permitted {
                write: resolver.has(Permission::Write),
                delete: resolver.has(Permission::Delete),
                signoffs,
            })
        })
    }

    /// Checks whether an item may be deployed on an infrastructure; a
    /// confirmation under `warn` is audited.
    pub fn deploy_check(
        &mut self,
        who: &Identity,
        id: i64,
        infrastructure: &str,
        confirm: bool,
        now: Option<DateTime<Utc>>,
    ) -> Result<DeployDecision> {
        let now = now_or(now);
        // A plain check only reads; a confirmation is written to the audit trail.
        let tx = if confirm {
            self.store.write()?
        } else {
            self.store.read()?
        };
        let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        let blueprint = resolver.blueprint(0).ok_or_else(|| Refusal::NotFound {
            what: "blueprint".into(),
        })?;
        let Some(infra) = set
            .infrastructures
            .get(&crate::model::InfrastructureId(infrastructure.to_string()))
        else {
            let ids: Vec<&str> = set.infrastructures.keys().map(|i| i.as_str()).collect();
            return refuse(Refusal::NotFound {
                what: format!(
                    "infrastructure `{infrastructure}` (declared: {})",
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                ),
            });
        };
        let mut decision = decide(blueprint, &chain[0], infra);
        if decision.decision == Verdict::Confirm && confirm {
            decision.decision = Verdict::Allow;
            decision.confirmed = true;
            decision.reason = format!("confirmed by `{}` although {}", who.name, decision.reason);
            tx.append_event(
                Some(id),
                &who.name,
                "deploy.confirm",
                now,
                &json!({"infrastructure": infrastructure, "reason": decision.reason}),
            )?;
            tx.commit()?;
        }
        Ok(decision)
    }

    /// Sign-offs waiting for `user`'s feedback or decision.
    pub fn reviews(&mut self, who: &Identity) -> Result<Vec<PendingReview>> {
        let tx = self.store.read()?;
        let mut out = Vec::new();
        for row in tx.items(None, None)? {
            let Some(step) = row.step.clone() else {
                continue;
            };
            let Some(state) = row.signoffs.get(&step) else {
                continue;
            };
            if !matches!(
                state.status,
                Status::WaitingForFeedback | Status::WaitingForApproval
            ) {
                continue;
            }
            let chain = Self::chain(&tx, row.id)?;
            let set = self.cache.get(&tx, &row.blueprint, row.version)?;
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who: &Identity {
                    admin: false,
                    ..who.clone()
                },
            };
            let actor = resolver.actor(&step, state, Needed::Every)?;
            let entry = |role: &str, group: &str| PendingReview {
                item: row.id.to_string(),
                name: row.name.clone(),
                blueprint: row.blueprint.clone(),
                step: step.clone(),
                status: state.status,
                role: role.into(),
                group: group.into(),
            };
            if state.status == Status::WaitingForFeedback {
                for g in &actor.feedback_groups {
                    if !state
                        .reviews
                        .iter()
                        .any(|r| r.group == *g && r.reviewer == who.name)
                    {
                        out.push(entry("feedback", g));
                    }
                }
            } else if actor.is_final_approver {
                let barred = resolver
                    .blueprint(0)
                    .and_then(|b| b.step(&step))
                    .and_then(|s| s.signoff.as_ref())
                    .is_some_and(|s| s.final_approval.not_requester)
                    && state.requester.as_deref() == Some(who.name.as_str());
                if !barred {
                    out.push(entry("final", "final"));
                }
            }
        }
        Ok(out)
    }

    /// The points of a matrix view.
    pub fn matrix(
        &mut self,
        who: &Identity,
        blueprint: Option<&str>,
        view_id: Option<&str>,
    ) -> Result<MatrixView> {
        let tx = self.store.read()?;
        let versions = tx.blueprint_versions()?;
        let candidates: Vec<String> = match blueprint {
            Some(b) => vec![b.to_string()],
            None => {
                let mut names: Vec<String> = versions.iter().map(|v| v.blueprint.clone()).collect();
                names.dedup();
                names
            }
        };
        for name in candidates {
            let Some(version) = self.cache.latest(&tx, &name)? else {
                continue;
            };
            let set = self.cache.get(&tx, &name, version)?;
            let Some(b) = set.blueprint(&name) else {
                continue;
            };
            let Some(m) = b
                .matrices
                .iter()
                .find(|m| view_id.is_none_or(|v| m.id.as_str() == v))
            else {
                continue;
            };
            let mut points = Vec::new();
            for row in tx.items(Some(&name), None)? {
                let chain = Self::chain(&tx, row.id)?;
                let item_set = self.cache.get(&tx, &row.blueprint, row.version)?;
                if !(Resolver {
                    set: &item_set,
                    chain: &chain,
                    who,
                })
                .has(Permission::Read)
                {
                    continue;
                }
                let (Some(x), Some(y)) =
                    (row.fields.get(m.x.as_str()), row.fields.get(m.y.as_str()))
                else {
                    continue;
                };
                points.push(MatrixPoint {
                    item: row.id.to_string(),
                    name: row.name.clone(),
                    x: x.clone(),
                    y: y.clone(),
                    size: m
                        .size
                        .as_ref()
                        .and_then(|f| row.fields.get(f.as_str()).cloned()),
                    color: m
                        .color
                        .as_ref()
                        .and_then(|f| row.fields.get(f.as_str()).cloned()),
                });
            }
            let mut axes = BTreeMap::from([
                ("x".to_string(), m.x.to_string()),
                ("y".to_string(), m.y.to_string()),
            ]);
            if let Some(s) = &m.size {
                axes.insert("size".into(), s.to_string());
            }
            if let Some(c) = &m.color {
                axes.insert("color".into(), c.to_string());
            }
            return Ok(MatrixView {
                blueprint: name.clone(),
                view: m.id.to_string(),
                label: m.label.clone(),
                axes,
                points,
            });
        }
        refuse(Refusal::NotFound {
            what: match (blueprint, view_id) {
                (Some(b), Some(v)) => format!("matrix view `{v}` of blueprint `{b}`"),
                (Some(b), None) => format!("matrix view of blueprint `{b}`"),
                (None, Some(v)) => format!("matrix view `{v}`"),
                (None, None) => "matrix view in any blueprint".into(),
            },
        })
    }

    /// The audit events of an item.
    pub fn history(&mut self, who: &Identity, id: i64) -> Result<Vec<EventRow>> {
        let tx = self.store.read()?;
        match Self::readable(&tx, &mut self.cache, who, id) {
            Ok(_) => {}
            // A deleted item's history stays readable by admins.
            Err(EngineError::Refused(Refusal::NotFound { .. })) if who.admin => {}
            Err(e) => return Err(e),
        }
        let events = tx.events(Some(id))?;
        if events.is_empty() {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        }
        Ok(events)
    }

    /// Runs one hook on an item of the database, or on an item described in
    /// JSON (a map like the item view; `fields` at least), and returns what
    /// it decided. Nothing is written.
    pub fn hook_test(
        &mut self,
        who: &Identity,
        function: &str,
        subject: HookSubject,
        args: &[String],
    ) -> Result<Json> {
        let tx = self.store.read()?;
        let (set, blueprint, view) = match subject {
            HookSubject::Item(id) => {
                let (chain, set) = Self::readable(&tx, &mut self.cache, who, id)?;
                let view = script_view(&set, &chain, 0);
                (set, chain[0].blueprint.clone(), view)
            }
            HookSubject::Json { blueprint, item } => {
                let Some(version) = self.cache.latest(&tx, &blueprint)? else {
                    return refuse(Refusal::NotFound {
                        what: format!("blueprint `{blueprint}`"),
                    });
                };
                let set = self.cache.get(&tx, &blueprint, version)?;
                let mut item = item;
                if let Json::Object(map) = &mut item {
                    for (key, default) in [
                        ("fields", json!({})),
                        ("signoffs", json!({})),
                        ("parent", Json::Null),
                        ("step", Json::Null),
                    ] {
                        map.entry(key).or_insert(default);
                    }
                    map.entry("blueprint").or_insert(json!(blueprint));
                } else {
                    return refuse(Refusal::InvalidValue {
                        what: "item JSON".into(),
                        why: "it must be an object like the item view, e.g. {\"fields\": {…}}"
                            .into(),
                    });
                }
                (set, blueprint, crate::hooks::to_dynamic(&item))
            }
        };
        if !set.hooks.has(&blueprint, function) {
            let defined = set
                .blueprint(&blueprint)
                .and_then(|b| b.script.as_ref())
                .map(|s| s.hooks.join(", "))
                .unwrap_or_default();
            return refuse(Refusal::NotFound {
                what: format!(
                    "hook `{function}` in the script of `{blueprint}` (it defines: {})",
                    if defined.is_empty() { "none" } else { &defined }
                ),
            });
        }
        let mut call_args = vec![view];
        for a in args {
            let value = serde_json::from_str::<Json>(a).unwrap_or_else(|_| Json::String(a.clone()));
            call_args.push(crate::hooks::to_dynamic(&value));
        }
        let result = set
            .hooks
            .call(&blueprint, function, call_args)
            .map_err(script_failed)?;
        Ok(
            json!({"blueprint": blueprint, "function": function, "result": result.map_or(Json::Null, |r| crate::hooks::to_json(&r))}),
        )
    }

    /// Subscribes (or, with `false`, unsubscribes) a user to an item and its descendants.
    pub fn subscribe(
        &mut self,
        who: &Identity,
        id: i64,
        subscribed: bool,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = now_or(now);
        let tx = self.store.write()?;
        let chain = Self::chain(&tx, id)?;
        let set = self.cache.get(&tx, &chain[0].blueprint, chain[0].version)?;
        if subscribed
            && !(Resolver {
                set: &set,
                chain: &chain,
                who,
            })
            .has(Permission::Read)
        {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what: format!("read item {id}"),
            });
        }
        if who.api_key {
            return refuse(Refusal::InvalidValue {
                what: "subscriber".into(),
                why: "API keys receive no mail; subscribe a user".into(),
            });
        }
        tx.set_subscription(&who.name, id, subscribed)?;
        tx.append_event(
            Some(id),
            &who.name,
            if subscribed {
                "subscription.add"
            } else {
                "subscription.remove"
            },
            now,
            &json!({"user": who.name}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Unsubscribes through the signed link of an e-mail; a forged token is refused.
    pub fn unsubscribe_with_token(
        &mut self,
        user: &str,
        id: i64,
        token: &str,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = now_or(now);
        let tx = self.store.write()?;
        let secret = unsubscribe_secret(&tx)?;
        if !crate::notify::verify_token(&secret, user, id, token) {
            return refuse(Refusal::NotPermitted {
                who: user.to_string(),
                what: "unsubscribe with this link (its token does not match)".into(),
            });
        }
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        if !tx.set_subscription(user, id, false)? {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        }
        tx.append_event(
            Some(id),
            user,
            "subscription.remove",
            now,
            &json!({"user": user, "by": "link"}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A user's own subscription row for one item: followed (true), an
    /// explicit unsubscribe (false), or none (the ancestors decide).
    pub fn subscription(&mut self, user: &str, id: i64) -> Result<Option<bool>> {
        let tx = self.store.read()?;
        Ok(tx
            .item(id)?
            .and_then(|item| item.subscribers.get(user).copied()))
    }

    /// A user's subscription rows: (item, subscribed).
    pub fn subscriptions(&mut self, user: &str) -> Result<Vec<(i64, bool)>> {
        Ok(self.store.read()?.subscriptions_of_user(user)?)
    }

    /// The outbox (pending messages only with `pending_only`).
    pub fn outbox(&mut self, pending_only: bool) -> Result<Vec<crate::store::OutboxRow>> {
        Ok(self.store.read()?.outbox(pending_only)?)
    }

    /// Delivers due messages: each is claimed, sent, and marked sent only
    /// once the server accepted it; a failure is retried with backoff.
    pub fn deliver(
        &mut self,
        sender: &crate::notify::Sender,
        now: Option<DateTime<Utc>>,
    ) -> Result<DeliveryReport> {
        let now = now_or(now);
        let stamp = now.timestamp();
        // A claim older than this was left by a sender that died mid-way.
        let due = self
            .store
            .read()?
            .due_messages(stamp, stamp - CLAIM_TIMEOUT_SECS)?;
        let mut report = DeliveryReport {
            sent: 0,
            retried: 0,
            failed: 0,
        };
        for message in due {
            let tx = self.store.write()?;
            let claimed = tx.claim_message(message.id, stamp)?;
            tx.commit()?;
            if !claimed {
                continue;
            }
            let message_id = format!("<govrt.{}.{}@govrt>", message.event_seq, message.recipient);
            let outcome = sender.send(
                &message_id,
                &message.address,
                &message.subject,
                &message.body_text,
                &message.body_html,
            );
            let tx = self.store.write()?;
            match outcome {
                Ok(()) => {
                    tx.mark_sent(message.id, now)?;
                    report.sent += 1;
                }
                Err(error) => {
                    let attempt = message.attempts + 1;
                    if attempt >= MAX_ATTEMPTS {
                        tx.mark_failed(message.id, &error, None)?;
                        report.failed += 1;
                    } else {
                        let backoff = 30i64 << attempt.min(7);
                        tx.mark_failed(message.id, &error, Some(stamp + backoff))?;
                        report.retried += 1;
                    }
                }
            }
            tx.commit()?;
        }
        Ok(report)
    }

    /// Verifies the audit hash chain: Ok(number of events) or the first break.
    ///
    /// Besides each event's hash and its link to the one before, every
    /// pointer into the chain must still lead to the right event: each
    /// event's link to its item's previous event, each live item's last
    /// event, and the head record (the last event no item points at). So
    /// deleting events at the end is detected as well as in the middle.
    pub fn audit_verify(&mut self) -> Result<std::result::Result<usize, String>> {
        let tx = self.store.read()?;
        let events = tx.raw_events(None)?;
        let mut prev = crate::store::GENESIS.to_string();
        let mut expected_seq = 1;
        let mut last_of: HashMap<i64, i64> = HashMap::new();
        for e in &events {
            let (seq, prev_hash, hash) = (&e.seq, &e.prev_hash, &e.hash);
            if *seq != expected_seq {
                return Ok(Err(format!(
                    "event {expected_seq} is missing (the next one is {seq})"
                )));
            }
            if *prev_hash != prev {
                return Ok(Err(format!(
                    "event {seq} does not follow event {}: its previous hash was changed",
                    seq - 1
                )));
            }
            let computed = crate::store::event_hash(
                prev_hash, *seq, e.item, &e.actor, &e.action, &e.at, &e.details,
            );
            if computed != *hash {
                return Ok(Err(format!(
                    "event {seq} was changed after it was written (its hash does not match)"
                )));
            }
            if let Some(item) = e.item
                && last_of.insert(item, *seq) != e.item_prev
            {
                return Ok(Err(format!(
                    "event {seq} is not linked to the previous event of item {item}: its link was changed"
                )));
            }
            prev = hash.clone();
            expected_seq += 1;
        }
        let end = expected_seq - 1;
        let deleted = |pointer: String, seq: i64| {
            Ok(Err(format!(
                "the chain ends at event {end} but {pointer} event {seq}: events were deleted"
            )))
        };
        let Some((head, head_hash)) = tx.audit_head()? else {
            return Ok(Err("the chain's head record is missing".into()));
        };
        if head > end {
            return deleted("the head record points at".into(), head);
        }
        let at = |seq: i64| usize::try_from(seq - 1).ok().and_then(|i| events.get(i));
        if head > 0 && at(head).is_none_or(|e| e.hash != head_hash) {
            return Ok(Err(format!(
                "the head record does not match event {head}: the chain was rewritten"
            )));
        }
        for (item, last) in tx.last_events()? {
            match last {
                Some(last) if last > end => {
                    return deleted(format!("item {item} points at"), last);
                }
                Some(last) if last_of.get(&item) != Some(&last) => {
                    return Ok(Err(format!(
                        "item {item} points at event {last}, which is not its last event: events were deleted or changed"
                    )));
                }
                None if last_of.contains_key(&item) => {
                    return Ok(Err(format!(
                        "item {item} has events but points at none: its link was changed"
                    )));
                }
                _ => {}
            }
        }
        Ok(Ok(events.len()))
    }
}

fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':' || c == ',') {
        return refuse(Refusal::InvalidValue {
            what: format!("{kind} name `{name}`"),
            why: "names are non-empty, without spaces, `:` or `,`".into(),
        });
    }
    Ok(())
}

fn check_references(tx: &Tx<'_>, ty: &FieldType, value: &Json, field: &str) -> Result<()> {
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
            crate::check::values::parse_principal_ref(text)
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
            invalid(format!("no user `{n}` (add it with `govrt user add {n}`)"))
        }
        Some(PrincipalRef::Group(g)) if !tx.group_exists(&g)? => invalid(format!(
            "no group `{g}` (add it with `govrt group add {g}`)"
        )),
        _ => Ok(()),
    }
}

fn fingerprint(blueprint: &Blueprint) -> String {
    let mut text = serde_json::to_string(blueprint).unwrap_or_default();
    if let Some(s) = &blueprint.script {
        text.push_str(&s.source);
    }
    crate::store::secret_hash(&text)
}

/// The static rules of a sign-off, as the state machine takes them.
fn rules_of(spec: &crate::model::SignOff) -> signoff::Rules<'_> {
    signoff::Rules {
        groups: spec.feedback.iter().map(|g| g.id.as_str()).collect(),
        not_requester: spec.final_approval.not_requester,
        reset_every: spec.reset_every,
    }
}

fn signoff_view(blueprint: &Blueprint, item: &ItemRow, step: &str) -> Option<SignOffView> {
    let s = blueprint.step(step)?;
    let spec = s.signoff.as_ref()?;
    let state = item.signoffs.get(step).cloned().unwrap_or_default();
    Some(SignOffView {
        step: step.to_string(),
        label: spec.label.clone(),
        status: state.status,
        mandatory: spec.mandatory,
        gates_deployment: spec.gates_deployment,
        requester: state.requester.clone(),
        feedback: spec
            .feedback
            .iter()
            .map(|g| {
                let reviews: Vec<signoff::Review> =
                    state.reviews_of(g.id.as_str()).cloned().collect();
                GroupView {
                    id: g.id.to_string(),
                    label: g.label.clone(),
                    min: g.min,
                    complete: reviews.len() >= g.min as usize,
                    reviews,
                }
            })
            .collect(),
        decision: state.decision.clone(),
        delegations: state.delegations.clone(),
        approved_at: state.approved_at,
        next_reset_at: state.next_reset_at,
        scheduled_reset_at: state.scheduled_reset_at,
        rounds_archived: state.history.len(),
    })
}

fn is_approved(blueprint: &Blueprint, item: &ItemRow) -> (bool, String) {
    if item.signoffs.values().any(|s| s.status.locks_workflow()) {
        let (step, s) = item
            .signoffs
            .iter()
            .find(|(_, s)| s.status.locks_workflow())
            .map_or(("?", Status::Rejected), |(k, s)| (k.as_str(), s.status));
        return (
            false,
            format!(
                "the workflow is locked: the sign-off of step `{step}` is {}",
                s.as_str()
            ),
        );
    }
    let pending: Vec<String> = blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| s.signoff.as_ref().is_some_and(|o| o.gates_deployment))
        .filter_map(|s| {
            let status = item
                .signoffs
                .get(s.id.as_str())
                .map_or(Status::NotStarted, |o| o.status);
            (status != Status::Approved)
                .then(|| format!("the sign-off of step `{}` is {}", s.id, status.as_str()))
        })
        .collect();
    if pending.is_empty() {
        (
            true,
            "every sign-off that gates deployment is APPROVED".into(),
        )
    } else {
        (false, pending.join("; "))
    }
}

fn decide(
    blueprint: &Blueprint,
    item: &ItemRow,
    infra: &crate::model::Infrastructure,
) -> DeployDecision {
    let (approved, why) = is_approved(blueprint, item);
    let (decision, reason) = match (infra.policy, approved) {
        (Policy::Always, _) => (
            Verdict::Allow,
            "policy `always`: deployed without checking".to_string(),
        ),
        (_, true) => (Verdict::Allow, why),
        (Policy::Warn, false) => (
            Verdict::Confirm,
            format!("not approved ({why}); policy `warn` needs a confirmation"),
        ),
        (Policy::Prevent, false) => (Verdict::Block, format!("not approved: {why}")),
    };
    DeployDecision {
        infrastructure: infra.id.to_string(),
        policy: infra.policy,
        decision,
        reason,
        confirmed: false,
    }
}

fn status_of(set: &BlueprintSet, blueprint: &Blueprint, item: &ItemRow) -> StatusView {
    let steps: Vec<StepView> = match &blueprint.workflow {
        Some(w) => {
            let current = item
                .step
                .as_deref()
                .and_then(|s| w.steps.iter().position(|x| x.id.as_str() == s))
                .unwrap_or(0);
            let states = workflow::step_states(w.steps.len(), current, item.finished);
            w.steps
                .iter()
                .zip(states)
                .map(|(s, state)| StepView {
                    id: s.id.to_string(),
                    label: s.label.clone(),
                    state,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let signoffs = blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .filter_map(|s| signoff_view(blueprint, item, s.id.as_str()))
        .collect();
    StatusView {
        item: view(item, blueprint),
        steps,
        signoffs,
        approved: is_approved(blueprint, item).0,
        deploy: set
            .infrastructures
            .values()
            .map(|i| decide(blueprint, item, i))
            .collect(),
    }
}
