//! API errors: one JSON shape (`{"error": {code, message, help}}`) with the
//! engine's stable codes and the HTTP status that fits each refusal.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::engine::{EngineError, Refusal};

/// An API error: the CLI's codes, as JSON, with the right status.
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) detail: Box<ErrorDetail>,
}

pub(super) struct ErrorDetail {
    pub(super) code: String,
    pub(super) message: String,
    pub(super) help: Option<String>,
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

pub(super) type ApiResult = Result<Response, ApiError>;
