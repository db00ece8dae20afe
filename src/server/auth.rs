//! Who is calling: the bearer token or API key of an API request, as the
//! `Caller` extractor, and the admins-only check.

use axum::http::{HeaderMap, StatusCode, header};

use crate::engine::Identity;

use super::error::ApiError;
use std::sync::Arc;

use super::pool::{with_engine, with_writer};
use super::state::Shared;

/// The authenticated caller of an API request: a handler that takes it
/// answers 401 before anything else of the request is looked at.
pub(super) struct Caller(pub(super) Identity);

impl axum::extract::FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Shared,
    ) -> Result<Caller, ApiError> {
        caller(state, &parts.headers).await.map(Caller)
    }
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
        Some(identity) => {
            record_use(state, &identity);
            Ok(identity)
        }
        None => Err(unauthorized(
            "unknown token (or revoked, expired, or of a disabled user)",
        )),
    }
}

/// Records, in the background, that a credential was used (at most once an
/// hour each: see `Identity::unrecorded_use`); the request does not wait.
pub(super) fn record_use(state: &Shared, who: &Identity) {
    if who.unrecorded_use.is_none() {
        return;
    }
    let (state, who) = (Arc::clone(state), who.clone());
    tokio::spawn(async move {
        if let Err(e) = with_writer(&state, move |e| e.record_use(&who)).await {
            tracing::warn!(error = %e.detail.message, "the last use of a credential was not recorded");
        }
    });
}

pub(super) fn admin_only(who: &Identity, what: &str) -> Result<(), ApiError> {
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
