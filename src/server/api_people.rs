//! API handlers for people and credentials (admins only): users (add,
//! disable, enable, e-mail), groups and their members, tokens and API keys
//! (create with an optional expiry, list, revoke). Each change is audited
//! with the admin who made it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api_common::ok;
use super::auth::{Caller, admin_only};
use super::contract_values;
use super::error::{ApiError, ApiResult};
use super::paging::{self, List, UsersQuery};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use crate::store::{CredentialRow, UserRow};

/// A user, as added and as answered.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserBody {
    /// The name.
    #[schema(schema_with = contract_values::name)]
    pub(super) name: String,
    /// The e-mail address.
    #[schema(schema_with = contract_values::email_or_null)]
    pub(super) email: Option<String>,
    /// May act for anyone.
    #[serde(default)]
    pub(super) admin: bool,
}

/// A group and its members, as added and as answered.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupBody {
    /// The name.
    #[schema(schema_with = contract_values::name)]
    pub(super) name: String,
    /// Its members.
    #[serde(default)]
    #[schema(schema_with = contract_values::names)]
    pub(super) members: Vec<String>,
}

/// A user to add to a group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NameBody {
    /// The user.
    #[schema(schema_with = contract_values::name)]
    pub(super) name: String,
}

/// A user added to a group.
#[derive(Serialize, ToSchema)]
pub(super) struct Membership {
    /// The group.
    group: String,
    /// The user.
    user: String,
}

/// A new credential: its secret is shown this once.
#[derive(Serialize, ToSchema)]
pub(super) struct NewCredential {
    /// The user of a token, or the API key's name.
    name: String,
    /// The secret to send as `Authorization: Bearer SECRET`.
    secret: String,
    /// When it stops working, if it expires.
    expires_at: Option<DateTime<Utc>>,
}

/// A credential as listed (never its secret).
#[derive(Serialize, ToSchema)]
pub(super) struct ListedCredential {
    /// Its id (what revoking takes).
    id: String,
    /// The user of a token, or the API key's name.
    name: String,
    /// When it was made.
    created_at: DateTime<Utc>,
    /// When it stops working, if it expires.
    expires_at: Option<DateTime<Utc>>,
    /// When it was last used (recorded at most once an hour).
    last_used_at: Option<DateTime<Utc>>,
}

/// A user disabled or enabled.
#[derive(Serialize, ToSchema)]
pub(super) struct Disabled {
    /// The user.
    name: String,
    /// Whether their credentials are refused.
    disabled: bool,
}

/// A user's address changed.
#[derive(Serialize, ToSchema)]
pub(super) struct EmailChanged {
    /// The user.
    name: String,
    /// The new address (null: none).
    email: Option<String>,
}

/// Every user (admins).
#[utoipa::path(get, path = "/users", tag = "people", params(UsersQuery),
    responses((status = 200, description = "The users, by name", body = Vec<UserRow>)))]
pub(super) async fn users(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<UsersQuery>,
) -> ApiResult {
    admin_only(&who, "list users")?;
    let limit = paging::limit(q.limit)?;
    let after = paging::text_after(List::Users, q.cursor.as_deref())?;
    let (users, next) = with_engine(&state, move |e| e.users_page(after.as_deref(), limit)).await?;
    paging::page(&users, next.map(|n| List::Users.text_cursor(&n)))
}

/// Adds a user (admins).
#[utoipa::path(post, path = "/users", tag = "people", request_body = UserBody,
    responses((status = 201, description = "The user", body = UserBody)))]
pub(super) async fn add_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<UserBody>,
) -> ApiResult {
    admin_only(&who, "add users")?;
    let body = with_writer(&state, move |e| {
        e.add_user(&who, &body.name, body.email.as_deref(), body.admin)?;
        Ok(body)
    })
    .await?;
    ok(StatusCode::CREATED, &body)
}

/// Every group and its members (admins).
#[utoipa::path(get, path = "/groups", tag = "people",
    responses((status = 200, description = "The groups", body = Vec<GroupBody>)))]
pub(super) async fn groups(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    admin_only(&who, "list groups")?;
    let groups = with_engine(&state, |e| e.groups()).await?;
    ok(
        StatusCode::OK,
        &groups
            .into_iter()
            .map(|(name, members)| GroupBody { name, members })
            .collect::<Vec<_>>(),
    )
}

/// Adds a group (admins).
#[utoipa::path(post, path = "/groups", tag = "people", request_body = GroupBody,
    responses((status = 201, description = "The group", body = GroupBody)))]
pub(super) async fn add_group(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<GroupBody>,
) -> ApiResult {
    admin_only(&who, "add groups")?;
    let body = with_writer(&state, move |e| {
        e.add_group(&who, &body.name, &body.members)?;
        Ok(body)
    })
    .await?;
    ok(StatusCode::CREATED, &body)
}

/// Adds a user to a group (admins).
#[utoipa::path(post, path = "/groups/{group}/members", tag = "people",
    params(("group" = String, Path, description = "The group")), request_body = NameBody,
    responses((status = 200, description = "The membership", body = Membership)))]
pub(super) async fn add_member(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(group): Path<String>,
    Json(body): Json<NameBody>,
) -> ApiResult {
    admin_only(&who, "change groups")?;
    let reply = with_writer(&state, move |e| {
        e.add_member(&who, &group, &body.name)?;
        Ok(Membership {
            group,
            user: body.name,
        })
    })
    .await?;
    ok(StatusCode::OK, &reply)
}

/// Creates an API key (admins); its secret is answered this once.
#[utoipa::path(post, path = "/apikeys", tag = "people", request_body = CredentialBody,
    responses((status = 201, description = "The key", body = NewCredential)))]
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
        &NewCredential {
            name,
            secret,
            expires_at,
        },
    )
}

/// Creates a user's token (admins); its secret is answered this once.
#[utoipa::path(post, path = "/tokens", tag = "people", request_body = CredentialBody,
    responses((status = 201, description = "The token", body = NewCredential)))]
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
        &NewCredential {
            name,
            secret,
            expires_at,
        },
    )
}

/// A credential to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CredentialBody {
    /// The user of a token, or the API key's name.
    #[schema(schema_with = contract_values::name)]
    pub(super) name: String,
    /// How long it works: `90d`, `12h`, `30m`, `2w` (default: until revoked).
    #[schema(schema_with = contract_values::duration_or_null)]
    pub(super) expires: Option<String>,
}

/// A user's new address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EmailBody {
    /// The new address, or null to remove it.
    #[schema(schema_with = contract_values::email_or_null)]
    pub(super) email: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TokenQuery {
    /// Only this user's tokens.
    pub(super) user: Option<String>,
}

/// `{id}` of a token's route.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(
    dead_code,
    reason = "read by the handler as `Path<i64>`; this documents it"
)]
pub(super) struct TokenPath {
    /// The token's id (as lists write it: a string of digits).
    #[param(value_type = contract_values::IdText, inline)]
    id: String,
}

/// An `expires` duration as a time from now.
fn expires_at(text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(text
        .map(|t| crate::engine::expiry(t, Utc::now()))
        .transpose()?)
}

/// Credentials as the API lists them (never their secrets).
fn listed(rows: Vec<CredentialRow>) -> Vec<ListedCredential> {
    rows.into_iter()
        .map(|c| ListedCredential {
            id: c.id.to_string(),
            name: c.name,
            created_at: c.created_at,
            expires_at: c.expires_at,
            last_used_at: c.last_used_at,
        })
        .collect()
}

/// Users' tokens in force (admins).
#[utoipa::path(get, path = "/tokens", tag = "people", params(TokenQuery),
    responses((status = 200, description = "The tokens", body = Vec<ListedCredential>)))]
pub(super) async fn tokens(
    State(state): State<Shared>,
    Caller(who): Caller,
    Query(q): Query<TokenQuery>,
) -> ApiResult {
    admin_only(&who, "list tokens")?;
    let rows = with_engine(&state, move |e| e.tokens(q.user.as_deref())).await?;
    ok(StatusCode::OK, &listed(rows))
}

/// Revokes a token (admins).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "people",
    params(TokenPath),
    responses((status = 204, description = "Revoked")))]
pub(super) async fn revoke_token(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult {
    admin_only(&who, "revoke tokens")?;
    with_writer(&state, move |e| e.revoke_token(&who, id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// API keys in force (admins).
#[utoipa::path(get, path = "/apikeys", tag = "people",
    responses((status = 200, description = "The keys", body = Vec<ListedCredential>)))]
pub(super) async fn api_keys(State(state): State<Shared>, Caller(who): Caller) -> ApiResult {
    admin_only(&who, "list API keys")?;
    let rows = with_engine(&state, |e| e.api_keys()).await?;
    ok(StatusCode::OK, &listed(rows))
}

/// Revokes an API key (admins).
#[utoipa::path(delete, path = "/apikeys/{name}", tag = "people",
    params(("name" = String, Path, description = "The key's name")),
    responses((status = 204, description = "Revoked")))]
pub(super) async fn revoke_api_key(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "revoke API keys")?;
    with_writer(&state, move |e| e.revoke_api_key(&who, &name)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Disables a user: their credentials stop working (admins).
#[utoipa::path(post, path = "/users/{name}/disable", tag = "people",
    params(("name" = String, Path, description = "The user")),
    responses((status = 200, description = "The user, disabled", body = Disabled)))]
pub(super) async fn disable_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "disable users")?;
    let reply = with_writer(&state, move |e| {
        e.set_user_disabled(&who, &name, true)?;
        Ok(Disabled {
            name,
            disabled: true,
        })
    })
    .await?;
    ok(StatusCode::OK, &reply)
}

/// Enables a disabled user (admins).
#[utoipa::path(post, path = "/users/{name}/enable", tag = "people",
    params(("name" = String, Path, description = "The user")),
    responses((status = 200, description = "The user, enabled", body = Disabled)))]
pub(super) async fn enable_user(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> ApiResult {
    admin_only(&who, "enable users")?;
    let reply = with_writer(&state, move |e| {
        e.set_user_disabled(&who, &name, false)?;
        Ok(Disabled {
            name,
            disabled: false,
        })
    })
    .await?;
    ok(StatusCode::OK, &reply)
}

/// Changes a user's e-mail address (admins).
#[utoipa::path(patch, path = "/users/{name}", tag = "people",
    params(("name" = String, Path, description = "The user")), request_body = EmailBody,
    responses((status = 200, description = "The user's address", body = EmailChanged)))]
pub(super) async fn set_email(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path(name): Path<String>,
    Json(body): Json<EmailBody>,
) -> ApiResult {
    admin_only(&who, "change users")?;
    let reply = with_writer(&state, move |e| {
        e.set_user_email(&who, &name, body.email.as_deref())?;
        Ok(EmailChanged {
            name,
            email: body.email,
        })
    })
    .await?;
    ok(StatusCode::OK, &reply)
}

/// Removes a user from a group (admins).
#[utoipa::path(delete, path = "/groups/{group}/members/{user}", tag = "people",
    params(("group" = String, Path, description = "The group"), ("user" = String, Path, description = "The user")),
    responses((status = 204, description = "Removed")))]
pub(super) async fn remove_member(
    State(state): State<Shared>,
    Caller(who): Caller,
    Path((group, user)): Path<(String, String)>,
) -> ApiResult {
    admin_only(&who, "change groups")?;
    with_writer(&state, move |e| e.remove_member(&who, &group, &user)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
