//! The checked blueprint set: what the runtime executes. Only `check` builds
//! one, so whoever holds a [`BlueprintSet`] holds a valid one: every name it
//! mentions exists, every default fits its type, parents form a forest.
//!
//! No spans and no syntax here: the engine never sees how a blueprint was
//! written, only what it means. Beside the blueprints, [`signoff`] holds the
//! record of one sign-off of one item, which the store keeps and the engine's
//! rules change.

pub mod condition;
pub mod invisible;
pub mod item;
pub mod parse;
pub mod service;
pub mod signoff;
pub mod table;
pub mod text_schema;

pub use item::Item;
pub use service::{Calendar, Escalation, ServiceLevel, WorkDuration, WorkUnit, WorkingHours};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident;)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }
    )*};
}

id_type! {
    /// The id of a blueprint (`model_version`).
    BlueprintId;
    /// The id of a field of a blueprint.
    FieldId;
    /// The id of a workflow step.
    StepId;
    /// The id of a role of a blueprint.
    RoleId;
    /// The id of a feedback group of a sign-off.
    FeedbackGroupId;
    /// The id of an infrastructure.
    InfrastructureId;
    /// The id of a matrix view.
    MatrixId;
}

/// A checked set of blueprints and infrastructures: one namespace.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BlueprintSet {
    /// The blueprints, by id.
    pub blueprints: BTreeMap<BlueprintId, Blueprint>,
    /// The deployment targets, by id.
    pub infrastructures: BTreeMap<InfrastructureId, Infrastructure>,
    /// The compliance controls, by id (`eu_ai_act.art14`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub controls: BTreeMap<String, Control>,
    /// The business calendars, by id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub calendars: BTreeMap<String, Calendar>,
    /// How running items move between versions of a blueprint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<Migration>,
}

/// `migrate BLUEPRINT N -> M { … }`: how running items of version `from`
/// move to version `to` (the set's). Names not mapped keep their name.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Migration {
    /// The blueprint.
    pub blueprint: BlueprintId,
    /// The version items move from.
    pub from: u32,
    /// The version they move to.
    pub to: u32,
    /// Steps: old → new.
    pub steps: BTreeMap<String, String>,
    /// Renamed fields: old → new.
    pub fields: BTreeMap<String, String>,
    /// Values for items where the field is unset (after renaming).
    pub sets: BTreeMap<String, Value>,
    /// Fields whose values are dropped.
    pub drops: BTreeSet<String>,
    /// Sign-offs: old step → (new step, reset).
    pub signoffs: BTreeMap<String, (String, bool)>,
}

/// A control of a compliance framework (`control eu_ai_act.art14 "Human
/// oversight" { framework "EU AI Act" }`), which fields, steps and sign-offs
/// give evidence for (`controls eu_ai_act.art14`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Control {
    /// The dotted id.
    pub id: String,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The framework it belongs to.
    pub framework: Option<String>,
    /// What it asks for.
    pub help: Option<String>,
}

impl BlueprintSet {
    /// The blueprint with this id.
    pub fn blueprint(&self, id: &str) -> Option<&Blueprint> {
        self.blueprints.get(&BlueprintId(id.to_string()))
    }

    /// The chain of parent blueprints of `id`, nearest first (`id` itself excluded).
    pub fn ancestors(&self, id: &BlueprintId) -> Vec<&Blueprint> {
        let mut out = Vec::new();
        let mut current = self.blueprints.get(id).and_then(|b| b.parent.as_ref());
        while let Some(parent) = current {
            // INVARIANT: check rejects parent cycles, so this walk ends; the
            // length bound only guards against a set built some other way.
            if out.len() > self.blueprints.len() {
                break;
            }
            match self.blueprints.get(parent) {
                Some(b) => {
                    out.push(b);
                    current = b.parent.as_ref();
                }
                None => break,
            }
        }
        out
    }
}

/// A kind of governed item.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Blueprint {
    /// The id.
    pub id: BlueprintId,
    /// The label (the id when none is written).
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The blueprint version; items stay pinned to theirs.
    pub version: u32,
    /// The blueprint of the parent item.
    pub parent: Option<BlueprintId>,
    /// The rhai hooks, if any.
    pub script: Option<Script>,
    /// Every field, item-level and step fields, in declaration order.
    pub fields: Vec<Field>,
    /// Named sets of principals.
    pub roles: BTreeMap<RoleId, Role>,
    /// Who may read, write and delete.
    pub permissions: Permissions,
    /// The workflow, if the blueprint has one.
    pub workflow: Option<Workflow>,
    /// Matrix views.
    pub matrices: Vec<Matrix>,
    /// The table views that list its items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<table::Table>,
}

impl Blueprint {
    /// The field with this id.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id.0 == id)
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.workflow.as_ref()?.steps.iter().find(|s| s.id.0 == id)
    }
}

/// A rhai script of hooks.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Script {
    /// The path as written in the blueprint, relative to its file.
    pub path: String,
    /// The script's text, as read when the set was checked.
    #[serde(skip)]
    pub source: String,
    /// Where it was read from (the blueprint file's folder joined with `path`).
    #[serde(skip)]
    pub resolved: String,
    /// The hook functions it defines, with their arity.
    pub hooks: Vec<String>,
}

impl Script {
    /// The prefix of computed-field hooks: `compute_FIELD` computes `FIELD`.
    pub const COMPUTE_PREFIX: &str = "compute_";
}

/// A field of a blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Field {
    /// The id.
    pub id: FieldId,
    /// The label (the id when none is written).
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Must be set: at creation for item fields, before leaving the step for step fields.
    pub required: bool,
    /// The value it starts with.
    pub default: Option<Value>,
    /// Help for whoever fills it.
    pub help: Option<String>,
    /// The step it is filled on, for step fields.
    pub step: Option<StepId>,
    /// The controls it gives evidence for (`controls …`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// Who may read it (`read = …`; none: whoever may read the item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<Vec<Principal>>,
    /// Who may set it (`write = …`; none: whoever may write the item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<Vec<Principal>>,
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number, optionally within `min..=max`.
    Int {
        /// Lowest allowed.
        min: Option<i64>,
        /// Highest allowed.
        max: Option<i64>,
    },
    /// A decimal number.
    Number,
    /// `true` / `false`.
    Bool,
    /// A calendar date.
    Date,
    /// A date and time.
    DateTime,
    /// A URL.
    Url,
    /// One of the variants.
    Enum {
        /// The variants, in order.
        variants: Vec<String>,
    },
    /// A user name.
    User,
    /// A group name.
    Group,
    /// A user, group, API key or role.
    Principal,
    /// Another item, of that blueprint.
    Ref {
        /// The blueprint of the item referred to.
        blueprint: BlueprintId,
    },
    /// A stored document.
    Attachment,
    /// A list of values of one type.
    List {
        /// The element type.
        of: Box<FieldType>,
    },
}

impl FieldType {
    /// Numbers and enums can be matrix axes.
    pub fn is_numeric_or_enum(&self) -> bool {
        matches!(
            self,
            FieldType::Int { .. } | FieldType::Number | FieldType::Enum { .. }
        )
    }

    /// Whether the field holds users, groups or principals (so it can name reviewers).
    pub fn holds_principals(&self) -> bool {
        match self {
            FieldType::User | FieldType::Group | FieldType::Principal => true,
            FieldType::List { of } => of.holds_principals(),
            _ => false,
        }
    }

    /// How the type is written in a blueprint.
    pub fn describe(&self) -> String {
        match self {
            FieldType::Text => "text".into(),
            FieldType::Int {
                min: Some(lo),
                max: Some(hi),
            } => format!("int({lo}..{hi})"),
            FieldType::Int { .. } => "int".into(),
            FieldType::Number => "number".into(),
            FieldType::Bool => "bool".into(),
            FieldType::Date => "date".into(),
            FieldType::DateTime => "datetime".into(),
            FieldType::Url => "url".into(),
            FieldType::Enum { variants } => format!("enum({})", variants.join(", ")),
            FieldType::User => "user".into(),
            FieldType::Group => "group".into(),
            FieldType::Principal => "principal".into(),
            FieldType::Ref { blueprint } => format!("ref({blueprint})"),
            FieldType::Attachment => "attachment".into(),
            FieldType::List { of } => format!("[{}]", of.describe()),
        }
    }
}

/// A typed value (a default, later a field value).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Value {
    /// Text, a URL, or an attachment name.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// `YYYY-MM-DD`.
    Date(chrono::NaiveDate),
    /// A date-time, in UTC.
    DateTime(chrono::DateTime<chrono::Utc>),
    /// An enum variant.
    Enum(String),
    /// A user, group, API key or role.
    Principal(PrincipalRef),
    /// The id of another item.
    Ref(String),
    /// A list.
    List(Vec<Value>),
}

/// A principal held in a field value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum PrincipalRef {
    /// `user:alice`.
    User(String),
    /// `group:risk`.
    Group(String),
    /// `api_key:bot`.
    ApiKey(String),
    /// `role:owner`.
    Role(String),
}

impl fmt::Display for Principal {
    /// As the language writes it: `group "risk"`, `role approvers`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User { name } => write!(f, "user {name:?}"),
            Principal::Group { name } => write!(f, "group {name:?}"),
            Principal::ApiKey { name } => write!(f, "api_key {name:?}"),
            Principal::Role { role } => write!(f, "role {role}"),
            Principal::Everyone => f.write_str("everyone"),
            Principal::Field { field } => write!(f, "field {field}"),
            Principal::AncestorField { blueprint, field } => write!(f, "{blueprint}.field {field}"),
        }
    }
}

/// A principal in a blueprint: resolved to users per item at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Principal {
    /// A user by name.
    User {
        /// The user's name.
        name: String,
    },
    /// The members of a group.
    Group {
        /// The group's name.
        name: String,
    },
    /// An API key by name.
    ApiKey {
        /// The key's name.
        name: String,
    },
    /// A role of the blueprint, or the built-in `creator`.
    Role {
        /// The role.
        role: RoleId,
    },
    /// Anyone.
    Everyone,
    /// The principals held in a field of the item.
    Field {
        /// The field.
        field: FieldId,
    },
    /// The principals held in a field of the nearest ancestor of that blueprint
    /// (or of the item itself when it is of that blueprint).
    AncestorField {
        /// The ancestor's blueprint.
        blueprint: BlueprintId,
        /// The field on it.
        field: FieldId,
    },
}

/// A named set of principals.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Role {
    /// The id.
    pub id: RoleId,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Who holds the role.
    pub principals: Vec<Principal>,
}

/// Who may read, write and delete items of a blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Permissions {
    /// Read (default: everyone).
    pub read: Vec<Principal>,
    /// Edit fields, move the workflow, administer sign-offs (default: the creator).
    pub write: Vec<Principal>,
    /// Delete (default: the creator).
    pub delete: Vec<Principal>,
    /// Attach children under an item (default: `write`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<Vec<Principal>>,
}

/// The ordered steps of a blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Workflow {
    /// At least one step.
    pub steps: Vec<Step>,
}

/// A workflow step.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// The id.
    pub id: StepId,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Help shown on the step.
    pub help: Option<String>,
    /// The fields filled on this step.
    pub fields: Vec<FieldId>,
    /// The step's sign-off.
    pub signoff: Option<SignOff>,
    /// The controls it gives evidence for (`controls …`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
    /// When it applies (`when COND`): without one, a step always applies
    /// unless the `visible` hook says otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub when: Option<condition::When>,
}

/// A sign-off: feedback groups and one final approval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SignOff {
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The workflow cannot leave the step until it is approved.
    pub mandatory: bool,
    /// A move back before the step keeps its approval (`keep on rework`);
    /// by default such a move reopens a mandatory sign-off.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub keep_on_rework: bool,
    /// Whether deployment waits for it.
    pub gates_deployment: bool,
    /// The feedback groups, in order.
    pub feedback: Vec<FeedbackGroup>,
    /// The final approval.
    pub final_approval: FinalApproval,
    /// An approved sign-off is reset this long after its approval.
    pub reset_every: Option<Duration>,
    /// An automatic reset requests the review again (`reset every … rerequest`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rerequest: bool,
    /// The fields whose values reviews and the decision are about (`binds`):
    /// a change of one outdates the approving reviews and the decision.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binds: Vec<BoundField>,
    /// The controls it gives evidence for (`controls …`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<String>,
}

/// A field a sign-off is bound to: of the item itself, or of its nearest
/// ancestor of `blueprint` (`BLUEPRINT.field FIELD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BoundField {
    /// The ancestor blueprint, for `BLUEPRINT.field FIELD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<BlueprintId>,
    /// The field.
    pub field: FieldId,
}

impl std::fmt::Display for BoundField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.blueprint {
            Some(b) => write!(f, "{}.field {}", b.as_str(), self.field.as_str()),
            None => f.write_str(self.field.as_str()),
        }
    }
}

/// A feedback group of a sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedbackGroup {
    /// The id.
    pub id: FeedbackGroupId,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Who may give feedback.
    pub reviewers: Vec<Principal>,
    /// Reviews needed for the group to be complete (at least 1).
    pub min: u32,
    /// The final approval can be neither requested nor given until the
    /// group has `min` current reviews.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Help for reviewers.
    pub help: Option<String>,
    /// Who may not review for it, whatever they hold (`not …`).
    #[serde(flatten)]
    pub exclude: Exclusions,
    /// Its SLA, reminders and escalation.
    #[serde(skip_serializing_if = "ServiceLevel::is_empty")]
    pub service: ServiceLevel,
}

/// Who may not act for a feedback group or the final approval, whatever
/// grants, hooks or delegations give them: separation of duties.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exclusions {
    /// `not requester`: whoever requested the review.
    pub not_requester: bool,
    /// `not reviewer`: whoever gave feedback in this round (final approval only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_reviewer: bool,
    /// `not PRINCIPALS`: these principals, resolved on the item as reviewers are.
    #[serde(rename = "not", skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<Principal>,
}

impl Exclusions {
    /// Whether it excludes no one.
    pub fn is_empty(&self) -> bool {
        !self.not_requester && !self.not_reviewer && self.principals.is_empty()
    }
}

/// The final approval of a sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FinalApproval {
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Who may approve or reject.
    pub reviewers: Vec<Principal>,
    /// Who may not decide, whatever they hold (`not …`).
    #[serde(flatten)]
    pub exclude: Exclusions,
    /// No approval while any current review is MAJOR_ISSUE.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_major: bool,
    /// Its SLA, reminders and escalation.
    #[serde(skip_serializing_if = "ServiceLevel::is_empty")]
    pub service: ServiceLevel,
}

/// A calendar duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Duration {
    /// How many units (positive).
    pub amount: u32,
    /// The unit.
    pub unit: DurationUnit,
}

/// The unit of a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl Duration {
    /// `at` plus this duration; months and years are calendar arithmetic,
    /// clamped to the month's last day (Jan 31 + 1 month = Feb 28/29).
    pub fn after(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let n = self.amount;
        match self.unit {
            DurationUnit::Day => at.checked_add_signed(chrono::TimeDelta::days(i64::from(n))),
            DurationUnit::Week => at.checked_add_signed(chrono::TimeDelta::weeks(i64::from(n))),
            DurationUnit::Month => at.checked_add_months(chrono::Months::new(n)),
            DurationUnit::Year => at.checked_add_months(chrono::Months::new(n.checked_mul(12)?)),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            DurationUnit::Day => "day",
            DurationUnit::Week => "week",
            DurationUnit::Month => "month",
            DurationUnit::Year => "year",
        };
        write!(
            f,
            "{} {}{}",
            self.amount,
            unit,
            if self.amount == 1 { "" } else { "s" }
        )
    }
}

/// A matrix view over items of a blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Matrix {
    /// The id.
    pub id: MatrixId,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Horizontal axis.
    pub x: FieldId,
    /// Vertical axis.
    pub y: FieldId,
    /// Point size.
    pub size: Option<FieldId>,
    /// Point colour.
    pub color: Option<FieldId>,
}

/// A deployment target.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Infrastructure {
    /// The id.
    pub id: InfrastructureId,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// Help text.
    pub help: Option<String>,
    /// What happens to items that are not approved.
    pub policy: Policy,
}

/// The governance policy of an infrastructure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Deploying an item that is not approved is refused.
    Prevent,
    /// Allowed only with an explicit confirmation.
    Warn,
    /// Deploy without checking.
    Always,
}
