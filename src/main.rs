//! The `govrt` binary: parse arguments, dispatch, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = govrt::cli::Cli::parse();
    govrt::cli::run(cli)
}
