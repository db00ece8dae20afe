//! The web UI: server-rendered HTML pages over the same engine as the API.
//!
//! Sign-in takes a user token and opens a session: an HttpOnly, SameSite=Strict
//! cookie naming a random session id, kept in the daemon's memory with the
//! token and a CSRF secret that every form sends back. There is no
//! JavaScript: every action is a plain form that posts and redirects back
//! (POST/redirect/GET); a refusal re-renders the page with the engine's
//! message next to the form that caused it.
//!
//! The buttons shown are those [`Engine::permitted`] allows; the engine still
//! decides when one is pressed, so a stale page can never do more than the API.

use super::api_signoffs::{SignOffBody, signoff_action};
use super::error::ApiError;
use super::pages::{self, Notice};
use super::pages::{ListFilter, Viewer};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use super::web_lists::{
    blueprint_names, items_page, recertifications_page, render_items, reviews_page, tree_page,
};
use super::web_reply::{api_error_page, html, notice, page_error};
use super::web_session::{
    COOKIE, Fields, LOGIN_COOKIE, Posted, SESSION_LIFETIME, bad_next, cookie, local_path, revision,
    same_origin, same_secret,
};
use super::web_views;
use crate::engine::actions::Verb;
use crate::engine::{
    Engine, ExplainRequest, Explained, FieldChange, Identity, ItemFilter, SignOffRequest,
};
use crate::model::FieldType;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;

// ------------------------------------------------------------------ sign-in

#[derive(Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// The sign-in form with a new CSRF secret, in the form and in a cookie.
fn login_form(next: &str, secure: bool) -> Response {
    let secret = match crate::engine::new_secret("login") {
        Ok(s) => s,
        Err(e) => return api_error_page(&ApiError::from(e)),
    };
    let mut response = html(StatusCode::OK, pages::login(next, &secret, None));
    let value = format!(
        "{LOGIN_COOKIE}={secret}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

pub(super) async fn login_page(
    State(state): State<Shared>,
    Query(q): Query<NextQuery>,
) -> Response {
    match local_path(q.next.as_deref()) {
        Some(next) => login_form(&next, state.secure_cookies),
        None => bad_next(),
    }
}

pub(super) async fn login(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    let Some(next) = local_path(form.get("next").map(String::as_str)) else {
        return bad_next();
    };
    // Login CSRF: a page elsewhere must not sign a browser in as someone.
    let issued = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if issued.is_empty() || !form.get("csrf").is_some_and(|c| same_secret(c, &issued)) {
        return page_error(
            StatusCode::FORBIDDEN,
            "this sign-in form has expired or did not come from govrt",
            "open the sign-in page again and sign in from it",
        );
    }
    let token = form
        .get("token")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    if token.is_empty() {
        let n = Notice::at(
            "token",
            "enter your token",
            Some("an admin creates one with `govrt token create USER`"),
        );
        // The form again, with the secret its cookie already holds.
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::login(&next, &issued, Some(&n)),
        );
    }
    let lifetime = SESSION_LIFETIME.as_secs() as i64;
    let started = match with_writer(&state, move |e| e.start_session(&token, lifetime)).await {
        Ok(started) => started,
        Err(e) => return api_error_page(&e),
    };
    let Some((session, who)) = started else {
        let n = Notice::at(
            "token",
            "this token is not a user token of this govrt",
            Some("check for a typo, or ask an admin for a new one (`govrt token create USER`)"),
        );
        return html(
            StatusCode::UNAUTHORIZED,
            pages::login(&next, &issued, Some(&n)),
        );
    };
    let id = session.id;
    tracing::info!(user = %who.name, "signed in to the web UI");
    let mut response = Redirect::to(&next).into_response();
    let value = format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_LIFETIME.as_secs(),
        if state.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("govrt_login=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

pub(super) async fn logout(State(state): State<Shared>, headers: HeaderMap, _: Posted) -> Response {
    if let Some(id) = cookie(&headers, COOKIE)
        && let Err(e) = with_writer(&state, move |e| e.end_session(&id)).await
    {
        return api_error_page(&e);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("govrt_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

// -------------------------------------------------------------------- items

/// The typed values a form gives for a blueprint's fields (`f.ID` inputs):
/// those that differ from `current`, as engine changes.
pub(super) fn field_changes(
    blueprint: &crate::model::Blueprint,
    form: &Fields,
    current: &serde_json::Map<String, Value>,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for field in &blueprint.fields {
        let id = field.id.to_string();
        let Some(raw) = form.get(&format!("f.{id}")) else {
            continue;
        };
        let text = form_value(&field.ty, raw.trim());
        let before = current
            .get(&id)
            .map(crate::engine::rules::values::field_text);
        match (text.is_empty(), before) {
            (true, None) => {}
            (true, Some(_)) => changes.push(FieldChange::Unset(id)),
            (false, Some(b)) if b == text => {}
            (false, _) => changes.push(FieldChange::Set(id, text)),
        }
    }
    changes
}

/// A browser's `datetime-local` value has no seconds and no zone: the UI
/// works in UTC, as the rest of govrt does.
pub(super) fn form_value(ty: &FieldType, raw: &str) -> String {
    match ty {
        FieldType::DateTime if raw.len() == 16 && raw.as_bytes().get(10) == Some(&b'T') => {
            format!("{raw}:00Z")
        }
        _ => raw.to_string(),
    }
}

pub(super) async fn create_item(
    State(state): State<Shared>,
    Posted { viewer, form }: Posted,
) -> Response {
    let blueprint = form.get("blueprint").cloned().unwrap_or_default();
    let name = form
        .get("name")
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    let parent = form
        .get("parent")
        .and_then(|p| p.trim().parse::<i64>().ok());
    let who = viewer.who.clone();
    let bp = blueprint.clone();
    let form_fields = form.clone();
    let created = with_writer(&state, move |e| {
        let b = e.blueprint(&bp, None)?;
        let sets: Vec<(String, String)> = field_changes(&b, &form_fields, &serde_json::Map::new())
            .into_iter()
            .filter_map(|c| match c {
                FieldChange::Set(k, v) => Some((k, v)),
                FieldChange::Unset(_) => None,
            })
            .collect();
        e.create_item(&who, &bp, &name, parent, &sets, None)
    })
    .await;
    match created {
        Ok(item) => Redirect::to(&format!("/items/{}", item.id)).into_response(),
        Err(e) => {
            let filter = ListFilter {
                blueprint: Some(blueprint),
                ..ListFilter::default()
            };
            let n = notice("create", &e).with_typed(form);
            render_items(&state, viewer, filter, Some(n), e.status).await
        }
    }
}

// --------------------------------------------------------------- item page

pub(super) async fn item_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Response {
    render_item(&state, viewer, id, None, StatusCode::OK).await
}

pub(super) async fn render_item(
    state: &Shared,
    viewer: Viewer,
    id: i64,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let who = viewer.who.clone();
    let loaded = with_engine(state, move |e| {
        let status = e.status(&who, id)?;
        // A failing `reviewers` hook must not hide the item: the page shows
        // it without actions, and says why.
        let (permitted, failed) = match e.permitted(&who, id) {
            Ok(p) => (p, None),
            Err(refused @ crate::engine::EngineError::Refused(_)) => (
                crate::engine::Permitted::default(),
                Some(self::notice("page", &ApiError::from(refused))),
            ),
            Err(other) => return Err(other),
        };
        let blueprint = e.blueprint(&status.item.blueprint, Some(status.item.version))?;
        let children = e
            .items_page(
                &who,
                &ItemFilter::of(None, Some(id)),
                None,
                pages::PAGE_SIZE,
            )?
            .0;
        let subscribed = e.subscription(&who.name, id)?;
        // Shown by name where the viewer may read it, else by its id.
        let parent = (status.item.parent.as_deref())
            .and_then(|p| p.parse::<i64>().ok())
            .and_then(|p| e.item(&who, p).ok());
        Ok((
            pages::ItemPage {
                status,
                permitted,
                blueprint,
                children,
                parent,
                subscribed,
            },
            failed,
        ))
    })
    .await;
    match loaded {
        Ok((page, failed)) => html(
            status,
            pages::item(&viewer, &page, notice.as_ref().or(failed.as_ref())),
        ),
        Err(e) => api_error_page(&e),
    }
}

/// Runs a write on item `id`; on refusal, shows the item page again with the
/// engine's message at `place`.
pub(super) async fn act<T: Send + 'static>(
    state: Shared,
    viewer: Viewer,
    id: i64,
    place: String,
    f: impl FnOnce(&mut Engine, &Identity) -> crate::engine::Result<T> + Send + 'static,
) -> Response {
    act_keeping(state, viewer, id, place, Fields::new(), f).await
}

/// Like [`act`], but a refusal shows the form again with what was typed.
pub(super) async fn act_keeping<T: Send + 'static>(
    state: Shared,
    viewer: Viewer,
    id: i64,
    place: String,
    typed: Fields,
    f: impl FnOnce(&mut Engine, &Identity) -> crate::engine::Result<T> + Send + 'static,
) -> Response {
    let who = viewer.who.clone();
    match with_writer(&state, move |e| f(e, &who)).await {
        Ok(_) => Redirect::to(&format!("/items/{id}#{}", place.replace(':', "-"))).into_response(),
        Err(e) => {
            let n = notice(place, &e).with_typed(typed);
            render_item(&state, viewer, id, Some(n), e.status).await
        }
    }
}

pub(super) async fn save_fields(
    State(state): State<Shared>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Response {
    let expected = revision(&form);
    let typed = form.clone();
    act_keeping(state, viewer, id, "fields".into(), typed, move |e, who| {
        let item = e.item(who, id)?;
        let blueprint = e.blueprint(&item.blueprint, Some(item.version))?;
        let changes = field_changes(&blueprint, &form, &item.fields);
        if changes.is_empty() {
            return Ok(item);
        }
        e.set_fields(who, id, &changes, expected, None)
    })
    .await
}

pub(super) async fn move_item(
    State(state): State<Shared>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Response {
    let expected = revision(&form);
    let step = form.get("step").cloned().filter(|s| !s.is_empty());
    act(state, viewer, id, "workflow".into(), move |e, who| {
        e.move_item(who, id, step.as_deref(), expected, None)
    })
    .await
}

/// A posted sign-off form as the API's body: values trimmed, empty ones
/// absent, a browser's `datetime-local` read as UTC.
pub(super) fn signoff_body(form: &Fields) -> SignOffBody {
    let text = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    SignOffBody {
        step: text("step"),
        group: text("group"),
        verdict: text("verdict"),
        comment: text("comment"),
        user: text("user"),
        at: text("at").map(|at| form_value(&FieldType::DateTime, &at)),
        reason: text("reason"),
        notify: false,
    }
}

pub(super) async fn signoff(
    State(state): State<Shared>,
    Path((id, action)): Path<(i64, String)>,
    Posted { viewer, form }: Posted,
) -> Response {
    let step = form.get("step").cloned().unwrap_or_default();
    let place = format!("signoff:{step}");
    // An action that undoes work is confirmed, with a reason, first.
    if let Some((verb, undoes)) = Verb::from_name(&action).and_then(|v| Some((v, v.undoes()?)))
        && form.get("confirm").map(String::as_str) != Some("yes")
    {
        let who = viewer.who.clone();
        return match with_engine(&state, move |e| e.item(&who, id)).await {
            Ok(item) => {
                let carried = ["comment", "at", "revision"]
                    .into_iter()
                    .filter_map(|k| Some((k, form.get(k)?.as_str())))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                let c = pages::Confirmation {
                    verb,
                    step: &step,
                    carried,
                    undoes,
                };
                html(StatusCode::OK, pages::confirm(&viewer, &item, &c))
            }
            Err(e) => api_error_page(&e),
        };
    }
    let body = signoff_body(&form);
    let reason = body.reason.clone();
    // The decision form names the revision its page showed: a decision
    // edited from it replaces only the one the approver saw.
    let expect_revision = revision(&form);
    match signoff_action(&action, &body) {
        Ok(action) => {
            act(state, viewer, id, place, move |e, who| {
                e.signoff_with(
                    who,
                    id,
                    SignOffRequest {
                        step: Some(&step),
                        action,
                        notify: false,
                        reason,
                        now: None,
                        expect_revision,
                    },
                )
            })
            .await
        }
        Err(e) => render_item(&state, viewer, id, Some(notice(place, &e)), e.status).await,
    }
}

pub(super) async fn subscription(
    State(state): State<Shared>,
    Path(id): Path<i64>,
    Posted { viewer, form }: Posted,
) -> Response {
    let on = form.get("subscribed").is_some_and(|v| v == "true");
    act(state, viewer, id, "subscription".into(), move |e, who| {
        e.subscribe(who, id, on, None)
    })
    .await
}

pub(super) async fn timeline_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Response {
    let who = viewer.who.clone();
    match with_engine(&state, move |e| {
        Ok((e.item(&who, id)?, e.history(&who, id)?))
    })
    .await
    {
        Ok((item, events)) => html(StatusCode::OK, pages::timeline(&viewer, &item, &events)),
        Err(e) => api_error_page(&e),
    }
}

/// `?action=&group=&step=` of an item's explanation page.
#[derive(Deserialize)]
pub(super) struct ExplainQuery {
    action: String,
    group: Option<String>,
    step: Option<String>,
}

/// Why the signed-in user may or may not take an action now.
pub(super) async fn explain_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<ExplainQuery>,
) -> Response {
    let Some(verb) = Explained::from_name(&q.action) else {
        let e = ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no action `{}`", q.action),
            None,
        );
        return api_error_page(&e);
    };
    let who = viewer.who.clone();
    match with_engine(&state, move |e| {
        let request = ExplainRequest {
            action: verb,
            group: q.group.as_deref(),
            step: q.step.as_deref(),
        };
        let name = e.item(&who, id)?.name;
        Ok((name, e.explain(&who, id, &who.name, &request)?))
    })
    .await
    {
        Ok((name, x)) => html(StatusCode::OK, pages::explanation(&viewer, &name, &x)),
        Err(e) => api_error_page(&e),
    }
}

/// The control coverage report.
pub(super) async fn controls_page(State(state): State<Shared>, viewer: Viewer) -> Response {
    let who = viewer.who.clone();
    match with_engine(&state, move |e| e.controls_report(&who, None, None)).await {
        Ok(report) => html(StatusCode::OK, pages::controls_report(&viewer, &report)),
        Err(e) => api_error_page(&e),
    }
}

pub(super) async fn blueprints_page(State(state): State<Shared>, viewer: Viewer) -> Response {
    match with_engine(&state, |e| e.blueprint_versions()).await {
        Ok(versions) => html(StatusCode::OK, pages::blueprints(&viewer, &versions)),
        Err(e) => api_error_page(&e),
    }
}

#[derive(Deserialize)]
pub(super) struct MatrixQuery {
    blueprint: Option<String>,
    view: Option<String>,
}

pub(super) async fn matrix_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(q): Query<MatrixQuery>,
) -> Response {
    let who = viewer.who.clone();
    let loaded = with_engine(&state, move |e| {
        let mut views = Vec::new();
        for name in blueprint_names(e)? {
            let b = e.blueprint(&name, None)?;
            views.extend(
                b.matrices
                    .iter()
                    .map(|m| (name.clone(), m.id.to_string(), m.label.clone())),
            );
        }
        let chosen = match (&q.blueprint, &q.view) {
            (Some(b), v) => Some((b.clone(), v.clone())),
            (None, _) => views.first().map(|(b, v, _)| (b.clone(), Some(v.clone()))),
        };
        let shown = chosen.map(|(b, v)| {
            e.matrix(&who, Some(&b), v.as_deref())
                .and_then(|m| Ok((m, e.blueprint(&b, None)?)))
        });
        Ok((views, shown))
    })
    .await;
    web_views::chosen_page(loaded, "matrix", None, |views, shown, n| {
        pages::matrix(&viewer, views, shown, n)
    })
}

/// The home page: the overview of what the viewer may read.
pub(super) async fn home(State(state): State<Shared>, viewer: Viewer) -> Response {
    let who = viewer.who.clone();
    match with_engine(&state, move |e| e.overview(&who)).await {
        Ok(overview) => html(StatusCode::OK, pages::home(&viewer, &overview)),
        Err(e) => api_error_page(&e),
    }
}

/// The pages of the web UI.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/items", get(items_page).post(create_item))
        .route("/tree", get(tree_page))
        .route("/items/{id}", get(item_page))
        .route("/items/{id}/fields", post(save_fields))
        .route("/items/{id}/move", post(move_item))
        .route("/items/{id}/signoff/{action}", post(signoff))
        .route("/items/{id}/subscription", post(subscription))
        .route("/items/{id}/timeline", get(timeline_page))
        .route("/items/{id}/explain", get(explain_page))
        .route("/reports/controls", get(controls_page))
        .route("/blueprints", get(blueprints_page))
        .route("/reviews", get(reviews_page))
        .route("/recertifications", get(recertifications_page))
        .route("/matrix", get(matrix_page))
        .route("/tables", get(web_views::tables_page))
        .route("/tables/{id}", get(web_views::table_id_page))
        .route("/board", get(web_views::board_page))
        .route("/board/move", post(web_views::move_card))
        .layer(axum::middleware::from_fn(same_origin))
}
