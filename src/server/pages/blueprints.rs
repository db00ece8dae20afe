//! The blueprints page of the web UI: every stored version of each
//! blueprint with its lifecycle state (DRAFT, ACTIVE, ARCHIVED), what it
//! declares and when it was loaded.

use super::frame::{Viewer, layout};
use crate::store::BlueprintVersionRow;
use maud::{Markup, html};

/// The stored versions, by blueprint and version.
pub fn blueprints(viewer: &Viewer, versions: &[BlueprintVersionRow]) -> Markup {
    layout(
        "Blueprints",
        Some(viewer),
        "/blueprints",
        html! {
            h1 { "Blueprints" }
            p.hint {
                "New items take the newest ACTIVE version of their blueprint; an ARCHIVED version takes no new items, and a DRAFT none at all. "
                "`govrt blueprint activate` and `govrt blueprint archive` change a version's state; `govrt migrate` moves running items to another version."
            }
            table {
                thead { tr { th scope="col" { "Blueprint" } th scope="col" { "Version" } th scope="col" { "Declared" } th scope="col" { "State" } th scope="col" { "Loaded" } } }
                tbody {
                    @for v in versions {
                        tr {
                            td { (v.blueprint) }
                            td { (v.version) }
                            td { (v.declared) }
                            td { (v.state) }
                            td { (v.loaded_at) }
                        }
                    }
                }
            }
        },
    )
}
