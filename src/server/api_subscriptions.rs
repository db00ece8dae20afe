//! API handlers for following items, and the signed unsubscribe link of
//! every e-mail.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api_common::ok;
use super::auth::Caller;
use super::contract_values::ItemPath;
use super::error::ApiResult;
use super::paging::{self, List, SubscriptionsQuery};
use super::pool::{with_engine, with_writer};
use super::state::Shared;

/// The signed link of an e-mail's footer.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UnsubscribeQuery {
    /// The user the mail went to.
    pub(super) user: String,
    /// The item the mail was about.
    #[param(value_type = super::contract_values::IdText, inline)]
    pub(super) item: i64,
    /// The link's signature.
    pub(super) token: String,
}

/// Whether a user follows an item (and what lies under it).
#[derive(Serialize, ToSchema)]
pub(super) struct Subscription {
    /// The item.
    item: String,
    /// Followed (`true`) or muted (`false`).
    subscribed: bool,
}

/// Follows an item: mail about it and what lies under it.
#[utoipa::path(post, path = "/items/{id}/subscription", tag = "subscriptions", params(ItemPath),
    responses((status = 200, description = "The subscription", body = Subscription)))]
pub(super) async fn subscribe(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.subscribe(&who, id, true, None)).await?;
    ok(
        StatusCode::OK,
        &Subscription {
            item: id.to_string(),
            subscribed: true,
        },
    )
}

/// Mutes an item.
#[utoipa::path(delete, path = "/items/{id}/subscription", tag = "subscriptions", params(ItemPath),
    responses((status = 200, description = "The subscription", body = Subscription)))]
pub(super) async fn unsubscribe(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.subscribe(&who, id, false, None)).await?;
    ok(
        StatusCode::OK,
        &Subscription {
            item: id.to_string(),
            subscribed: false,
        },
    )
}

/// The caller's subscriptions.
#[utoipa::path(get, path = "/subscriptions", tag = "subscriptions", params(SubscriptionsQuery),
    responses((status = 200, description = "The subscriptions", body = Vec<Subscription>)))]
pub(super) async fn subscriptions(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<SubscriptionsQuery>,
) -> ApiResult {
    let limit = paging::limit(q.limit)?;
    let after = paging::number_after(List::Subscriptions, q.cursor.as_deref())?;
    let (rows, next) = with_engine(&state, move |e| {
        e.subscriptions_page(&who.name, after, limit)
    })
    .await?;
    paging::page(
        &rows
            .iter()
            .map(|(i, subscribed)| Subscription {
                item: i.to_string(),
                subscribed: *subscribed,
            })
            .collect::<Vec<_>>(),
        next.map(|n| List::Subscriptions.number_cursor(n)),
    )
}

/// The one-click link of every e-mail: no token needed, the link is signed.
/// The link of an e-mail, opened: a page that asks to confirm, so that a
/// mail scanner following links unsubscribes nobody. Changes nothing.
#[utoipa::path(get, path = "/unsubscribe", tag = "public", security(()), params(UnsubscribeQuery),
    responses((status = 200, description = "A page asking to confirm", content_type = "text/html", body = String),
        (status = "default", description = "The link is malformed", content_type = "text/html", body = String)))]
pub(super) async fn unsubscribe_link(
    q: Result<Query<UnsubscribeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return invalid_link(StatusCode::BAD_REQUEST);
    };
    let query = serde_urlencoded::to_string([
        ("user", q.user.as_str()),
        ("item", &q.item.to_string()),
        ("token", q.token.as_str()),
    ])
    .unwrap_or_default();
    Html(format!(
        "<!doctype html><title>Unsubscribe</title><p>Stop receiving mail about item {item} and what lies under it?</p><form method=\"post\" action=\"/unsubscribe?{query}\"><button type=\"submit\">Unsubscribe</button></form>",
        item = q.item,
        query = html_escape(&query),
    ))
    .into_response()
}

/// The unsubscribe itself: the confirmation page's button, or a mail
/// client's one-click POST (RFC 8058 `List-Unsubscribe-Post`). The signed,
/// expiring token is its authority; no session is needed.
#[utoipa::path(post, path = "/unsubscribe", tag = "public", security(()), params(UnsubscribeQuery),
    responses((status = 200, description = "Unsubscribed", content_type = "text/html", body = String),
        (status = "default", description = "The link is not valid, or has expired", content_type = "text/html", body = String)))]
pub(super) async fn unsubscribe_post(
    State(state): State<Shared>,
    q: Result<Query<UnsubscribeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return invalid_link(StatusCode::BAD_REQUEST);
    };
    let item = q.item;
    match with_writer(&state, move |e| e.unsubscribe_with_token(&q.user, q.item, &q.token, None)).await {
        Ok(()) => Html(format!("<!doctype html><title>Unsubscribed</title><p>You will no longer receive mail about item {item} and what lies under it.</p>")).into_response(),
        Err(e) => invalid_link(e.status),
    }
}

/// The page of a link that is not valid.
fn invalid_link(status: StatusCode) -> Response {
    (status, Html("<!doctype html><title>Invalid link</title><p>This unsubscribe link is not valid, or has expired: the footer of a newer mail has a fresh one.</p>")).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
