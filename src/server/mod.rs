//! `govrt serve`: the daemon. An HTTP API under `/api/v1` (axum) over the same
//! engine the CLI uses, bearer-token authentication, the signed unsubscribe
//! link, Prometheus-style counters, and background work: due resets and mail
//! delivery on a timer, blueprint reload on `SIGHUP` or `POST /api/v1/blueprints`.
//!
//! SQLite allows one writer at a time: the engine sits behind one mutex and
//! every call runs on the blocking pool, so requests never stall the runtime.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::signoff::{Action, Verdict as FeedbackVerdict};
use crate::engine::{Engine, EngineError, FieldChange, HookSubject, Identity, Refusal};
use crate::notify::Sender;

mod pages;
mod web;

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
    sessions: web::Sessions,
}

type Shared = Arc<AppState>;

/// An API error: the CLI's codes, as JSON, with the right status.
struct ApiError {
    status: StatusCode,
    detail: Box<ErrorDetail>,
}

struct ErrorDetail {
    code: String,
    message: String,
    help: Option<String>,
    extra: Option<Value>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ApiError {
        ApiError {
            status,
            detail: Box::new(ErrorDetail {
                code: code.into(),
                message: message.into(),
                help,
                extra: None,
            }),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Refused(r) => {
                let status = match &r {
                    Refusal::NotPermitted { .. } => StatusCode::FORBIDDEN,
                    Refusal::NotFound { .. } => StatusCode::NOT_FOUND,
                    Refusal::StaleRevision { .. }
                    | Refusal::InvalidTransition { .. }
                    | Refusal::LockedWorkflow { .. }
                    | Refusal::SignOffRequired { .. } => StatusCode::CONFLICT,
                    Refusal::InvalidValue { .. } => StatusCode::BAD_REQUEST,
                    Refusal::MissingRequiredFields { .. }
                    | Refusal::RefusedByRule { .. }
                    | Refusal::ScriptFailed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::new(status, r.code(), r.to_string(), r.help())
            }
            EngineError::InvalidBlueprints(diagnostics) => {
                let summary = crate::diag::Summary::of(diagnostics.len(), &diagnostics);
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_blueprint",
                    "the blueprint set is invalid; the loaded set is kept",
                    Some("`govrt validate` shows the same diagnostics".into()),
                );
                err.detail.extra = Some(crate::diag::to_json(summary, &diagnostics));
                err
            }
            EngineError::Store(e) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage",
                e.to_string(),
                None,
            ),
            EngineError::System(e) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e, None)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let d = self.detail;
        let mut body = json!({"error": {"code": d.code, "message": d.message, "help": d.help}});
        if let Some(extra) = d.extra {
            body["diagnostics"] = extra["diagnostics"].clone();
        }
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// Puts an engine back into the pool when dropped, even if its user panicked.
struct Lease<'a> {
    state: &'a AppState,
    engine: Option<Engine>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (Some(engine), Ok(mut pool)) = (self.engine.take(), self.state.engines.lock()) {
            pool.push(engine);
        }
    }
}

/// Runs `f` on an engine of the pool, on the blocking pool.
async fn run_blocking<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> T + Send + 'static,
) -> Result<T, String> {
    let permit = state.permits.acquire().await.map_err(|e| e.to_string())?;
    let state = Arc::clone(state);
    let result = tokio::task::spawn_blocking(move || {
        let engine = state
            .engines
            .lock()
            .map_err(|_| "the engine pool lock is poisoned".to_string())?
            .pop();
        let Some(engine) = engine else {
            return Err("no engine is free".to_string());
        };
        let mut lease = Lease {
            state: &state,
            engine: Some(engine),
        };
        let engine = lease.engine.as_mut().ok_or("no engine is free")?;
        Ok(f(engine))
    })
    .await
    .map_err(|e| e.to_string())?;
    drop(permit);
    result
}

/// Reports a job's result once its batch is committed (or failed to be).
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A write for the writer thread.
type Job = Box<dyn FnOnce(&mut Engine) -> Finish + Send>;

/// Most writes committed together.
const MAX_BATCH: usize = 64;

/// The writer thread: one connection, writes one after the other, with
/// group commit. It takes every write waiting when it is free, runs each in
/// its own savepoint (a refused one leaves no trace), commits them with one
/// sync, and only then answers each: no request hears "done" before its
/// change is durable. Under load, the writes that arrive while a batch is
/// syncing make up the next batch; alone, a write is a batch of one.
fn write_loop(mut engine: Engine, jobs: std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // If the batch cannot start, each write runs as its own transaction.
        let batched = engine.begin_batch().is_ok();
        let finishes: Vec<Finish> = batch
            .into_iter()
            .filter_map(|job| {
                // A panicking job drops its answer: that request gets a 500.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut engine))).ok()
            })
            .collect();
        let committed = if batched {
            engine.commit_batch().map_err(|e| e.to_string())
        } else {
            Ok(())
        };
        if let Err(e) = &committed {
            tracing::error!(error = %e, writes = finishes.len(), "a batch of writes could not be committed; none of it was saved");
        }
        for finish in finishes {
            finish(committed.clone());
        }
    }
}

/// Runs a writing `f` on the writer thread; answers once it is committed.
async fn with_writer<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> crate::engine::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
    let job: Job = Box::new(move |engine: &mut Engine| {
        let result = f(engine);
        Box::new(move |committed: Result<(), String>| {
            let result = match committed {
                Ok(()) => result.map_err(ApiError::from),
                Err(e) => Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "storage",
                    format!("the change was not saved: {e}"),
                    Some("nothing of it was written; try again".into()),
                )),
            };
            let _ = answer.send(result);
        })
    });
    let lost = || {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the writer stopped before answering; the change may not be saved",
            None,
        )
    };
    state.jobs.send(job).map_err(|_| lost())?;
    answered.await.map_err(|_| lost())?
}

/// Runs `f` on an engine, mapping its errors to API errors.
async fn with_engine<T: Send + 'static>(
    state: &Shared,
    f: impl FnOnce(&mut Engine) -> crate::engine::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    run_blocking(state, f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e, None))?
        .map_err(ApiError::from)
}

/// The caller, from `Authorization: Bearer SECRET`.
async fn caller(state: &Shared, headers: &HeaderMap) -> Result<Identity, ApiError> {
    let unauthorized = |why: &str| {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", why, Some("send `Authorization: Bearer SECRET` with a token (`govrt token create USER`) or an API key (`govrt apikey create NAME`)".into()))
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(unauthorized("no bearer token"));
    };
    let Some(secret) = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(unauthorized(
            "the Authorization header is not `Bearer SECRET`",
        ));
    };
    let secret = secret.to_string();
    match with_engine(state, move |e| e.identify_secret(&secret)).await? {
        Some(identity) => Ok(identity),
        None => Err(unauthorized("unknown token")),
    }
}

fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult {
    Ok((status, Json(json!(value))).into_response())
}

fn with_etag(mut response: Response, revision: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// The revision an `If-Match` header names.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse::<i64>()
            .map(Some)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    format!("If-Match `{v}` is not an item revision"),
                    Some("send the ETag of the item, e.g. `If-Match: \"3\"`".into()),
                )
            }),
    }
}

/// A field value as the engine reads typed input (a list as `a,b`), and as
/// the web UI's forms and tables show it.
fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    blueprint: Option<String>,
    parent: Option<i64>,
}

#[derive(Deserialize)]
struct CreateBody {
    blueprint: String,
    name: String,
    parent: Option<i64>,
    #[serde(default)]
    fields: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct PatchBody {
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    #[serde(default)]
    unset: Vec<String>,
}

#[derive(Deserialize)]
struct MoveBody {
    step: String,
}

#[derive(Deserialize, Default)]
struct SignOffBody {
    step: Option<String>,
    group: Option<String>,
    verdict: Option<String>,
    comment: Option<String>,
    user: Option<String>,
    at: Option<String>,
    #[serde(default)]
    notify: bool,
}

#[derive(Deserialize)]
struct DeployQuery {
    #[serde(default)]
    confirm: bool,
}

#[derive(Deserialize)]
struct MatrixQuery {
    blueprint: Option<String>,
    view: Option<String>,
}

#[derive(Deserialize)]
struct UnsubscribeQuery {
    user: String,
    item: i64,
    token: String,
}

#[derive(Deserialize)]
struct HookBody {
    function: String,
    item: Option<i64>,
    blueprint: Option<String>,
    item_json: Option<Value>,
    #[serde(default)]
    args: Vec<String>,
}

/// The OpenAPI document of this API (kept in sync with [`ROUTES`] by a test).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route of the daemon: (method, path as OpenAPI writes it).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/metrics"),
    ("get", "/unsubscribe"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/items"),
    ("post", "/api/v1/items"),
    ("get", "/api/v1/items/{id}"),
    ("patch", "/api/v1/items/{id}"),
    ("delete", "/api/v1/items/{id}"),
    ("post", "/api/v1/items/{id}/advance"),
    ("post", "/api/v1/items/{id}/move"),
    ("get", "/api/v1/items/{id}/status"),
    ("get", "/api/v1/items/{id}/history"),
    ("post", "/api/v1/items/{id}/signoff/{action}"),
    ("get", "/api/v1/items/{id}/deploy/{infrastructure}"),
    ("post", "/api/v1/items/{id}/subscription"),
    ("delete", "/api/v1/items/{id}/subscription"),
    ("get", "/api/v1/subscriptions"),
    ("get", "/api/v1/reviews"),
    ("get", "/api/v1/matrix"),
    ("get", "/api/v1/blueprints"),
    ("post", "/api/v1/blueprints"),
    ("post", "/api/v1/hooks/test"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/groups"),
    ("post", "/api/v1/groups"),
    ("post", "/api/v1/groups/{group}/members"),
    ("post", "/api/v1/apikeys"),
    ("post", "/api/v1/tokens"),
];

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn metrics(State(state): State<Shared>) -> String {
    format!(
        "# TYPE govrt_http_requests_total counter\ngovrt_http_requests_total {}\n# TYPE govrt_http_errors_total counter\ngovrt_http_errors_total {}\n# TYPE govrt_background_ticks_total counter\ngovrt_background_ticks_total {}\n",
        state.requests.load(Ordering::Relaxed),
        state.errors.load(Ordering::Relaxed),
        state.ticks.load(Ordering::Relaxed)
    )
}

async fn list_items(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let items = with_engine(&state, move |e| {
        e.items(&who, q.blueprint.as_deref(), q.parent)
    })
    .await?;
    ok(StatusCode::OK, &items)
}

async fn create_item(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<CreateBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let sets: Vec<(String, String)> = body
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), field_text(v)))
        .collect();
    let item = with_writer(&state, move |e| {
        e.create_item(&who, &body.blueprint, &body.name, body.parent, &sets, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::CREATED, &item)?, revision))
}

async fn get_item(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let item = with_engine(&state, move |e| e.item(&who, id)).await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

async fn patch_item(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<PatchBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let expected = if_match(&headers)?;
    let mut changes: Vec<FieldChange> = body
        .set
        .iter()
        .map(|(k, v)| {
            if v.is_null() {
                FieldChange::Unset(k.clone())
            } else {
                FieldChange::Set(k.clone(), field_text(v))
            }
        })
        .collect();
    changes.extend(body.unset.into_iter().map(FieldChange::Unset));
    let item = with_writer(&state, move |e| {
        e.set_fields(&who, id, &changes, expected, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

async fn delete_item(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    with_writer(&state, move |e| e.delete_item(&who, id, None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn advance(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let expected = if_match(&headers)?;
    let item = with_writer(&state, move |e| e.move_item(&who, id, None, expected, None)).await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

async fn move_item(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<MoveBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let expected = if_match(&headers)?;
    let item = with_writer(&state, move |e| {
        e.move_item(&who, id, Some(&body.step), expected, None)
    })
    .await?;
    let revision = item.revision;
    Ok(with_etag(ok(StatusCode::OK, &item)?, revision))
}

async fn status(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<i64>) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let s = with_engine(&state, move |e| e.status(&who, id)).await?;
    let revision = s.item.revision;
    Ok(with_etag(ok(StatusCode::OK, &s)?, revision))
}

async fn history(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let events = with_engine(&state, move |e| e.history(&who, id)).await?;
    ok(StatusCode::OK, &events)
}

/// The sign-off action `action` names (`request-review`, `feedback`, …: the
/// API's and the web UI's paths), with its arguments from `body`.
fn signoff_action(action: &str, body: &SignOffBody) -> Result<Action, ApiError> {
    let missing = |what: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("`{action}` needs `{what}` in the body"),
            None,
        )
    };
    Ok(match action {
        "request-review" => Action::RequestReview,
        "request-final" => Action::RequestFinalApproval,
        "feedback" => {
            let verdict = body.verdict.as_deref().ok_or_else(|| missing("verdict"))?;
            let verdict = FeedbackVerdict::parse(verdict).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("`{verdict}` is not a verdict"), Some("use `approved`, `minor` or `major`".into())))?;
            Action::GiveFeedback { group: body.group.clone().ok_or_else(|| missing("group"))?, verdict, comment: body.comment.clone() }
        }
        "back-to-feedback" => Action::BackToFeedback,
        "approve" => Action::Approve { comment: body.comment.clone() },
        "reject" => Action::Reject { comment: body.comment.clone() },
        "abandon" => Action::Abandon,
        "cancel-abandon" => Action::CancelAbandon,
        "reset" => Action::Reset,
        "schedule-reset" => {
            let at = body.at.as_deref().ok_or_else(|| missing("at"))?;
            let at = crate::check::values::parse_date_time(at).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", format!("`{at}` is not an RFC 3339 date-time"), None))?;
            Action::ScheduleReset { at }
        }
        "delegate" => Action::Delegate { group: body.group.clone().ok_or_else(|| missing("group"))?, to: body.user.clone().ok_or_else(|| missing("user"))? },
        other => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no sign-off action `{other}`"), Some("the actions are request-review, request-final, feedback, back-to-feedback, approve, reject, abandon, cancel-abandon, reset, schedule-reset, delegate".into()))),
    })
}

async fn signoff(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<SignOffBody>>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let action = signoff_action(&action, &body)?;
    let view = with_writer(&state, move |e| {
        e.signoff_notify(&who, id, body.step.as_deref(), action, body.notify, None)
    })
    .await?;
    ok(StatusCode::OK, &view)
}

async fn deploy(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, infra)): Path<(i64, String)>,
    Query(q): Query<DeployQuery>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let d = with_engine(&state, move |e| {
        e.deploy_check(&who, id, &infra, q.confirm, None)
    })
    .await?;
    ok(StatusCode::OK, &d)
}

async fn reviews(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let list = with_engine(&state, move |e| e.reviews(&who)).await?;
    ok(StatusCode::OK, &list)
}

async fn matrix(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<MatrixQuery>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let m = with_engine(&state, move |e| {
        e.matrix(&who, q.blueprint.as_deref(), q.view.as_deref())
    })
    .await?;
    ok(StatusCode::OK, &m)
}

async fn subscribe(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    with_writer(&state, move |e| e.subscribe(&who, id, true, None)).await?;
    ok(
        StatusCode::OK,
        &json!({"item": id.to_string(), "subscribed": true}),
    )
}

async fn unsubscribe(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    with_writer(&state, move |e| e.subscribe(&who, id, false, None)).await?;
    ok(
        StatusCode::OK,
        &json!({"item": id.to_string(), "subscribed": false}),
    )
}

async fn subscriptions(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    let who = caller(&state, &headers).await?;
    let rows = with_engine(&state, move |e| e.subscriptions(&who.name)).await?;
    ok(
        StatusCode::OK,
        &rows
            .iter()
            .map(|(i, s)| json!({"item": i.to_string(), "subscribed": s}))
            .collect::<Vec<_>>(),
    )
}

/// The one-click link of every e-mail: no token needed, the link is signed.
async fn unsubscribe_link(
    State(state): State<Shared>,
    Query(q): Query<UnsubscribeQuery>,
) -> Response {
    let item = q.item;
    match with_writer(&state, move |e| e.unsubscribe_with_token(&q.user, q.item, &q.token, None)).await {
        Ok(()) => Html(format!("<!doctype html><title>Unsubscribed</title><p>You will no longer receive mail about item {item} and what lies under it.</p>")).into_response(),
        Err(e) => (e.status, Html("<!doctype html><title>Invalid link</title><p>This unsubscribe link is not valid.</p>".to_string())).into_response(),
    }
}

async fn blueprints(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    caller(&state, &headers).await?;
    let versions = with_engine(&state, |e| e.blueprint_versions()).await?;
    ok(StatusCode::OK, &versions.iter().map(|(b, v, d, at)| json!({"blueprint": b, "version": v, "declared_version": d, "loaded_at": at})).collect::<Vec<_>>())
}

async fn reload_blueprints(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    let who = caller(&state, &headers).await?;
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
struct UserBody {
    name: String,
    email: Option<String>,
    #[serde(default)]
    admin: bool,
}

#[derive(Deserialize)]
struct GroupBody {
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

fn admin_only(who: &Identity, what: &str) -> Result<(), ApiError> {
    if who.admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_permitted",
            format!("`{}` may not {what} (admins only)", who.name),
            None,
        ))
    }
}

async fn users(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "list users")?;
    let users = with_engine(&state, |e| e.users()).await?;
    ok(StatusCode::OK, &users)
}

async fn add_user(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<UserBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "add users")?;
    let reply = json!({"name": body.name, "email": body.email, "admin": body.admin});
    with_writer(&state, move |e| {
        e.add_user(&body.name, body.email.as_deref(), body.admin)
    })
    .await?;
    ok(StatusCode::CREATED, &reply)
}

async fn groups(State(state): State<Shared>, headers: HeaderMap) -> ApiResult {
    let who = caller(&state, &headers).await?;
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

async fn add_group(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<GroupBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "add groups")?;
    let reply = json!({"name": body.name, "members": body.members});
    with_writer(&state, move |e| e.add_group(&body.name, &body.members)).await?;
    ok(StatusCode::CREATED, &reply)
}

async fn add_member(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(group): Path<String>,
    Json(body): Json<NameBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "change groups")?;
    let reply = json!({"group": group, "user": body.name});
    with_writer(&state, move |e| e.add_member(&group, &body.name)).await?;
    ok(StatusCode::OK, &reply)
}

async fn create_api_key(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<NameBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "create API keys")?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| e.create_api_key(&body.name)).await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret}),
    )
}

async fn create_token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<NameBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
    admin_only(&who, "create tokens")?;
    let name = body.name.clone();
    let secret = with_writer(&state, move |e| e.create_token(&body.name)).await?;
    ok(
        StatusCode::CREATED,
        &json!({"name": name, "secret": secret}),
    )
}

async fn hook_test(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<HookBody>,
) -> ApiResult {
    let who = caller(&state, &headers).await?;
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

async fn count(
    State(state): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    if response.status().is_server_error() || response.status().is_client_error() {
        state.errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

/// The routes of the daemon.
fn router(state: Shared, static_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/items", get(list_items).post(create_item))
        .route(
            "/items/{id}",
            get(get_item).patch(patch_item).delete(delete_item),
        )
        .route("/items/{id}/advance", post(advance))
        .route("/items/{id}/move", post(move_item))
        .route("/items/{id}/status", get(status))
        .route("/items/{id}/history", get(history))
        .route("/items/{id}/signoff/{action}", post(signoff))
        .route("/items/{id}/deploy/{infrastructure}", get(deploy))
        .route(
            "/items/{id}/subscription",
            post(subscribe).delete(unsubscribe),
        )
        .route("/subscriptions", get(subscriptions))
        .route("/reviews", get(reviews))
        .route("/matrix", get(matrix))
        .route("/blueprints", get(blueprints).post(reload_blueprints))
        .route("/hooks/test", post(hook_test))
        .route("/users", get(users).post(add_user))
        .route("/groups", get(groups).post(add_group))
        .route("/groups/{group}/members", post(add_member))
        .route("/apikeys", post(create_api_key))
        .route("/tokens", post(create_token))
        .route("/openapi.json", get(openapi));
    let router = match static_dir {
        Some(dir) => {
            Router::new().nest_service("/static", tower_http::services::ServeDir::new(dir))
        }
        None => Router::new(),
    };
    router
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/unsubscribe", get(unsubscribe_link))
        .nest("/api/v1", api)
        .merge(web::routes())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            count,
        ))
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}

async fn background(state: Shared, every: Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let sender_state = Arc::clone(&state);
        let result = run_blocking(&state, move |engine| {
            let resets = engine.tick(None).map_err(|e| e.to_string())?;
            let mail = match &sender_state.sender {
                Some(sender) => Some(engine.deliver(sender, None).map_err(|e| e.to_string())?),
                None => None,
            };
            Ok::<_, String>((resets, mail))
        })
        .await
        .and_then(|r| r);
        state.ticks.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok((resets, mail)) => {
                if !resets.resets.is_empty()
                    || mail
                        .as_ref()
                        .is_some_and(|m| m.sent + m.retried + m.failed > 0)
                {
                    tracing::info!(resets = resets.resets.len(), mail = ?mail, "background work done");
                }
            }
            Err(e) => tracing::error!(error = %e, "background work failed; will try again"),
        }
    }
}

async fn reload_on_hangup(state: Shared) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangups.recv().await.is_some() {
            let Some(dir) = state.blueprints.clone() else {
                tracing::warn!("SIGHUP: no `--blueprints DIR` to reload");
                continue;
            };
            let result = run_blocking(&state, move |e| {
                e.load_blueprints(&[dir], None).map_err(|e| e.to_string())
            })
            .await
            .and_then(|r| r);
            match result {
                Ok(report) => tracing::info!(new = ?report.new_versions, "blueprints reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "blueprint reload refused; the loaded set is kept")
                }
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the daemon until SIGINT or SIGTERM; requests in flight finish.
pub fn serve(mut engines: Vec<Engine>, config: ServerConfig) -> Result<(), String> {
    let Some(writer) = engines.pop() else {
        return Err("the daemon needs at least two database connections".into());
    };
    let (jobs, queue) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("govrt-writer".into())
        .spawn(move || write_loop(writer, queue))
        .map_err(|e| format!("cannot start the writer thread: {e}"))?;
    let size = engines.len().max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let state = Arc::new(AppState {
            engines: Mutex::new(engines),
            permits: tokio::sync::Semaphore::new(size),
            jobs,
            blueprints: config.blueprints,
            sender: config.sender,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
            sessions: Mutex::new(std::collections::HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        // Small JSON answers must not wait for Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tracing::info!(address = %config.listen, "govrt is serving");
        let workers = [
            tokio::spawn(background(Arc::clone(&state), config.tick_every)),
            tokio::spawn(reload_on_hangup(Arc::clone(&state))),
        ];
        let result = axum::serve(listener, router(state, config.static_dir))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| e.to_string());
        for w in workers {
            w.abort();
        }
        result
    })
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
