//! Documents made from the engine's views for people and spreadsheets:
//! CSV and standalone HTML. Used by the command line and the daemon alike,
//! so both give the same report.

pub mod controls;
