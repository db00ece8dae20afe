//! The `govrt` binary: parse arguments, dispatch, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: parsing and the daemon allocate many small objects; glibc's
// allocator spent about a quarter of validation time on them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = govrt::cli::Cli::parse();
    govrt::cli::run(cli)
}
