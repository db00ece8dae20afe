//! The confirmation of an action that undoes work (reset, abandon, reject,
//! scheduled reset): what it undoes, a reason, and the form that sends it.

use crate::model::invisible::shown;
use maud::{Markup, html};

use super::frame::{Viewer, csrf, layout};
use crate::engine::ItemView;
use crate::engine::actions::Verb;

/// What is being confirmed: the action, its step, and the fields the first
/// form carried (a comment, a time), sent again with the confirmation.
pub struct Confirmation<'a> {
    /// The action.
    pub verb: Verb,
    /// Its step.
    pub step: &'a str,
    /// The fields to carry over, as (name, value).
    pub carried: Vec<(&'a str, &'a str)>,
    /// What the action undoes.
    pub undoes: &'static str,
}

/// The confirmation page.
pub fn confirm(viewer: &Viewer, item: &ItemView, c: &Confirmation<'_>) -> Markup {
    let words = c.verb.words();
    layout(
        &format!("Confirm: {words}"),
        Some(viewer),
        "/items",
        html! {
            p.hint { a href=(format!("/items/{}", item.id)) { "← " (shown(&item.name)) } }
            h1 { "Confirm: " (words) }
            section.card #confirm {
                p { "This " (c.undoes) "." }
                p { "Step " strong { (c.step) } " of " strong { (shown(&item.name)) } " (" (item.blueprint) ", item " (item.id) ")." }
                form method="post" action=(format!("/items/{}/signoff/{}", item.id, c.verb.name())) {
                    (csrf(viewer))
                    input type="hidden" name="step" value=(c.step);
                    input type="hidden" name="confirm" value="yes";
                    @for (name, value) in &c.carried { input type="hidden" name=(name) value=(value); }
                    label for="confirm-reason" { "Reason" span.hint { " (recorded in the audit trail and sent to followers)" } }
                    textarea #confirm-reason name="reason" rows="3" required {}
                    div.actions {
                        button.danger type="submit" { "Confirm: " (words) }
                        " " a href=(format!("/items/{}", item.id)) { "Cancel" }
                    }
                }
            }
        },
    )
}
