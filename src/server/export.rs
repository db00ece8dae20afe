//! The two forms of an export (the controls report, the audit trail):
//! `?format=json` (the default) or `?format=csv`, and a CSV body's answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Whether `format` asks for CSV; what else it may be is said in the error.
pub(super) fn wants_csv(format: Option<&str>, what: &str) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("`{other}` is not {what}"),
            Some("use `json` or `csv`".into()),
        )),
    }
}

/// A CSV document as the answer.
pub(super) fn csv(body: String) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        body,
    )
        .into_response()
}
