//! API errors: one JSON shape (`{"error": {code, message, help}}`) with the
//! engine's stable codes and the HTTP status that fits each refusal.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::engine::{EngineError, HelpWords, Refusal};

/// An API error: the CLI's codes, as JSON, with the right status.
pub(super) struct ApiError {
    /// The HTTP status.
    pub(super) status: StatusCode,
    /// What the body says.
    pub(super) detail: Box<ErrorDetail>,
}

/// The body of an API error.
pub(super) struct ErrorDetail {
    /// The stable code.
    pub(super) code: String,
    /// What went wrong.
    pub(super) message: String,
    /// How to get past it, with the API's routes and fields.
    pub(super) help: Option<String>,
    /// How to get past it in words without routes, for the web UI (a
    /// refusal's own help); `help` where there is none.
    pub(super) plain_help: Option<String>,
    /// Diagnostics of an invalid blueprint set.
    pub(super) extra: Option<Value>,
}

impl ApiError {
    pub(super) fn new(
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
                plain_help: help.clone(),
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
                    | Refusal::AlreadyDecided { .. }
                    | Refusal::InvalidTransition { .. }
                    | Refusal::StepNotApplicable { .. }
                    | Refusal::LockedWorkflow { .. }
                    | Refusal::SignOffRequired { .. }
                    | Refusal::FeedbackRequired { .. }
                    | Refusal::MajorIssueOpen { .. }
                    | Refusal::AlreadyExists { .. } => StatusCode::CONFLICT,
                    Refusal::InvalidValue { .. }
                    | Refusal::MissingRequiredFields { .. }
                    | Refusal::RefusedByRule { .. }
                    | Refusal::ScriptFailed { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let mut err = ApiError::new(status, r.code(), r.to_string(), api_help(&r));
                err.detail.plain_help = r.help();
                err
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
            EngineError::InvalidFilter(diagnostics) => {
                let summary = crate::diag::Summary::of(diagnostics.len(), &diagnostics);
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_filter",
                    "the filter is not valid",
                    Some(
                        "the diagnostics say where; a filter takes what a table's `filter` does"
                            .into(),
                    ),
                );
                err.detail.extra = Some(crate::diag::to_json(summary, &diagnostics));
                err
            }
            EngineError::Store(e) if e.is_unavailable() => ApiError::unavailable(&e.to_string()),
            EngineError::Store(e) => ApiError::internal("storage", &e.to_string()),
            EngineError::System(e) => ApiError::internal("internal", &e),
        }
    }
}

impl ApiError {
    /// An unexpected failure: logged in full with an id, answered with the
    /// id only — never SQL text or paths, which tell an attacker about the
    /// system and a user nothing they can act on.
    pub(super) fn internal(code: &str, detail: &str) -> ApiError {
        let id = crate::engine::new_secret("err")
            .map(|s| s.chars().skip(4).take(16).collect::<String>())
            .unwrap_or_else(|_| "unknown".into());
        tracing::error!(error_id = %id, code, error = %detail, "internal error answered as 500");
        let mut err = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            format!("an internal error occurred (error id {id}); it was logged"),
            Some("try again; if it persists, give the error id to the daemon's operator".into()),
        );
        err.detail.extra = Some(serde_json::json!({"error_id": id}));
        err
    }
}

/// How long a client is told to wait when the database is unreachable.
pub(super) const RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    /// The database cannot be reached now: 503 with `Retry-After`; nothing
    /// was done (an action's transaction had not begun, or was rolled back).
    pub(super) fn unavailable(cause: &str) -> ApiError {
        tracing::warn!(error = %cause, "the database is unreachable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database cannot be reached right now; nothing was changed",
            Some(format!("try again in {RETRY_AFTER_SECS} s")),
        )
    }
}

impl ApiError {
    /// The database went away while a batch of writes was committing: 503,
    /// but the change may have been saved (the commit's answer was lost).
    pub(super) fn lost_commit(cause: &str) -> ApiError {
        tracing::warn!(error = %cause, "the database was lost while committing");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database was lost while the change was being committed; it may or may not be saved",
            Some(format!(
                "in {RETRY_AFTER_SECS} s, read the item (its revision and history) before trying again"
            )),
        )
    }
}

/// The body of every error under `/api/` (the document's `ErrorBody`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorFields,
    /// The diagnostics of an invalid blueprint set (`invalid_blueprint`),
    /// as `govrt validate --format json` writes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub diagnostics: Option<Value>,
}

/// The fields of an error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorFields {
    /// The stable code (`not_permitted`, `stale_revision`, `invalid_request`, …).
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// How to get past it, when there is a way.
    pub help: Option<String>,
    /// The id under which an internal error (500) was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unavailable = self.status == StatusCode::SERVICE_UNAVAILABLE;
        let d = self.detail;
        super::telemetry::refused(&d.code);
        let extra = d.extra.unwrap_or(Value::Null);
        let body = ErrorBody {
            error: ErrorFields {
                code: d.code,
                message: d.message,
                help: d.help,
                error_id: extra
                    .get("error_id")
                    .and_then(Value::as_str)
                    .map(String::from),
            },
            diagnostics: extra.get("diagnostics").cloned(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if unavailable {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(RETRY_AFTER_SECS),
            );
        }
        response
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

/// How to get past a refusal, with the API's routes, headers and fields.
fn api_help(r: &Refusal) -> Option<String> {
    r.help_in(&HelpWords {
        act_as: "send the token of a user the blueprint allows",
        status: "`GET /api/v1/items/{id}/status`",
        unlock: "`POST /api/v1/items/{id}/signoff/reset` or `…/signoff/cancel-abandon`",
        set_field: "`PATCH /api/v1/items/{id}` with `{\"set\": {\"FIELD\": …}}`",
        give_fields: |fields| {
            let given: Vec<String> = fields.iter().map(|f| format!("\"{f}\": …")).collect();
            format!("send `\"fields\": {{{}}}` in the body", given.join(", "))
        },
        read_again: "`GET /api/v1/items/{id}`, whose ETag goes in `If-Match`",
        with_revision: "send the action again with that ETag in `If-Match`",
        check_script: "`govrt validate` checks it; `POST /api/v1/hooks/test` runs one hook",
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn an_internal_error_answers_with_an_id_and_never_its_text() {
        let sql = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(19),
            Some("UNIQUE constraint failed: blueprint_files.name".into()),
        );
        let err = ApiError::from(EngineError::Store(StoreError::Sqlite(sql)));
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !err.detail.message.contains("UNIQUE"),
            "{}",
            err.detail.message
        );
        assert!(!err.detail.message.contains("blueprint_files"));
        let id = err.detail.extra.as_ref().unwrap()["error_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(id.len(), 16);
        assert!(err.detail.message.contains(&id));
    }
}
