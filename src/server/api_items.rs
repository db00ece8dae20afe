//! API handlers for items: list, create, read, edit, delete, move, status
//! and history (with the item's revision as its ETag).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::engine::{AuditEntry, EditOptions, FieldChange, ItemFilter, ItemView, StatusView};

use super::api_common::*;
use super::auth::Caller;
use super::contract_values;
use super::contract_values::ItemPath;
use super::error::{ApiError, ApiResult};
use super::paging::{self, HistoryQuery, List};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use crate::engine::rules::values::field_text;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Only items of this blueprint.
    pub(super) blueprint: Option<String>,
    /// Only the children of this item.
    #[param(value_type = Option<contract_values::IdText>, inline)]
    pub(super) parent: Option<i64>,
    /// Only items at this step.
    #[param(value_type = Option<contract_values::StepText>, inline)]
    pub(super) step: Option<String>,
    /// Only items whose current sign-off is in this state.
    pub(super) signoff: Option<crate::engine::rules::signoff::Status>,
    /// Only items of this owner (the first user their `owner` role names,
    /// else their creator).
    #[param(value_type = Option<contract_values::NameText>, inline)]
    pub(super) owner: Option<String>,
    /// Only items with this deploy verdict on this infrastructure:
    /// `INFRASTRUCTURE:VERDICT`, e.g. `prod:BLOCK`.
    #[param(value_type = Option<contract_values::DeployFilterText>, inline)]
    pub(super) deploy: Option<String>,
    /// Only items this condition holds for, as a table's `filter` takes it:
    /// `risk_tier == high`, `step == validation`, `signoff validation ==
    /// APPROVED`, `sla validation breached`, `due within 30 days`.
    pub(super) filter: Option<String>,
    /// Items a page (default 500, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub(super) limit: Option<usize>,
    /// Where the page starts: the `X-Next-Cursor` of the page before.
    #[param(value_type = Option<contract_values::ItemCursor>, inline)]
    pub(super) cursor: Option<String>,
}

/// A new item.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateBody {
    /// Its blueprint.
    pub(super) blueprint: String,
    /// Its name.
    #[schema(schema_with = contract_values::item_name)]
    pub(super) name: String,
    /// The parent's id, as answers write ids (a string of digits).
    #[serde(default, deserialize_with = "item_id")]
    #[schema(schema_with = contract_values::id_or_null)]
    pub(super) parent: Option<i64>,
    /// Field values by field id.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(super) fields: serde_json::Map<String, Value>,
    /// An ACTIVE version of the blueprint (default: the newest ACTIVE one).
    #[serde(default, deserialize_with = "optional_version")]
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    pub(super) version: Option<u32>,
}

/// An edit of an item's fields: at least one field set or cleared.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PatchBody {
    /// Values to set by field id (`null` clears the field).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(super) set: serde_json::Map<String, Value>,
    /// Fields to clear.
    #[serde(default)]
    pub(super) unset: Vec<String>,
    /// Admins: keep the reviews and decisions bound to the fields changed.
    #[serde(default)]
    pub(super) keep_approvals: bool,
}

/// Where to move an item in its workflow.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MoveBody {
    /// The step to move to.
    pub(super) step: String,
}

/// Items the caller may read, a page at a time, by id.
#[utoipa::path(get, path = "/items", tag = "items", params(ListQuery), responses(
    (status = 200, description = "A page of items", body = Vec<ItemView>)))]
pub(super) async fn list_items(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let limit = paging::limit(q.limit)?;
    let after = paging::number_after(List::Items, q.cursor.as_deref())?;
    // What the document says of each filter, checked as it says it.
    let ident = |t: &str| {
        t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let bad = |what: &str, value: &str, help: &str| {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("`{value}` is not {what}"),
            Some(help.into()),
        ))
    };
    if let Some(step) = q.step.as_deref().filter(|s| !ident(s)) {
        return bad(
            "a step id",
            step,
            "name a step of the blueprint, e.g. `review`",
        );
    }
    if let Some(owner) = q.owner.as_deref().filter(|o| {
        o.is_empty()
            || o.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == ':' || c == ',')
    }) {
        return bad("a user name", owner, "name a user, e.g. `alice`");
    }
    if let Some(deploy) = q.deploy.as_deref().filter(|d| {
        !d.split_once(':')
            .is_some_and(|(i, v)| ident(i) && ["ALLOW", "CONFIRM", "BLOCK"].contains(&v))
    }) {
        return bad(
            "INFRASTRUCTURE:VERDICT",
            deploy,
            "write `deploy=INFRASTRUCTURE:VERDICT`, e.g. `deploy=prod:BLOCK`",
        );
    }
    let deploy = match q.deploy.as_deref().map(crate::engine::parse_deploy_filter) {
        Some(Err(why)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                why,
                Some("write `deploy=INFRASTRUCTURE:VERDICT`, e.g. `deploy=prod:BLOCK`".into()),
            ));
        }
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let filter = ItemFilter {
        step: q.step,
        signoff: q.signoff,
        owner: q.owner,
        deploy,
        condition: q.filter,
        ..ItemFilter::of(q.blueprint.as_deref(), q.parent)
    };
    let (items, next) =
        with_engine(&state, move |e| e.items_page(&who, &filter, after, limit)).await?;
    paging::page(&items, next.map(|n| List::Items.number_cursor(n)))
}

/// Creates an item.
#[utoipa::path(post, path = "/items", tag = "items", request_body = CreateBody, responses(
    (status = 201, description = "The new item", body = ItemView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn create_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<CreateBody>,
) -> ApiResult {
    let sets: Vec<(String, String)> = body
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), field_text(v)))
        .collect();
    let item = with_writer(&state, move |e| {
        let new = crate::engine::NewItem {
            blueprint: &body.blueprint,
            version: body.version,
            name: &body.name,
            parent: body.parent,
            sets: &sets,
        };
        e.create(&who, &new, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::CREATED, &item)?, revision))
}

/// An item.
#[utoipa::path(get, path = "/items/{id}", tag = "items", params(ItemPath), responses(
    (status = 200, description = "The item", body = ItemView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn get_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let item = with_engine(&state, move |e| e.item(&who, id)).await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

/// Sets or clears fields of an item.
#[utoipa::path(patch, path = "/items/{id}", tag = "items", params(ItemPath, IfMatch), request_body = PatchBody, responses(
    (status = 200, description = "The item, edited", body = ItemView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn patch_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<PatchBody>,
) -> ApiResult {
    let expected = if_match(&headers)?;
    if body.set.is_empty() && body.unset.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "the edit changes nothing",
            Some("give the fields to change in `set` (`{\"set\": {\"FIELD\": VALUE}}`) or to clear in `unset`".into()),
        ));
    }
    let mut changes: Vec<FieldChange> = body
        .set
        .iter()
        .map(|(k, v)| {
            if v.is_null() {
                FieldChange::Unset(k.clone())
            } else {
                FieldChange::Set(k.clone(), field_text(v))
            }
        })
        .collect();
    changes.extend(body.unset.into_iter().map(FieldChange::Unset));
    let options = EditOptions {
        expect_revision: expected,
        now: None,
        keep_approvals: body.keep_approvals,
    };
    let item = with_writer(&state, move |e| {
        e.set_fields_with(&who, id, &changes, options)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

/// Deletes an item (audited; its history stays).
#[utoipa::path(delete, path = "/items/{id}", tag = "items", params(ItemPath), responses(
    (status = 204, description = "Deleted")))]
pub(super) async fn delete_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.delete_item(&who, id, None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Moves an item to the next step of its workflow.
#[utoipa::path(post, path = "/items/{id}/advance", tag = "items", params(ItemPath, IfMatch), responses(
    (status = 200, description = "The item, moved", body = ItemView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn advance(
    State(state): State<Shared>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let expected = if_match(&headers)?;
    let item = with_writer(&state, move |e| e.move_item(&who, id, None, expected, None)).await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

/// Moves an item to a step of its workflow.
#[utoipa::path(post, path = "/items/{id}/move", tag = "items", params(ItemPath, IfMatch), request_body = MoveBody, responses(
    (status = 200, description = "The item, moved", body = ItemView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn move_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<MoveBody>,
) -> ApiResult {
    let expected = if_match(&headers)?;
    let item = with_writer(&state, move |e| {
        e.move_item(&who, id, Some(&body.step), expected, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

/// An item's governance status: steps, sign-offs, deploy decisions.
#[utoipa::path(get, path = "/items/{id}/status", tag = "items", params(ItemPath), responses(
    (status = 200, description = "The status", body = StatusView, headers(("etag" = String, description = "The item's revision")))))]
pub(super) async fn status(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let s = with_engine(&state, move |e| e.status(&who, id)).await?;
    let revision = s.item.revision;
    Ok(with_etag(ok(StatusCode::OK, &s)?, revision))
}

/// An item's audit trail, oldest first.
#[utoipa::path(get, path = "/items/{id}/history", tag = "items", params(ItemPath, HistoryQuery), responses(
    (status = 200, description = "The audit entries", body = Vec<AuditEntry>)))]
pub(super) async fn history(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    let limit = paging::limit(q.limit)?;
    let after = paging::number_after(List::History, q.cursor.as_deref())?;
    let (events, next) =
        with_engine(&state, move |e| e.history_page(&who, id, after, limit)).await?;
    paging::page(&events, next.map(|n| List::History.number_cursor(n)))
}
