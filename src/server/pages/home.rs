//! The home page: the overview of what the signed-in user may read — items
//! by sign-off state, review clocks past their SLA or at risk, the
//! re-certifications due within 30 days, the items blocked from each
//! infrastructure — and what waits for them, each linking to its list.

use super::frame::{Viewer, layout, status_badge};
use crate::engine::{Count, Overview};
use crate::model::invisible::shown;
use maud::{Markup, html};

/// A count as shown: `12`, or `1000+` when it stopped at the cap.
fn count(c: Count) -> String {
    if c.at_least {
        format!("{}+", c.n)
    } else {
        c.n.to_string()
    }
}

/// The home page.
pub fn home(viewer: &Viewer, o: &Overview) -> Markup {
    let (due, due_total) = &o.recertifications;
    let (queue, more) = &o.queue;
    layout(
        "Home",
        Some(viewer),
        "/",
        html! {
            h1 { "Overview" }
            section.card aria-labelledby="states" {
                h2 #states { "Sign-offs" }
                p.hint { "Items you may read, by the state of their current sign-off." }
                dl.facts {
                    @for (status, c) in &o.states {
                        dt { a href=(format!("/items?state={}", status.as_str())) { (status_badge(*status)) } }
                        dd { (count(*c)) }
                    }
                }
            }
            section.card aria-labelledby="late" {
                h2 #late { "Reviews late" }
                dl.facts {
                    dt { "Past their SLA (breached)" } dd { (count(o.breached)) }
                    dt { "At risk (under a quarter of the SLA left)" } dd { (count(o.at_risk)) }
                }
            }
            section.card aria-labelledby="recert" {
                h2 #recert { "Re-certifications due within 30 days: " (due_total) }
                @if due.is_empty() {
                    p { "None falls due within 30 days." }
                } @else {
                    ul {
                        @for r in due {
                            li {
                                a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (shown(&r.name)) }
                                " (" (r.blueprint) ", step " (r.step) ") — reset " (super::item::when(&r.due_at))
                            }
                        }
                    }
                }
                p { a href="/recertifications?within=30d" { "All re-certifications due" } }
            }
            section.card aria-labelledby="blocked" {
                h2 #blocked { "Blocked from deployment" }
                @if o.blocked.is_empty() {
                    p { "The blueprint set declares no infrastructure." }
                } @else {
                    dl.facts {
                        @for (infrastructure, c) in &o.blocked {
                            dt { a href=(format!("/items?deploy={infrastructure}:BLOCK")) { (infrastructure) } }
                            dd { (count(*c)) " blocked" }
                        }
                    }
                }
            }
            section.card aria-labelledby="queue" {
                h2 #queue { "Waiting for you" }
                @if queue.is_empty() {
                    p { "Nothing waits for you." }
                } @else {
                    ul {
                        @for r in queue {
                            li {
                                a href=(format!("/items/{}#signoff-{}", r.item, r.step)) { (shown(&r.name)) }
                                " — " (r.asked())
                                " " (status_badge(r.status))
                                " " (super::service::due(r))
                            }
                        }
                    }
                    @if *more { p { a href="/reviews" { "All your reviews" } } }
                }
            }
        },
    )
}
