//! What every page shares: the viewer, the layout and its styles, notices
//! and error boxes, badges, the sign-in and error pages.

use crate::engine::Identity;
use crate::engine::rules::signoff::Status;
use crate::engine::rules::workflow::WorkflowState;
use crate::engine::{DeployVerdict, ItemView, Permitted, StatusView};
use crate::model::{Blueprint, Policy};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

/// The signed-in user of a page request.
pub(in crate::server) struct Viewer {
    pub who: Identity,
    pub csrf: String,
}

/// The filters of the item list, its order and where its page starts.
#[derive(Deserialize, serde::Serialize, Default, Clone)]
pub(in crate::server) struct ListFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The current sign-off's state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `INFRASTRUCTURE:VERDICT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<String>,
    /// A condition, as a table's `filter` takes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `id`, `updated` or `due`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// Where the page starts (the cursor of the page before's end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// An error to show next to what caused it.
pub struct Notice {
    /// Where: `fields`, `workflow`, `signoff:STEP`, `subscription`, `create`, `token`.
    pub place: String,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// What the user typed into the refused form, shown again in it.
    pub typed: std::collections::HashMap<String, String>,
}

impl Notice {
    /// A notice at `place`.
    pub fn at(place: &str, message: &str, help: Option<&str>) -> Notice {
        Notice {
            place: place.into(),
            message: message.into(),
            help: help.map(str::to_string),
            typed: std::collections::HashMap::new(),
        }
    }

    /// The notice, with what the user typed into the refused form.
    pub fn with_typed(mut self, typed: std::collections::HashMap<String, String>) -> Notice {
        self.typed = typed;
        self
    }

    /// Whether the refusal names this field (`` `FIELD` ``): its message is
    /// shown next to that field rather than below the form.
    pub fn names_field(&self, field: &str) -> bool {
        self.message.contains(&format!("`{field}`"))
    }

    /// What the user typed into `name` of the refused form at `place`.
    pub fn typed_at<'a>(notice: Option<&'a Notice>, place: &str, name: &str) -> Option<&'a str> {
        notice
            .filter(|n| n.place == place)
            .and_then(|n| n.typed.get(name))
            .map(String::as_str)
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
    /// The parent, where the viewer may read it.
    pub parent: Option<ItemView>,
    /// The viewer's own subscription to this item, if they set one.
    pub subscribed: Option<bool>,
}

/// Items shown per page of the list.
pub(in crate::server) const PAGE_SIZE: usize = 100;

pub(in crate::server) const CSS: &str = r#"
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
input[type=radio],input[type=checkbox]{min-width:0;width:auto;margin:0 .3rem 0 0;vertical-align:middle}
.warn{background:#fff6e0;border-left:4px solid #f5a623;padding:.4rem .7rem}
textarea{width:100%;min-height:3.2em}
button{font:inherit;padding:6px 14px;border-radius:4px;border:1px solid #1450a3;background:#1450a3;color:#fff;cursor:pointer;margin:6px 6px 0 0}
button.secondary{background:#fff;color:#1450a3}
button.danger{background:#a32014;border-color:#a32014}
.actions{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:flex-end}
.actions form{margin:0}
.error{border-left:4px solid #c0261a;background:#fdecea;padding:8px 12px;margin:8px 0}
.error p{margin:2px 0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:.82rem;font-weight:600;background:#e4e7ec;color:#1d2430;white-space:nowrap}
.badge.outdated{background:#fff1d6;color:#6b4500}
.badge.breached{background:#fde2e1;color:#8a1c14}
.badge.at-risk{background:#fff1d6;color:#6b4500}
.service{margin:.2rem 0;font-size:.9rem}
.outdated{color:#5b6472}
.s-APPROVED,.d-ALLOW,.v-APPROVED,.st-FINISHED{background:#d6f0dc;color:#0f5a23}
.s-WAITING_FOR_FEEDBACK,.s-WAITING_FOR_APPROVAL,.d-CONFIRM,.v-MINOR_ISSUE,.st-ONGOING{background:#fff1c9;color:#6b4b00}
.s-REJECTED,.s-ABANDONED,.d-BLOCK,.v-MAJOR_ISSUE,.st-LOCKED{background:#fbd9d5;color:#8a1c11}
ol.steps{display:flex;list-style:none;padding:0;margin:8px 0;gap:4px;flex-wrap:wrap}
ol.steps li{flex:1;min-width:8rem;padding:8px 10px;background:#e4e7ec;border-radius:4px;font-size:.92rem}
ol.steps li.finished{background:#d6f0dc}
ol.steps li.skipped{background:#f4f5f7;color:#5b6270;text-decoration:line-through}
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
main:has(.board){max-width:1600px}
.board{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start;padding-bottom:8px}
.board section.column{flex:1 1 0;min-width:8rem;background:#eef1f5;border-radius:6px;padding:4px 8px;overflow-wrap:break-word}
.board h2{font-size:1rem;margin:.4em 0}
article.tile{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:6px 10px;margin:8px 0}
article.tile h3{margin:.2em 0;font-size:1rem}
article.tile p{margin:.3em 0}
.board select{min-width:0;width:100%}
ol.timeline{list-style:none;padding:0}
ol.timeline li{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;margin:8px 0}
ol.timeline time{color:#5b6475;font-size:.9rem}
"#;

/// The page frame: header, navigation, main landmark.
pub(in crate::server) fn layout(
    title: &str,
    viewer: Option<&Viewer>,
    current: &str,
    body: Markup,
) -> Markup {
    let nav = [
        ("/", "Home"),
        ("/items", "Items"),
        ("/tree", "Tree"),
        ("/board", "Board"),
        ("/reviews", "My reviews"),
        ("/matrix", "Matrix"),
        ("/tables", "Tables"),
        ("/reports/controls", "Controls"),
        ("/blueprints", "Blueprints"),
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

/// The field of `fields` a refusal at `place` is about, if it names one.
pub(in crate::server) fn refused_field<'a>(
    notice: Option<&Notice>,
    place: &str,
    fields: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let n = notice.filter(|n| n.place == place)?;
    fields.into_iter().find(|f| n.names_field(f))
}

pub(in crate::server) fn error_box(notice: Option<&Notice>, place: &str) -> Markup {
    html! {
        @if let Some(n) = notice.filter(|n| n.place == place) {
            div.error role="alert" id=(format!("error-{}", place.replace(':', "-"))) {
                p { strong { "Refused: " } (n.message) }
                @if let Some(h) = &n.help { p.hint { (h) } }
            }
        }
    }
}

pub(in crate::server) fn csrf(viewer: &Viewer) -> Markup {
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
pub fn login(next: &str, csrf: &str, notice: Option<&Notice>) -> Markup {
    layout(
        "Sign in",
        None,
        "",
        html! {
            h1 { "Sign in" }
            section.card {
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    input type="hidden" name="csrf" value=(csrf);
                    label for="token" { "Your token" span.hint { " — an admin creates one with " code { "govrt token create USER" } } }
                    input #token type="password" name="token" autocomplete="current-password" required autofocus aria-describedby=[notice.map(|_| "error-token")];
                    (error_box(notice, "token"))
                    div { button type="submit" { "Sign in" } }
                }
            }
        },
    )
}

pub(in crate::server) fn status_badge(s: Status) -> Markup {
    html! { span class=(format!("badge s-{}", s.as_str())) { (s.as_str().replace('_', " ")) } }
}

pub(in crate::server) fn verdict_badge(v: DeployVerdict) -> Markup {
    html! { span class=(format!("badge d-{}", v.as_str())) { (v.as_str()) } }
}

pub(in crate::server) fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::Prevent => "prevent",
        Policy::Warn => "warn",
        Policy::Always => "always",
    }
}

pub(in crate::server) fn workflow_badge(w: Option<WorkflowState>) -> Markup {
    let name = match w {
        Some(WorkflowState::Ongoing) => "ONGOING",
        Some(WorkflowState::Finished) => "FINISHED",
        Some(WorkflowState::Locked) => "LOCKED",
        None => return html! {},
    };
    html! { span class=(format!("badge st-{name}")) { (name) } }
}

pub(in crate::server) fn step_label(status: &StatusView) -> String {
    let Some(step) = &status.item.step else {
        return "—".into();
    };
    status
        .steps
        .iter()
        .find(|s| &s.id == step)
        .map_or_else(|| step.clone(), |s| s.label.clone())
}

/// An instant to the minute, in a calendar's time zone.
pub(super) fn when_in(t: &chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (crate::engine::rules::calendar::shown(*t, tz)) } }
}
