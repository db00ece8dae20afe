//! The extractor of a JSON body that may be left out (a sign-off action's
//! arguments): no body, or an empty one, is `None` — whatever the
//! `Content-Type` says, since generated clients send the header with an
//! empty body; anything else is read as axum's `Json` reads it, with its
//! rejections (shaped into the API's errors by `api_shape`).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A JSON body, or `None` when the request has none.
pub(super) struct OptionalJson<T>(pub(super) Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        let Json(value) =
            Json::<T>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
                .await
                .map_err(IntoResponse::into_response)?;
        Ok(OptionalJson(Some(value)))
    }
}
