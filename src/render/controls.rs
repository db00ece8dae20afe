//! The control coverage report as text for a terminal, as CSV (one row per
//! item and control) and as HTML (the coverage matrix, the evidence per
//! item, the inventory).

use crate::model::invisible::shown;
use maud::{DOCTYPE, Markup, html};

use crate::engine::{ControlsReport, EvidenceState};

use super::csv_field as field;

fn evidence_words(e: &EvidenceState) -> String {
    format!("{} {}: {}", e.kind, e.id, e.detail)
}

/// One row per item and control, with a header.
/// The report as aligned text for a terminal: the audit chain, then one
/// line per item and control (MET or NOT MET, with the evidence), then
/// each item's exceptions.
pub fn text(report: &ControlsReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("controls report, {}", report.generated_at));
    if let Some(b) = &report.blueprint {
        out.push_str(&format!(" (blueprint {b})"));
    }
    out.push('\n');
    match (&report.audit.problem, report.audit.events) {
        (Some(problem), _) => out.push_str(&format!("audit trail: BROKEN: {problem}\n")),
        (None, Some(n)) => out.push_str(&format!("audit trail: intact ({n} events)\n")),
        (None, None) => out.push_str("audit trail: intact\n"),
    }
    if report.items.is_empty() {
        out.push_str("no items of a blueprint with controls\n");
        return out;
    }
    out.push_str(&format!(
        "\n{:>5}  {:<24} {:<28} {:<8} EVIDENCE\n",
        "ITEM", "NAME", "CONTROL", "MET"
    ));
    for i in &report.items {
        for c in &i.controls {
            let evidence: Vec<String> = c.evidence.iter().map(evidence_words).collect();
            out.push_str(&format!(
                "{:>5}  {:<24} {:<28} {:<8} {}\n",
                i.item,
                shown(&i.name),
                c.control,
                if c.satisfied { "yes" } else { "NO" },
                evidence.join("; ")
            ));
        }
    }
    for i in report.items.iter().filter(|i| !i.exceptions.is_empty()) {
        out.push_str(&format!(
            "\nexceptions of item {} `{}`:\n",
            i.item,
            shown(&i.name)
        ));
        for e in &i.exceptions {
            out.push_str(&format!("  - {e}\n"));
        }
    }
    out
}

pub fn csv(report: &ControlsReport) -> String {
    let mut out = String::from(
        "item,name,blueprint,version,step,control,satisfied,evidence,approved_by,approved_at,independent,next_reset_at,overdue,exceptions\r\n",
    );
    for i in &report.items {
        for c in &i.controls {
            let signoff = c.evidence.iter().find(|e| e.kind == "signoff");
            let row = [
                i.item.clone(),
                i.name.clone(),
                i.blueprint.clone(),
                i.version.to_string(),
                i.step.clone().unwrap_or_default(),
                c.control.clone(),
                c.satisfied.to_string(),
                c.evidence
                    .iter()
                    .map(evidence_words)
                    .collect::<Vec<_>>()
                    .join("; "),
                signoff
                    .and_then(|e| e.approved_by.clone())
                    .unwrap_or_default(),
                signoff
                    .and_then(|e| e.approved_at.clone())
                    .unwrap_or_default(),
                signoff
                    .and_then(|e| e.independent)
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                signoff
                    .and_then(|e| e.next_reset_at.clone())
                    .unwrap_or_default(),
                c.evidence.iter().any(|e| e.overdue).to_string(),
                i.exceptions.join("; "),
            ];
            let line: Vec<String> = row.iter().map(|f| field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// The report's body: the coverage matrix, the evidence per item, the inventory.
pub fn body(report: &ControlsReport) -> Markup {
    html! {
        p.hint {
            "Made " (report.generated_at)
            @if let Some(b) = &report.blueprint { " for blueprint " strong { (b) } }
            " · audit chain: "
            @if report.audit.intact { "intact (" (report.audit.events.unwrap_or(0)) " events)" }
            @else { strong.warn { "broken: " (report.audit.problem.clone().unwrap_or_default()) } }
        }
        h2 { "Controls and where their evidence comes from" }
        table.report {
            thead { tr { th { "Control" } th { "Framework" } th { "Evidence" } th { "Mandatory evidence" } } }
            tbody {
                @for c in &report.controls {
                    tr {
                        td { code { (c.id) } br; (c.label) }
                        td { (c.framework.clone().unwrap_or_default()) }
                        td {
                            @if c.covered_by.is_empty() { em { "nothing covers it" } }
                            @for s in &c.covered_by { (s.blueprint) " · " (s.kind) " " code { (s.id) } @if s.mandatory { " (mandatory)" } br; }
                        }
                        td { @if c.mandatory_evidence { "yes" } @else { strong.warn { "no" } } }
                    }
                }
            }
        }
        h2 { "Evidence per item" }
        table.report {
            thead { tr { th { "Item" } th { "Control" } th { "Satisfied" } th { "Evidence" } th { "Exceptions" } } }
            tbody {
                @for i in &report.items {
                    @for (n, c) in i.controls.iter().enumerate() {
                        tr {
                            td { @if n == 0 { (i.item) " " (i.name) br; span.hint { (i.blueprint) " v" (i.version) @if let Some(s) = &i.step { " · " (s) } } } }
                            td { code { (c.control) } }
                            td { @if c.satisfied { "yes" } @else { strong.warn { "no" } } }
                            td {
                                @for e in &c.evidence {
                                    (evidence_words(e))
                                    @if let (Some(by), Some(at)) = (&e.approved_by, &e.approved_at) { " — by " (by) " at " (at) }
                                    @if e.independent == Some(false) { " (approver is the requester)" }
                                    @if let Some(t) = &e.next_reset_at { " · due again " (t) }
                                    @if e.overdue { strong.warn { " · overdue" } }
                                    br;
                                }
                            }
                            td { @if n == 0 { @for x in &i.exceptions { (x) br; } } }
                        }
                    }
                }
            }
        }
        h2 { "Inventory" }
        table.report {
            thead { tr { th { "Item" } th { "Name" } th { "Blueprint" } th { "State" } } }
            tbody { @for e in &report.inventory { tr { td { (e.item) } td { (e.name) } td { (e.blueprint) } td { (e.state) } } } }
        }
    }
}

/// A standalone HTML document of the report.
pub fn html(report: &ControlsReport) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Control coverage" }
                style { "body{font:15px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d5dd;padding:4px 8px;vertical-align:top;text-align:left}.hint{color:#5b6472}.warn{color:#9a1c1c}" }
            }
            body { h1 { "Control coverage" } (body(report)) }
        }
    }
    .into_string()
}
