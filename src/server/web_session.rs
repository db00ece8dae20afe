//! Web UI sessions: the session cookie and its lifetime, the signed-in
//! `Viewer` extractor (with the way back to sign-in), and the checks every
//! posted form passes (CSRF secret, same origin).

use super::auth::record_use;
use super::pages::Viewer;
use super::pool::with_engine;
use super::state::Shared;
use super::web_reply::page_error;
use axum::Form;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::time::Duration;

/// The session cookie's name.
pub(super) const COOKIE: &str = "govrt_session";

/// A session ends this long after sign-in.
pub(super) const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The cookie that carries the sign-in form's CSRF secret (the form has no
/// session yet: the secret is both in the cookie and in the form).
pub(super) const LOGIN_COOKIE: &str = "govrt_login";

/// Where to go after signing in: a path of this site, as a browser would
/// read it (it drops tabs and line breaks, and reads `\\` as `/`), else
/// the home page; `None` when `next` holds a control character, which no
/// link of govrt's does (answer [`bad_next`]).
pub(super) fn local_path(next: Option<&str>) -> Option<String> {
    let Some(p) = next else {
        return Some("/items".to_string());
    };
    if p.chars().any(char::is_control) {
        return None;
    }
    let same_site = p.starts_with('/') && !p.starts_with("//") && !p.contains('\\');
    Some(if same_site {
        p.to_string()
    } else {
        "/items".to_string()
    })
}

/// The answer to a `next` that [`local_path`] refuses: 400, no session.
pub(super) fn bad_next() -> Response {
    page_error(
        StatusCode::BAD_REQUEST,
        "the page to return to after signing in holds a control character",
        "open the sign-in page again from a link of govrt",
    )
}

pub(super) fn to_login(next: &str) -> Response {
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/login?{query}")).into_response()
}

/// Where sign-in leads back to: the page asked for, or, for a form posted
/// after the session ended, the page of its item (a form cannot be replayed).
pub(super) fn return_path(parts: &Parts) -> String {
    let asked = parts.uri.path_and_query().map_or("/items", |p| p.as_str());
    if parts.method == axum::http::Method::GET {
        return asked.to_string();
    }
    let mut segments = parts.uri.path().split('/').skip(1);
    match (segments.next(), segments.next()) {
        (Some("items"), Some(id)) if id.parse::<i64>().is_ok() => format!("/items/{id}"),
        _ => "/items".to_string(),
    }
}

impl FromRequestParts<Shared> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Viewer, Response> {
        let next = return_path(parts);
        let next = next.as_str();
        let Some(id) = cookie(&parts.headers, COOKIE) else {
            return Err(to_login(next));
        };
        // The token is checked on every request: a revoked token signs out.
        let lifetime = SESSION_LIFETIME.as_secs() as i64;
        match with_engine(state, move |e| e.session(&id, lifetime)).await {
            Ok(Some((who, csrf))) => {
                record_use(state, &who);
                Ok(Viewer { who, csrf })
            }
            Ok(None) => Err(to_login(next)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A posted form: its fields, with the CSRF secret checked.
pub(super) type Fields = HashMap<String, String>;

/// Compares two secrets in time that does not depend on where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The refusal of a form whose CSRF secret is not the session's.
pub(super) fn csrf_refusal(viewer: &Viewer, form: &Fields) -> Option<Response> {
    if form
        .get("csrf")
        .is_some_and(|c| same_secret(c, &viewer.csrf))
    {
        None
    } else {
        Some(page_error(
            StatusCode::FORBIDDEN,
            "this form has expired or did not come from govrt",
            "reload the page and try again",
        ))
    }
}

/// A form posted by a signed-in user, its CSRF secret checked.
pub(super) struct Posted {
    /// Who posted it.
    pub(super) viewer: Viewer,
    /// The form's fields.
    pub(super) form: Fields,
}

impl axum::extract::FromRequest<Shared> for Posted {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &Shared,
    ) -> Result<Posted, Response> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let Form(form) = Form::<Fields>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match csrf_refusal(&viewer, &form) {
            Some(refusal) => Err(refusal),
            None => Ok(Posted { viewer, form }),
        }
    }
}

/// Refuses a cross-site POST outright (defence in depth besides the CSRF
/// field and SameSite cookies): an `Origin` must name this host.
pub(super) async fn same_origin(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == axum::http::Method::POST {
        let headers = request.headers();
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
        if let (Some(origin), Some(host)) = (origin, host) {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            // `null` is what a sandboxed frame or a `data:` page sends: not us.
            if origin == "null" || origin_host != host {
                return page_error(
                    StatusCode::FORBIDDEN,
                    "a form from another site was refused",
                    "use govrt's own pages",
                );
            }
        }
    }
    next.run(request).await
}

pub(super) fn revision(form: &Fields) -> Option<i64> {
    form.get("revision").and_then(|r| r.parse().ok())
}
