//! The table views declared in the blueprint set: tabs of the tables, then
//! the chosen one as an HTML table, a page at a time, with its CSV and JSON
//! a link away.

use super::frame::{Notice, Viewer, error_box, layout};
use crate::engine::rules::values::display;
use crate::engine::{TableSummary, TableView};
use maud::{Markup, html};
use serde_json::Value;

/// One cell: sign-off states and deploy decisions as badges, unset as `—`.
fn cell(column: &str, value: &Value) -> Markup {
    let text = match value {
        Value::Null => return html! { span.hint { "—" } },
        v => display(v),
    };
    let badge = if column.starts_with("signoff ") {
        Some("s")
    } else if column.starts_with("deploy ") {
        Some("d")
    } else {
        None
    };
    match badge {
        Some(kind) => {
            html! { span class=(format!("badge {kind}-{text}")) { (text.replace('_', " ")) } }
        }
        None => html! { (text) },
    }
}

fn rows(view: &TableView) -> Markup {
    html! {
        @if view.rows.is_empty() {
            p { "No item you may read is in this table." }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Item" }
                    @for c in &view.columns { th scope="col" { (c) } }
                } }
                tbody {
                    @for r in &view.rows {
                        tr {
                            td { a href=(format!("/items/{}", r.item)) { (r.item) } }
                            @for (c, v) in view.columns.iter().zip(&r.cells) { td { (cell(c, v)) } }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &view.next {
            nav.tabs aria-label="Pages" { a href=(format!("/tables/{}?after={next}", view.id)) rel="next" { "Next →" } }
        }
    }
}

/// The tables, and the one shown (or why it cannot be).
pub fn tables(
    viewer: &Viewer,
    list: &[TableSummary],
    shown: Option<&TableView>,
    notice: Option<&Notice>,
) -> Markup {
    let body = html! {
        h1 { (shown.map_or("Tables", |v| v.label.as_str())) }
        nav.tabs aria-label="Tables" {
            @for t in list {
                a href=(format!("/tables/{}", t.id)) aria-current=[shown.is_some_and(|v| v.id == t.id).then_some("page")] { (t.label) }
            }
        }
        (error_box(notice, "table"))
        @match shown {
            None if notice.is_some() => {},
            None if list.is_empty() => p { "The blueprint set declares no table (`table ID { blueprint …  columns … }`)." },
            None => p { "Choose a table." },
            Some(view) => {
                p.hint {
                    "Items of " (view.blueprint) ". Also as "
                    a href=(format!("/api/v1/tables/{}", view.id)) { "JSON" }
                    " from the API, and `govrt table " (view.id) " --format csv`."
                }
                (rows(view))
            }
        }
    };
    layout("Tables", Some(viewer), "/tables", body)
}
