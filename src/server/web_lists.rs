//! The web UI's lists, each a page read from the kept index: items
//! (filtered by step, sign-off state, owner and deploy verdict, sorted by
//! id, update or due time), the tree a level at a time, and the reviews
//! waiting for the viewer, most urgent first.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::ApiError;
use super::pages::{self, ListFilter, Notice, PAGE_SIZE, Viewer};
use super::pool::with_engine;
use super::state::Shared;
use super::web_reply::{api_error_page, html};
use crate::engine::read::cursor::{self, List};
use crate::engine::rules::signoff::Status;
use crate::engine::{ItemFilter, Under, parse_deploy_filter};

fn bad_filter(message: String, help: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_input",
        message,
        Some(help.into()),
    )
}

/// The engine's filter and start of the page a list filter asks for.
fn engine_filter(f: &ListFilter) -> Result<(ItemFilter, crate::engine::ItemSeek), ApiError> {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let signoff = match given(&f.state) {
        Some(s) => Some(
            serde_json::from_value::<Status>(serde_json::Value::String(s.clone())).map_err(
                |_| {
                    bad_filter(
                        format!("`{s}` is not a sign-off state"),
                        "pick one from the list",
                    )
                },
            )?,
        ),
        None => None,
    };
    let deploy = match given(&f.deploy) {
        Some(d) => Some(
            parse_deploy_filter(&d)
                .map_err(|why| bad_filter(why, "write INFRASTRUCTURE:VERDICT, e.g. prod:BLOCK"))?,
        ),
        None => None,
    };
    let sort = given(&f.sort).unwrap_or_default();
    let list = cursor::item_sort(&sort).ok_or_else(|| {
        bad_filter(
            format!("`{sort}` is not an order of the list"),
            "sort by id, updated or due",
        )
    })?;
    let seek = cursor::item_seek(list, given(&f.after).as_deref()).ok_or_else(|| {
        bad_filter(
            "the page's start is not one of this list".into(),
            "follow the list's own links, or start again from its first page",
        )
    })?;
    let filter = ItemFilter {
        blueprint: given(&f.blueprint),
        step: given(&f.step),
        signoff,
        owner: given(&f.owner),
        deploy,
        condition: given(&f.filter),
        ..ItemFilter::default()
    };
    Ok((filter, seek))
}

pub(super) async fn items_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(filter): Query<ListFilter>,
) -> Response {
    render_items(&state, viewer, filter, None, StatusCode::OK).await
}

pub(super) async fn render_items(
    state: &Shared,
    viewer: Viewer,
    filter: ListFilter,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let (wanted, seek) = match engine_filter(&filter) {
        Ok(parts) => parts,
        Err(e) => return api_error_page(&e),
    };
    let who = viewer.who.clone();
    let loaded = with_engine(state, move |e| {
        let names = blueprint_names(e)?;
        let (statuses, next) = e.statuses_page(&who, &wanted, seek, PAGE_SIZE)?;
        let form = match &wanted.blueprint {
            Some(b) => {
                let blueprint = e.blueprint(b, None)?;
                // The parents a new item may go under: the first page of them.
                let parents = match &blueprint.parent {
                    Some(p) => {
                        e.items_page(&who, &ItemFilter::of(Some(p.as_str()), None), None, 1000)?
                            .0
                    }
                    None => Vec::new(),
                };
                Some((blueprint, parents))
            }
            None => None,
        };
        Ok((names, statuses, next, form))
    })
    .await;
    match loaded {
        Ok((names, statuses, next, form)) => html(
            status,
            pages::items(
                &viewer,
                &pages::ItemList {
                    blueprints: &names,
                    filter: &filter,
                    statuses: &statuses,
                    next: next.as_ref().and_then(cursor::item_cursor),
                },
                form.as_ref(),
                notice.as_ref(),
            ),
        ),
        Err(e) => api_error_page(&e),
    }
}

/// `?parent=ID&after=CURSOR` of the tree.
#[derive(Deserialize)]
pub(super) struct TreeQuery {
    parent: Option<i64>,
    after: Option<String>,
}

/// The tree a level at a time: the items without a parent, or the path to
/// one item and its children, each with a link to its own children.
pub(super) async fn tree_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(q): Query<TreeQuery>,
) -> Response {
    let after = match q.after.as_deref().map(|c| List::Items.number_after(c)) {
        Some(None) => {
            return api_error_page(&bad_filter(
                "the page's start is not one of the tree's".into(),
                "follow the tree's own links",
            ));
        }
        Some(Some(n)) => Some(n),
        None => None,
    };
    let who = viewer.who.clone();
    let loaded = with_engine(&state, move |e| {
        let path = match q.parent {
            Some(id) => {
                let mut path = vec![e.status(&who, id)?];
                while let Some(p) = path[0].item.parent.as_deref().and_then(|p| p.parse().ok()) {
                    match e.status(&who, p) {
                        Ok(s) => path.insert(0, s),
                        Err(_) => break,
                    }
                }
                path
            }
            None => Vec::new(),
        };
        let filter = ItemFilter {
            under: q.parent.map_or(Under::Root, Under::Parent),
            ..ItemFilter::default()
        };
        let (level, next) =
            e.statuses_page(&who, &filter, crate::engine::ItemSeek::Id(after), PAGE_SIZE)?;
        let mut open = Vec::with_capacity(level.len());
        for s in &level {
            let id: i64 = s.item.id.parse().unwrap_or(0);
            open.push(e.has_children(id)?);
        }
        Ok(pages::TreeLevel {
            path,
            level,
            open,
            next: next.as_ref().and_then(cursor::item_cursor),
            parent: q.parent,
        })
    })
    .await;
    match loaded {
        Ok(level) => html(StatusCode::OK, pages::tree(&viewer, &level)),
        Err(e) => api_error_page(&e),
    }
}

/// `?after=CURSOR` of the reviews.
#[derive(Deserialize)]
pub(super) struct ReviewsQuery {
    after: Option<String>,
}

/// `?within=30d` of the re-certifications page.
#[derive(Deserialize)]
pub(super) struct RecertificationsQuery {
    within: Option<String>,
}

pub(super) async fn recertifications_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(q): Query<RecertificationsQuery>,
) -> Response {
    let within = q.within.unwrap_or_else(|| "30d".into());
    let window = match crate::engine::parse_window(&within) {
        Ok(w) => w,
        Err(e) => return api_error_page(&e.into()),
    };
    let who = viewer.who.clone();
    match with_engine(&state, move |e| e.recertifications_due(&who, window, None)).await {
        Ok(list) => html(
            StatusCode::OK,
            pages::recertifications(&viewer, &list, within.trim()),
        ),
        Err(e) => api_error_page(&e),
    }
}

pub(super) async fn reviews_page(
    State(state): State<Shared>,
    viewer: Viewer,
    Query(q): Query<ReviewsQuery>,
) -> Response {
    let after = match q.after.as_deref().map(cursor::review_after) {
        Some(None) => {
            return api_error_page(&bad_filter(
                "the page's start is not one of this list".into(),
                "follow the list's own links",
            ));
        }
        Some(found) => found,
        None => None,
    };
    let who = viewer.who.clone();
    match with_engine(&state, move |e| e.reviews_by_due(&who, after, PAGE_SIZE)).await {
        Ok((reviews, next)) => html(
            StatusCode::OK,
            pages::reviews(
                &viewer,
                &reviews,
                next.as_ref().map(cursor::review_cursor).as_deref(),
            ),
        ),
        Err(e) => api_error_page(&e),
    }
}

pub(super) fn blueprint_names(e: &mut crate::engine::Engine) -> crate::engine::Result<Vec<String>> {
    let mut names: Vec<String> = e
        .blueprint_versions()?
        .into_iter()
        .map(|v| v.blueprint)
        .collect();
    names.dedup();
    Ok(names)
}
