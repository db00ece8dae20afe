//! `govrt serve`: the daemon. An HTTP API under `/api/v1` (axum) over the same
//! engine the CLI uses, bearer-token authentication, the signed unsubscribe
//! link, Prometheus-style counters, and background work: due resets and mail
//! delivery on a timer, blueprint reload on `SIGHUP` or `POST /api/v1/blueprints`.
//!
//! SQLite allows one writer at a time: the engine sits behind one mutex and
//! every call runs on the blocking pool, so requests never stall the runtime.

mod api_admin;
mod api_audit;
mod api_common;
mod api_items;
mod api_people;
mod api_public;
mod api_shape;
mod api_signoffs;
mod api_subscriptions;
mod api_tables;
mod auth;
mod contract;
mod contract_values;
mod daemon;
mod error;
mod export;
mod idempotency;
mod operations;
mod optional_body;
mod pages;
mod paging;
mod pool;
mod routes;
mod state;
mod telemetry;
mod web;
mod web_lists;
mod web_reply;
mod web_session;
mod web_views;

pub use daemon::serve;
pub use operations::{document, document_json};
pub use state::ServerConfig;
