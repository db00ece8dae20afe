//! Checked conditions (`when COND` on a step) and the record of a step
//! found not to apply to an item. A condition names fields that exist and
//! holds values of their types; evaluating it is the engine's job
//! (`engine::rules::conditions`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::signoff::Status;
use super::{BoundField, Duration, FieldType, StepId, Value};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `==` (for a list field: holds the value).
    Eq,
    /// `!=` (for a list field: does not hold the value).
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// What a test asks of its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The field holds a value.
    IsSet,
    /// The field compares so with the value.
    Compare(Compare, Value),
    /// The field's value is one of these (for a list field: one of its values is).
    In(Vec<Value>),
}

/// A test of where an item stands, which only filters (tables, `item
/// list --filter`) make: a step's `when` cannot depend on it.
#[derive(Debug, Clone, PartialEq)]
pub enum StateTest {
    /// `step == STEP` (`equal`) or `step != STEP`.
    Step {
        /// The step.
        step: StepId,
        /// `==` rather than `!=`.
        equal: bool,
    },
    /// `signoff STEP == STATE` (`equal`) or `!=`.
    SignOff {
        /// The step whose sign-off it is.
        step: StepId,
        /// The state.
        status: Status,
        /// `==` rather than `!=`.
        equal: bool,
    },
    /// `sla STEP breached`: a review clock of the step's sign-off passed
    /// its SLA this round.
    Breached {
        /// The step whose sign-off it is.
        step: StepId,
    },
    /// `due within N UNIT`: a sign-off of the item is reset (re-certified)
    /// within that time from now.
    DueWithin(Duration),
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Any part holds.
    Any(Vec<Condition>),
    /// Every part holds.
    All(Vec<Condition>),
    /// The part does not hold.
    Not(Box<Condition>),
    /// A test of one field.
    Test {
        /// The field: the item's, or its nearest ancestor's of a blueprint.
        field: BoundField,
        /// The field's type (of one element, for a list field).
        ty: FieldType,
        /// Whether the field is a list.
        list: bool,
        /// What is asked.
        test: Test,
    },
    /// A test of where the item stands (filters only).
    State(StateTest),
}

impl Condition {
    /// Every field it reads, each once, in order of first mention.
    pub fn fields(&self) -> Vec<&BoundField> {
        fn walk<'a>(c: &'a Condition, out: &mut Vec<&'a BoundField>) {
            match c {
                Condition::Any(parts) | Condition::All(parts) => {
                    parts.iter().for_each(|p| walk(p, out));
                }
                Condition::Not(inner) => walk(inner, out),
                Condition::Test { field, .. } => {
                    if !out.contains(&field) {
                        out.push(field);
                    }
                }
                Condition::State(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// A step's `when`: the condition and its text as `govrt fmt` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    /// `risk_tier in (medium, high) or project.field regulated == true`.
    pub text: String,
    /// The checked condition.
    pub condition: Condition,
    /// The fields it reads that not every reader of the item may read
    /// (`read = …`), as bound names: their values are never written into
    /// a skip record or a reason, only `(restricted)`.
    pub restricted: Vec<String>,
}

/// What a skip record or a reason shows for a read-restricted field's value.
pub const RESTRICTED: &str = "(restricted)";

impl Serialize for When {
    /// As its text: what an API client or a reader of the set needs.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Why a step was found not to apply to an item, kept with the item until
/// the workflow moves back before the step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Skip {
    /// What decided: `when COND` as written, or `visible hook`.
    pub decided_by: String,
    /// The values of the fields the condition read, as they were (`null`:
    /// unset), by field (`risk_tier`, `project.field regulated`).
    #[schema(value_type = Object)]
    pub values: BTreeMap<String, serde_json::Value>,
    /// Who moved the workflow past it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Skip {
    /// What decided, on which values: `when risk_tier == high, with
    /// risk_tier = "low"`.
    pub fn reason(&self) -> String {
        reason(&self.decided_by, &self.values)
    }
}

/// What decided whether a step applies, and on which values: `when
/// risk_tier == high, with risk_tier = "low"` (`… not set` for an unset one).
pub fn reason(decided_by: &str, values: &BTreeMap<String, serde_json::Value>) -> String {
    if values.is_empty() {
        return decided_by.to_string();
    }
    let values: Vec<String> = values
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::Null => format!("{k} not set"),
            v => format!("{k} = {v}"),
        })
        .collect();
    format!("{decided_by}, with {}", values.join(", "))
}
