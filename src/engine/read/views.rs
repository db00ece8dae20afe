//! What the engine hands out: items, governance statuses, deploy decisions,
//! pending reviews, permitted actions and matrix points, as typed values.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value as Json;

use crate::engine::actions::Verb;
pub use crate::engine::rules::deploy::{DeployDecision, DeployVerdict};
use crate::engine::rules::signoff::{self, Status};
use crate::engine::rules::workflow::{StepState, WorkflowState};
use crate::model::Blueprint;
use crate::model::Item;

/// An item as shown to people and tools.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// The fields left out of `fields` because the caller may not read them
    /// (`read = …`): for forms, which must not offer them at all.
    #[serde(skip)]
    pub hidden: Vec<String>,
    /// The fields the caller may not set (`write = …`, or no write
    /// permission on the item).
    #[serde(skip)]
    pub read_only: Vec<String>,
}

pub(in crate::engine) fn workflow_state(
    item: &Item,
    blueprint: &Blueprint,
) -> Option<WorkflowState> {
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

pub(in crate::engine) fn view(item: &Item, blueprint: &Blueprint) -> ItemView {
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
        hidden: Vec::new(),
        read_only: Vec::new(),
    }
}

/// The governance status of an item (the design notes, "Governance status").
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// The item.
    pub item: ItemView,
    /// Each step and its state.
    pub steps: Vec<StepView>,
    /// Each sign-off.
    pub signoffs: Vec<SignOffView>,
    /// Whether every sign-off that gates deployment is approved (and nothing
    /// is locked); never true when no sign-off gates deployment.
    pub approved: bool,
    /// Whether any sign-off gates deployment of the item.
    pub gated: bool,
    /// The deploy decision on each infrastructure.
    pub deploy: Vec<DeployDecision>,
}

/// A step in a status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// FINISHED, ONGOING, NOT_STARTED or SKIPPED.
    pub state: StepState,
    /// Its `when` condition, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Why it was skipped (a SKIPPED step): what decided, on which values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<crate::model::condition::Skip>,
}

/// A sign-off in a status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// The feedback groups short of their `min` current reviews, which the
    /// final approver decides without (a `required` one blocks the approval).
    pub missing_feedback: Vec<String>,
    /// Who gave a current MAJOR_ISSUE review.
    pub open_major_issues: Vec<String>,
    /// The final approval refuses an approval over a MAJOR_ISSUE review.
    pub no_major: bool,
    /// The fields reviews and the decision are bound to (`binds`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<String>,
    /// Decisions of this round outdated by a change of the bound content.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outdated_decisions: Vec<signoff::Outdated<signoff::Decision>>,
    /// The final approval's service level (`sla`, `remind every`, `escalate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_service: Option<crate::engine::rules::sla::ServiceView>,
}

/// A feedback group in a status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// Reviews needed.
    pub min: u32,
    /// Whether it has `min` reviews.
    pub complete: bool,
    /// The final approval waits for the group to be complete.
    pub required: bool,
    /// The current reviews: what counts (each written with `"current": true`).
    #[serde(serialize_with = "current_reviews")]
    #[schema(value_type = Vec<StatedReview<'static, signoff::Review>>)]
    pub reviews: Vec<signoff::Review>,
    /// Reviews of this round outdated by a change of the bound content:
    /// shown, not counted (each written with `"current": false`).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "outdated_reviews"
    )]
    #[schema(value_type = Vec<StatedReview<'static, signoff::Outdated<signoff::Review>>>)]
    pub outdated: Vec<signoff::Outdated<signoff::Review>>,
    /// The group's service level (`sla`, `remind every`, `escalate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<crate::engine::rules::sla::ServiceView>,
}

/// A review as a status writes it: the review, and whether it counts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatedReview<'a, T: Serialize> {
    /// The review.
    #[serde(flatten)]
    review: &'a T,
    /// Whether it counts (false: outdated by a change of the bound content).
    current: bool,
}

fn current_reviews<S: serde::Serializer>(
    reviews: &[signoff::Review],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(reviews.iter().map(|review| StatedReview {
        review,
        current: true,
    }))
}

fn outdated_reviews<S: serde::Serializer>(
    reviews: &[signoff::Outdated<signoff::Review>],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(reviews.iter().map(|review| StatedReview {
        review,
        current: false,
    }))
}

/// What a user may do to an item now (see [`Engine::permitted`]); by default, nothing.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Permitted {
    /// May edit fields and move the item in its workflow.
    pub write: bool,
    /// May delete it.
    pub delete: bool,
    /// Per step with a sign-off: the actions the state machine accepts from
    /// the user now.
    pub signoffs: BTreeMap<String, Vec<Allowed>>,
}

/// One sign-off action a user may take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Allowed {
    /// The action.
    pub verb: Verb,
    /// Its feedback group (`final` to delegate the final approval), for
    /// feedback and delegations.
    pub group: Option<String>,
}

/// A sign-off waiting for someone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// When its SLA is due, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The time zone of the SLA's calendar, which the due time is shown in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<chrono_tz::Tz>,
    /// Its SLA is breached.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub breached: bool,
    /// Here because its clock escalated to this user (`escalate … to`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub escalated: bool,
    /// Escalated without `grant`: the user is told and may follow it up,
    /// but not review or decide it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub watch_only: bool,
}

impl PendingReview {
    /// The role of a review of `group`: `final` for the final approval, else `feedback`.
    pub fn role_of(group: &str) -> &'static str {
        if group == "final" {
            "final"
        } else {
            "feedback"
        }
    }

    /// What the user is asked for, in words: `feedback for risk`, `final
    /// approval`, with `, escalated to you` and, without `grant`,
    /// `(to follow up; its reviewers act)`.
    pub fn asked(&self) -> String {
        let mut what = if self.role == "final" {
            "final approval".to_string()
        } else {
            format!("feedback for {}", self.group)
        };
        if self.escalated {
            what.push_str(", escalated to you");
        }
        if self.watch_only {
            what.push_str(" (to follow up; its reviewers act)");
        }
        what
    }
}

/// A point of a matrix view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
