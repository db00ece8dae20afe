//! `--limit N` and `--after CURSOR` of the CLI's lists (`item list`, `item
//! history`, `reviews`): a page read from where the cursor points, and the
//! cursor of the next page, printed on stderr so that stdout stays the list
//! (an array with `--json`).

use super::global::{CliError, Outcome};
use crate::engine::read::cursor::List;

/// The page a list command asks for.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PageArgs {
    /// At most N entries (default: all); the next page's cursor is printed on stderr.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// Continue after this cursor (printed by the page before).
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
}

impl PageArgs {
    /// Whether a page was asked for (otherwise the whole list).
    pub(super) fn paged(&self) -> bool {
        self.limit.is_some() || self.after.is_some()
    }

    /// The page size (every entry without `--limit`).
    pub(super) fn limit(&self) -> usize {
        self.limit
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(usize::MAX)
    }

    /// `--after` as given, for a list that reads its own cursors.
    pub(super) fn cursor(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The number `--after` continues after, for a cursor of `list`.
    pub(super) fn after(&self, list: List) -> Result<Option<i64>, Outcome> {
        self.after
            .as_deref()
            .map(|text| {
                list.number_after(text).ok_or_else(|| {
                    Outcome::Error(CliError::invalid_input(
                        format!("`{text}` is not a cursor of this list"),
                        Some(
                            "pass the cursor the page before printed, as it is; leave `--after` out for the first page"
                                .into(),
                        ),
                    ))
                })
            })
            .transpose()
    }
}

/// Prints the next page's cursor, if there is one.
pub(super) fn print_next(list: List, next: Option<i64>) {
    if let Some(n) = next {
        eprintln!("next page: --after {}", list.number_cursor(n));
    }
}
