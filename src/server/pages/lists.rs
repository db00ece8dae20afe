//! The list pages: items of a blueprint (filtered, paged, with a new-item
//! form), the tree of items, and the reviews waiting for the viewer.

use super::frame::{
    ListFilter, Notice, PAGE_SIZE, Viewer, csrf, error_box, layout, refused_field, status_badge,
    step_label, verdict_badge, workflow_badge,
};
use super::item::field_input;
use crate::engine::signoff::Status;
use crate::engine::{ItemView, PendingReview, StatusView};
use crate::model::Blueprint;
use maud::{Markup, html};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The list of items, filterable, with a form to create one.
pub fn items(
    viewer: &Viewer,
    blueprints: &[String],
    filter: &ListFilter,
    statuses: &[StatusView],
    create: Option<&(Blueprint, Vec<ItemView>)>,
    notice: Option<&Notice>,
) -> Markup {
    let chosen = filter.blueprint.as_deref().unwrap_or("");
    let q = filter.q.as_deref().unwrap_or("").to_lowercase();
    let step = filter.step.as_deref().unwrap_or("");
    let state = filter.state.as_deref().unwrap_or("");
    let steps: BTreeSet<String> = statuses
        .iter()
        .filter_map(|s| s.item.step.clone())
        .collect();
    let shown: Vec<&StatusView> = statuses
        .iter()
        .filter(|s| q.is_empty() || s.item.name.to_lowercase().contains(&q))
        .filter(|s| step.is_empty() || s.item.step.as_deref() == Some(step))
        .filter(|s| state.is_empty() || s.signoffs.iter().any(|o| o.status.as_str() == state))
        .collect();
    let pages = shown.len().div_ceil(PAGE_SIZE).max(1);
    let page = filter.page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * PAGE_SIZE;
    let rows = &shown[first.min(shown.len())..(first + PAGE_SIZE).min(shown.len())];
    let page_link = |p: usize| {
        let mut f = filter.clone();
        f.page = Some(p);
        format!(
            "/items?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    };
    let infrastructures: Vec<String> = statuses
        .first()
        .map(|s| s.deploy.iter().map(|d| d.infrastructure.clone()).collect())
        .unwrap_or_default();
    let tab = |b: &str| {
        if b.is_empty() {
            "/items".to_string()
        } else {
            format!("/items?blueprint={b}")
        }
    };
    layout(
        "Items",
        Some(viewer),
        "/items",
        html! {
            h1 { "Items" }
            nav.tabs aria-label="Blueprints" {
                @for b in std::iter::once("").chain(blueprints.iter().map(String::as_str)) {
                    a href=(tab(b)) aria-current=[(b == chosen).then_some("page")] { @if b.is_empty() { "All" } @else { (b) } }
                }
            }
            form.filters method="get" action="/items" role="search" {
                @if !chosen.is_empty() { input type="hidden" name="blueprint" value=(chosen); }
                div { label for="q" { "Name contains" } input #q type="search" name="q" value=(q); }
                div {
                    label for="step" { "Step" }
                    select #step name="step" {
                        option value="" { "any" }
                        @for s in &steps { option value=(s) selected[s == step] { (s) } }
                    }
                }
                div {
                    label for="state" { "Sign-off state" }
                    select #state name="state" {
                        option value="" { "any" }
                        @for s in [Status::NotStarted, Status::WaitingForFeedback, Status::WaitingForApproval, Status::Approved, Status::Rejected, Status::Abandoned] {
                            option value=(s.as_str()) selected[s.as_str() == state] { (s.as_str()) }
                        }
                    }
                }
                div { button type="submit" { "Filter" } }
            }
            p.hint {
                (shown.len()) " of " (statuses.len()) " items"
                @if pages > 1 { " · showing " (first + 1) "–" (first + rows.len()) }
            }
            table {
                thead { tr {
                    th scope="col" { "Item" } th scope="col" { "Blueprint" } th scope="col" { "Step" } th scope="col" { "Sign-offs" }
                    @for i in &infrastructures { th scope="col" { "Deploy: " (i) } }
                } }
                tbody {
                    @for s in rows {
                        tr {
                            td { a href=(format!("/items/{}", s.item.id)) { (s.item.name) } " " span.hint { "#" (s.item.id) } }
                            td { (s.item.blueprint) }
                            td { (step_label(s)) " " (workflow_badge(s.item.workflow)) }
                            td { @for o in &s.signoffs { span.hint { (o.label) ": " } (status_badge(o.status)) " " } }
                            @for i in &infrastructures {
                                td { @if let Some(d) = s.deploy.iter().find(|d| &d.infrastructure == i) { (verdict_badge(d.decision)) } }
                            }
                        }
                    }
                }
            }
            @if shown.is_empty() { p { "No item matches." } }
            @if pages > 1 {
                nav.tabs aria-label="Pages" {
                    @if page > 1 { a href=(page_link(page - 1)) rel="prev" { "← Previous" } }
                    span { "Page " (page) " of " (pages) }
                    @if page < pages { a href=(page_link(page + 1)) rel="next" { "Next →" } }
                }
            }
            (create_form(viewer, chosen, create, notice))
        },
    )
}

pub(super) fn create_form(
    viewer: &Viewer,
    chosen: &str,
    create: Option<&(Blueprint, Vec<ItemView>)>,
    notice: Option<&Notice>,
) -> Markup {
    // After a refusal, what the user typed is shown again, and the error next
    // to the field it is about.
    let typed = |name: &str| Notice::typed_at(notice, "create", name);
    let about = create
        .and_then(|(b, _)| refused_field(notice, "create", b.fields.iter().map(|f| f.id.as_str())));
    html! {
        section.card #create {
            h2 { "New item" }
            @match create {
                None => p { "Choose a blueprint above to create an item of it." }
                Some((blueprint, parents)) => {
                    form method="post" action="/items" {
                        (csrf(viewer))
                        input type="hidden" name="blueprint" value=(chosen);
                        label for="new-name" { "Name of the new " (blueprint.label) }
                        input #new-name type="text" name="name" required value=[typed("name")];
                        @if let Some(parent) = &blueprint.parent {
                            // As on the command line, the parent may be left out.
                            label for="new-parent" { "Parent " (parent) span.hint { " (optional)" } }
                            select #new-parent name="parent" {
                                option value="" { "none" }
                                @for p in parents { option value=(p.id) selected[typed("parent") == Some(p.id.as_str())] { (p.name) " (#" (p.id) ")" } }
                            }
                        }
                        @for f in blueprint.fields.iter().filter(|f| f.step.is_none()) {
                            (field_input(f, typed(&format!("f.{}", f.id)).map(|t| Value::String(t.to_string())).as_ref(), true))
                            @if about == Some(f.id.as_str()) { (error_box(notice, "create")) }
                        }
                        @if about.is_none() { (error_box(notice, "create")) }
                        div { button type="submit" { "Create" } }
                    }
                }
            }
        }
    }
}

/// The tree initiative → project → model → version / bundle.
pub fn tree(viewer: &Viewer, statuses: &[StatusView]) -> Markup {
    let ids: BTreeSet<&str> = statuses.iter().map(|s| s.item.id.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&StatusView>> = BTreeMap::new();
    for s in statuses {
        let parent = s.item.parent.as_deref().filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(s);
    }
    layout(
        "Tree",
        Some(viewer),
        "/tree",
        html! {
            h1 { "Tree" }
            p.hint { "Every item you may read, under its parent." }
            (tree_level(&children, None))
        },
    )
}

pub(super) fn tree_level(
    children: &BTreeMap<Option<&str>, Vec<&StatusView>>,
    parent: Option<&str>,
) -> Markup {
    html! {
        @if let Some(list) = children.get(&parent) {
            ul.tree {
                @for s in list {
                    li {
                        a href=(format!("/items/{}", s.item.id)) { (s.item.name) }
                        " " span.hint { (s.item.blueprint) " · " (step_label(s)) } " "
                        @for o in &s.signoffs { (status_badge(o.status)) " " }
                        (tree_level(children, Some(s.item.id.as_str())))
                    }
                }
            }
        }
    }
}

/// What waits for the viewer.
pub fn reviews(viewer: &Viewer, reviews: &[PendingReview]) -> Markup {
    layout(
        "My reviews",
        Some(viewer),
        "/reviews",
        html! {
            h1 { "My reviews" }
            @if reviews.is_empty() {
                p { "Nothing waits for you." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Blueprint" } th scope="col" { "Step" } th scope="col" { "State" } th scope="col" { "You are asked for" } th scope="col" { "Due" } } }
                    tbody {
                        @for r in reviews {
                            tr {
                                td { a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (r.name) } }
                                td { (r.blueprint) } td { (r.step) } td { (status_badge(r.status)) }
                                td { @if r.role == "final" { "the final approval" } @else { "feedback for " (r.group) } }
                                td { (super::service::due(r.due_at.as_ref(), r.breached)) }
                            }
                        }
                    }
                }
            }
        },
    )
}
