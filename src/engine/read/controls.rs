//! The control coverage report (`govrt report controls`): for each declared
//! control, the fields, steps and sign-offs that give its evidence; for each
//! item, whether it has that evidence, how fresh it is, and the exceptions
//! in its audit trail; an inventory of the items, deleted ones included; and
//! the state of the audit chain when the report was made.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::engine::access::{Identity, Resolver};
use crate::engine::authentication::Authentication;
use crate::engine::core::Engine;
use crate::engine::error::Result;
use crate::engine::read::history::{AuditEntry, Happened};
use crate::engine::rules::bound;
use crate::engine::rules::signoff::Status;
use crate::engine::set_cache::LoadedSet;
use crate::model::Item;
use crate::model::{Blueprint, BlueprintSet};

/// The whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ControlsReport {
    /// When it was made (RFC 3339).
    pub generated_at: String,
    /// The blueprint it is limited to, if any.
    pub blueprint: Option<String>,
    /// The audit chain, verified when the report was made.
    pub audit: AuditState,
    /// Each declared control and what gives its evidence.
    pub controls: Vec<ControlCoverage>,
    /// Each item of a blueprint with controls: its evidence per control.
    pub items: Vec<ItemEvidence>,
    /// Every item of the blueprints reported on, deleted ones included.
    pub inventory: Vec<InventoryEntry>,
}

/// The audit chain's state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditState {
    /// Whether `audit verify` passes.
    pub intact: bool,
    /// Events verified, when intact.
    pub events: Option<usize>,
    /// The first break, when not.
    pub problem: Option<String>,
}

/// A control and where its evidence comes from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ControlCoverage {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// The framework.
    pub framework: Option<String>,
    /// What it asks for.
    pub help: Option<String>,
    /// The fields, steps and sign-offs that give its evidence.
    pub covered_by: Vec<Source>,
    /// Whether any of them is mandatory (a required field, a step with a
    /// mandatory sign-off or required fields, a mandatory sign-off): without
    /// one, an item may finish its workflow without the evidence.
    pub mandatory_evidence: bool,
}

/// A place in a blueprint that gives a control's evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Source {
    /// The blueprint.
    pub blueprint: String,
    /// `field`, `step` or `signoff`.
    pub kind: &'static str,
    /// The field's or the step's id (a sign-off is named by its step).
    pub id: String,
    /// Whether the workflow cannot go on without it.
    pub mandatory: bool,
}

/// One item's evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemEvidence {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The blueprint version it runs on.
    pub version: u32,
    /// Its current step.
    pub step: Option<String>,
    /// Per control of its blueprint.
    pub controls: Vec<ControlEvidence>,
    /// Deployments confirmed under `warn`, admin actions, approvals kept
    /// through a change of bound content.
    pub exceptions: Vec<String>,
}

/// Whether an item has a control's evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ControlEvidence {
    /// The control.
    pub control: String,
    /// Every mandatory source present, and at least one source present;
    /// false when a source is withheld from the reader.
    pub satisfied: bool,
    /// Some source is a field the reader may not read: whether the control
    /// is met is not told them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
    /// Each source of the item's blueprint.
    pub evidence: Vec<EvidenceState>,
}

/// One source's evidence on one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvidenceState {
    /// `field`, `step` or `signoff`.
    pub kind: &'static str,
    /// The field's or the step's id.
    pub id: String,
    /// Whether the evidence is there now.
    pub present: bool,
    /// In words.
    pub detail: String,
    /// Who approved (sign-offs).
    pub approved_by: Option<String>,
    /// When (sign-offs).
    pub approved_at: Option<String>,
    /// Whether the approver is not the requester (sign-offs).
    pub independent: Option<bool>,
    /// When the approval lapses (sign-offs).
    pub next_reset_at: Option<String>,
    /// Whether a reset is past due.
    pub overdue: bool,
    /// A field the reader may not read: neither whether it is set nor
    /// anything else is told (`present` is false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
}

/// An item of the inventory.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InventoryEntry {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// `active`, `finished` or `retired` (deleted).
    pub state: &'static str,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The sources of `control` in one blueprint.
fn sources(blueprint: &Blueprint, control: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let has = |list: &[String]| list.iter().any(|c| c == control);
    for f in blueprint.fields.iter().filter(|f| has(&f.controls)) {
        out.push(Source {
            blueprint: blueprint.id.to_string(),
            kind: "field",
            id: f.id.to_string(),
            mandatory: f.required,
        });
    }
    for s in blueprint.workflow.iter().flat_map(|w| &w.steps) {
        let mandatory_signoff = s.signoff.as_ref().is_some_and(|o| o.mandatory);
        if has(&s.controls) {
            let required_fields = s
                .fields
                .iter()
                .any(|f| blueprint.field(f.as_str()).is_some_and(|f| f.required));
            out.push(Source {
                blueprint: blueprint.id.to_string(),
                kind: "step",
                id: s.id.to_string(),
                mandatory: mandatory_signoff || required_fields,
            });
        }
        if s.signoff.as_ref().is_some_and(|o| has(&o.controls)) {
            out.push(Source {
                blueprint: blueprint.id.to_string(),
                kind: "signoff",
                id: s.id.to_string(),
                mandatory: mandatory_signoff,
            });
        }
    }
    out
}

/// A source's evidence on `chain[0]`.
fn evidence(
    blueprint: &Blueprint,
    chain: &[Item],
    source: &Source,
    now: DateTime<Utc>,
) -> EvidenceState {
    let item = &chain[0];
    let mut e = EvidenceState {
        kind: source.kind,
        id: source.id.clone(),
        present: false,
        detail: String::new(),
        approved_by: None,
        approved_at: None,
        independent: None,
        next_reset_at: None,
        overdue: false,
        withheld: false,
    };
    match source.kind {
        "field" => {
            e.present = item.fields.get(&source.id).is_some_and(|v| !v.is_null());
            e.detail = if e.present { "set" } else { "not set" }.into();
        }
        "step" => {
            let steps: Vec<&str> = blueprint
                .workflow
                .iter()
                .flat_map(|w| &w.steps)
                .map(|s| s.id.as_str())
                .collect();
            let at = steps.iter().position(|s| *s == source.id);
            let current = item
                .step
                .as_deref()
                .and_then(|c| steps.iter().position(|s| *s == c));
            let passed = item.finished || matches!((at, current), (Some(a), Some(c)) if c > a);
            // A step is done only with its mandatory sign-off approved on
            // the current content: passed over an outdated or reset
            // approval, it is not evidence (the gate blocks too).
            let skip = item.skipped.get(&source.id);
            let mandatory = blueprint
                .step(&source.id)
                .and_then(|s| s.signoff.as_ref())
                .is_some_and(|o| o.mandatory);
            let signoff =
                (mandatory && skip.is_none()).then(|| approval(blueprint, chain, &source.id));
            e.present = passed && signoff.as_ref().is_none_or(|a| a.present);
            e.detail = match (skip, signoff) {
                // Passed without being worked on: the auditor is told why.
                (Some(skip), _) if passed => format!("step skipped ({})", skip.reason()),
                (_, Some(a)) if passed && !a.present => {
                    format!("step passed, but its mandatory sign-off is {}", a.detail)
                }
                _ if passed => "step finished".into(),
                _ => "step not finished".into(),
            };
        }
        _ => {
            let a = approval(blueprint, chain, &source.id);
            e.present = a.present;
            e.detail = a.detail;
            let state = chain[0].signoffs.get(&source.id);
            if let (Some(d), Some(s)) = (a.decision, state) {
                e.approved_by = Some(d.by.clone());
                e.approved_at = Some(time(d.at));
                e.independent = Some(s.requester.as_deref() != Some(d.by.as_str()));
                e.next_reset_at = s.next_reset_at.map(time);
                e.overdue = s.due_at().is_some_and(|t| t <= now);
            }
        }
    }
    e
}

/// Whether the sign-off of a step stands approved on the item's current
/// content, and if not, why not.
struct Approval<'a> {
    present: bool,
    detail: String,
    decision: Option<&'a crate::model::signoff::Decision>,
}

fn approval<'a>(blueprint: &Blueprint, chain: &'a [Item], step: &str) -> Approval<'a> {
    let spec = blueprint.step(step).and_then(|s| s.signoff.as_ref());
    let state = chain[0].signoffs.get(step);
    let status = state.map_or(Status::NotStarted, |s| s.status);
    let decision = state
        .and_then(|s| s.decision.as_ref())
        .filter(|d| d.approved);
    let current_content = spec.and_then(|spec| bound::content_of(spec, chain));
    let on_current = current_content.is_none()
        || decision.and_then(|d| d.content.as_deref()) == current_content.as_deref();
    Approval {
        present: status == Status::Approved && decision.is_some() && on_current,
        detail: match (status, on_current) {
            (Status::Approved, false) => "APPROVED on other content than the current one".into(),
            (s, _) => s.as_str().to_string(),
        },
        decision,
    }
}

/// The steps whose standing decision (their last approval or rejection)
/// an actor named with `--as` took.
fn impersonated_decisions(events: &[AuditEntry]) -> BTreeSet<String> {
    let mut last: BTreeMap<String, bool> = BTreeMap::new();
    for e in events {
        if let Happened::SignOff(entry) = &e.happened
            && matches!(e.action.as_str(), "signoff.approve" | "signoff.reject")
        {
            let by_name = e
                .authentication
                .as_ref()
                .is_some_and(Authentication::is_impersonation);
            last.insert(entry.step.clone(), by_name);
        }
        if e.action == "signoff.reset" || e.action == "signoff.automatic_reset" {
            if let Happened::SignOff(entry) = &e.happened {
                last.remove(&entry.step);
            }
        }
    }
    last.into_iter()
        .filter(|(_, by_name)| *by_name)
        .map(|(step, _)| step)
        .collect()
}

/// A field source's evidence for a reader who may not read the field.
fn withhold(e: EvidenceState) -> EvidenceState {
    EvidenceState {
        present: false,
        detail: format!("withheld: you may not read field `{}`", e.id),
        withheld: true,
        ..e
    }
}

impl Engine {
    /// The control coverage report, over the items `who` may read of
    /// `blueprint` (default: every blueprint with controls).
    pub fn controls_report(
        &mut self,
        who: &Identity,
        blueprint: Option<&str>,
        now: Option<DateTime<Utc>>,
    ) -> Result<ControlsReport> {
        let now = self.now_or(now);
        let audit = match self.audit_verify()? {
            Ok(events) => AuditState {
                intact: true,
                events: Some(events),
                problem: None,
            },
            Err(problem) => AuditState {
                intact: false,
                events: None,
                problem: Some(problem),
            },
        };
        let tx = self.store.read()?;
        let mut items = Vec::new();
        let mut inventory = Vec::new();
        let mut coverage: BTreeMap<String, ControlCoverage> = BTreeMap::new();
        let wanted = |b: &Blueprint| blueprint.is_none_or(|w| b.id.as_str() == w);
        // The newest version of every blueprint, whether it has items or not.
        let mut newest: BTreeMap<String, u32> = BTreeMap::new();
        for v in tx.blueprint_versions()? {
            let e = newest.entry(v.blueprint).or_insert(v.version);
            *e = (*e).max(v.version);
        }
        for (id, version) in &newest {
            let set = self.cache.get(&tx, id, *version)?;
            if let Some(b) = set.blueprint(id).filter(|b| wanted(b)) {
                note_coverage(&mut coverage, &set, b);
            }
        }
        for (chain, set) in Self::readable_items(&tx, &mut self.cache, who, blueprint)? {
            let Some(b) = set.blueprint(&chain[0].blueprint).filter(|b| wanted(b)) else {
                continue;
            };
            note_coverage(&mut coverage, &set, b);
            let item = &chain[0];
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            inventory.push(InventoryEntry {
                item: item.id.to_string(),
                name: item.name.clone(),
                blueprint: item.blueprint.clone(),
                state: if item.finished { "finished" } else { "active" },
            });
            let events: Vec<AuditEntry> = tx
                .events(item.id)?
                .into_iter()
                .map(AuditEntry::from)
                .collect();
            // The steps whose standing decision was taken by an actor named
            // at the command line (`--as`), not authenticated.
            let impersonated = impersonated_decisions(&events);
            let controls = control_evidence(&set, b, &chain, &resolver, &impersonated, now);
            if controls.is_empty() {
                continue;
            }
            let exceptions = exceptions_of(events);
            items.push(ItemEvidence {
                item: item.id.to_string(),
                name: item.name.clone(),
                blueprint: item.blueprint.clone(),
                version: item.version,
                step: item.step.clone(),
                controls,
                exceptions,
            });
        }
        // Deleted items stay in the inventory, from the audit trail.
        if who.admin {
            for e in tx.deletions()?.into_iter().map(AuditEntry::from) {
                let Happened::Deleted {
                    name,
                    blueprint: bp,
                    ..
                } = e.happened
                else {
                    continue;
                };
                if blueprint.is_some_and(|w| w != bp) {
                    continue;
                }
                inventory.push(InventoryEntry {
                    item: e.item.map(|i| i.to_string()).unwrap_or_default(),
                    name,
                    blueprint: bp,
                    state: "retired",
                });
            }
        }
        // Declared controls nothing reported covers still show, uncovered.
        let mut controls: Vec<ControlCoverage> = coverage.into_values().collect();
        controls.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(ControlsReport {
            generated_at: time(now),
            blueprint: blueprint.map(str::to_string),
            audit,
            controls,
            items,
            inventory,
        })
    }
}

/// The evidence an item gives for each control of its set that its
/// blueprint names sources for.
fn control_evidence(
    set: &LoadedSet,
    b: &Blueprint,
    chain: &[Item],
    resolver: &Resolver<'_>,
    impersonated: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Vec<ControlEvidence> {
    set.controls
        .keys()
        .filter_map(|c| {
            let sources = sources(b, c);
            if sources.is_empty() {
                return None;
            }
            let evidence: Vec<EvidenceState> = sources
                .iter()
                .map(|s| {
                    let mut e = evidence(b, chain, s, now);
                    if s.kind == "signoff"
                        && e.approved_by.is_some()
                        && impersonated.contains(&s.id)
                    {
                        e.independent = Some(false);
                    }
                    if s.kind == "field" && !resolver.may_read_field(0, &s.id) {
                        withhold(e)
                    } else {
                        e
                    }
                })
                .collect();
            let withheld = evidence.iter().any(|e| e.withheld);
            let mandatory_ok = sources
                .iter()
                .zip(&evidence)
                .all(|(s, e)| !s.mandatory || e.present);
            Some(ControlEvidence {
                control: c.clone(),
                satisfied: !withheld && mandatory_ok && evidence.iter().any(|e| e.present),
                withheld,
                evidence,
            })
        })
        .collect()
}

/// What the audit trail of an item shows as exceptions to independent
/// evidence: approvals in another's name, deployments confirmed without an
/// approval, approvals kept through a change, admins acting.
fn exceptions_of(events: Vec<AuditEntry>) -> Vec<String> {
    events
        .into_iter()
        .filter_map(|e| {
            if e.action == "signoff.approve"
                && let Some(how) = e.authentication.as_ref().filter(|a| a.is_impersonation())
            {
                return Some(format!(
                    "{}: an approval in the name of `{}` through {}: not independent evidence",
                    e.at,
                    e.actor,
                    how.describe()
                ));
            }
            if let Happened::DeployConfirmed { infrastructure } = &e.happened {
                return Some(format!(
                    "{}: `{}` confirmed a deployment on {infrastructure} without an approval",
                    e.at, e.actor
                ));
            }
            if e.keep_approvals {
                return Some(format!(
                    "{}: `{}` kept the approvals through a change of bound content",
                    e.at, e.actor
                ));
            }
            (e.as_admin && e.actor != "scheduler")
                .then(|| format!("{}: admin `{}` did {}", e.at, e.actor, e.action))
        })
        .collect()
}

/// Adds what `blueprint` gives evidence for to the coverage of each control of its set.
fn note_coverage(
    coverage: &mut BTreeMap<String, ControlCoverage>,
    set: &BlueprintSet,
    blueprint: &Blueprint,
) {
    for (id, c) in &set.controls {
        let entry = coverage
            .entry(id.clone())
            .or_insert_with(|| ControlCoverage {
                id: id.clone(),
                label: c.label.clone(),
                framework: c.framework.clone(),
                help: c.help.clone(),
                covered_by: Vec::new(),
                mandatory_evidence: false,
            });
        for s in sources(blueprint, id) {
            let known = entry
                .covered_by
                .iter()
                .any(|k| k.blueprint == s.blueprint && k.kind == s.kind && k.id == s.id);
            if !known {
                entry.mandatory_evidence |= s.mandatory;
                entry.covered_by.push(s);
            }
        }
    }
}
