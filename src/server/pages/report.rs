//! The control coverage report in the web UI, framed like every page.

use super::frame::{Viewer, layout};
use crate::engine::ControlsReport;
use crate::render;
use maud::{Markup, html};

/// The report, for the signed-in user's readable items.
pub fn controls_report(viewer: &Viewer, report: &ControlsReport) -> Markup {
    layout(
        "Control coverage",
        Some(viewer),
        "/reports/controls",
        html! {
            h1 { "Control coverage" }
            p.hint { "Also as " a href="/api/v1/reports/controls?format=csv" { "CSV" } " and JSON from the API, and `govrt report controls`." }
            (render::controls::body(report))
        },
    )
}
