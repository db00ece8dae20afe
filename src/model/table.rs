//! Checked table views (`table ID { blueprint B  columns …  filter …  sort
//! … }`): which items of a blueprint a table lists, which columns it shows
//! and in which order. A table belongs to the blueprint it lists; building
//! its rows is the engine's job (`engine::tables`).

use serde::Serialize;

use super::condition::When;
use super::{BlueprintId, FieldId, InfrastructureId, StepId};

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The item's name.
    Name,
    /// Its current step (`FINISHED` past the last).
    Step,
    /// When it last changed.
    Updated,
    /// A field of the item.
    Field(FieldId),
    /// The state of a step's sign-off.
    SignOff(StepId),
    /// The deploy decision on an infrastructure.
    Deploy(InfrastructureId),
}

impl Column {
    /// As written: `risk_tier`, `signoff review`, `deploy prod`; also the
    /// column's key in JSON and its header in CSV.
    pub fn text(&self) -> String {
        match self {
            Column::Name => "name".into(),
            Column::Step => "step".into(),
            Column::Updated => "updated".into(),
            Column::Field(f) => f.to_string(),
            Column::SignOff(s) => format!("signoff {s}"),
            Column::Deploy(i) => format!("deploy {i}"),
        }
    }
}

impl Serialize for Column {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// A table's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sort {
    /// The column sorted on.
    pub column: Column,
    /// Largest first.
    pub descending: bool,
}

/// A declared table view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Table {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// The doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The blueprint whose items it lists.
    #[schema(value_type = String)]
    pub blueprint: BlueprintId,
    /// Its columns, in order.
    #[schema(value_type = Vec<String>)]
    pub columns: Vec<Column>,
    /// Only the items this holds for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub filter: Option<When>,
    /// Its order (default: by id).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub sort: Option<Sort>,
}
