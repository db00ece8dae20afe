//! The daemon's router: the routes of [`super::operations`] with their
//! fallbacks, the web UI's pages and static files, and the layers every
//! request goes through (body limit, security headers, request spans).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::operations::{Parts, parts};
use super::state::{BODY_LIMIT, Shared};
use super::{telemetry, web};

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
