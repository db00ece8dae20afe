//! API handlers for administration: blueprints, users, groups, API keys,
//! tokens, and running one hook.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::HookSubject;

use super::api_items::ok;
use super::auth::{Caller, admin_only};
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};
use super::state::Shared;

#[derive(Deserialize)]
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

#[derive(Deserialize)]
pub(super) struct UserBody {
    pub(super) name: String,
    pub(super) email: Option<String>,
    #[serde(default)]
    pub(super) admin: bool,
}

#[derive(Deserialize)]
pub(super) struct GroupBody {
    pub(super) name: String,
    #[serde(default)]
    pub(super) members: Vec<String>,
}

#[derive(Deserialize)]
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
        e.add_user(&body.name, body.email.as_deref(), body.admin)
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
    with_writer(&state, move |e| e.add_group(&body.name, &body.members)).await?;
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
    with_writer(&state, move |e| e.add_member(&group, &body.name)).await?;
    ok(StatusCode::OK, &reply)
}

pub(super) async fn create_api_key(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<NameBody>,
) -> ApiResult {
    admin_only(&who, "create API keys")?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| e.create_api_key(&body.name)).await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret}),
    )
}

pub(super) async fn create_token(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<NameBody>,
) -> ApiResult {
    admin_only(&who, "create tokens")?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| e.create_token(&body.name)).await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret}),
    )
}

pub(super) async fn hook_test(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<HookBody>,
) -> ApiResult {
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
