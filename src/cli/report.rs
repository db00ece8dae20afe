//! `govrt report controls`: the control coverage report as a table, JSON,
//! CSV or HTML; `govrt table ID`: a declared table view as text, JSON or CSV.

use clap::{Subcommand, ValueEnum};

use super::global::{Global, Outcome};
use super::paging::PageArgs;
use super::runtime::{print_json, with_reader};
use crate::render;

/// The reports.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Control coverage: per control, what gives its evidence; per item,
    /// whether it has it, how fresh it is, and the exceptions; an inventory.
    Controls {
        /// Only this blueprint.
        #[arg(long)]
        blueprint: Option<String>,
        /// The format (`--json` means json).
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table for the terminal.
    Text,
    /// One JSON document.
    Json,
    /// One row per item and control.
    Csv,
    /// A standalone HTML page.
    Html,
}

pub(super) fn report(cli: &Global, command: &ReportCommand) -> Outcome {
    let ReportCommand::Controls { blueprint, format } = command;
    let format = if cli.json {
        ReportFormat::Json
    } else {
        *format
    };
    with_reader(
        cli,
        |e, who| e.controls_report(who, blueprint.as_deref(), None),
        |r| match format {
            ReportFormat::Text => print!("{}", render::controls::text(r)),
            ReportFormat::Json => print_json(r),
            ReportFormat::Csv => print!("{}", render::controls::csv(r)),
            ReportFormat::Html => println!("{}", render::controls::html(r)),
        },
    )
}

/// How `govrt table` writes a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// Aligned text.
    Human,
    /// One JSON document (`{"id", "label", "blueprint", "columns", "rows": [{"item", "cells"}], "next"}`).
    Json,
    /// A header of the columns, then one row per item.
    Csv,
}

pub(super) fn table(
    cli: &Global,
    id: Option<&str>,
    format: TableFormat,
    page: &PageArgs,
) -> Outcome {
    let format = if cli.json { TableFormat::Json } else { format };
    let Some(id) = id else {
        return with_reader(
            cli,
            |e, _| e.tables(),
            |tables| match format {
                TableFormat::Json => print_json(tables),
                _ => {
                    for t in tables {
                        println!("{}  {} (of {})", t.id, t.label, t.blueprint);
                    }
                }
            },
        );
    };
    let limit = page.paged().then(|| page.limit());
    let after = page.cursor().map(str::to_string);
    with_reader(
        cli,
        move |e, who| e.table(who, id, limit, after.as_deref()),
        |view| {
            match format {
                TableFormat::Json => print_json(view),
                TableFormat::Csv => print!("{}", render::table::csv(view)),
                TableFormat::Human => print!("{}", render::table::human(view)),
            }
            if format != TableFormat::Json
                && let Some(next) = &view.next
            {
                eprintln!("next page: --after {next}");
            }
        },
    )
}
