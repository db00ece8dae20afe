//! The board (Kanban) of a blueprint: one column per step of its newest
//! version, then one for finished items, each holding the cards of the items
//! the caller may read that stand there, with the current step's sign-off
//! state, whether the workflow is locked, and — for a caller who may write
//! the item — the steps it may be moved to (those that apply to it: a step
//! its `when` or `visible` hook rules out is not offered). Moving a card is
//! an ordinary workflow move (`Engine::move_item`), with its rules.

use serde::Serialize;

use super::access::{Identity, Permission, Resolver};
use super::core::Engine;
use super::error::{Refusal, Result, refuse};
use super::moves::step_applies;
use super::script_view::script_view;
use super::signoff::Status;

/// The most cards a board shows; the rest are counted.
pub const BOARD_LIMIT: usize = 500;

/// A blueprint's board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The blueprint.
    pub blueprint: String,
    /// Its label.
    pub label: String,
    /// The columns, in workflow order, `FINISHED` last.
    pub columns: Vec<BoardColumn>,
    /// Readable items left off past [`BOARD_LIMIT`].
    pub hidden: usize,
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
            })
            .chain(std::iter::once(BoardColumn {
                step: None,
                label: "Finished".into(),
                cards: Vec::new(),
            }))
            .collect();
        let tx = self.store.read()?;
        let readable = Self::readable_items(&tx, &mut self.cache, who, Some(blueprint))?;
        let hidden = readable.len().saturating_sub(BOARD_LIMIT);
        for (chain, set) in readable.into_iter().take(BOARD_LIMIT) {
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            let item = &chain[0];
            let Some(steps) = resolver
                .own_blueprint()?
                .workflow
                .as_ref()
                .map(|w| &w.steps)
            else {
                continue;
            };
            let moves = if resolver.has(Permission::Write) {
                let script_item = if set.hooks.has(&item.blueprint, "visible") {
                    script_view(&set, &chain, 0)
                } else {
                    rhai::Dynamic::UNIT
                };
                let mut offered = Vec::new();
                for (i, s) in steps.iter().enumerate() {
                    let here = !item.finished && item.step.as_deref() == Some(s.id.as_str());
                    if !here && step_applies(&resolver, steps, i, &script_item)?.applies {
                        offered.push((s.id.to_string(), s.label.clone()));
                    }
                }
                Some(offered)
            } else {
                None
            };
            let card = Card {
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
            };
            let at = if item.finished {
                None
            } else {
                item.step.clone()
            };
            match columns.iter_mut().find(|c| c.step == at) {
                Some(column) => column.cards.push(card),
                // A step the newest version no longer has: a column of its
                // own, before the finished items.
                None => {
                    let label = at.clone().unwrap_or_default();
                    let end = columns.len() - 1;
                    columns.insert(
                        end,
                        BoardColumn {
                            step: at,
                            label,
                            cards: vec![card],
                        },
                    );
                }
            }
        }
        Ok(Board {
            blueprint: blueprint.to_string(),
            label: newest.label.clone(),
            columns,
            hidden,
        })
    }
}
