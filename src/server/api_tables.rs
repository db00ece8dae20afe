//! API handlers for the table views declared in the blueprint set: the list
//! of tables, and a page of one table's rows.

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::engine::{TableSummary, TableView};

use super::api_common::ok;
use super::auth::Caller;
use super::error::ApiResult;
use super::paging::{self, List, TableQuery};
use super::pool::with_engine;
use super::state::Shared;

/// The table a path names.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct TablePath {
    /// The table's id.
    #[param(value_type = super::contract_values::TableText, inline)]
    pub(super) id: String,
}

/// The tables declared in the newest version of every blueprint.
#[utoipa::path(get, path = "/tables", tag = "reports",
    responses((status = 200, description = "The tables", body = Vec<TableSummary>)))]
pub(super) async fn tables(State(state): State<Shared>, Caller(_who): Caller) -> ApiResult {
    let list = with_engine(&state, |e| e.tables()).await?;
    ok(axum::http::StatusCode::OK, &list)
}

/// A page of a table's rows: the items of its blueprint the caller may read
/// where its filter holds, in its order (`next`, also in `X-Next-Cursor`, is
/// the cursor of the next page).
#[utoipa::path(get, path = "/tables/{id}", tag = "reports", params(TablePath, TableQuery),
    responses((status = 200, description = "A page of the table", body = TableView)))]
pub(super) async fn table(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(path): Path<TablePath>,
    Query(q): Query<TableQuery>,
) -> ApiResult {
    let limit = paging::limit(q.limit)?;
    paging::cursor_of_any(&[List::Table, List::TableRows], q.cursor.as_deref())?;
    let view = with_engine(&state, move |e| {
        e.table(&who, &path.id, Some(limit), q.cursor.as_deref())
    })
    .await?;
    let next = view.next.clone();
    paging::page(&view, next)
}
