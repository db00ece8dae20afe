//! Why a user may or may not take a sign-off action, or advance the
//! workflow, now (`govrt explain`), and who may (`govrt who-can`). The
//! answer is computed by the code that decides: the resolver's eligibility
//! (traced, so every grant comes with its path), the state machine's `apply`
//! and the workflow's move decision (whose verdicts are the answer).

use serde::Serialize;

use crate::engine::access::{Delegators, Eligibility, Identity, Note, Paths, Permission, Resolver};
use crate::engine::act::moves::decide_move;
use crate::engine::act::signoffs::{hooks_accept, refuse_redecision};
use crate::engine::actions::{ActionArgs, Takers, Verb};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::read::history::{AuditEntry, Happened};
use crate::engine::rules::actions::{Needed, allowed_from};
use crate::engine::rules::bound;
use crate::engine::rules::signoff::rules_of;
use crate::engine::rules::signoff::{self, Action, Verdict};
use crate::engine::rules::workflow::WorkflowState;
use crate::model::Item;
use crate::model::{Blueprint, SignOff};
use crate::store::Tx;

/// An action `explain` answers about: a sign-off action, or advancing the
/// workflow to the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explained {
    /// A sign-off action.
    SignOff(Verb),
    /// `advance`: move to the next step.
    Advance,
}

impl Explained {
    /// By name: a sign-off action's (`approve`, `feedback`, …) or `advance`.
    pub fn from_name(name: &str) -> Option<Explained> {
        if name == "advance" {
            return Some(Explained::Advance);
        }
        Verb::from_name(name).map(Explained::SignOff)
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Explained::SignOff(v) => v.name(),
            Explained::Advance => "advance",
        }
    }

    /// In words (`give feedback`).
    pub fn words(self) -> &'static str {
        match self {
            Explained::SignOff(v) => v.words(),
            Explained::Advance => "advance",
        }
    }

    /// The names, comma-separated (for messages).
    pub fn listed() -> String {
        format!("{}, advance", Verb::listed())
    }
}

crate::text_schema!(
    Explained,
    "An action `explain` answers about: a sign-off action's name, or `advance`.",
    Some(
        Verb::REQUESTED
            .iter()
            .map(|v| v.name())
            .chain(["advance"])
            .collect()
    )
);

impl Serialize for Explained {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for Explained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to explain: may `user` take `action` (on `group`) on the sign-off
/// of `step` (default: the item's current step)?
#[derive(Debug, Clone)]
pub struct ExplainRequest<'a> {
    /// The action.
    pub action: Explained,
    /// The feedback group (feedback; delegate, where `final` is the final approval).
    pub group: Option<&'a str>,
    /// The step whose sign-off it is.
    pub step: Option<&'a str>,
}

/// Why a user may or may not take an action now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The item.
    pub item: String,
    /// Who would act.
    pub user: String,
    /// The action.
    pub action: Explained,
    /// The step whose sign-off it is (for `advance`: the current step).
    pub step: String,
    /// The feedback group, when the action is about one.
    pub group: Option<String>,
    /// Whether the action would succeed now.
    pub allowed: bool,
    /// What the engine would answer, when it would refuse.
    pub refusal: Option<String>,
    /// The state precondition.
    pub state: StateCheck,
    /// Every grant the user holds for the action, each with its path.
    pub grants: Vec<Grant>,
    /// What stands in the way.
    pub blockers: Vec<String>,
    /// What the `reviewers` hook added.
    pub hook: Vec<String>,
    /// The delegations that count.
    pub delegations: Vec<String>,
    /// Hooks that failed while deciding.
    pub hook_errors: Vec<String>,
}

/// Whether the state lets the action start: the sign-off's state for a
/// sign-off action, the workflow's for `advance`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StateCheck {
    /// The state (`WAITING_FOR_FEEDBACK`; `ONGOING`).
    pub status: String,
    /// Whether the action may start from it.
    pub met: bool,
    /// The states it may start from.
    pub allowed_from: Vec<String>,
}

/// One way a user holds what an action needs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Grant {
    /// What it grants: `write permission`, `feedback group risk`, `final approval`.
    #[serde(rename = "as")]
    pub as_what: String,
    /// From the blueprint's rule down to the user.
    pub path: Vec<String>,
}

/// Everyone who may take an action now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WhoCan {
    /// The item.
    pub item: String,
    /// The action.
    pub action: Explained,
    /// The step whose sign-off it is.
    pub step: String,
    /// The feedback group, when the action is about one.
    pub group: Option<String>,
    /// Each user who may, with why.
    pub users: Vec<Allowed>,
    /// Each user who holds a grant for it but may not now, with why not.
    pub blocked: Vec<Blocked>,
}

/// A user who holds a grant for an action but may not take it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Blocked {
    /// The user.
    pub user: String,
    /// The grants they hold.
    pub grants: Vec<Grant>,
    /// Why they may not, each reason a sentence.
    pub blockers: Vec<String>,
}

/// A user who may act, and the grants that let them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Allowed {
    /// The user.
    pub user: String,
    /// The grants.
    pub grants: Vec<Grant>,
}

/// What an action needs, in eligibility: write permission, a feedback
/// group's, the final approval's (any one of them).
fn needs(action: &Action) -> (bool, Option<&str>) {
    match action.verb().spec().takers {
        Takers::Writers => (true, None),
        Takers::Reviewers => (false, action.group()),
        Takers::FinalApprovers => (false, Some("final")),
        Takers::Administrators | Takers::Scheduler => (true, Some("final")),
    }
}

impl Engine {
    /// Why `user` may or may not take the action now, as the caller (who
    /// must be able to read the item) asks.
    pub fn explain(
        &mut self,
        caller: &Identity,
        id: i64,
        user: &str,
        request: &ExplainRequest<'_>,
    ) -> Result<Explanation> {
        let subject = self.identify_user(user)?;
        let now = self.now_or(None);
        let tx = self.store.read()?;
        let (chain, set) = Self::readable(&tx, &mut self.cache, caller, id)?;
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who: &subject,
        };
        explain_one(&tx, &resolver, request, now)
    }

    /// Every user who may take the action now, each with the grants that let them.
    pub fn who_can(
        &mut self,
        caller: &Identity,
        id: i64,
        request: &ExplainRequest<'_>,
    ) -> Result<WhoCan> {
        let names: Vec<String> = {
            let tx = self.store.read()?;
            tx.users()?
                .into_iter()
                .filter(|u| !u.disabled)
                .map(|u| u.name)
                .collect()
        };
        let mut users = Vec::new();
        let mut blocked = Vec::new();
        let mut answer = None;
        for name in names {
            let e = self.explain(caller, id, &name, request)?;
            if e.allowed {
                users.push(Allowed {
                    user: e.user.clone(),
                    grants: e.grants.clone(),
                });
            } else if !e.grants.is_empty() || !e.delegations.is_empty() {
                blocked.push(Blocked {
                    user: e.user.clone(),
                    grants: e.grants.clone(),
                    blockers: e.blockers.clone(),
                });
            }
            answer.get_or_insert(e);
        }
        let Some(first) = answer else {
            return refuse(Refusal::NotFound {
                what: "users (add one with `govrt user add NAME`)".into(),
            });
        };
        Ok(WhoCan {
            item: first.item,
            action: first.action,
            step: first.step,
            group: first.group,
            users,
            blocked,
        })
    }
}

fn explain_one(
    tx: &Tx<'_>,
    resolver: &Resolver<'_>,
    request: &ExplainRequest<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Explanation> {
    let verb = match request.action {
        Explained::SignOff(verb) => verb,
        Explained::Advance => return explain_advance(resolver),
    };
    let item = &resolver.chain[0];
    let blueprint = resolver.own_blueprint()?;
    let (step, spec) = signoff_of(blueprint, item, request.step)?;
    let args = ActionArgs {
        group: request.group.map(str::to_string),
        verdict: Some(Verdict::Approved),
        comment: None,
        // Nobody is called this: delegating to it only asks about eligibility.
        to: Some("\u{0}".into()),
        at: Some(now + chrono::Duration::days(1)),
    };
    let action = Action::from_verb(verb, args).map_err(|missing| Refusal::InvalidValue {
        what: format!("`{verb}`"),
        why: format!(
            "it needs `--{}` (the feedback group, or `final`)",
            missing.0
        ),
    })?;
    let state = item.signoffs.get(step).cloned().unwrap_or_default();
    let delegators = Delegators::load(tx, &state)?;
    let from = allowed_from(&action);
    let mut out = Explanation {
        item: item.id.to_string(),
        user: resolver.who.name.clone(),
        action: request.action,
        step: step.to_string(),
        group: request.group.map(str::to_string),
        allowed: false,
        refusal: None,
        state: StateCheck {
            status: state.status.as_str().to_string(),
            met: from.contains(&state.status),
            allowed_from: from.iter().map(|s| s.as_str().to_string()).collect(),
        },
        grants: Vec::new(),
        blockers: Vec::new(),
        hook: Vec::new(),
        delegations: Vec::new(),
        hook_errors: Vec::new(),
    };
    // The verdict: the resolver and the state machine, as the action runs.
    let mut rules = rules_of(spec);
    rules.content = bound::content_of(spec, resolver.chain);
    // The placeholder delegate of a delegation is nobody to look up.
    let concerned = Some(&action).filter(|a| !matches!(a, Action::Delegate { .. }));
    resolver.exclude_for(tx, spec, concerned, &mut rules)?;
    // Asked without a revision, as an action without `If-Match` runs.
    let verdict = refuse_redecision(step, &state, &action)
        .and_then(|()| resolver.actor(step, &state, Needed::of(&action), &delegators))
        .and_then(|actor| Ok(signoff::apply(&state, &action, &actor, &rules, now)?));
    // The rules accept it: the hooks decide, run on the item as the action
    // would leave it (nothing is kept).
    let mut hook_refusal = None;
    let verdict = verdict.and_then(|outcome| {
        hooks_accept(resolver, step, &action, outcome, now).inspect_err(|e| {
            hook_refusal = Some(e.to_string());
        })
    });
    match verdict {
        Ok(_) => out.allowed = true,
        Err(e) => out.refusal = Some(e.to_string()),
    }
    // The reasons: the same checks, traced.
    let (write, group) = needs(&action);
    if write {
        let mut t = Paths::default();
        resolver.has_traced(Permission::Write, &mut t);
        collect(&mut out, "write permission", None, t);
    }
    if let Some(group) = group {
        let asked = (step, &state, group);
        trace_group(resolver, spec, asked, &delegators, &mut out);
    }
    if resolver.who.admin && !write {
        out.grants.push(Grant {
            as_what: "admin".into(),
            path: vec![format!(
                "`{}` is an admin: may act for anyone (recorded as such)",
                resolver.who.name
            )],
        });
    }
    if let Some(why) = hook_refusal {
        out.blockers.push(format!(
            "the blueprint's hooks refuse the change it would make: {why}"
        ));
    }
    blockers(tx, resolver, &action, spec, &state, &mut out)?;
    Ok(out)
}

/// Why the caller is (or is not) eligible for `group` of the sign-off of
/// `step`, traced into `out`.
fn trace_group(
    resolver: &Resolver<'_>,
    spec: &SignOff,
    (step, state, group): (&str, &crate::engine::rules::signoff::SignOffState, &str),
    delegators: &Delegators,
    out: &mut Explanation,
) {
    let principals = if group == "final" {
        Some(&spec.final_approval.reviewers)
    } else {
        spec.feedback
            .iter()
            .find(|g| g.id.as_str() == group)
            .map(|g| &g.reviewers)
    };
    match principals {
        Some(principals) => {
            let asked = Eligibility {
                step,
                state,
                group,
                principals,
                ask_hook: true,
                delegators,
            };
            let mut t = Paths::default();
            let view = std::cell::OnceCell::new();
            if let Err(e) = resolver.eligible_traced(&asked, &view, &mut t) {
                out.hook_errors.push(e.to_string());
            }
            let what = if group == "final" {
                "final approval".to_string()
            } else {
                format!("feedback group `{group}`")
            };
            let rule = format!("{what} of step `{step}`");
            collect(out, &what, Some(rule), t);
        }
        None => out
            .blockers
            .push(format!("the sign-off has no feedback group `{group}`")),
    }
}

/// Whether the resolver's identity may advance the item's workflow now, and why.
fn explain_advance(resolver: &Resolver<'_>) -> Result<Explanation> {
    let item = &resolver.chain[0];
    let blueprint = resolver.own_blueprint()?;
    let locked = item.signoffs.values().any(|s| s.status.locks_workflow());
    let state = if locked {
        WorkflowState::Locked
    } else if item.finished {
        WorkflowState::Finished
    } else {
        WorkflowState::Ongoing
    };
    let decided = decide_move(resolver, item, None);
    let mut out = Explanation {
        item: item.id.to_string(),
        user: resolver.who.name.clone(),
        action: Explained::Advance,
        step: item.step.clone().unwrap_or_default(),
        group: None,
        allowed: decided.is_ok(),
        refusal: decided.err().map(|e| e.to_string()),
        state: StateCheck {
            status: state.as_str().to_string(),
            met: state == WorkflowState::Ongoing && blueprint.workflow.is_some(),
            allowed_from: vec![WorkflowState::Ongoing.as_str().to_string()],
        },
        grants: Vec::new(),
        blockers: Vec::new(),
        hook: Vec::new(),
        delegations: Vec::new(),
        hook_errors: Vec::new(),
    };
    let mut t = Paths::default();
    resolver.has_traced(Permission::Write, &mut t);
    collect(&mut out, "write permission", None, t);
    if out.grants.is_empty() {
        out.blockers.push(format!(
            "`{}` holds no grant for write permission on the item",
            out.user
        ));
    }
    if !out.state.met {
        out.blockers.push(match state {
            WorkflowState::Locked => {
                "the workflow is LOCKED: a sign-off is rejected or abandoned".into()
            }
            WorkflowState::Finished => "the workflow is FINISHED".into(),
            WorkflowState::Ongoing => format!("a `{}` has no workflow", blueprint.id),
        });
    }
    // The current step's required fields and mandatory sign-off, as the move checks them.
    let facts = Engine::step_facts(blueprint, item);
    if let Some(current) = facts
        .iter()
        .find(|f| !out.allowed && Some(&f.id) == item.step.as_ref())
    {
        for f in &current.missing_fields {
            out.blockers.push(format!(
                "required field `{f}` of step `{}` is not set",
                current.id
            ));
        }
    }
    if !out.allowed && out.blockers.is_empty() {
        out.blockers.extend(out.refusal.clone());
    }
    Ok(out)
}

/// The sign-off of `step` (default: the item's current step).
fn signoff_of<'b>(
    blueprint: &'b Blueprint,
    item: &Item,
    step: Option<&str>,
) -> Result<(&'b str, &'b SignOff)> {
    let wanted = step.or(item.step.as_deref());
    let found = blueprint
        .workflow
        .iter()
        .flat_map(|w| &w.steps)
        .filter(|s| wanted.is_none_or(|w| s.id.as_str() == w))
        .find_map(|s| Some((s.id.as_str(), s.signoff.as_ref()?)));
    match found {
        Some(f) => Ok(f),
        None => refuse(Refusal::NotFound {
            what: format!(
                "sign-off on step `{}` (name a step with a sign-off with `--step`)",
                wanted.unwrap_or("none")
            ),
        }),
    }
}

/// Adds a trace's paths (each from `rule`, when given) and notes.
fn collect(out: &mut Explanation, what: &str, rule: Option<String>, t: Paths) {
    for path in t.found {
        out.grants.push(Grant {
            as_what: what.to_string(),
            path: rule.iter().cloned().chain(path).collect(),
        });
    }
    for note in t.notes {
        match note {
            Note::Blocker(b) => out.blockers.push(b),
            Note::Hook(h) => out.hook.push(h),
            Note::Delegation(d) => out.delegations.push(d),
        }
    }
}

/// What stands in the way, each said with its evidence.
fn blockers(
    tx: &Tx<'_>,
    resolver: &Resolver<'_>,
    action: &Action,
    spec: &SignOff,
    state: &signoff::SignOffState,
    out: &mut Explanation,
) -> Result<()> {
    let name = resolver.who.name.as_str();
    if !out.state.met {
        out.blockers.push(format!(
            "the sign-off is {}; `{}` is possible from {}",
            state.status.as_str(),
            out.action,
            out.state.allowed_from.join(", ")
        ));
    }
    let (write, group) = needs(action);
    let delegated_away = state
        .delegations
        .iter()
        .any(|d| d.from == name && Some(d.group.as_str()) == group);
    if out.grants.is_empty() && !resolver.who.admin && !delegated_away {
        let mut wanted = Vec::new();
        if write {
            wanted.push("write permission".to_string());
        }
        match group {
            Some("final") => wanted.push("the final approval".to_string()),
            Some(g) => wanted.push(format!("feedback group `{g}`")),
            None => {}
        }
        out.blockers.push(format!(
            "`{name}` holds no grant for {} (not among the principals the blueprint names, nor added by a hook, nor a delegate)",
            wanted.join(" or ")
        ));
    }
    let decides = matches!(action, Action::Approve { .. } | Action::Reject { .. });
    let acts = decides
        || matches!(
            action,
            Action::GiveFeedback { .. } | Action::Delegate { .. }
        );
    let barred = group
        .filter(|_| acts)
        .and_then(|slot| Some((slot, resolver.barred(spec, state, slot)?)));
    let requested_it = |slot: &str| {
        crate::engine::exclusions::exclusions_of(spec, slot).is_some_and(|e| e.not_requester)
            && state.requester.as_deref() == Some(name)
    };
    if let Some((slot, why)) = barred.as_ref().filter(|(slot, _)| !requested_it(slot)) {
        out.blockers
            .push(format!("`{name}` may not act for `{slot}`: {why}"));
    }
    if barred.is_some_and(|(slot, _)| requested_it(slot)) {
        let requested = |e: &AuditEntry| match &e.happened {
            Happened::SignOff(s) => {
                s.step == out.step
                    && matches!(
                        s.action,
                        Some(Action::RequestReview | Action::RequestFinalApproval)
                    )
            }
            _ => false,
        };
        let event = tx
            .events(resolver.chain[0].id)?
            .into_iter()
            .map(AuditEntry::from)
            .rev()
            .find(|e| e.actor == name && requested(e));
        out.blockers.push(match event {
            Some(e) => format!(
                "`not requester`: `{name}` requested this review (event #{} at {})",
                e.seq, e.at
            ),
            None => format!("`not requester`: `{name}` requested this review"),
        });
    }
    // What the rules refuse beyond eligibility and state (a required group
    // short of reviews, an open major issue, …) is the engine's own refusal.
    if !out.allowed && out.blockers.is_empty() {
        if let Some(r) = &out.refusal {
            out.blockers.push(r.clone());
        }
    }
    Ok(())
}
