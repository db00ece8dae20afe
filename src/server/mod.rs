//! `govrt serve`: the daemon. An HTTP API under `/api/v1` (axum) over the same
//! engine the CLI uses, bearer-token authentication, the signed unsubscribe
//! link, Prometheus-style counters, and background work: due resets and mail
//! delivery on a timer, blueprint reload on `SIGHUP` or `POST /api/v1/blueprints`.
//!
//! SQLite allows one writer at a time: the engine sits behind one mutex and
//! every call runs on the blocking pool, so requests never stall the runtime.

mod api_admin;
mod api_items;
mod api_people;
mod api_shape;
mod api_signoffs;
mod api_subscriptions;
mod auth;
mod daemon;
mod error;
mod field_text;
mod idempotency;
mod pages;
mod pool;
mod routes;
mod state;
mod web;
mod web_reply;
mod web_session;

pub use daemon::serve;
pub use routes::{OPENAPI, ROUTES};
pub use state::ServerConfig;

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn the_openapi_document_lists_exactly_the_routes() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                documented.push((method.clone(), path.clone()));
            }
        }
        documented.sort();
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        routes.sort();
        assert_eq!(documented, routes);
    }
}
