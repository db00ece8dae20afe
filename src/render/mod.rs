//! Documents made from the engine's views for people and spreadsheets:
//! CSV and standalone HTML. Used by the command line and the daemon alike,
//! so both give the same report.

pub mod audit;
pub mod controls;
pub mod table;

/// A CSV field, quoted when it must be (RFC 4180).
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
