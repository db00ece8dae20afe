//! Why the signed-in user may or may not take a sign-off action now: the
//! page behind each "why?" link of an item's sign-off panel.

use super::frame::{Viewer, layout};
use crate::engine::Explanation;
use maud::{Markup, html};

/// The explanation, in words.
pub fn explanation(viewer: &Viewer, name: &str, x: &Explanation) -> Markup {
    let title = format!(
        "{} {} on {name}",
        if x.allowed {
            "You may"
        } else {
            "Why you may not"
        },
        x.action.words()
    );
    layout(
        &title,
        Some(viewer),
        "/items",
        html! {
            p.hint { a href=(format!("/items/{}#signoff-{}", x.item, x.step)) { "← " (name) } }
            h1 { (title) }
            p {
                "Step " strong { (x.step) } ": " span.badge { (x.state.status.replace('_', " ")) }
                @if let Some(g) = &x.group { " · group " strong { (g) } }
            }
            @if !x.state.met {
                p.warn { "The sign-off's state does not allow it: it starts from "
                    (x.state.allowed_from.join(", ")) "." }
            }
            h2 { "What grants it" }
            @if x.grants.is_empty() { p.hint { "Nothing you hold grants it." } }
            ul { @for g in &x.grants { li { (g.path.join(" → ")) } } }
            @if !x.blockers.is_empty() {
                h2 { "What stands in the way" }
                ul { @for b in &x.blockers { li { (b) } } }
            }
            @if !x.hook.is_empty() || !x.delegations.is_empty() || !x.hook_errors.is_empty() {
                h2 { "Also" }
                ul {
                    @for h in &x.hook { li { (h) } }
                    @for d in &x.delegations { li { (d) } }
                    @for e in &x.hook_errors { li { "A hook failed: " (e) } }
                }
            }
        },
    )
}
