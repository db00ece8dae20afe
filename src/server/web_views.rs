//! The web UI's views of many items at once: a blueprint's board (its steps
//! as columns, a card per item, moved with a plain form by the same rules
//! and revision check as any workflow move) and the declared table views.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::ApiError;
use super::pages::{self, Notice, Viewer};
use super::pool::{with_engine, with_writer};
use super::state::Shared;
use super::web_lists::blueprint_names;
use super::web_reply::{api_error_page, html, notice};
use super::web_session::Posted;
use super::web_session::revision;
use crate::engine::Engine;
use maud::Markup;

/// A page of views to choose from (`list`) with the chosen one (`shown`):
/// rendered by `page`; a chosen view that cannot be shown is explained at
/// `place` with its status; `refused` is an action's refusal, with where
/// it is shown.
pub(super) fn chosen_page<L, V>(
    loaded: Result<(L, Option<crate::engine::Result<V>>), ApiError>,
    place: &str,
    refused: Option<(ApiError, String)>,
    page: impl Fn(&L, Option<&V>, Option<&Notice>) -> Markup,
) -> Response {
    match loaded {
        Ok((list, Some(Err(e)))) => {
            let e = ApiError::from(e);
            html(e.status, page(&list, None, Some(&notice(place, &e))))
        }
        Ok((list, shown)) => {
            let shown = shown.and_then(Result::ok);
            match refused {
                Some((e, at)) => html(e.status, page(&list, shown.as_ref(), Some(&notice(at, &e)))),
                None => html(StatusCode::OK, page(&list, shown.as_ref(), None)),
            }
        }
        Err(e) => api_error_page(&e),
    }
}

#[derive(Deserialize)]
pub(super) struct BoardQuery {
    blueprint: Option<String>,
}

/// Each blueprint with a workflow: (id, label).
fn boards(e: &mut Engine) -> crate::engine::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for name in blueprint_names(e)? {
        let b = e.blueprint(&name, None)?;
        if b.workflow.is_some() {
            out.push((name, b.label.clone()));
        }
    }
    Ok(out)
}

/// The board of `blueprint` (the first with a workflow), with `notice` at
/// its place when a move was refused.
async fn render_board(
    state: &Shared,
    viewer: Viewer,
    blueprint: Option<String>,
    refused: Option<ApiError>,
    place: String,
) -> Response {
    let who = viewer.who.clone();
    let loaded = with_engine(state, move |e| {
        let list = boards(e)?;
        let chosen = blueprint.or_else(|| list.first().map(|(b, _)| b.clone()));
        let shown = chosen.map(|b| e.board(&who, &b));
        Ok((list, shown))
    })
    .await;
    let refused = refused.map(|e| (e, place));
    chosen_page(loaded, "board", refused, |list, shown, n| {
        pages::board(&viewer, list, shown, n)
    })
}

pub(super) async fn board_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(q): Query<BoardQuery>,
) -> Response {
    render_board(&state, viewer, q.blueprint, None, String::new()).await
}

/// A card moved: the workflow move, then the board again with the card in
/// its new column, or with why the move was refused on the card.
pub(super) async fn move_card(
    State(state): State<Shared>,
    Posted { viewer, form }: Posted,
) -> Response {
    let blueprint = form.get("blueprint").cloned().filter(|b| !b.is_empty());
    let Some(id) = form.get("item").and_then(|i| i.parse::<i64>().ok()) else {
        let e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "the move names no item",
            Some("move a card with its own form".into()),
        );
        return render_board(&state, viewer, blueprint, Some(e), "board".into()).await;
    };
    let expected = revision(&form);
    // A card moves to the step chosen, never to one the form happened to show.
    let Some(step) = form.get("step").cloned().filter(|s| !s.is_empty()) else {
        let e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "no step was chosen",
            Some("choose the step to move the card to, then press Move".into()),
        );
        return render_board(&state, viewer, blueprint, Some(e), format!("card:{id}")).await;
    };
    let who = viewer.who.clone();
    let moved = with_writer(&state, move |e| {
        e.move_item(&who, id, Some(&step), expected, None)
    })
    .await;
    match moved {
        Ok(_) => {
            let to = match &blueprint {
                Some(b) => format!("/board?blueprint={b}#card-{id}"),
                None => format!("/board#card-{id}"),
            };
            Redirect::to(&to).into_response()
        }
        Err(e) => render_board(&state, viewer, blueprint, Some(e), format!("card:{id}")).await,
    }
}

#[derive(Deserialize)]
pub(super) struct TablePageQuery {
    after: Option<String>,
}

/// The tables, the first one shown.
pub(super) async fn tables_page(state: State<Shared>, viewer: Viewer) -> Response {
    table_page(state, viewer, None, None).await
}

/// Table `id`, a page at a time.
pub(super) async fn table_id_page(
    state: State<Shared>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<TablePageQuery>,
) -> Response {
    table_page(state, viewer, Some(id), q.after).await
}

async fn table_page(
    State(state): State<Shared>,
    viewer: Viewer,
    id: Option<String>,
    after: Option<String>,
) -> Response {
    let who = viewer.who.clone();
    let loaded = with_engine(&state, move |e| {
        let list = e.tables()?;
        let chosen = id.or_else(|| list.first().map(|t| t.id.clone()));
        let shown = chosen.map(|id| e.table(&who, &id, Some(pages::PAGE_SIZE), after.as_deref()));
        Ok((list, shown))
    })
    .await;
    chosen_page(loaded, "table", None, |list, shown, n| {
        pages::tables(&viewer, list, shown, n)
    })
}
