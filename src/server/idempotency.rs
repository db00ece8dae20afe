//! `Idempotency-Key` on POST requests under `/api/`: the first request with
//! a key acts and its answer is kept a day; a retry with the same key and
//! the same route and body gets that answer again (marked
//! `Idempotent-Replayed: true`) without acting; the same key with another
//! request is refused (409), as is a retry while the first is still being
//! answered. Server errors and refused credentials are not kept, so a retry
//! after them acts.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::pool::with_writer;
use super::state::BODY_LIMIT;
use super::state::Shared;
use crate::engine::Retry;

/// The header a client names its request with.
const KEY_HEADER: &str = "idempotency-key";

fn refused(status: StatusCode, code: &str, message: &str, help: &str) -> Response {
    ApiError::new(status, code, message, Some(help.into())).into_response()
}

/// Acts on a keyed POST once, answering its retries from the record.
pub(super) async fn once(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let keyed = request.method() == Method::POST && request.uri().path().starts_with("/api/");
    let key = request
        .headers()
        .get(KEY_HEADER)
        .map(|v| v.to_str().map(str::to_string));
    let credential = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (Some(key), Some(credential), true) = (key, credential, keyed) else {
        // Without a key, or a credential (the request is refused with 401).
        return next.run(request).await;
    };
    let Some(key) = key
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
    else {
        return refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the Idempotency-Key header is not 1 to 255 visible ASCII characters",
            "send a key of your own making per request, such as a UUID",
        );
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        // Shaped, as every plain error answer, by `api_shape::json_errors`.
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut hash = Sha256::new();
    hash.update(parts.uri.path().as_bytes());
    hash.update(b"\n");
    hash.update(&bytes);
    let request_hash = format!("{:x}", hash.finalize());
    let claim = {
        let (credential, key) = (credential.clone(), key.clone());
        with_writer(&state, move |e| {
            e.claim_idempotency_key(&credential, &key, &request_hash)
        })
        .await
    };
    match claim {
        Err(e) => e.into_response(),
        Ok(Retry::Reused) => refused(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
            "use a new key for each new request; the same key only to retry the same request",
        ),
        Ok(Retry::InFlight) => refused(
            StatusCode::CONFLICT,
            "idempotency_key_in_flight",
            "the first request with this Idempotency-Key is still being answered",
            "retry once it has been answered, with the same key",
        ),
        Ok(Retry::Answered { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut answer = (status, body).into_response();
            let headers = answer.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            answer
        }
        Ok(Retry::Act) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            let status = response.status();
            let (head, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return refused(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the answer could not be read",
                    "retry with the same key",
                );
            };
            let text = String::from_utf8_lossy(&body).into_owned();
            let kept = !(status.is_server_error()
                || status == StatusCode::UNAUTHORIZED
                || status == StatusCode::TOO_MANY_REQUESTS);
            let outcome = with_writer(&state, move |e| {
                if kept {
                    e.answer_idempotency_key(&credential, &key, status.as_u16(), &text)
                } else {
                    e.release_idempotency_key(&credential, &key)
                }
            })
            .await;
            if let Err(e) = outcome {
                tracing::warn!(error = %e.detail.message, "an idempotent answer was not recorded");
            }
            Response::from_parts(head, Body::from(body))
        }
    }
}
