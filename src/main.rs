//! The `govrt` binary: parse arguments, dispatch, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: parsing and the daemon allocate many small objects; glibc's
// allocator spent about a quarter of validation time on them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = govrt::cli::Cli::parse();
    govrt::cli::run(cli)
}

/// `govrt item list | head`: when the reader of stdout goes away, the
/// output was wanted no further; end quietly (exit 0), as ripgrep does,
/// instead of panicking with exit 101. Every other panic is reported as usual.
fn quiet_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}
