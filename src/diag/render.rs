//! Rendering diagnostics: miette's graphical reports for people, and the JSON
//! shape of `govrt validate --format json` (the CLI reference, docs/src/reference/cli.md) for tools.

use miette::{GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use super::code::Severity;
use super::diagnostic::Diagnostic;

/// Renders one diagnostic as a graphical report, `width` columns wide.
pub fn render_human(diagnostic: &Diagnostic, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        // Rendering into a String cannot fail short of a formatter bug; fall back
        // to the plain form rather than losing the diagnostic.
        let (line, column) = diagnostic.file.line_col(diagnostic.primary_span().start);
        out = format!(
            "{}: {}\n  --> {}:{line}:{column}\n",
            diagnostic.code.as_str(),
            diagnostic.message,
            diagnostic.file.name
        );
    }
    out
}

/// The totals of a validation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `.gov` files read.
    pub files: usize,
    /// Diagnostics of severity error.
    pub errors: usize,
    /// Diagnostics of severity warning.
    pub warnings: usize,
}

impl Summary {
    /// Counts `diagnostics` over `files` files.
    pub fn of(files: usize, diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count();
        Summary {
            files,
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

/// The JSON document of `govrt validate --format json`: 1-based lines and
/// columns (columns count characters); `end_column` is one past the span.
pub fn to_json(summary: Summary, diagnostics: &[Diagnostic]) -> serde_json::Value {
    let report = JsonReport {
        files: summary.files,
        errors: summary.errors,
        warnings: summary.warnings,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                let span = d.primary_span();
                let (line, column) = d.file.line_col(span.start);
                let (end_line, end_column) = d.file.line_col(span.end);
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity(),
                    message: &d.message,
                    file: &d.file.name,
                    line,
                    column,
                    end_line,
                    end_column,
                    help: d.help.as_deref(),
                }
            })
            .collect(),
    };
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}
