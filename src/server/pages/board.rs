//! The board of a blueprint: its steps as columns, the items as cards, each
//! card with its sign-off state, a badge when its workflow is locked, and —
//! for a user who may write it — a plain form that moves it (no JavaScript:
//! the form posts, the page comes back with the card where it went, or with
//! why the move was refused on the card).

use super::frame::{Notice, Viewer, csrf, error_box, layout, status_badge};
use crate::engine::{BOARD_COLUMN_LIMIT, Board, BoardColumn, Card};
use crate::model::invisible::shown;
use maud::{Markup, html};

fn card(viewer: &Viewer, board: &Board, c: &Card, notice: Option<&Notice>) -> Markup {
    let place = format!("card:{}", c.item);
    html! {
        article.tile id=(format!("card-{}", c.item)) aria-labelledby=(format!("card-{}-h", c.item)) {
            h3 id=(format!("card-{}-h", c.item)) { a href=(format!("/items/{}", c.item)) { (shown(&c.name)) } }
            p {
                @if let Some(s) = c.signoff { (status_badge(s)) " " }
                @if c.locked { span.badge.st-LOCKED { "workflow locked" } }
            }
            (error_box(notice, &place))
            @match &c.moves {
                None => p.hint { "Read only" },
                Some(moves) if moves.is_empty() => p.hint { "No other step applies" },
                Some(moves) => form method="post" action="/board/move" {
                    (csrf(viewer))
                    input type="hidden" name="item" value=(c.item);
                    input type="hidden" name="revision" value=(c.revision);
                    input type="hidden" name="blueprint" value=(board.blueprint);
                    label for=(format!("move-{}", c.item)) { "Move to" }
                    select id=(format!("move-{}", c.item)) name="step" required {
                        // Nothing chosen until the user chooses: a Move
                        // pressed by mistake sends no step.
                        option value="" selected disabled { "Choose a step…" }
                        @for (id, label) in moves { option value=(id) { (label) } }
                    }
                    button type="submit" { "Move" }
                }
            }
        }
    }
}

/// The items list of a column's step (finished items: of the last step,
/// where they stay).
fn all_of(b: &Board, col: &BoardColumn) -> String {
    let last = b.columns.iter().rev().find_map(|c| c.step.as_deref());
    let step = col.step.as_deref().or(last).unwrap_or_default();
    format!("/items?blueprint={}&step={step}", b.blueprint)
}

/// The board of one blueprint, with tabs to the others (`boards`: id and
/// label of each blueprint with a workflow).
pub fn board(
    viewer: &Viewer,
    boards: &[(String, String)],
    shown: Option<&Board>,
    notice: Option<&Notice>,
) -> Markup {
    let body = html! {
        h1 { "Board" @if let Some(b) = shown { ": " (b.label) } }
        nav.tabs aria-label="Boards" {
            @for (id, label) in boards {
                a href=(format!("/board?blueprint={id}")) aria-current=[shown.is_some_and(|b| &b.blueprint == id).then_some("page")] { (label) }
            }
        }
        (error_box(notice, "board"))
        @if let Some(b) = shown {
            div.board {
                @for col in &b.columns {
                    section.column aria-label=(col.label) {
                        h2 { (col.label) " " span.hint { "(" (col.cards.len()) ")" } }
                        @for c in &col.cards { (card(viewer, b, c, notice)) }
                        @if col.more {
                            p.hint {
                                "The first " (BOARD_COLUMN_LIMIT) " are shown; "
                                a href=(all_of(b, col)) { "all of them" }
                            }
                        }
                    }
                }
            }
        } @else if notice.is_none() {
            p { "No blueprint has a workflow." }
        }
    };
    layout("Board", Some(viewer), "/board", body)
}
