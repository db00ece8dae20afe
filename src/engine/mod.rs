//! The engine: every action on items, as one transaction holding the new
//! state and its hash-chained audit event. It sees only the checked model
//! (never syntax) and resolves who may do what; the rules themselves are
//! pure functions of the model.
//!
//! Three folders and the plumbing they share:
//! - [`rules`]: the pure rules (sign-off state machine, workflow, bound
//!   content, conditions, deploy decision, SLAs, values, refusals); they
//!   import only `model` and each other.
//! - [`read`]: what the engine shows without changing anything (views,
//!   status, lists, queries, tables, board, history, explain, controls).
//! - [`act`]: every change (items, sign-offs, people, sets, migrations).
//! - Here: the `Engine` and its connection (`core`), who the caller is and
//!   what they may do (`access`, `authentication`, `exclusions`,
//!   `field_access`), the item index kept beside each item (`index`, with
//!   its cache `index_cache`), the loaded blueprint sets (`set_cache`), the
//!   mail an action sends (`mail`), hooks (`change_hooks`, `script_view`),
//!   filters, limits and the sign-off actions' table (`actions`).

mod access;
pub mod act;
pub mod actions;
mod authentication;
mod change_hooks;
mod core;
mod error;
mod exclusions;
mod field_access;
mod filters;
mod index;
mod index_cache;
pub mod limits;
mod mail;
mod notices;
pub mod read;
pub mod rules;
mod script_view;
mod set_cache;

pub use access::Identity;
pub use act::hook_test::HookSubject;
pub use act::idempotency::{IDEMPOTENCY_TTL_SECS, Retry};
pub use act::identities::expiry;
pub use act::items::{EditOptions, FieldChange, NewItem};
pub use act::migrate::{ItemMigration, MigrateRequest, MigrationReport};
pub use act::recertifications::{Recertification, parse_window};
pub use act::replay::{ReplayReport, ReplayRequest};
pub use act::service_tick::ServiceCounts;
pub use act::sessions::WebSession;
pub use act::sets::{LoadReport, Stranded};
pub use act::settings::PublicSettings;
pub use act::signoffs::{Sent, SignOffRequest, TickReport};
pub use act::versions::VersionState;
pub use authentication::Authentication;
pub use core::{Engine, new_secret};
pub use error::{EngineError, HelpWords, Refusal, Result};
pub use index::{IndexDifference, IndexReport};
pub use mail::{CLAIM_TIMEOUT_SECS, DeliveryReport, MAX_ATTEMPTS};
pub use read::audit::AuditQuery;
pub use read::board::{BOARD_COLUMN_LIMIT, Board, BoardColumn, Card};
pub use read::controls::{
    AuditState, ControlCoverage, ControlEvidence, ControlsReport, EvidenceState, InventoryEntry,
    ItemEvidence, Source,
};
pub use read::explain::{
    Allowed as MayAct, ExplainRequest, Explained, Explanation, Grant, StateCheck, WhoCan,
};
pub use read::history::{AuditEntry, Happened, SignOffEntry};
pub use read::lists::{ItemFilter, ItemSeek, ReviewSeek, Under, parse_deploy_filter};
pub use read::overview::{Count, OVERVIEW_CAP, Overview};
pub use read::tables::{TableRow, TableSummary, TableView};
pub use read::views::*;
pub use set_cache::LoadedSet;
