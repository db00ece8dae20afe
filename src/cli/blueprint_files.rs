//! `govrt validate` and `govrt fmt`: blueprint authoring on files, no database.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::global::{CliError, Global, Outcome, exit};
use crate::check;
use crate::diag::{self, Summary};
use crate::syntax::fmt;

/// Output format of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// miette reports on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// Arguments of `govrt validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// `.gov` files or folders (recursive).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// Arguments of `govrt fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// `.gov` files or folders (recursive).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Write nothing; exit 1 listing the files that would change.
    #[arg(long)]
    pub check: bool,
}

fn missing_path(e: &std::io::Error) -> CliError {
    CliError::invalid_input(
        e.to_string(),
        Some("give `.gov` files or folders that hold them".into()),
    )
}

/// `govrt validate`.
pub fn validate(cli: &Global, args: &ValidateArgs, json: bool) -> Outcome {
    let checked = match check::check_paths(&args.paths) {
        Ok(c) => c,
        Err(e) => return Outcome::Error(missing_path(&e)),
    };
    // With `--db`, migrations are checked against the stored old versions too.
    let mut stored_problems = Vec::new();
    if db_named()
        && let Some(set) = &checked.set
    {
        let mut engine = tryo!(super::runtime::open(cli, false));
        match engine.check_migrations(set) {
            Ok(problems) => stored_problems = problems,
            Err(e) => return super::runtime::engine_error(e, json),
        }
    }
    let summary = Summary::of(checked.files, &checked.diagnostics);
    for p in &stored_problems {
        eprintln!("error: {p}");
    }
    if json || args.format == Format::Json {
        println!("{}", diag::to_json(summary, &checked.diagnostics));
    } else {
        let stderr = std::io::stderr();
        let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut out = stderr.lock();
        for d in &checked.diagnostics {
            let _ = write!(out, "{}", diag::render_human(d, color, 100));
            let _ = writeln!(out);
        }
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(
            out,
            "{}: {} checked, {}, {}",
            if summary.errors > 0 { "failed" } else { "ok" },
            plural(summary.files, "file"),
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
        );
    }
    let fails = summary.errors > 0
        || !stored_problems.is_empty()
        || (args.deny_warnings && summary.warnings > 0);
    Outcome::Exit(if fails { exit::REFUSED } else { exit::OK })
}

/// Whether `--db` was given on the command line, rather than defaulted or
/// set in the environment: only then does `validate` read a database.
fn db_named() -> bool {
    std::env::args_os().any(|a| a == "--db" || a.to_string_lossy().starts_with("--db="))
}

/// `govrt fmt`.
pub fn fmt(args: &FmtArgs, json: bool) -> Outcome {
    let files = match check::collect_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return Outcome::Error(missing_path(&e)),
    };
    let (sources, unreadable) = check::read_sources(&files);
    let mut problems: Vec<diag::Diagnostic> = unreadable;
    let mut changed = Vec::new();
    for source in &sources {
        match fmt::format_source(source) {
            Ok(formatted) if formatted != *source.text => {
                if !args.check
                    && let Err(e) = std::fs::write(&source.name, &formatted)
                {
                    return Outcome::Error(CliError::invalid_input(
                        format!("cannot write `{}`: {e}", source.name),
                        Some("check the file's permissions".into()),
                    ));
                }
                changed.push(source.name.clone());
            }
            Ok(_) => {}
            Err(mut d) => problems.append(&mut d),
        }
    }
    if json {
        println!(
            "{}",
            serde_json::json!({
                "files": files.len(),
                "changed": changed,
                "check": args.check,
                "diagnostics": diag::to_json(Summary::of(files.len(), &problems), &problems)["diagnostics"],
            })
        );
    } else {
        let stderr = std::io::stderr();
        let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        for d in &problems {
            eprint!("{}", diag::render_human(d, color, 100));
        }
        for name in &changed {
            if args.check {
                println!("would reformat {name}");
            } else {
                println!("formatted {name}");
            }
        }
    }
    let fails = !problems.is_empty() || (args.check && !changed.is_empty());
    Outcome::Exit(if fails { exit::REFUSED } else { exit::OK })
}
