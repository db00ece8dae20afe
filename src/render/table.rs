//! A table view as CSV (a header of the columns, then one row per item) and
//! as aligned text for a terminal. Cells are written as people read values:
//! lists joined with commas, unset as empty (CSV) or `-` (text).

use super::csv_field;
use crate::engine::TableView;
use crate::engine::rules::values::display;

/// The cell as text (`None`: unset).
fn text(cell: &serde_json::Value) -> Option<String> {
    (!cell.is_null()).then(|| display(cell))
}

/// `id,name,…` then one line per row, CRLF-terminated (RFC 4180).
pub fn csv(view: &TableView) -> String {
    let mut out = String::new();
    let header: Vec<String> = std::iter::once("id".to_string())
        .chain(view.columns.iter().map(|c| csv_field(c)))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in &view.rows {
        let cells: Vec<String> = std::iter::once(row.item.clone())
            .chain(
                row.cells
                    .iter()
                    .map(|c| csv_field(&text(c).unwrap_or_default())),
            )
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The label, then the columns aligned under their headers.
pub fn human(view: &TableView) -> String {
    let header: Vec<String> = std::iter::once("ID".to_string())
        .chain(view.columns.iter().map(|c| c.to_uppercase()))
        .collect();
    let rows: Vec<Vec<String>> = view
        .rows
        .iter()
        .map(|r| {
            std::iter::once(r.item.clone())
                .chain(
                    r.cells
                        .iter()
                        .map(|c| text(c).unwrap_or_else(|| "-".into())),
                )
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(header[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = format!(
        "{} (table {} of {}): {} {}\n",
        view.label,
        view.id,
        view.blueprint,
        view.rows.len(),
        if view.rows.len() == 1 {
            "item"
        } else {
            "items"
        }
    );
    out.push_str(&line(&header));
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}
