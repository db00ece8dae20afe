//! `govrt report controls`: the control coverage report as JSON, CSV or HTML.

use clap::{Subcommand, ValueEnum};

use super::global::{Global, Outcome};
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
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
    },
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
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
            ReportFormat::Json => print_json(r),
            ReportFormat::Csv => print!("{}", render::controls::csv(r)),
            ReportFormat::Html => println!("{}", render::controls::html(r)),
        },
    )
}
