//! One error shape under `/api/`: whatever answers an error there without
//! the API's JSON (axum's rejections of a malformed body, a missing content
//! type, a bad path or query parameter, a body over the limit; the timeout;
//! an unknown route or a wrong method) is answered again as `{"error":
//! {code, message, help}}`, keeping its message. Unknown routes and wrong
//! methods authenticate first, so a caller without a token learns nothing
//! of the routes but 401.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::error::ApiError;
use super::state::BODY_LIMIT;

/// The most of a plain error body kept as the message.
const MESSAGE_LIMIT: usize = 4096;

/// An unknown route under `/api/v1` (after authentication; shaped by
/// [`json_errors`]).
pub(super) async fn not_found(Caller(_): Caller) -> StatusCode {
    StatusCode::NOT_FOUND
}

/// A known route asked with a method it does not take (after
/// authentication; shaped by [`json_errors`], with the `Allow` header).
pub(super) async fn method_not_allowed(Caller(_): Caller) -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

/// The code, default message and help of a plain error answer's status.
fn describe(status: StatusCode, headers: &HeaderMap) -> (StatusCode, &'static str, String) {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            status,
            "unsupported_media_type",
            "send the body as JSON, with `Content-Type: application/json`".into(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            status,
            "payload_too_large",
            format!("request bodies are limited to {} MiB", BODY_LIMIT >> 20),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            status,
            "timeout",
            "the request took over 30 seconds and was abandoned; it may be retried".into(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("see GET /api/v1/openapi.json");
            (status, "method_not_allowed", format!("allowed: {allowed}"))
        }
        StatusCode::NOT_FOUND => (
            status,
            "not_found",
            "the routes are listed in GET /api/v1/openapi.json".into(),
        ),
        // A body that is JSON but not of the route's shape (axum says 422):
        // bad input like any other.
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => (
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the request's bodies, parameters and their types are in GET /api/v1/openapi.json"
                .into(),
        ),
        s if s.is_server_error() => (
            s,
            "internal",
            "the daemon's log has the details; retry later".into(),
        ),
        s => (s, "invalid_request", "see GET /api/v1/openapi.json".into()),
    }
}

/// Answers every error under `/api/` in the one JSON shape.
pub(super) async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MESSAGE_LIMIT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let (status, code, help) = describe(status, &parts.headers);
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut answer = ApiError::new(status, code, message, Some(help)).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plain_status_has_a_code_and_help() {
        for status in [400, 404, 405, 408, 413, 415, 422, 429, 500, 504] {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let (shown, code, help) = describe(status, &HeaderMap::new());
            assert!(!code.is_empty() && !help.is_empty(), "{status}");
            assert_eq!(shown.is_server_error(), status.is_server_error());
            // Bad input is 400 whichever of axum's statuses said it.
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                assert_eq!((shown, code), (StatusCode::BAD_REQUEST, "invalid_request"));
            }
        }
    }
}
