//! The HTML of the web UI (maud: checked at compile time, escaped by
//! default). Rendering only: the handlers in `web.rs` load what a page shows
//! and decide what happens; nothing here touches the engine.

use std::collections::{BTreeMap, BTreeSet};

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::field_text;
use super::web::{ListFilter, Viewer};
use crate::engine::signoff::Status;
use crate::engine::workflow::{StepState, WorkflowState};
use crate::engine::{
    ItemView, MatrixView, PendingReview, Permitted, SignOffView, StatusView, Verdict,
};
use crate::model::{Blueprint, FieldType, Policy};
use crate::store::EventRow;

/// An error to show next to what caused it.
pub struct Notice {
    /// Where: `fields`, `workflow`, `signoff:STEP`, `subscription`, `create`, `token`.
    pub place: String,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Notice {
    /// A notice at `place`.
    pub fn at(place: &str, message: &str, help: Option<&str>) -> Notice {
        Notice {
            place: place.into(),
            message: message.into(),
            help: help.map(str::to_string),
        }
    }
}

/// What the item page shows.
pub struct ItemPage {
    /// The item and its governance status.
    pub status: StatusView,
    /// What the viewer may do.
    pub permitted: Permitted,
    /// The item's blueprint, at its pinned version.
    pub blueprint: Blueprint,
    /// Its children.
    pub children: Vec<ItemView>,
    /// The viewer's own subscription to this item, if they set one.
    pub subscribed: Option<bool>,
}

/// Items shown per page of the list.
const PAGE_SIZE: usize = 100;

const CSS: &str = r#"
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
a{color:#1450a3}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f5a623;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:9}
header{background:#1d2430;color:#fff;padding:0 24px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;padding:14px 0;display:inline-block}
header a[aria-current]{border-bottom:3px solid #f5a623}
header .brand{font-weight:700;letter-spacing:.02em}
header nav{display:flex;gap:20px;flex:1}
header form{margin:0}
header button{background:none;border:1px solid #8a94a6;color:#fff}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6rem;margin:.6em 0 .3em}
h2{font-size:1.25rem;margin:1.4em 0 .5em}
h3{font-size:1.05rem;margin:1em 0 .4em}
section.card{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 18px;margin:14px 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e7ec;vertical-align:top}
th{background:#eef1f5;font-weight:600}
label{font-weight:600;display:block;margin-top:8px}
.hint{color:#5b6475;font-size:.9rem;font-weight:400}
input,select,textarea{font:inherit;padding:5px 8px;border:1px solid #9aa3b2;border-radius:4px;min-width:16rem;max-width:100%}
textarea{width:100%;min-height:3.2em}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #1450a3;background:#1450a3;color:#fff;cursor:pointer;margin:6px 6px 0 0}
button.secondary{background:#fff;color:#1450a3}
button.danger{background:#a32014;border-color:#a32014}
.actions{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:flex-end}
.actions form{margin:0}
.error{border-left:4px solid #c0261a;background:#fdecea;padding:8px 12px;margin:8px 0}
.error p{margin:2px 0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.82rem;font-weight:600;background:#e4e7ec;color:#1d2430;white-space:nowrap}
.s-APPROVED,.d-ALLOW,.v-APPROVED,.st-FINISHED{background:#d6f0dc;color:#0f5a23}
.s-WAITING_FOR_FEEDBACK,.s-WAITING_FOR_APPROVAL,.d-CONFIRM,.v-MINOR_ISSUE,.st-ONGOING{background:#fff1c9;color:#6b4b00}
.s-REJECTED,.s-ABANDONED,.d-BLOCK,.v-MAJOR_ISSUE,.st-LOCKED{background:#fbd9d5;color:#8a1c11}
ol.steps{display:flex;list-style:none;padding:0;margin:8px 0;gap:4px;flex-wrap:wrap}
ol.steps li{flex:1;min-width:8rem;padding:8px 10px;background:#e4e7ec;border-radius:4px;font-size:.92rem}
ol.steps li.finished{background:#d6f0dc}
ol.steps li.ongoing{background:#1450a3;color:#fff;font-weight:600}
ol.steps li.locked{background:#a32014;color:#fff;font-weight:600}
.state{display:block;font-size:.78rem;font-weight:400}
.groups{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.group{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px}
.group.complete{border-color:#5bb374}
ul.reviews{list-style:none;padding:0;margin:6px 0}
ul.reviews li{padding:4px 0;border-top:1px dashed #e4e7ec}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:6px 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-end}
.filters label{margin:0}
.tabs{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}
.tabs a{padding:4px 12px;border:1px solid #9aa3b2;border-radius:14px;text-decoration:none}
.tabs a[aria-current]{background:#1450a3;color:#fff;border-color:#1450a3}
ul.tree,ul.tree ul{list-style:none;padding-left:1.4em}
ul.tree li{margin:4px 0}
svg.matrix{background:#fff;border:1px solid #dde1e7;max-width:100%;height:auto}
ol.timeline{list-style:none;padding:0}
ol.timeline li{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;margin:8px 0}
ol.timeline time{color:#5b6475;font-size:.9rem}
"#;

/// The page frame: header, navigation, main landmark.
fn layout(title: &str, viewer: Option<&Viewer>, current: &str, body: Markup) -> Markup {
    let nav = [
        ("/items", "Items"),
        ("/tree", "Tree"),
        ("/reviews", "My reviews"),
        ("/matrix", "Matrix"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · govrt" }
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    span.brand { "govrt" }
                    @if let Some(v) = viewer {
                        nav aria-label="Main" {
                            @for (href, label) in nav {
                                a href=(href) aria-current=[(current == href).then_some("page")] { (label) }
                            }
                        }
                        span { "Signed in as " strong { (v.who.name) } }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(v.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

fn error_box(notice: Option<&Notice>, place: &str) -> Markup {
    html! {
        @if let Some(n) = notice.filter(|n| n.place == place) {
            div.error role="alert" id=(format!("error-{}", place.replace(':', "-"))) {
                p { strong { "Refused: " } (n.message) }
                @if let Some(h) = &n.help { p.hint { (h) } }
            }
        }
    }
}

fn csrf(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// A page for an error that stops the page itself.
pub fn error_page(status: axum::http::StatusCode, message: &str, help: &str) -> Markup {
    layout(
        "Error",
        None,
        "",
        html! {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("error")) }
            div.error role="alert" { p { (message) } @if !help.is_empty() { p.hint { (help) } } }
            p { a href="/items" { "Back to the items" } }
        },
    )
}

/// The sign-in form.
pub fn login(next: &str, notice: Option<&Notice>) -> Markup {
    layout(
        "Sign in",
        None,
        "",
        html! {
            h1 { "Sign in" }
            section.card {
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    label for="token" { "Your token" span.hint { " — an admin creates one with " code { "govrt token create USER" } } }
                    input #token type="password" name="token" autocomplete="current-password" required autofocus aria-describedby=[notice.map(|_| "error-token")];
                    (error_box(notice, "token"))
                    div { button type="submit" { "Sign in" } }
                }
            }
        },
    )
}

fn status_badge(s: Status) -> Markup {
    html! { span class=(format!("badge s-{}", s.as_str())) { (s.as_str().replace('_', " ")) } }
}

fn verdict_badge(v: Verdict) -> Markup {
    html! { span class=(format!("badge d-{}", v.as_str())) { (v.as_str()) } }
}

fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::Prevent => "prevent",
        Policy::Warn => "warn",
        Policy::Always => "always",
    }
}

fn workflow_badge(w: Option<WorkflowState>) -> Markup {
    let name = match w {
        Some(WorkflowState::Ongoing) => "ONGOING",
        Some(WorkflowState::Finished) => "FINISHED",
        Some(WorkflowState::Locked) => "LOCKED",
        None => return html! {},
    };
    html! { span class=(format!("badge st-{name}")) { (name) } }
}

fn step_label(status: &StatusView) -> String {
    let Some(step) = &status.item.step else {
        return "—".into();
    };
    status
        .steps
        .iter()
        .find(|s| &s.id == step)
        .map_or_else(|| step.clone(), |s| s.label.clone())
}

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

fn create_form(
    viewer: &Viewer,
    chosen: &str,
    create: Option<&(Blueprint, Vec<ItemView>)>,
    notice: Option<&Notice>,
) -> Markup {
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
                        input #new-name type="text" name="name" required;
                        @if let Some(parent) = &blueprint.parent {
                            label for="new-parent" { "Parent " (parent) }
                            select #new-parent name="parent" required {
                                option value="" { "choose…" }
                                @for p in parents { option value=(p.id) { (p.name) " (#" (p.id) ")" } }
                            }
                        }
                        @for f in blueprint.fields.iter().filter(|f| f.step.is_none()) {
                            (field_input(f, None, true))
                        }
                        (error_box(notice, "create"))
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

fn tree_level(children: &BTreeMap<Option<&str>, Vec<&StatusView>>, parent: Option<&str>) -> Markup {
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

fn input_id(field: &str) -> String {
    format!("f-{field}")
}

/// A typed input for a field, or its value when it cannot be edited.
fn field_input(f: &crate::model::Field, value: Option<&Value>, editable: bool) -> Markup {
    let id = input_id(f.id.as_str());
    let name = format!("f.{}", f.id);
    let text = value.map(field_text).unwrap_or_default();
    let hint = match &f.ty {
        FieldType::List { .. } => format!("{} — separate values with commas", f.ty.describe()),
        FieldType::DateTime => format!("{} (UTC)", f.ty.describe()),
        other => other.describe(),
    };
    html! {
        div.field {
            label for=(id) { (f.label) @if f.required { " *" } " " span.hint { "(" (hint) ")" } }
            @if let Some(help) = &f.help { p.hint id=(format!("{id}-help")) { (help) } }
            @if !editable {
                output #(id) { @if text.is_empty() { span.hint { "not set" } } @else { (text) } }
            } @else {
                @match &f.ty {
                    FieldType::Text => textarea #(id) name=(name) rows="2" { (text) },
                    FieldType::Int { min, max } => input #(id) type="number" step="1" name=(name) value=(text) min=[min] max=[max];,
                    FieldType::Number => input #(id) type="number" step="any" name=(name) value=(text);,
                    FieldType::Bool => select #(id) name=(name) {
                        option value="" { "not set" }
                        option value="true" selected[text == "true"] { "yes" }
                        option value="false" selected[text == "false"] { "no" }
                    },
                    FieldType::Date => input #(id) type="date" name=(name) value=(text);,
                    FieldType::DateTime => input #(id) type="datetime-local" name=(name) value=(text.get(..16).unwrap_or(&text));,
                    FieldType::Url => input #(id) type="url" name=(name) value=(text);,
                    FieldType::Enum { variants } => select #(id) name=(name) {
                        option value="" { "not set" }
                        @for v in variants { option value=(v) selected[*v == text] { (v) } }
                    },
                    _ => input #(id) type="text" name=(name) value=(text);,
                }
            }
        }
    }
}

/// The item page: fields, step bar, sign-off panels, deploy status.
pub fn item(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let s = &page.status;
    let item = &s.item;
    layout(
        &item.name,
        Some(viewer),
        "/items",
        html! {
            p.hint {
                a href=(format!("/items?blueprint={}", item.blueprint)) { (page.blueprint.label) }
                @if let Some(p) = &item.parent { " · parent " a href=(format!("/items/{p}")) { "#" (p) } }
                " · " a href=(format!("/items/{}/timeline", item.id)) { "Timeline" }
            }
            h1 { (item.name) " " span.hint { "#" (item.id) } " " (workflow_badge(item.workflow)) }
            (error_box(notice, "page"))
            dl.facts {
                dt { "Blueprint" } dd { (item.blueprint) " v" (item.version) }
                dt { "Created by" } dd { (item.creator) " · " (item.created_at.format("%Y-%m-%d %H:%M UTC")) }
                dt { "Revision" } dd { (item.revision) }
            }
            @if !s.steps.is_empty() { (workflow_panel(viewer, page, notice)) }
            @for o in &s.signoffs { (signoff_panel(viewer, page, o, notice)) }
            (deploy_panel(s))
            (fields_panel(viewer, page, notice))
            @if !page.children.is_empty() {
                section.card {
                    h2 { "Children" }
                    ul { @for c in &page.children { li { a href=(format!("/items/{}", c.id)) { (c.name) } " " span.hint { (c.blueprint) } } } }
                }
            }
            (subscription_panel(viewer, page, notice))
        },
    )
}

fn workflow_panel(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let s = &page.status;
    let locked = s.item.workflow == Some(WorkflowState::Locked);
    html! {
        section.card #workflow aria-labelledby="workflow-h" {
            h2 #workflow-h { "Workflow" }
            ol.steps {
                @for step in &s.steps {
                    @let (class, word) = match step.state {
                        StepState::Finished => ("finished", "finished"),
                        StepState::Ongoing if locked => ("locked", "locked"),
                        StepState::Ongoing => ("ongoing", "ongoing"),
                        StepState::NotStarted => ("not-started", "not started"),
                    };
                    li class=(class) aria-current=[(step.state == StepState::Ongoing).then_some("step")] {
                        (step.label) span.state { (word) }
                    }
                }
            }
            (error_box(notice, "workflow"))
            @if page.permitted.write {
                div.actions {
                    @if s.item.workflow == Some(WorkflowState::Ongoing) {
                        form method="post" action=(format!("/items/{}/move", s.item.id)) {
                            (csrf(viewer)) input type="hidden" name="revision" value=(s.item.revision);
                            button type="submit" { "Advance to the next step" }
                        }
                    }
                    form method="post" action=(format!("/items/{}/move", s.item.id)) {
                        (csrf(viewer)) input type="hidden" name="revision" value=(s.item.revision);
                        label for="move-step" { "Move to step" }
                        select #move-step name="step" required {
                            @for step in &s.steps { option value=(step.id) selected[Some(&step.id) == s.item.step.as_ref()] { (step.label) } }
                        }
                        button.secondary type="submit" { "Move" }
                    }
                }
            }
        }
    }
}

fn when(t: &chrono::DateTime<chrono::Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M UTC")) } }
}

/// One button posting a sign-off action, with an optional comment.
fn action_form(
    viewer: &Viewer,
    item: &str,
    step: &str,
    action: &str,
    label: &str,
    comment: bool,
    class: &str,
) -> Markup {
    let comment_id = format!("{action}-{step}-comment");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/{action}")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step);
            @if comment {
                label for=(comment_id) { "Comment" span.hint { " (optional)" } }
                textarea #(comment_id) name="comment" rows="2" {}
            }
            button class=(class) type="submit" { (label) }
        }
    }
}

fn signoff_panel(
    viewer: &Viewer,
    page: &ItemPage,
    o: &SignOffView,
    notice: Option<&Notice>,
) -> Markup {
    let item = page.status.item.id.as_str();
    let step = o.step.as_str();
    let allowed = page
        .permitted
        .signoffs
        .get(step)
        .cloned()
        .unwrap_or_default();
    let may = |a: &str| allowed.iter().any(|x| x == a);
    let step_label = page
        .status
        .steps
        .iter()
        .find(|s| s.id == o.step)
        .map_or(step, |s| s.label.as_str());
    let place = format!("signoff:{step}");
    html! {
        section.card id=(format!("signoff-{step}")) aria-labelledby=(format!("signoff-{step}-h")) {
            h2 id=(format!("signoff-{step}-h")) { "Sign-off: " (o.label) " " (status_badge(o.status)) }
            dl.facts {
                dt { "Step" } dd { (step_label) }
                dt { "Rules" } dd { @if o.mandatory { "mandatory" } @else { "optional" } @if o.gates_deployment { " · gates deployment" } }
                @if let Some(r) = &o.requester { dt { "Requested by" } dd { (r) } }
                @if let Some(t) = &o.approved_at { dt { "Approved at" } dd { (when(t)) } }
                @if let Some(t) = &o.next_reset_at { dt { "Re-certification due" } dd { (when(t)) } }
                @if let Some(t) = &o.scheduled_reset_at { dt { "Reset scheduled" } dd { (when(t)) } }
                @if o.rounds_archived > 0 { dt { "Earlier rounds" } dd { (o.rounds_archived) " archived (see the timeline)" } }
            }
            h3 { "Feedback" }
            div.groups {
                @for g in &o.feedback {
                    div.group.complete[g.complete] {
                        strong { (g.label) } " "
                        span.hint { (g.reviews.len().min(usize::try_from(g.min).unwrap_or(usize::MAX))) " of " (g.min) " reviews needed" @if g.complete { " ✓" } }
                        ul.reviews {
                            @for r in &g.reviews {
                                li {
                                    span class=(format!("badge v-{}", r.verdict.as_str())) { (r.verdict.as_str().replace('_', " ")) } " by " strong { (r.reviewer) }
                                    @if r.as_admin { " (as admin)" } " · " (when(&r.at))
                                    @if let Some(c) = &r.comment { br; q { (c) } }
                                }
                            }
                            @if g.reviews.is_empty() { li.hint { "No feedback yet." } }
                        }
                        @if may(&format!("feedback:{}", g.id)) { (feedback_form(viewer, item, step, &g.id, g.reviews.iter().find(|r| r.reviewer == viewer.who.name))) }
                        @if may(&format!("delegate:{}", g.id)) { (delegate_form(viewer, item, step, &g.id)) }
                    }
                }
            }
            h3 { "Final approval" }
            @match &o.decision {
                Some(d) => p {
                    @if d.approved { span.badge.s-APPROVED { "APPROVED" } } @else { span.badge.s-REJECTED { "REJECTED" } }
                    " by " strong { (d.by) } @if d.as_admin { " (as admin)" } " · " (when(&d.at))
                    @if let Some(c) = &d.comment { br; q { (c) } }
                },
                None => p.hint { "No decision yet." },
            }
            @if !o.delegations.is_empty() {
                h3 { "Delegations" }
                ul { @for d in &o.delegations { li { (d.from) " → " strong { (d.to) } " for " (d.group) " · " (when(&d.at)) } } }
            }
            (error_box(notice, &place))
            @if allowed.iter().any(|a| !a.starts_with("feedback:") && !a.starts_with("delegate:") || a == "delegate:final") {
                h3 { "Your actions" }
                div.actions {
                    @if may("request-review") { (action_form(viewer, item, step, "request-review", "Request review", false, "")) }
                    @if may("request-final") { (action_form(viewer, item, step, "request-final", "Request final approval", false, "")) }
                    @if may("back-to-feedback") { (action_form(viewer, item, step, "back-to-feedback", "Back to feedback", false, "secondary")) }
                    @if may("approve") { (action_form(viewer, item, step, "approve", "Approve", true, "")) }
                    @if may("reject") { (action_form(viewer, item, step, "reject", "Reject", true, "danger")) }
                    @if may("delegate:final") { (delegate_form(viewer, item, step, "final")) }
                    @if may("abandon") { (action_form(viewer, item, step, "abandon", "Abandon", false, "danger")) }
                    @if may("cancel-abandon") { (action_form(viewer, item, step, "cancel-abandon", "Cancel abandon", false, "secondary")) }
                    @if may("reset") { (action_form(viewer, item, step, "reset", "Reset", false, "secondary")) }
                    @if may("schedule-reset") {
                        form method="post" action=(format!("/items/{item}/signoff/schedule-reset")) {
                            (csrf(viewer)) input type="hidden" name="step" value=(step);
                            label for=(format!("at-{step}")) { "Reset on" span.hint { " (UTC)" } }
                            input id=(format!("at-{step}")) type="datetime-local" name="at" required;
                            button.secondary type="submit" { "Schedule reset" }
                        }
                    }
                }
            }
        }
    }
}

fn feedback_form(
    viewer: &Viewer,
    item: &str,
    step: &str,
    group: &str,
    mine: Option<&crate::engine::signoff::Review>,
) -> Markup {
    let base = format!("fb-{step}-{group}");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/feedback")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step); input type="hidden" name="group" value=(group);
            fieldset {
                legend { @if mine.is_some() { "Edit your feedback" } @else { "Your feedback" } }
                @for v in ["approved", "minor", "major"] {
                    @let id = format!("{base}-{v}");
                    input id=(id) type="radio" name="verdict" value=(v) required checked[mine.is_some_and(|m| Some(m.verdict) == crate::engine::signoff::Verdict::parse(v))];
                    label for=(id) style="display:inline;margin-right:12px" { (v) }
                }
                label for=(format!("{base}-comment")) { "Comment" span.hint { " (optional)" } }
                textarea id=(format!("{base}-comment")) name="comment" rows="2" { (mine.and_then(|m| m.comment.clone()).unwrap_or_default()) }
                button type="submit" { @if mine.is_some() { "Update feedback" } @else { "Give feedback" } }
            }
        }
    }
}

fn delegate_form(viewer: &Viewer, item: &str, step: &str, group: &str) -> Markup {
    let id = format!("dg-{step}-{group}");
    html! {
        form method="post" action=(format!("/items/{item}/signoff/delegate")) {
            (csrf(viewer)) input type="hidden" name="step" value=(step); input type="hidden" name="group" value=(group);
            label for=(id) { "Delegate " @if group == "final" { "the final approval" } @else { "this review" } " to" span.hint { " (user name)" } }
            input id=(id) type="text" name="user" required;
            button.secondary type="submit" { "Delegate" }
        }
    }
}

fn deploy_panel(s: &StatusView) -> Markup {
    html! {
        section.card #deploy aria-labelledby="deploy-h" {
            h2 #deploy-h { "Governance status" }
            p { "Sign-offs that gate deployment: " @if s.approved { span.badge.s-APPROVED { "all approved" } } @else { span.badge.s-REJECTED { "not approved" } } }
            @if !s.deploy.is_empty() {
                table {
                    thead { tr { th scope="col" { "Infrastructure" } th scope="col" { "Policy" } th scope="col" { "Decision" } th scope="col" { "Why" } } }
                    tbody {
                        @for d in &s.deploy {
                            tr { td { (d.infrastructure) } td { (policy_name(d.policy)) } td { (verdict_badge(d.decision)) } td { (d.reason) } }
                        }
                    }
                }
            }
        }
    }
}

fn fields_panel(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let item = &page.status.item;
    let editable = page.permitted.write;
    let step_label = |id: &str| {
        page.blueprint
            .step(id)
            .map_or_else(|| id.to_string(), |s| s.label.clone())
    };
    html! {
        section.card #fields aria-labelledby="fields-h" {
            h2 #fields-h { "Fields" }
            @if !editable { p.hint { "You may read these fields; only those with write permission may change them." } }
            form method="post" action=(format!("/items/{}/fields", item.id)) {
                (csrf(viewer)) input type="hidden" name="revision" value=(item.revision);
                @for f in page.blueprint.fields.iter().filter(|f| f.step.is_none()) {
                    (field_input(f, item.fields.get(f.id.as_str()), editable))
                }
                @for step in page.blueprint.workflow.iter().flat_map(|w| &w.steps).filter(|s| !s.fields.is_empty()) {
                    h3 { "Step " (step_label(step.id.as_str())) }
                    @for f in page.blueprint.fields.iter().filter(|f| f.step.as_ref() == Some(&step.id)) {
                        (field_input(f, item.fields.get(f.id.as_str()), editable))
                    }
                }
                (error_box(notice, "fields"))
                @if editable { div { button type="submit" { "Save fields" } } }
            }
        }
    }
}

fn subscription_panel(viewer: &Viewer, page: &ItemPage, notice: Option<&Notice>) -> Markup {
    let id = &page.status.item.id;
    let button = |on: bool, label: &str| {
        html! {
            form method="post" action=(format!("/items/{id}/subscription")) {
                (csrf(viewer)) input type="hidden" name="subscribed" value=(on);
                button.secondary type="submit" { (label) }
            }
        }
    };
    html! {
        section.card #subscription aria-labelledby="subscription-h" {
            h2 #subscription-h { "Notifications" }
            @match page.subscribed {
                Some(true) => { p { "You are subscribed to this item and what lies under it." } (button(false, "Unsubscribe")) }
                Some(false) => { p { "You unsubscribed from this item." } (button(true, "Subscribe")) }
                None => { p { "You follow this item only through an ancestor you subscribed to, if any." } div.actions { (button(true, "Subscribe")) (button(false, "Unsubscribe")) } }
            }
            (error_box(notice, "subscription"))
        }
    }
}

/// An audit event in words.
fn describe(e: &EventRow) -> String {
    let d = &e.details;
    let text = |v: &Value| field_text(v);
    match e.action.as_str() {
        "item.create" => format!("created the item “{}”", text(&d["name"])),
        "item.set" => {
            let names: Vec<&String> = d["fields"]
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            format!(
                "changed {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        "item.move" => {
            let finished = d["after"]["finished"].as_bool().unwrap_or(false);
            if finished {
                "finished the workflow".into()
            } else {
                format!(
                    "moved it from step {} to step {}",
                    text(&d["before"]["step"]),
                    text(&d["after"]["step"])
                )
            }
        }
        "item.delete" => "deleted the item".into(),
        "subscription.add" => "subscribed".into(),
        "subscription.remove" => "unsubscribed".into(),
        "deploy.confirm" => format!("confirmed a deployment on {}", text(&d["infrastructure"])),
        a if a.starts_with("signoff.") => {
            let what = a.trim_start_matches("signoff.").replace('_', " ");
            let mut out = format!("{what} on the sign-off of step {}", text(&d["step"]));
            if let Some(g) = d["action"]["group"].as_str() {
                out.push_str(&format!(" (group {g})"));
            }
            if let Some(v) = d["action"]["verdict"].as_str() {
                out.push_str(&format!(": {v}"));
            }
            if let (Some(b), Some(a)) = (d["before"].as_str(), d["after"].as_str())
                && b != a
            {
                out.push_str(&format!(
                    " — {} → {}",
                    b.replace('_', " "),
                    a.replace('_', " ")
                ));
            }
            out
        }
        other => other.replace(['.', '_'], " "),
    }
}

/// The audit events of an item, newest first.
pub fn timeline(viewer: &Viewer, item: &ItemView, events: &[EventRow]) -> Markup {
    layout(
        &format!("Timeline of {}", item.name),
        Some(viewer),
        "/items",
        html! {
            p.hint { a href=(format!("/items/{}", item.id)) { "← " (item.name) } }
            h1 { "Timeline of " (item.name) }
            p.hint { (events.len()) " events, from the audit trail (each one hash-chained to the one before)." }
            ol.timeline reversed {
                @for e in events.iter().rev() {
                    li {
                        time datetime=(e.at) { (e.at.get(..19).unwrap_or(&e.at).replace('T', " ")) " UTC" } br;
                        strong { (e.actor) } " " (describe(e))
                        @if let Some(c) = e.details["action"]["comment"].as_str() { br; q { (c) } }
                    }
                }
            }
        },
    )
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
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Blueprint" } th scope="col" { "Step" } th scope="col" { "State" } th scope="col" { "You are asked for" } } }
                    tbody {
                        @for r in reviews {
                            tr {
                                td { a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (r.name) } }
                                td { (r.blueprint) } td { (r.step) } td { (status_badge(r.status)) }
                                td { @if r.role == "final" { "the final approval" } @else { "feedback for " (r.group) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// How values sit on a matrix axis.
enum Scale {
    /// Enum variants, evenly spaced in declaration order.
    Variants(Vec<String>),
    /// Numbers from `lo` to `hi`.
    Range(f64, f64),
}

/// An axis: its scale and tick labels.
struct Axis {
    ticks: Vec<(f64, String)>,
    scale: Scale,
}

impl Axis {
    /// Where a value sits, from 0 to 1.
    fn place(&self, v: &Value) -> Option<f64> {
        match &self.scale {
            Scale::Variants(variants) => {
                let step = 1.0 / variants.len().max(1) as f64;
                variants
                    .iter()
                    .position(|x| Some(x.as_str()) == v.as_str())
                    .map(|i| (i as f64 + 0.5) * step)
            }
            Scale::Range(lo, hi) => v.as_f64().map(|x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0)),
        }
    }
}

fn axis(blueprint: &Blueprint, field: &str, values: &[&Value]) -> Axis {
    if let Some(FieldType::Enum { variants }) = blueprint.field(field).map(|f| &f.ty) {
        let step = 1.0 / variants.len().max(1) as f64;
        let ticks = variants
            .iter()
            .enumerate()
            .map(|(i, v)| ((i as f64 + 0.5) * step, v.clone()))
            .collect();
        return Axis {
            ticks,
            scale: Scale::Variants(variants.clone()),
        };
    }
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    let (mut lo, mut hi) = match blueprint.field(field).map(|f| &f.ty) {
        Some(FieldType::Int {
            min: Some(a),
            max: Some(b),
        }) => (*a as f64, *b as f64),
        _ => (
            numbers.iter().copied().fold(f64::INFINITY, f64::min),
            numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        ),
    };
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let ticks = (0..=4)
        .map(|i| {
            (
                f64::from(i) / 4.0,
                format!(
                    "{}",
                    ((lo + (hi - lo) * f64::from(i) / 4.0) * 100.0).round() / 100.0
                ),
            )
        })
        .collect();
    Axis {
        ticks,
        scale: Scale::Range(lo, hi),
    }
}

/// Keeps points off the frame: 0..1 maps to 6%..94% of the plot.
fn inset(t: f64) -> f64 {
    0.06 + 0.88 * t
}

const PALETTE: [&str; 6] = [
    "#1450a3", "#d4682b", "#2e8b57", "#8e3fb0", "#b8860b", "#c0261a",
];

/// The matrix chart: an SVG with a linked point per item, and the same
/// points as a table for screen readers.
pub fn matrix(
    viewer: &Viewer,
    views: &[(String, String, String)],
    shown: Option<&(MatrixView, Blueprint)>,
    notice: Option<&Notice>,
) -> Markup {
    let body = html! {
        h1 { "Matrix" }
        nav.tabs aria-label="Matrix views" {
            @for (b, v, label) in views {
                a href=(format!("/matrix?blueprint={b}&view={v}")) aria-current=[shown.is_some_and(|(m, _)| &m.blueprint == b && &m.view == v).then_some("page")] { (label) " (" (b) ")" }
            }
        }
        (error_box(notice, "matrix"))
        @match shown {
            None if notice.is_some() => {},
            None => p { "No blueprint declares a matrix view." },
            Some((m, blueprint)) => (matrix_chart(m, blueprint)),
        }
    };
    layout("Matrix", Some(viewer), "/matrix", body)
}

fn matrix_chart(m: &MatrixView, blueprint: &Blueprint) -> Markup {
    let (w, h, left, bottom, top, right) = (720.0, 480.0, 80.0, 60.0, 20.0, 30.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let xf = m.axes.get("x").cloned().unwrap_or_default();
    let yf = m.axes.get("y").cloned().unwrap_or_default();
    let label = |f: &str| {
        blueprint
            .field(f)
            .map_or_else(|| f.to_string(), |x| x.label.clone())
    };
    let xs: Vec<&Value> = m.points.iter().map(|p| &p.x).collect();
    let ys: Vec<&Value> = m.points.iter().map(|p| &p.y).collect();
    let (xa, ya) = (axis(blueprint, &xf, &xs), axis(blueprint, &yf, &ys));
    let sizes: Vec<&Value> = m.points.iter().filter_map(|p| p.size.as_ref()).collect();
    let size_axis = m.axes.get("size").map(|f| axis(blueprint, f, &sizes));
    let mut colors: Vec<String> = m
        .points
        .iter()
        .filter_map(|p| p.color.as_ref())
        .map(field_text)
        .collect();
    colors.sort();
    colors.dedup();
    let color_of = |v: Option<&Value>| {
        let key = v.map(field_text).unwrap_or_default();
        colors
            .iter()
            .position(|c| *c == key)
            .map_or(PALETTE[0], |i| PALETTE[i % PALETTE.len()])
    };
    html! {
        h2 { (m.label) }
        p.hint { "x: " (label(&xf)) " · y: " (label(&yf)) @if let Some(s) = m.axes.get("size") { " · size: " (label(s)) } @if let Some(c) = m.axes.get("color") { " · colour: " (label(c)) } " · " (m.points.len()) " items with both axes set" }
        svg.matrix xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img" aria-labelledby="matrix-title" {
            title #matrix-title { (m.label) ": " (label(&yf)) " against " (label(&xf)) }
            rect x=(left) y=(top) width=(pw) height=(ph) fill="#fafbfc" stroke="#9aa3b2" {}
            @for (t, text) in &xa.ticks {
                @let x = left + inset(*t) * pw;
                line x1=(x) x2=(x) y1=(top) y2=(top + ph) stroke="#e4e7ec" {}
                text x=(x) y=(top + ph + 20.0) text-anchor="middle" font-size="13" { (text) }
            }
            @for (t, text) in &ya.ticks {
                @let y = top + ph - inset(*t) * ph;
                line x1=(left) x2=(left + pw) y1=(y) y2=(y) stroke="#e4e7ec" {}
                text x=(left - 8.0) y=(y + 4.0) text-anchor="end" font-size="13" { (text) }
            }
            text x=(left + pw / 2.0) y=(h - 12.0) text-anchor="middle" font-size="14" font-weight="600" { (label(&xf)) }
            text x="18" y=(top + ph / 2.0) text-anchor="middle" font-size="14" font-weight="600" transform=(format!("rotate(-90 18 {})", top + ph / 2.0)) { (label(&yf)) }
            @for p in &m.points {
                @if let (Some(x), Some(y)) = (xa.place(&p.x), ya.place(&p.y)) {
                    @let r = match (&size_axis, &p.size) { (Some(a), Some(s)) => 7.0 + 11.0 * a.place(s).unwrap_or(0.5), _ => 9.0 };
                    @let (cx, cy) = (left + inset(x) * pw, top + ph - inset(y) * ph);
                    // Names of points on the right half read leftwards, so none is cut off.
                    @let (tx, anchor) = if x > 0.5 { (cx - r - 4.0, "end") } else { (cx + r + 4.0, "start") };
                    a href=(format!("/items/{}", p.item)) {
                        title { (p.name) " (#" (p.item) "): " (field_text(&p.x)) ", " (field_text(&p.y)) }
                        circle cx=(cx) cy=(cy) r=(r) fill=(color_of(p.color.as_ref())) fill-opacity="0.75" stroke="#1d2430" {}
                        text x=(tx) y=(cy + 4.0) text-anchor=(anchor) font-size="12" { (p.name) }
                    }
                }
            }
        }
        table {
            caption.hint { "The same points as a table" }
            thead { tr { th scope="col" { "Item" } th scope="col" { (label(&xf)) } th scope="col" { (label(&yf)) }
                @if let Some(s) = m.axes.get("size") { th scope="col" { (label(s)) } }
                @if let Some(c) = m.axes.get("color") { th scope="col" { (label(c)) } } } }
            tbody {
                @for p in &m.points {
                    tr {
                        td { a href=(format!("/items/{}", p.item)) { (p.name) } }
                        td { (field_text(&p.x)) } td { (field_text(&p.y)) }
                        @if m.axes.contains_key("size") { td { (p.size.as_ref().map(field_text).unwrap_or_default()) } }
                        @if m.axes.contains_key("color") { td { (p.color.as_ref().map(field_text).unwrap_or_default()) } }
                    }
                }
            }
        }
    }
}
