//! `govrt serve`: the daemon. An HTTP API under `/api/v1` (axum) over the same
//! engine the CLI uses, bearer-token authentication, the signed unsubscribe
//! link, Prometheus-style counters, and background work: due resets and mail
//! delivery on a timer, blueprint reload on `SIGHUP` or `POST /api/v1/blueprints`.
//!
//! SQLite allows one writer at a time: the engine sits behind one mutex and
//! every call runs on the blocking pool, so requests never stall the runtime.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::engine::Engine;
use crate::notify::Sender;

mod api_admin;
mod api_items;
mod api_signoffs;
mod api_subscriptions;
mod auth;
mod daemon;
mod error;
mod pages;
mod pool;
mod routes;
mod web;
mod web_reply;
mod web_session;

pub use daemon::serve;
use pool::Job;
pub use routes::{OPENAPI, ROUTES};

/// How the daemon runs.
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The blueprint folder reloaded on SIGHUP and `POST /api/v1/blueprints` (default: none, the stored set stays).
    pub blueprints: Option<PathBuf>,
    /// The mail sender, if `--smtp` was given.
    pub sender: Option<Sender>,
    /// How often due resets and mail are processed.
    pub tick_every: Duration,
    /// A folder served as static files under `/static` (the load benchmark's ceiling).
    pub static_dir: Option<PathBuf>,
}

struct AppState {
    /// One engine (one SQLite connection) per concurrent request: readers
    /// never wait for a writer (WAL), writers queue on SQLite's lock.
    engines: Mutex<Vec<Engine>>,
    permits: tokio::sync::Semaphore,
    /// Every write goes to the writer thread (see [`write_loop`]).
    jobs: std::sync::mpsc::Sender<Job>,
    blueprints: Option<PathBuf>,
    sender: Option<Sender>,
    requests: AtomicU64,
    errors: AtomicU64,
    ticks: AtomicU64,
    /// Signed-in browsers of the web UI.
    sessions: web_session::Sessions,
}

type Shared = Arc<AppState>;

/// A field value as the engine reads typed input (a list as `a,b`), and as
/// the web UI's forms and tables show it.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
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
