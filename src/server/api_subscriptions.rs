//! API handlers for following items, and the signed unsubscribe link of
//! every e-mail.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::api_items::ok;
use super::auth::Caller;
use super::error::ApiResult;
use super::pool::{with_engine, with_writer};
use super::state::Shared;

#[derive(Deserialize)]
pub(super) struct UnsubscribeQuery {
    pub(super) user: String,
    pub(super) item: i64,
    pub(super) token: String,
}

pub(super) async fn subscribe(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.subscribe(&who, id, true, None)).await?;
    ok(
        StatusCode::OK,
        &json!({"item": id.to_string(), "subscribed": true}),
    )
}

pub(super) async fn unsubscribe(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    with_writer(&state, move |e| e.subscribe(&who, id, false, None)).await?;
    ok(
        StatusCode::OK,
        &json!({"item": id.to_string(), "subscribed": false}),
    )
}

pub(super) async fn subscriptions(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    let rows = with_engine(&state, move |e| e.subscriptions(&who.name)).await?;
    ok(
        StatusCode::OK,
        &rows
            .iter()
            .map(|(i, s)| json!({"item": i.to_string(), "subscribed": s}))
            .collect::<Vec<_>>(),
    )
}

/// The one-click link of every e-mail: no token needed, the link is signed.
/// The link of an e-mail, opened: a page that asks to confirm, so that a
/// mail scanner following links unsubscribes nobody. Changes nothing.
pub(super) async fn unsubscribe_link(Query(q): Query<UnsubscribeQuery>) -> Response {
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
pub(super) async fn unsubscribe_post(
    State(state): State<Shared>,
    Query(q): Query<UnsubscribeQuery>,
) -> Response {
    let item = q.item;
    match with_writer(&state, move |e| e.unsubscribe_with_token(&q.user, q.item, &q.token, None)).await {
        Ok(()) => Html(format!("<!doctype html><title>Unsubscribed</title><p>You will no longer receive mail about item {item} and what lies under it.</p>")).into_response(),
        Err(e) => (e.status, Html("<!doctype html><title>Invalid link</title><p>This unsubscribe link is not valid, or has expired: the footer of a newer mail has a fresh one.</p>".to_string())).into_response(),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}
