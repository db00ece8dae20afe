//! API handler for the audit trail searched and exported for an auditor:
//! `GET /audit?since=&until=&actor=&action=&item=&format=json|csv`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::api_common::ok;
use super::auth::Caller;
use super::error::ApiResult;
use super::export;
use super::pool::with_engine;
use super::state::Shared;
use crate::engine::{AuditEntry, AuditQuery};

/// What the trail is searched for; every part is optional.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditParams {
    /// Events at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// Events by this actor.
    actor: Option<String>,
    /// Events of this action (`signoff.approve`), or under a prefix ending in `.` (`signoff.`).
    action: Option<String>,
    /// Events of this item.
    item: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// The audit trail, oldest first: every event for an admin, else the
/// events of the items the caller may read (as each item's history shows
/// them to the caller).
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, description = "The events", content(
        (Vec<AuditEntry> = "application/json"),
        (String = "text/csv")))))]
pub(super) async fn audit_list(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<AuditParams>,
) -> ApiResult {
    let csv = export::wants_csv(q.format.as_deref(), "an audit export format")?;
    let query = AuditQuery {
        since: q.since,
        until: q.until,
        actor: q.actor,
        action: q.action,
        item: q.item,
    };
    let entries = with_engine(&state, move |e| e.audit_list(&who, &query)).await?;
    if csv {
        return Ok(export::csv(crate::render::audit::csv(&entries)));
    }
    ok(StatusCode::OK, &entries)
}
