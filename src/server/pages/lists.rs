//! The list pages: items (filtered, sorted, a page at a time, with a
//! new-item form), the tree a level at a time, the reviews waiting for
//! the viewer, and the re-certifications falling due.

use super::frame::{
    ListFilter, Notice, Viewer, csrf, error_box, layout, refused_field, status_badge, step_label,
    verdict_badge, workflow_badge,
};
use super::item::field_input;
use crate::engine::rules::signoff::Status;
use crate::engine::{ItemView, PendingReview, Recertification, StatusView};
use crate::model::Blueprint;
use crate::model::invisible::shown;
use maud::{Markup, html};
use serde_json::Value;

/// A page of the item list: the blueprints (its tabs), the filter, the
/// statuses of the page, and the cursor of the next page.
pub struct ItemList<'a> {
    /// The blueprints, for the tabs.
    pub blueprints: &'a [String],
    /// The filter and order asked for.
    pub filter: &'a ListFilter,
    /// The page's items.
    pub statuses: &'a [StatusView],
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
}

/// The list of items, filterable and sortable, a page at a time, with a
/// form to create one.
pub fn items(
    viewer: &Viewer,
    list: &ItemList<'_>,
    create: Option<&(Blueprint, Vec<ItemView>)>,
    notice: Option<&Notice>,
) -> Markup {
    let ItemList {
        blueprints,
        filter,
        statuses,
        ..
    } = list;
    let chosen = filter.blueprint.as_deref().unwrap_or("");
    let steps: Vec<String> = create
        .map(|(b, _)| {
            b.workflow
                .iter()
                .flat_map(|w| &w.steps)
                .map(|s| s.id.to_string())
                .collect()
        })
        .unwrap_or_default();
    let link = |after: Option<&str>| {
        let mut f = (*filter).clone();
        f.after = after.map(str::to_string);
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
            (filter_form(chosen, filter, &steps))
            p.hint {
                (statuses.len()) " items on this page"
                @if filter.after.is_some() { " · " a href=(link(None)) { "first page" } }
            }
            table {
                thead { tr {
                    th scope="col" { "Item" } th scope="col" { "Blueprint" } th scope="col" { "Step" } th scope="col" { "Sign-offs" }
                    @for i in &infrastructures { th scope="col" { "Deploy: " (i) } }
                } }
                tbody {
                    @for s in statuses.iter() {
                        tr {
                            td { a href=(format!("/items/{}", s.item.id)) { (shown(&s.item.name)) } " " span.hint { "#" (s.item.id) } }
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
            @if statuses.is_empty() { p { "No item matches." } }
            @if let Some(next) = &list.next {
                nav.tabs aria-label="Pages" {
                    a href=(link(Some(next))) rel="next" { "Next →" }
                }
            }
            (create_form(viewer, chosen, create, notice))
        },
    )
}

/// The item list's filter: step, sign-off state, owner, deploy verdict,
/// condition and order, as asked for.
fn filter_form(chosen: &str, filter: &ListFilter, steps: &[String]) -> Markup {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let (step, state, owner, deploy, sort, condition) = (
        value(&filter.step),
        value(&filter.state),
        value(&filter.owner),
        value(&filter.deploy),
        value(&filter.sort),
        value(&filter.filter),
    );
    html! {
        form.filters method="get" action="/items" role="search" {
        @if !chosen.is_empty() { input type="hidden" name="blueprint" value=(chosen); }
        div {
            label for="step" { "Step" }
            @if steps.is_empty() {
                input #step type="text" name="step" value=(step);
            } @else {
                select #step name="step" {
                    option value="" { "any" }
                    @for s in steps { option value=(s) selected[*s == step] { (s) } }
                }
            }
        }
        div {
            label for="state" { "Sign-off state" }
            select #state name="state" {
                option value="" { "any" }
                @for s in [Status::NotStarted, Status::WaitingForFeedback, Status::WaitingForApproval, Status::Approved, Status::Rejected, Status::Abandoned, Status::NotApplicable] {
                    option value=(s.as_str()) selected[s.as_str() == state] { (s.as_str()) }
                }
            }
        }
        div { label for="owner" { "Owner" } input #owner type="text" name="owner" value=(owner); }
        div { label for="deploy" { "Deploy (e.g. prod:BLOCK)" } input #deploy type="text" name="deploy" value=(deploy); }
        div { label for="filter" { "Condition (e.g. sla validation breached)" } input #filter type="text" name="filter" value=(condition); }
        div {
            label for="sort" { "Order" }
            select #sort name="sort" {
                @for (v, l) in [("id", "oldest first"), ("updated", "recently updated"), ("due", "due soonest")] {
                    option value=(v) selected[v == sort || (sort.is_empty() && v == "id")] { (l) }
                }
            }
        }
        div { button type="submit" { "Filter" } }
    }
    }
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
                                @for p in parents { option value=(p.id) selected[typed("parent") == Some(p.id.as_str())] { (shown(&p.name)) " (#" (p.id) ")" } }
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

/// One level of the tree: the path to its parent (outermost first; empty
/// at the top), the items of the level, whether each has children, and the
/// cursor of the level's next page.
pub struct TreeLevel {
    /// The parent and its ancestors, outermost first.
    pub path: Vec<StatusView>,
    /// The level's items.
    pub level: Vec<StatusView>,
    /// Whether each of them has children.
    pub open: Vec<bool>,
    /// Where the level's next page starts.
    pub next: Option<String>,
    /// The parent, if not the top.
    pub parent: Option<i64>,
}

/// The tree initiative → project → model → version / bundle, a level at a
/// time: a node's children open on its own page, so a page costs the same
/// however many items there are.
pub fn tree(viewer: &Viewer, t: &TreeLevel) -> Markup {
    let node = |s: &StatusView| {
        html! {
            a href=(format!("/items/{}", s.item.id)) { (shown(&s.item.name)) }
            " " span.hint { (s.item.blueprint) " · " (step_label(s)) } " "
            @for o in &s.signoffs { (status_badge(o.status)) " " }
        }
    };
    let more = |after: &str| match t.parent {
        Some(p) => format!("/tree?parent={p}&after={after}"),
        None => format!("/tree?after={after}"),
    };
    let level = html! {
        ul.tree {
            @for (s, open) in t.level.iter().zip(&t.open) {
                li {
                    (node(s))
                    @if *open { " " a href=(format!("/tree?parent={}", s.item.id)) aria-label=(format!("children of {}", shown(&s.item.name))) { "▸ children" } }
                }
            }
        }
        @if t.level.is_empty() { p { "Nothing here." } }
        @if let Some(next) = &t.next { p { a href=(more(next)) rel="next" { "More →" } } }
    };
    // The path nests the level: each ancestor's list holds the next one.
    let nested = t.path.iter().rev().fold(level, |inner, s| {
        html! { ul.tree { li { (node(s)) (inner) } } }
    });
    layout(
        "Tree",
        Some(viewer),
        "/tree",
        html! {
            h1 { "Tree" }
            p.hint {
                "Every item you may read, under its parent: open a node for its children."
                @if t.parent.is_some() { " " a href="/tree" { "Back to the top" } }
            }
            (nested)
        },
    )
}

/// What waits for the viewer, most urgent first, a page at a time.
pub fn reviews(viewer: &Viewer, reviews: &[PendingReview], next: Option<&str>) -> Markup {
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
                                td { a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (shown(&r.name)) } }
                                td { (r.blueprint) } td { (r.step) } td { (status_badge(r.status)) }
                                td { (r.asked()) }
                                td { (super::service::due(r)) }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = next {
                nav.tabs aria-label="Pages" { a href=(format!("/reviews?after={next}")) rel="next" { "Next →" } }
            }
            p { a href="/recertifications" { "Re-certifications due" } " — approvals that lapse soon." }
        },
    )
}

/// The windows the re-certifications page offers.
pub const RECERTIFICATION_WINDOWS: [(&str, &str); 4] = [
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "a year"),
];

/// The sign-offs whose automatic reset falls due within `within`.
pub fn recertifications(viewer: &Viewer, list: &[Recertification], within: &str) -> Markup {
    let words = RECERTIFICATION_WINDOWS
        .iter()
        .find(|(w, _)| *w == within)
        .map_or(within, |(_, words)| words);
    layout(
        "Re-certifications due",
        Some(viewer),
        "/reviews",
        html! {
            h1 { "Re-certifications due" }
            form.filters method="get" action="/recertifications" {
                label { "Within "
                    select name="within" {
                        @for (w, label) in RECERTIFICATION_WINDOWS {
                            option value=(w) selected[w == within] { (label) }
                        }
                    }
                }
                " " button type="submit" { "Show" }
            }
            @if list.is_empty() {
                p { "No re-certification falls due within " (words) "." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Blueprint" } th scope="col" { "Step" } th scope="col" { "State" } th scope="col" { "Approved" } th scope="col" { "Reset" } th scope="col" { "Then" } } }
                    tbody {
                        @for r in list {
                            tr {
                                td { a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (shown(&r.name)) } }
                                td { (r.blueprint) } td { (r.step) } td { (status_badge(r.status)) }
                                td { @if let Some(at) = &r.approved_at { (super::item::when(at)) } }
                                td { (super::item::when(&r.due_at)) }
                                td { @if r.rerequest { "review requested again" } @else { "back to not started" } }
                            }
                        }
                    }
                }
            }
        },
    )
}
