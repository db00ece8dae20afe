//! API handlers for administration: blueprints (list, reload) and running
//! one hook.

use super::api_items::ok;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use crate::engine::HookSubject;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HookBody {
    pub(super) function: String,
    pub(super) item: Option<i64>,
    pub(super) blueprint: Option<String>,
    pub(super) item_json: Option<Value>,
    #[serde(default)]
    pub(super) args: Vec<String>,
}

pub(super) async fn blueprints(State(state): State<Shared>, Caller(_): Caller) -> ApiResult {
    let versions = with_engine(&state, |e| e.blueprint_versions()).await?;
    ok(StatusCode::OK, &versions.iter().map(|(b, v, d, at)| json!({"blueprint": b, "version": v, "declared_version": d, "loaded_at": at})).collect::<Vec<_>>())
}

pub(super) async fn reload_blueprints(
    State(state): State<Shared>,
    Caller(who): Caller,
) -> ApiResult {
    if !who.admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_permitted",
            format!("`{}` may not reload blueprints (admins only)", who.name),
            None,
        ));
    }
    let Some(dir) = state.blueprints.clone() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_input",
            "the daemon was started without `--blueprints DIR`; there is nothing to reload",
            None,
        ));
    };
    let report = with_writer(&state, move |e| e.load_blueprints(&[dir], None)).await?;
    ok(StatusCode::OK, &report)
}

pub(super) async fn hook_test(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<HookBody>,
) -> ApiResult {
    hook_test_allowed(&state, &who.name)?;
    let subject = match (body.item, body.blueprint, body.item_json) {
        (Some(id), _, _) => HookSubject::Item(id),
        (None, Some(blueprint), Some(item)) => HookSubject::Json { blueprint, item },
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "give `item`, or `blueprint` and `item_json`",
                None,
            ));
        }
    };
    let r = with_engine(&state, move |e| {
        e.hook_test(&who, &body.function, subject, &body.args)
    })
    .await?;
    ok(StatusCode::OK, &r)
}

/// Hook test calls one user may make in a minute: each runs a script, so a
/// user cannot keep the daemon's cores busy with them.
pub(super) const HOOK_TESTS_PER_MINUTE: u32 = 30;

/// Counts a hook test call of `user`; refuses it (429) over the limit.
fn hook_test_allowed(state: &Shared, user: &str) -> Result<(), ApiError> {
    let Ok(mut calls) = state.hook_tests.lock() else {
        return Ok(());
    };
    let now = std::time::Instant::now();
    let minute = std::time::Duration::from_secs(60);
    calls.retain(|_, (start, _)| now.duration_since(*start) < minute);
    let (start, n) = calls.entry(user.to_string()).or_insert((now, 0));
    if *n >= HOOK_TESTS_PER_MINUTE {
        let wait = minute.saturating_sub(now.duration_since(*start)).as_secs() + 1;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("`{user}` ran {HOOK_TESTS_PER_MINUTE} hook tests this minute, the limit"),
            Some(format!("try again in {wait} s")),
        ));
    }
    *n += 1;
    Ok(())
}
