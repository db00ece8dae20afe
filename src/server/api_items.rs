//! API handlers for items: list, create, read, edit, delete, move, status
//! and history (with the item's revision as its ETag).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::engine::{EditOptions, FieldChange};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::field_text::field_text;
use super::pool::{with_engine, with_writer};
use super::state::Shared;

/// `value` as a JSON answer, serialized once (not through a `serde_json::Value`).
pub(super) fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

pub(super) fn with_etag(mut response: Response, revision: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// The revision an `If-Match` header names.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i64>()
            .map(Some)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    format!("If-Match `{v}` is not an item revision"),
                    Some("send the ETag of the item, e.g. `If-Match: \"3\"`".into()),
                )
            }),
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    pub(super) blueprint: Option<String>,
    pub(super) parent: Option<i64>,
    /// Items a page (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
    pub(super) limit: Option<usize>,
    /// Where the page starts: the `X-Next-Cursor` of the page before.
    pub(super) cursor: Option<String>,
}

/// Items a page unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: usize = 500;
/// The most items a page.
pub(super) const MAX_LIMIT: usize = 1000;

/// A page's cursor as clients see it (opaque: the last id of the page before).
fn cursor_text(after: i64) -> String {
    format!("i{after:x}")
}

/// The id a cursor continues after.
fn cursor_after(text: &str) -> Result<i64, ApiError> {
    text.strip_prefix('i')
        .and_then(|hex| i64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("`{text}` is not a cursor of this list"),
                Some("send back the `X-Next-Cursor` of the page before, as it is; leave `cursor` out for the first page".into()),
            )
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateBody {
    pub(super) blueprint: String,
    pub(super) name: String,
    /// The parent's id: as answers write ids (a string of digits), or a number.
    #[serde(default, deserialize_with = "item_id")]
    pub(super) parent: Option<i64>,
    #[serde(default)]
    pub(super) fields: serde_json::Map<String, Value>,
}

/// An item id as answers write it (`"4"`), or as a number (`4`), so a
/// client may send back what it received.
fn item_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Option::<Id>::deserialize(d)? {
        None => Ok(None),
        Some(Id::Number(n)) => Ok(Some(n)),
        Some(Id::Text(t)) => t.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{t}` is not an item id (a number, or a string of digits)"
            ))
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PatchBody {
    #[serde(default)]
    pub(super) set: serde_json::Map<String, Value>,
    #[serde(default)]
    pub(super) unset: Vec<String>,
    /// Admins: keep the reviews and decisions bound to the fields changed.
    #[serde(default)]
    pub(super) keep_approvals: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MoveBody {
    pub(super) step: String,
}

pub(super) async fn list_items(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("`limit` is {limit}"),
            Some(format!(
                "give a limit from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
            )),
        ));
    }
    let after = q.cursor.as_deref().map(cursor_after).transpose()?;
    let (items, next) = with_engine(&state, move |e| {
        e.items_page(&who, (q.blueprint.as_deref(), q.parent), after, limit)
    })
    .await?;
    let mut answer = ok(StatusCode::OK, &items)?;
    if let Some(next) = next
        && let Ok(value) = axum::http::HeaderValue::from_str(&cursor_text(next))
    {
        answer.headers_mut().insert("x-next-cursor", value);
    }
    Ok(answer)
}

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
        e.create_item(&who, &body.blueprint, &body.name, body.parent, &sets, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::CREATED, &item)?, revision))
}

pub(super) async fn get_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let item = with_engine(&state, move |e| e.item(&who, id)).await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

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
            StatusCode::BAD_REQUEST,
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

pub(super) async fn delete_item(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.delete_item(&who, id, None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

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

pub(super) async fn status(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let s = with_engine(&state, move |e| e.status(&who, id)).await?;
    let revision = s.item.revision;
    Ok(with_etag(ok(StatusCode::OK, &s)?, revision))
}

pub(super) async fn history(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    let events = with_engine(&state, move |e| e.history(&who, id)).await?;
    ok(StatusCode::OK, &events)
}
