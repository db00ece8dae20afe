//! API handlers for people and credentials (admins only): users (add,
//! disable, enable, e-mail), groups and their members, tokens and API keys
//! (create with an optional expiry, list, revoke). Each change is audited
//! with the admin who made it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::api_items::ok;
use super::auth::{Caller, admin_only};
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use crate::store::CredentialRow;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserBody {
    pub(super) name: String,
    pub(super) email: Option<String>,
    #[serde(default)]
    pub(super) admin: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupBody {
    pub(super) name: String,
    #[serde(default)]
    pub(super) members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NameBody {
    pub(super) name: String,
}

pub(super) async fn users(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    admin_only(&who, "list users")?;
    let users = with_engine(&state, |e| e.users()).await?;
    ok(StatusCode::OK, &users)
}

pub(super) async fn add_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<UserBody>,
) -> ApiResult {
    admin_only(&who, "add users")?;
    let reply = json!({"name": body.name, "email": body.email, "admin": body.admin});
    with_writer(&state, move |e| {
        e.add_user(&who, &body.name, body.email.as_deref(), body.admin)
    })
    .await?;
    ok(StatusCode::CREATED, &reply)
}

pub(super) async fn groups(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    admin_only(&who, "list groups")?;
    let groups = with_engine(&state, |e| e.groups()).await?;
    ok(
        StatusCode::OK,
        &groups
            .iter()
            .map(|(g, m)| json!({"name": g, "members": m}))
            .collect::<Vec<_>>(),
    )
}

pub(super) async fn add_group(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<GroupBody>,
) -> ApiResult {
    admin_only(&who, "add groups")?;
    let reply = json!({"name": body.name, "members": body.members});
    with_writer(&state, move |e| {
        e.add_group(&who, &body.name, &body.members)
    })
    .await?;
    ok(StatusCode::CREATED, &reply)
}

pub(super) async fn add_member(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(group): Path<String>,
    Json(body): Json<NameBody>,
) -> ApiResult {
    admin_only(&who, "change groups")?;
    let reply = json!({"group": group, "user": body.name});
    with_writer(&state, move |e| e.add_member(&who, &group, &body.name)).await?;
    ok(StatusCode::OK, &reply)
}

pub(super) async fn create_api_key(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<CredentialBody>,
) -> ApiResult {
    admin_only(&who, "create API keys")?;
    let expires_at = expires_at(body.expires.as_deref())?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| {
        e.create_api_key(&who, &body.name, expires_at)
    })
    .await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret, "expires_at": expires_at}),
    )
}

pub(super) async fn create_token(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<CredentialBody>,
) -> ApiResult {
    admin_only(&who, "create tokens")?;
    let expires_at = expires_at(body.expires.as_deref())?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| {
        e.create_token(&who, &body.name, expires_at)
    })
    .await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret, "expires_at": expires_at}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialBody {
    /// The user of a token, or the API key's name.
    pub(super) name: String,
    /// How long it works: `90d`, `12h`, `30m`, `2w` (default: until revoked).
    pub(super) expires: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmailBody {
    /// The new address, or null to remove it.
    pub(super) email: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct TokenQuery {
    /// Only this user's tokens.
    pub(super) user: Option<String>,
}

/// An `expires` duration as a time from now.
fn expires_at(text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(text
        .map(|t| crate::engine::expiry(t, Utc::now()))
        .transpose()?)
}

/// Credentials as the API lists them (never their secrets).
fn listed(rows: &[CredentialRow], owner: &str) -> Vec<serde_json::Value> {
    rows.iter()
        .map(|c| json!({"id": c.id.to_string(), owner: c.name, "created_at": c.created_at, "expires_at": c.expires_at, "last_used_at": c.last_used_at}))
        .collect()
}

pub(super) async fn tokens(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<TokenQuery>,
) -> ApiResult {
    admin_only(&who, "list tokens")?;
    let rows = with_engine(&state, move |e| e.tokens(q.user.as_deref())).await?;
    ok(StatusCode::OK, &listed(&rows, "user"))
}

pub(super) async fn revoke_token(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    admin_only(&who, "revoke tokens")?;
    with_writer(&state, move |e| e.revoke_token(&who, id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn api_keys(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    admin_only(&who, "list API keys")?;
    let rows = with_engine(&state, |e| e.api_keys()).await?;
    ok(StatusCode::OK, &listed(&rows, "name"))
}

pub(super) async fn revoke_api_key(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "revoke API keys")?;
    with_writer(&state, move |e| e.revoke_api_key(&who, &name)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn disable_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "disable users")?;
    let reply = json!({"name": name, "disabled": true});
    with_writer(&state, move |e| e.set_user_disabled(&who, &name, true)).await?;
    ok(StatusCode::OK, &reply)
}

pub(super) async fn enable_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "enable users")?;
    let reply = json!({"name": name, "disabled": false});
    with_writer(&state, move |e| e.set_user_disabled(&who, &name, false)).await?;
    ok(StatusCode::OK, &reply)
}

pub(super) async fn set_email(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
    Json(body): Json<EmailBody>,
) -> ApiResult {
    admin_only(&who, "change users")?;
    let reply = json!({"name": name, "email": body.email});
    with_writer(&state, move |e| {
        e.set_user_email(&who, &name, body.email.as_deref())
    })
    .await?;
    ok(StatusCode::OK, &reply)
}

pub(super) async fn remove_member(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path((group, user)): Path<(String, String)>,
) -> ApiResult {
    admin_only(&who, "change groups")?;
    with_writer(&state, move |e| e.remove_member(&who, &group, &user)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
