//! The daemon's metrics, kept with the `metrics` crate and rendered at
//! `/metrics` by its Prometheus exporter: each request's count and latency
//! by method, route and status; the actions taken, by kind; refusals, by
//! code; the outbox's backlog and the age of its oldest pending message;
//! the background tick's lag; the writer's batch sizes; the wait for a
//! pooled engine; and the review clocks. The names are listed in the API
//! chapter of the book.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: a millisecond to ten seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Writer batch sizes: one write to the most a batch takes.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// The process's recorder, installed on first use: `None` if another
/// recorder was installed first (the metrics then go there).
pub(super) fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("govrt_writer_batch_size".into()),
                        BATCH_BUCKETS,
                    )
                })
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "govrt_http_requests_total",
        "Requests answered, by method, route and status."
    );
    describe_histogram!(
        "govrt_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by method, route and status."
    );
    describe_counter!(
        "govrt_actions_total",
        "Actions taken (requests that changed something, and the background tick's resets), by kind."
    );
    describe_counter!("govrt_refusals_total", "Error answers, by code.");
    describe_gauge!(
        "govrt_outbox_pending",
        "Notification messages waiting to be delivered."
    );
    describe_gauge!(
        "govrt_outbox_oldest_pending_seconds",
        Unit::Seconds,
        "Age of the oldest message waiting to be delivered (0 when none waits)."
    );
    describe_gauge!(
        "govrt_tick_lag_seconds",
        Unit::Seconds,
        "How late the last background tick started."
    );
    describe_histogram!(
        "govrt_tick_duration_seconds",
        Unit::Seconds,
        "Time a background tick took."
    );
    describe_counter!("govrt_background_ticks_total", "Background ticks run.");
    describe_histogram!(
        "govrt_writer_batch_size",
        "Writes committed together by the writer."
    );
    describe_histogram!(
        "govrt_pool_wait_seconds",
        Unit::Seconds,
        "Time a request waited for a pooled engine."
    );
    describe_gauge!(
        "govrt_reviews_running",
        "Review clocks running with an SLA."
    );
    describe_gauge!(
        "govrt_reviews_breached",
        "Running review clocks past their SLA."
    );
    describe_gauge!(
        "govrt_reviews_at_risk",
        "Running review clocks with less than a quarter of their SLA left."
    );
}

/// The route a request matched, put on its answer by [`tag_route`] for
/// [`observe`] (which runs outside routing, where the route is not known).
#[derive(Clone)]
struct Route(String);

/// Tags an answer with the route its request matched (a route layer: only
/// matched routes run it; the rest are `unmatched`).
pub(super) async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Counts and times every request by method, route and status; counts the
/// actions (a POST, PATCH or DELETE answered with success), by kind: the
/// method and route, with a sign-off action's name in place of `{action}`.
pub(super) async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |r| r.0.as_str())
        .to_string();
    let status = response.status();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("govrt_http_requests_total", &labels).increment(1);
    metrics::histogram!("govrt_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    let mutating = [Method::POST, Method::PATCH, Method::DELETE].contains(&method);
    if mutating && status.is_success() && route != "unmatched" {
        metrics::counter!("govrt_actions_total", "kind" => action_kind(&method, &route, &path))
            .increment(1);
    }
    response
}

/// An action's kind: `POST /api/v1/items/{id}/signoff/approve`.
fn action_kind(method: &Method, route: &str, path: &str) -> String {
    match route.strip_suffix("{action}") {
        Some(_) => format!("{method} {route}")
            .replace("{action}", path.rsplit('/').next().unwrap_or("{action}")),
        None => format!("{method} {route}"),
    }
}

/// Counts an error answer by its code.
pub(super) fn refused(code: &str) {
    metrics::counter!("govrt_refusals_total", "code" => code.to_string()).increment(1);
}

/// Records a background tick: how late it started, how long it took, and
/// the resets it applied.
pub(super) fn ticked(lag: Duration, took: Duration, resets: usize) {
    metrics::gauge!("govrt_tick_lag_seconds").set(lag.as_secs_f64());
    metrics::histogram!("govrt_tick_duration_seconds").record(took.as_secs_f64());
    metrics::counter!("govrt_background_ticks_total").increment(1);
    metrics::counter!("govrt_actions_total", "kind" => "tick reset").increment(resets as u64);
}

/// Records the size of a batch the writer committed.
pub(super) fn batch(size: usize) {
    metrics::histogram!("govrt_writer_batch_size").record(size as f64);
}

/// Records how long a request waited for a pooled engine.
pub(super) fn pool_wait(waited: Duration) {
    metrics::histogram!("govrt_pool_wait_seconds").record(waited.as_secs_f64());
}

/// The gauges read from the database when `/metrics` is asked for.
pub(super) struct Gauges {
    /// Messages waiting to be delivered, and the age of the oldest.
    pub(super) outbox: (u64, Duration),
    /// Review clocks running, breached, at risk.
    pub(super) reviews: Option<(usize, usize, usize)>,
}

/// Sets the gauges read from the database.
pub(super) fn set(gauges: &Gauges) {
    metrics::gauge!("govrt_outbox_pending").set(gauges.outbox.0 as f64);
    metrics::gauge!("govrt_outbox_oldest_pending_seconds").set(gauges.outbox.1.as_secs_f64());
    if let Some((running, breached, at_risk)) = gauges.reviews {
        metrics::gauge!("govrt_reviews_running").set(running as f64);
        metrics::gauge!("govrt_reviews_breached").set(breached as f64);
        metrics::gauge!("govrt_reviews_at_risk").set(at_risk as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signoff_action_is_its_own_kind() {
        assert_eq!(
            action_kind(
                &Method::POST,
                "/api/v1/items/{id}/signoff/{action}",
                "/api/v1/items/4/signoff/approve"
            ),
            "POST /api/v1/items/{id}/signoff/approve"
        );
        assert_eq!(
            action_kind(&Method::PATCH, "/api/v1/items/{id}", "/api/v1/items/4"),
            "PATCH /api/v1/items/{id}"
        );
    }
}
