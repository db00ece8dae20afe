//! The audit trail for an auditor: one line per event in words, or CSV
//! (RFC 4180, CRLF) with the details as compact JSON.

use super::csv_field;
use crate::engine::{AuditEntry, Authentication};

/// The columns of the CSV export.
pub const CSV_HEADER: &str = "seq,at,actor,action,item,auth,details";

/// How the event's actor was authenticated, in words, if recorded.
fn auth(e: &AuditEntry) -> String {
    Authentication::from_details(&e.details)
        .map(|a| a.describe())
        .unwrap_or_default()
}

/// The events as CSV: a header, then one line per event.
pub fn csv(entries: &[AuditEntry]) -> String {
    let mut out = format!("{CSV_HEADER}\r\n");
    for e in entries {
        let item = e.item.map(|i| i.to_string()).unwrap_or_default();
        let fields = [
            e.seq.to_string(),
            e.at.clone(),
            e.actor.clone(),
            e.action.clone(),
            item,
            auth(e),
            e.details.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The events as text, a line each: `#12 2026-12-07T10:00:00Z owner signoff.approve item 3`.
pub fn text(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        let item = e.item.map(|i| format!(" item {i}")).unwrap_or_default();
        let how = match auth(e) {
            a if a.is_empty() => String::new(),
            a => format!(" (through {a})"),
        };
        out.push_str(&format!(
            "#{} {} {}{how} {}{item}\n",
            e.seq, e.at, e.actor, e.action
        ));
    }
    out
}
