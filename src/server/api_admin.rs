//! API handlers for administration: blueprints (list, reload) and running
//! one hook.

use super::api_common::ok;
use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use crate::engine::{HookSubject, MigrateRequest, MigrationReport, VersionState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type,
};

use crate::engine::LoadReport;

/// One hook to run: on a stored item (`item`), or on an item given as JSON
/// (`blueprint` and `item_json`); one of the two, not both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HookBody {
    /// The script function.
    pub(super) function: String,
    /// A stored item's id.
    #[serde(default, deserialize_with = "super::api_common::item_id")]
    pub(super) item: Option<i64>,
    /// With `item_json`: the blueprint the item is of.
    pub(super) blueprint: Option<String>,
    /// An item as JSON (`{"name": …, "fields": {…}}`).
    pub(super) item_json: Option<Value>,
    /// Arguments after the item.
    #[serde(default)]
    pub(super) args: Vec<String>,
}

impl utoipa::PartialSchema for HookBody {
    /// One of the two shapes, each closed to other keys.
    fn schema() -> RefOr<Schema> {
        let shape = |title: &str, description: &str, keys: &[(&str, RefOr<Schema>)]| {
            let mut object = ObjectBuilder::new()
                .title(Some(title))
                .description(Some(description))
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .property(
                    "function",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some("The script function.")),
                )
                .required("function")
                .property(
                    "args",
                    ArrayBuilder::new()
                        .items(ObjectBuilder::new().schema_type(Type::String))
                        .description(Some("Arguments after the item.")),
                );
            for (key, schema) in keys {
                object = object.property(*key, schema.clone()).required(*key);
            }
            object
        };
        let item_json = RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ItemJson"));
        let blueprint = ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("The blueprint the item is of."))
            .into();
        OneOfBuilder::new()
            .item(shape(
                "StoredItemHook",
                "On a stored item.",
                &[("item", super::contract_values::id())],
            ))
            .item(shape(
                "GivenItemHook",
                "On an item given as JSON.",
                &[("blueprint", blueprint), ("item_json", item_json)],
            ))
            .into()
    }
}

impl ToSchema for HookBody {}

/// A stored blueprint version.
#[derive(Serialize, ToSchema)]
pub(super) struct BlueprintVersion {
    /// The blueprint.
    blueprint: String,
    /// The stored version the runtime counts.
    version: u32,
    /// The version the blueprint declares.
    declared_version: u32,
    /// When it was loaded.
    loaded_at: String,
    /// DRAFT (takes no items), ACTIVE (items may be created with it) or
    /// ARCHIVED (takes no new items).
    state: VersionState,
}

/// A blueprint's stored version, as a reload names it.
#[derive(Serialize, ToSchema)]
pub(super) struct VersionRef {
    /// The blueprint.
    blueprint: String,
    /// The stored version.
    version: u32,
}

/// What a reload did.
#[derive(Serialize, ToSchema)]
pub(super) struct Reloaded {
    /// Blueprints stored as a new version.
    new_versions: Vec<VersionRef>,
    /// Blueprints unchanged since their newest version.
    unchanged: Vec<VersionRef>,
    /// Running items on a step a new version removes, that no `migrate`
    /// block of the set moves.
    stranded: Vec<crate::engine::Stranded>,
}

impl From<LoadReport> for Reloaded {
    fn from(report: LoadReport) -> Reloaded {
        let refs = |list: Vec<(String, u32)>| {
            list.into_iter()
                .map(|(blueprint, version)| VersionRef { blueprint, version })
                .collect()
        };
        Reloaded {
            new_versions: refs(report.new_versions),
            unchanged: refs(report.unchanged),
            stranded: report.stranded,
        }
    }
}

/// The newest version of each blueprint.
#[utoipa::path(get, path = "/blueprints", tag = "admin",
    responses((status = 200, description = "The blueprints", body = Vec<BlueprintVersion>)))]
pub(super) async fn blueprints(State(state): State<Shared>, Caller(_caller): Caller) -> ApiResult {
    let versions = with_engine(&state, |e| e.blueprint_versions()).await?;
    let listed: Vec<BlueprintVersion> = versions
        .into_iter()
        .map(|v| BlueprintVersion {
            state: VersionState::parse(&v.state),
            blueprint: v.blueprint,
            version: v.version,
            declared_version: v.declared,
            loaded_at: v.loaded_at,
        })
        .collect();
    ok(StatusCode::OK, &listed)
}

/// Reloads the blueprints from the daemon's `--blueprints DIR` (admins).
#[utoipa::path(post, path = "/blueprints", tag = "admin",
    responses((status = 200, description = "What the reload did", body = Reloaded)))]
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
    ok(StatusCode::OK, &Reloaded::from(report))
}

/// A migration to run (or to report, with `dry_run`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct MigrateBody {
    /// The version items move from.
    #[serde(deserialize_with = "super::api_common::version_number")]
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    pub(super) from: u32,
    /// The version they move to (its set holds the `migrate` block).
    #[serde(deserialize_with = "super::api_common::version_number")]
    #[schema(minimum = 1, maximum = 4294967295_u64)]
    pub(super) to: u32,
    /// Report what would change and what stops each item; change nothing.
    #[serde(default)]
    pub(super) dry_run: bool,
    /// Only these items (default: every item of the old version).
    #[serde(default, deserialize_with = "super::api_common::item_ids")]
    #[schema(schema_with = super::contract_values::ids)]
    pub(super) items: Vec<i64>,
}

/// Moves running items of a blueprint to another version by the set's
/// `migrate` block, one item per transaction (admins); with `dry_run`,
/// reports what would change and what stops each item.
#[utoipa::path(post, path = "/blueprints/{blueprint}/migrate", tag = "admin",
    params(("blueprint" = String, Path, description = "The blueprint")),
    request_body = MigrateBody,
    responses((status = 200, description = "What the migration did, or would do", body = MigrationReport)))]
pub(super) async fn migrate(
    State(state): State<Shared>,
    Caller(who): Caller,
    axum::extract::Path(blueprint): axum::extract::Path<String>,
    Json(body): Json<MigrateBody>,
) -> ApiResult {
    let report = with_writer(&state, move |e| {
        let request = MigrateRequest {
            blueprint: &blueprint,
            from: body.from,
            to: body.to,
            dry_run: body.dry_run,
            items: &body.items,
        };
        e.migrate(&who, &request, None)
    })
    .await?;
    ok(StatusCode::OK, &report)
}

/// Runs one hook function and answers what it returned.
#[utoipa::path(post, path = "/hooks/test", tag = "admin", request_body = HookBody,
    responses((status = 200, description = "What the function returned", body = Object)))]
pub(super) async fn hook_test(
    State(state): State<Shared>,
    Caller(who): Caller,
    Json(body): Json<HookBody>,
) -> ApiResult {
    hook_test_allowed(&state, &who.name)?;
    let subject = match (body.item, body.blueprint, body.item_json) {
        (Some(id), None, None) => HookSubject::Item(id),
        (None, Some(blueprint), Some(item)) => HookSubject::Json { blueprint, item },
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                "give `item`, or `blueprint` and `item_json`, not both",
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
