//! The lifecycle of stored blueprint versions: DRAFT (stored and checked,
//! takes no items), ACTIVE (items may be created with it; several may be at
//! once, the newest is the default), ARCHIVED (takes no new items; its items
//! go on working). A version's text never changes; only its state does,
//! audited.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::engine::access::Identity;
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::store::Tx;

/// The state of a stored blueprint version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VersionState {
    /// Stored and checked; takes no items until activated.
    Draft,
    /// Items may be created with it.
    Active,
    /// Takes no new items; its items go on working.
    Archived,
}

impl VersionState {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "DRAFT",
            VersionState::Active => "ACTIVE",
            VersionState::Archived => "ARCHIVED",
        }
    }

    /// A stored state (anything unknown reads as ACTIVE, what versions
    /// stored before the lifecycle were).
    pub fn parse(text: &str) -> VersionState {
        match text {
            "DRAFT" => VersionState::Draft,
            "ARCHIVED" => VersionState::Archived,
            _ => VersionState::Active,
        }
    }
}

impl Engine {
    /// Activates or archives a stored version (admins; audited). Going back
    /// to DRAFT is refused: a version that took items stays what it was.
    pub fn set_version_state(
        &mut self,
        who: &Identity,
        blueprint: &str,
        version: u32,
        state: VersionState,
        now: Option<DateTime<Utc>>,
    ) -> Result<VersionState> {
        let verb = match state {
            VersionState::Active => "activate",
            VersionState::Archived => "archive",
            VersionState::Draft => {
                return refuse(Refusal::InvalidValue {
                    what: "state DRAFT".into(),
                    why: "a stored version can be activated or archived, not made a draft again"
                        .into(),
                });
            }
        };
        if !who.admin {
            return refuse(Refusal::NotPermitted {
                who: who.name.clone(),
                what: format!("{verb} blueprint versions (admins only)"),
            });
        }
        let now = self.now_or(now);
        let tx = self.store.write()?;
        let Some(before) = tx.set_version_state(blueprint, version, state.as_str())? else {
            return refuse(Refusal::NotFound {
                what: format!("version {version} of blueprint `{blueprint}`"),
            });
        };
        let before = VersionState::parse(&before);
        if before != state {
            let details = json!({"blueprint": blueprint, "version": version, "before": before.as_str(), "as_admin": true});
            tx.append_event(None, &who.name, &format!("blueprint.{verb}"), now, &details)?;
        }
        tx.commit()?;
        Ok(before)
    }

    /// The version a new item of `blueprint` is created with: `named` if it
    /// is ACTIVE, else the newest ACTIVE one.
    pub(in crate::engine) fn version_for_new_item(
        tx: &Tx<'_>,
        blueprint: &str,
        named: Option<u32>,
    ) -> Result<u32> {
        // The usual case, an item of the newest ACTIVE version, is one
        // indexed query; the stored versions are read only to say why not.
        if named.is_none()
            && let Some(v) = tx.newest_version_in(blueprint, VersionState::Active.as_str())?
        {
            return Ok(v);
        }
        let states = tx.blueprint_versions()?;
        let state_of = |v: u32| {
            states
                .iter()
                .find(|r| r.blueprint == blueprint && r.version == v)
                .map(|r| VersionState::parse(&r.state))
        };
        match named {
            Some(v) => match state_of(v) {
                Some(VersionState::Active) => Ok(v),
                Some(VersionState::Draft) => refuse(Refusal::InvalidValue {
                    what: format!("version {v} of blueprint `{blueprint}`"),
                    why: format!(
                        "it is a DRAFT, which takes no items; activate it first (`govrt blueprint activate {blueprint} {v}`)"
                    ),
                }),
                Some(VersionState::Archived) => refuse(Refusal::InvalidValue {
                    what: format!("version {v} of blueprint `{blueprint}`"),
                    why: "it is ARCHIVED, which takes no new items".into(),
                }),
                None => refuse(Refusal::NotFound {
                    what: format!("version {v} of blueprint `{blueprint}`"),
                }),
            },
            None if states.iter().any(|r| r.blueprint == blueprint) => {
                refuse(Refusal::InvalidValue {
                    what: format!("blueprint `{blueprint}`"),
                    why: "none of its versions is ACTIVE (they are drafts or archived); activate one with `govrt blueprint activate`".into(),
                })
            }
            None => refuse(Refusal::NotFound {
                what: format!("blueprint `{blueprint}`"),
            }),
        }
    }
}
