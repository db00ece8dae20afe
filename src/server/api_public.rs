//! The routes anyone may call: health, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::state::Shared;
use super::telemetry;

/// The answer of `/health` and `/health/ready`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct Health {
    /// `ok` (serving) or `ready` (the database answers).
    status: &'static str,
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
