//! The board (Kanban) of a blueprint: one column per step of its newest
//! version, then one for finished items, each holding the cards of the items
//! the caller may read that stand there — the first [`BOARD_COLUMN_LIMIT`]
//! by id, read a page per step from the kept index with the permission
//! filter in the query — with the current step's sign-off
//! state, whether the workflow is locked, and — for a caller who may write
//! the item — the steps it may be moved to (those that apply to it: a step
//! its `when` or `visible` hook rules out is not offered). Moving a card is
//! an ordinary workflow move (`Engine::move_item`), with its rules.

use serde::Serialize;

use crate::engine::access::{Identity, Permission, Resolver};
use crate::engine::act::moves::step_applies;
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::read::lists::ItemFilter;
use crate::engine::rules::signoff::Status;
use crate::engine::script_view::script_view;
use crate::store::index::ItemSeek;

/// The most cards a column shows (the finished items share the last
/// step's page).
pub const BOARD_COLUMN_LIMIT: usize = 100;

/// A blueprint's board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The blueprint.
    pub blueprint: String,
    /// Its label.
    pub label: String,
    /// The columns, in workflow order, `FINISHED` last.
    pub columns: Vec<BoardColumn>,
}

/// One column: a step, or the finished items (`step` = None).
#[derive(Debug, Clone, Serialize)]
pub struct BoardColumn {
    /// The step's id; none for the finished items.
    pub step: Option<String>,
    /// Its label.
    pub label: String,
    /// The cards, by id.
    pub cards: Vec<Card>,
    /// Whether more items stand there than the column shows.
    pub more: bool,
}

/// An item on a board.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// The item's id.
    pub item: i64,
    /// Its name.
    pub name: String,
    /// Its revision (a move from the card expects it).
    pub revision: i64,
    /// Whether a rejected or abandoned sign-off locks its workflow.
    pub locked: bool,
    /// The state of the current step's sign-off, if the step has one.
    pub signoff: Option<Status>,
    /// The steps it may be moved to, (id, label), when the caller may
    /// write it; none when the caller may only read it.
    pub moves: Option<Vec<(String, String)>>,
}

/// The card of the resolver's item (none when its blueprint version has no
/// workflow).
fn card(resolver: &Resolver<'_>) -> Result<Option<Card>> {
    let (set, chain) = (resolver.set, resolver.chain);
    let item = &chain[0];
    let Some(steps) = resolver
        .own_blueprint()?
        .workflow
        .as_ref()
        .map(|w| &w.steps)
    else {
        return Ok(None);
    };
    let moves = if resolver.has(Permission::Write) {
        let script_item = if set.hooks.has(&item.blueprint, "visible") {
            script_view(set, chain, 0)
        } else {
            rhai::Dynamic::UNIT
        };
        let mut offered = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let here = !item.finished && item.step.as_deref() == Some(s.id.as_str());
            if !here && step_applies(resolver, steps, i, &script_item)?.applies {
                offered.push((s.id.to_string(), s.label.clone()));
            }
        }
        Some(offered)
    } else {
        None
    };
    Ok(Some(Card {
        item: item.id,
        name: item.name.clone(),
        revision: item.revision,
        locked: item.signoffs.values().any(|s| s.status.locks_workflow()),
        signoff: item
            .step
            .as_deref()
            .filter(|_| !item.finished)
            .and_then(|st| steps.iter().find(|s| s.id.as_str() == st))
            .filter(|s| s.signoff.is_some())
            .map(|s| {
                item.signoffs
                    .get(s.id.as_str())
                    .map_or(Status::NotStarted, |x| x.status)
            }),
        moves,
    }))
}

impl Engine {
    /// The board of `blueprint` as `who` may see it.
    pub fn board(&mut self, who: &Identity, blueprint: &str) -> Result<Board> {
        let newest = self.blueprint(blueprint, None)?;
        let Some(workflow) = &newest.workflow else {
            return refuse(Refusal::InvalidValue {
                what: "board".into(),
                why: format!("a `{blueprint}` has no workflow, so it has no board"),
            });
        };
        let mut columns: Vec<BoardColumn> = workflow
            .steps
            .iter()
            .map(|s| BoardColumn {
                step: Some(s.id.to_string()),
                label: s.label.clone(),
                cards: Vec::new(),
                more: false,
            })
            .chain(std::iter::once(BoardColumn {
                step: None,
                label: "Finished".into(),
                cards: Vec::new(),
                more: false,
            }))
            .collect();
        let steps: Vec<String> = workflow.steps.iter().map(|s| s.id.to_string()).collect();
        let last = steps.len().saturating_sub(1);
        for (at, step) in steps.iter().enumerate() {
            let filter = ItemFilter {
                blueprint: Some(blueprint.to_string()),
                step: Some(step.clone()),
                ..ItemFilter::default()
            };
            let seek = (ItemSeek::Id(None), BOARD_COLUMN_LIMIT);
            let (rows, next) = self.rows_page(who, &filter, seek, true)?;
            columns[at].more = next.is_some();
            if at == last {
                let finished = columns.len() - 1;
                columns[finished].more = next.is_some();
            }
            for (set, chain) in rows {
                let resolver = Resolver {
                    set: &set,
                    chain: &chain,
                    who,
                };
                let Some(card) = card(&resolver)? else {
                    continue;
                };
                let column = if chain[0].finished {
                    columns.len() - 1
                } else {
                    at
                };
                columns[column].cards.push(card);
            }
        }
        Ok(Board {
            blueprint: blueprint.to_string(),
            label: newest.label.clone(),
            columns,
        })
    }
}
