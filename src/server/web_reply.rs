//! How the web UI answers: an HTML page with its status and security
//! headers, error pages, and notices shown next to the form that failed.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::error::ApiError;
use super::pages::{self, Notice};

/// A page with the headers every page of the UI carries.
pub(super) fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// An error page.
pub(super) fn page_error(status: StatusCode, message: &str, help: &str) -> Response {
    html(status, pages::error_page(status, message, help))
}

/// The error page of an API error.
pub(super) fn api_error_page(e: &ApiError) -> Response {
    let mut page = page_error(
        e.status,
        &e.detail.message,
        e.detail.plain_help.as_deref().unwrap_or(""),
    );
    if e.status == StatusCode::SERVICE_UNAVAILABLE {
        page.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(super::error::RETRY_AFTER_SECS),
        );
    }
    page
}

/// An API error as a notice next to the form at `place`.
pub(super) fn notice(place: impl Into<String>, e: &ApiError) -> Notice {
    Notice::at(
        &place.into(),
        &e.detail.message,
        e.detail.plain_help.as_deref(),
    )
}
