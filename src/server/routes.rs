//! The routes of the daemon (each with its operation in the OpenAPI
//! document), health and metrics.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::state::Shared;
use super::{
    api_admin, api_audit, api_items, api_people, api_signoffs, api_subscriptions, api_tables,
};
use super::{telemetry, web};

/// The largest request body the daemon reads.
pub(super) const BODY_LIMIT: usize = 1024 * 1024;

/// The answer of `/health` and `/health/ready`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct Health {
    /// `ok` (serving) or `ready` (the database answers).
    status: &'static str,
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "public", security(()),
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub(super) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::contract::document_json(),
    )
        .into_response()
}

/// Liveness: the daemon serves (whether or not its database answers).
#[utoipa::path(get, path = "/health", tag = "public", security(()),
    responses((status = 200, description = "Serving", body = Health)))]
pub(super) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the database answers (503 while it cannot be reached, so a
/// load balancer sends requests to another replica).
#[utoipa::path(get, path = "/health/ready", tag = "public", security(()),
    responses((status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database cannot be reached", body = super::error::ErrorBody)))]
pub(super) async fn ready(State(state): State<Shared>) -> Response {
    match super::pool::run_blocking(&state, |e| e.ping()).await {
        Ok(Ok(_)) => Json(Health { status: "ready" }).into_response(),
        Ok(Err(e)) => super::error::ApiError::unavailable(&e.to_string()).into_response(),
        Err(e) => super::error::ApiError::unavailable(&e).into_response(),
    }
}

/// Counters, gauges and histograms in Prometheus' text format (the names
/// are in the book's API chapter).
#[utoipa::path(get, path = "/metrics", tag = "public", security(()),
    responses((status = 200, description = "The metrics", content_type = "text/plain", body = String)))]
pub(super) async fn metrics(State(state): State<Shared>) -> Response {
    // What is read from the database: a failure leaves those gauges as they
    // were rather than failing the whole page.
    match super::pool::run_blocking(&state, |e| {
        let outbox = e.outbox_backlog()?;
        let reviews = e.service_counts(None)?;
        Ok::<_, crate::engine::EngineError>((outbox, reviews))
    })
    .await
    {
        Ok(Ok(((pending, oldest), c))) => telemetry::set(&telemetry::Gauges {
            outbox: (
                pending,
                oldest
                    .map(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default())
                    .unwrap_or_default(),
            ),
            reviews: Some((c.running, c.breached, c.at_risk)),
        }),
        Ok(Err(e)) => tracing::warn!(error = %e, "gauges not read for /metrics"),
        Err(e) => tracing::warn!(error = %e, "gauges not read for /metrics"),
    }
    let text = telemetry::handle().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
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

/// The routes of the API and the public ones, with the document they make.
pub(super) struct Parts {
    /// `/api/v1/…`: authenticated.
    pub(super) api: Router<Shared>,
    /// `/health`, `/metrics`, `/unsubscribe`.
    pub(super) public: Router<Shared>,
    /// The operations of both, under the document's header.
    pub(super) documented: utoipa::openapi::OpenApi,
}

/// The annotated routes: each handler's route and its operation in the
/// document come from one `routes!`, so the two cannot disagree.
pub(super) fn parts() -> Parts {
    let (api, api_doc) = OpenApiRouter::new()
        .routes(routes!(api_items::list_items, api_items::create_item))
        .routes(routes!(
            api_items::get_item,
            api_items::patch_item,
            api_items::delete_item
        ))
        .routes(routes!(api_items::advance))
        .routes(routes!(api_items::move_item))
        .routes(routes!(api_items::status))
        .routes(routes!(api_items::history))
        .routes(routes!(api_signoffs::signoff))
        .routes(routes!(api_signoffs::explain))
        .routes(routes!(api_signoffs::who_can))
        .routes(routes!(api_signoffs::deploy))
        .routes(routes!(
            api_subscriptions::subscribe,
            api_subscriptions::unsubscribe
        ))
        .routes(routes!(api_subscriptions::subscriptions))
        .routes(routes!(api_signoffs::reviews))
        .routes(routes!(api_signoffs::recertifications))
        .routes(routes!(api_audit::audit_list))
        .routes(routes!(api_signoffs::matrix))
        .routes(routes!(api_signoffs::controls_report))
        .routes(routes!(api_tables::tables))
        .routes(routes!(api_tables::table))
        .routes(routes!(api_admin::blueprints, api_admin::reload_blueprints))
        .routes(routes!(api_admin::hook_test))
        .routes(routes!(api_admin::migrate))
        .routes(routes!(api_people::users, api_people::add_user))
        .routes(routes!(api_people::set_email))
        .routes(routes!(api_people::disable_user))
        .routes(routes!(api_people::enable_user))
        .routes(routes!(api_people::groups, api_people::add_group))
        .routes(routes!(api_people::add_member))
        .routes(routes!(api_people::remove_member))
        .routes(routes!(api_people::api_keys, api_people::create_api_key))
        .routes(routes!(api_people::revoke_api_key))
        .routes(routes!(api_people::tokens, api_people::create_token))
        .routes(routes!(api_people::revoke_token))
        .routes(routes!(openapi))
        .split_for_parts();
    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(
            api_subscriptions::unsubscribe_link,
            api_subscriptions::unsubscribe_post
        ))
        .split_for_parts();
    Parts {
        api,
        public,
        documented: super::contract::header()
            .merge_from(public_doc)
            .nest("/api/v1", api_doc),
    }
}

/// The routes of the daemon.
pub(super) fn router(state: Shared, static_dir: Option<PathBuf>) -> Router {
    let Parts { api, public, .. } = parts();
    let api = api
        .fallback(super::api_shape::not_found)
        .method_not_allowed_fallback(super::api_shape::method_not_allowed);
    let router = match static_dir {
        Some(dir) => {
            Router::new().nest_service("/static", tower_http::services::ServeDir::new(dir))
        }
        None => Router::new(),
    };
    // The recorder is installed before the first request is counted.
    telemetry::handle();
    router
        .merge(public)
        .nest("/api/v1", api)
        .merge(web::routes())
        .route_layer(axum::middleware::from_fn(telemetry::tag_route))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::idempotency::once,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        // Outside the timeout, so that its answer is reshaped too.
        .layer(axum::middleware::from_fn(super::api_shape::json_errors))
        // Counted as answered, after the errors are shaped.
        .layer(axum::middleware::from_fn(telemetry::observe))
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
