//! The engine: every action on items, as one transaction holding the new
//! state and its hash-chained audit event. It sees only the checked model
//! (never syntax), resolves who may do what, and delegates the rules to the
//! pure functions of [`signoff`] and [`workflow`].
//!
//! One job per file: the `Engine` and its connection live here; each group of
//! actions is an `impl Engine` block in its own file (items, sign-offs,
//! queries, identities, subscriptions, mail, audit, blueprint sets), beside
//! the pure rules and the types they hand out.

mod access;
pub mod actions;
mod audit;
mod authentication;
mod board;
mod change_hooks;
mod controls;
mod core;
pub mod cursor;
mod error;
mod exclusions;
mod explain;
mod field_access;
mod filters;
mod history;
mod hook_test;
mod idempotency;
mod identities;
mod index_cache;
mod items;
mod kept;
pub mod limits;
mod lists;
mod mail;
mod migrate;
mod moves;
mod overview;
mod pages;
mod queries;
mod recertifications;
mod replay;
pub mod rules;
mod script_view;
mod service_tick;
mod sessions;
mod set_cache;
mod sets;
mod settings;
mod signoffs;
mod status;
mod subscriptions;
mod tables;
mod versions;
mod views;

pub use access::Identity;
pub use audit::AuditQuery;
pub use authentication::Authentication;
pub use board::{BOARD_COLUMN_LIMIT, Board, BoardColumn, Card};
pub use controls::{
    AuditState, ControlCoverage, ControlEvidence, ControlsReport, EvidenceState, InventoryEntry,
    ItemEvidence, Source,
};
pub use core::{Engine, fix_now, new_secret};
pub use error::{EngineError, HelpWords, Refusal, Result};
pub use explain::{
    Allowed as MayAct, ExplainRequest, Explained, Explanation, Grant, StateCheck, WhoCan,
};
pub use history::{AuditEntry, Happened, SignOffEntry};
pub use hook_test::HookSubject;
pub use idempotency::{IDEMPOTENCY_TTL_SECS, Retry};
pub use identities::expiry;
pub use items::{EditOptions, FieldChange, NewItem};
pub use kept::{IndexDifference, IndexReport};
pub use lists::{ItemFilter, ItemSeek, ReviewSeek, Under, parse_deploy_filter};
pub use mail::{CLAIM_TIMEOUT_SECS, DeliveryReport, MAX_ATTEMPTS};
pub use migrate::{ItemMigration, MigrateRequest, MigrationReport};
pub use overview::{Count, OVERVIEW_CAP, Overview};
pub use recertifications::{Recertification, parse_window};
pub use replay::{ReplayReport, ReplayRequest};
pub use service_tick::ServiceCounts;
pub use sessions::WebSession;
pub use set_cache::LoadedSet;
pub use sets::{LoadReport, Stranded};
pub use settings::PublicSettings;
pub use signoffs::{Sent, SignOffRequest, TickReport};
pub use tables::{TableRow, TableSummary, TableView};
pub use versions::VersionState;
pub use views::*;
