//! The routes of the daemon, the OpenAPI document they are checked against,
//! health, metrics and the request counter.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::api_admin::{blueprints, hook_test, reload_blueprints};
use super::api_items::{
    advance, create_item, delete_item, get_item, history, list_items, move_item, patch_item, status,
};
use super::api_people::{
    add_group, add_member, add_user, api_keys, create_api_key, create_token, disable_user,
    enable_user, groups, remove_member, revoke_api_key, revoke_token, set_email, tokens, users,
};
use super::api_signoffs::{controls_report, deploy, explain, matrix, reviews, signoff, who_can};
use super::api_subscriptions::{
    subscribe, subscriptions, unsubscribe, unsubscribe_link, unsubscribe_post,
};
use super::state::Shared;
use super::web;

/// The largest request body the daemon reads.
pub(super) const BODY_LIMIT: usize = 1024 * 1024;

/// The OpenAPI document of this API (kept in sync with [`ROUTES`] by a test).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route of the daemon: (method, path as OpenAPI writes it).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("get", "/unsubscribe"),
    ("post", "/unsubscribe"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/items"),
    ("post", "/api/v1/items"),
    ("get", "/api/v1/items/{id}"),
    ("patch", "/api/v1/items/{id}"),
    ("delete", "/api/v1/items/{id}"),
    ("post", "/api/v1/items/{id}/advance"),
    ("post", "/api/v1/items/{id}/move"),
    ("get", "/api/v1/items/{id}/status"),
    ("get", "/api/v1/items/{id}/history"),
    ("post", "/api/v1/items/{id}/signoff/{action}"),
    ("get", "/api/v1/items/{id}/explain"),
    ("get", "/api/v1/items/{id}/who-can"),
    ("get", "/api/v1/items/{id}/deploy/{infrastructure}"),
    ("post", "/api/v1/items/{id}/subscription"),
    ("delete", "/api/v1/items/{id}/subscription"),
    ("get", "/api/v1/subscriptions"),
    ("get", "/api/v1/reviews"),
    ("get", "/api/v1/matrix"),
    ("get", "/api/v1/reports/controls"),
    ("get", "/api/v1/blueprints"),
    ("post", "/api/v1/blueprints"),
    ("post", "/api/v1/hooks/test"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/groups"),
    ("post", "/api/v1/groups"),
    ("post", "/api/v1/groups/{group}/members"),
    ("delete", "/api/v1/groups/{group}/members/{user}"),
    ("patch", "/api/v1/users/{name}"),
    ("post", "/api/v1/users/{name}/disable"),
    ("post", "/api/v1/users/{name}/enable"),
    ("get", "/api/v1/apikeys"),
    ("post", "/api/v1/apikeys"),
    ("delete", "/api/v1/apikeys/{name}"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
];

pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// Liveness: the daemon serves (whether or not its database answers).
pub(super) async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the database answers (503 while it cannot be reached, so a
/// load balancer sends requests to another replica).
pub(super) async fn ready(State(state): State<Shared>) -> Response {
    match super::pool::run_blocking(&state, |e| e.ping()).await {
        Ok(Ok(_)) => Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => super::error::ApiError::unavailable(&e.to_string()).into_response(),
        Err(e) => super::error::ApiError::unavailable(&e).into_response(),
    }
}

pub(super) async fn metrics(State(state): State<Shared>) -> String {
    let mut text = format!(
        "# TYPE govrt_http_requests_total counter\ngovrt_http_requests_total {}\n# TYPE govrt_http_errors_total counter\ngovrt_http_errors_total {}\n# TYPE govrt_background_ticks_total counter\ngovrt_background_ticks_total {}\n",
        state.requests.load(Ordering::Relaxed),
        state.errors.load(Ordering::Relaxed),
        state.ticks.load(Ordering::Relaxed)
    );
    // Review clocks: a failure to read them leaves them out rather than the whole page.
    match super::pool::run_blocking(&state, |e| e.service_counts(None)).await {
        Ok(Ok(c)) => text.push_str(&format!(
            "# HELP govrt_reviews_running Review clocks running with an SLA.\n# TYPE govrt_reviews_running gauge\ngovrt_reviews_running {}\n# HELP govrt_reviews_breached Running review clocks past their SLA.\n# TYPE govrt_reviews_breached gauge\ngovrt_reviews_breached {}\n# HELP govrt_reviews_at_risk Running review clocks with less than a quarter of their SLA left.\n# TYPE govrt_reviews_at_risk gauge\ngovrt_reviews_at_risk {}\n",
            c.running, c.breached, c.at_risk
        )),
        Ok(Err(e)) => tracing::warn!(error = %e, "review clocks not counted for /metrics"),
        Err(e) => tracing::warn!(error = %e, "review clocks not counted for /metrics"),
    }
    text
}

pub(super) async fn count(
    State(state): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    if response.status().is_server_error() || response.status().is_client_error() {
        state.errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// The headers every answer carries: no content-type sniffing, no referrer
/// beyond this site, and a content security policy on every HTML page that
/// does not set its own. (HSTS is the TLS terminator's: see the book's "Operations".)
pub(super) async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
        );
    }
    response
}

/// The span of a request's log lines: its id, method and path.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
}

/// The routes of the daemon.
pub(super) fn router(state: Shared, static_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/items", get(list_items).post(create_item))
        .route(
            "/items/{id}",
            get(get_item).patch(patch_item).delete(delete_item),
        )
        .route("/items/{id}/advance", post(advance))
        .route("/items/{id}/move", post(move_item))
        .route("/items/{id}/status", get(status))
        .route("/items/{id}/history", get(history))
        .route("/items/{id}/signoff/{action}", post(signoff))
        .route("/items/{id}/explain", get(explain))
        .route("/items/{id}/who-can", get(who_can))
        .route("/items/{id}/deploy/{infrastructure}", get(deploy))
        .route(
            "/items/{id}/subscription",
            post(subscribe).delete(unsubscribe),
        )
        .route("/subscriptions", get(subscriptions))
        .route("/reviews", get(reviews))
        .route("/matrix", get(matrix))
        .route("/reports/controls", get(controls_report))
        .route("/blueprints", get(blueprints).post(reload_blueprints))
        .route("/hooks/test", post(hook_test))
        .route("/users", get(users).post(add_user))
        .route("/users/{name}", patch(set_email))
        .route("/users/{name}/disable", post(disable_user))
        .route("/users/{name}/enable", post(enable_user))
        .route("/groups", get(groups).post(add_group))
        .route("/groups/{group}/members", post(add_member))
        .route("/groups/{group}/members/{user}", delete(remove_member))
        .route("/apikeys", get(api_keys).post(create_api_key))
        .route("/apikeys/{name}", delete(revoke_api_key))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/openapi.json", get(openapi))
        .fallback(super::api_shape::not_found)
        .method_not_allowed_fallback(super::api_shape::method_not_allowed);
    let router = match static_dir {
        Some(dir) => {
            Router::new().nest_service("/static", tower_http::services::ServeDir::new(dir))
        }
        None => Router::new(),
    };
    router
        .route("/health", get(health))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/unsubscribe", get(unsubscribe_link).post(unsubscribe_post))
        .nest("/api/v1", api)
        .merge(web::routes())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::idempotency::once,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            count,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Outside the timeout, so that its answer is reshaped too.
        .layer(axum::middleware::from_fn(super::api_shape::json_errors))
        .layer(axum::middleware::from_fn(security_headers))
        // Each request logged with its id (the client's `X-Request-Id`, or
        // a new one), which the answer carries back.
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}
