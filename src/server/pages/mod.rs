//! The HTML of the web UI (maud: checked at compile time, escaped by
//! default). Rendering only: the handlers in `web.rs` load what a page shows
//! and decide what happens; nothing here touches the engine.

mod blueprints;
mod board;
mod confirm;
mod explain;
mod frame;
mod home;
mod item;
mod lists;
mod matrix;
mod report;
mod service;
mod tables;
mod timeline;

pub(super) use blueprints::blueprints;
pub(super) use board::board;
pub(super) use confirm::{Confirmation, confirm};
pub(super) use explain::explanation;
pub(super) use frame::{ItemPage, ListFilter, Notice, PAGE_SIZE, Viewer, error_page, login};
pub(super) use home::home;
pub(super) use item::item;
pub(super) use lists::{ItemList, TreeLevel, items, recertifications, reviews, tree};
pub(super) use matrix::matrix;
pub(super) use report::controls_report;
pub(super) use tables::tables;
pub(super) use timeline::timeline;
