//! The re-certifications falling due: sign-offs whose automatic reset
//! (`reset every`, the `reset_at` hook's date, a scheduled reset) comes
//! within a window, on the items the caller may read, soonest first; and
//! the window as users write it (`30d`, `4 weeks`).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::engine::access::{Identity, Permission, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::rules::signoff::Status;

/// A sign-off whose automatic reset falls due within the window asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recertification {
    /// The item.
    pub item: String,
    /// Its name.
    pub name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The step whose sign-off it is.
    pub step: String,
    /// The sign-off's state now.
    pub status: Status,
    /// When it was approved, if it stands approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it is reset (past: the scheduler has not run since).
    pub due_at: DateTime<Utc>,
    /// Whether the reset requests the review again (`rerequest`).
    pub rerequest: bool,
}

/// The longest window asked about: ten years.
const MAX_WINDOW_DAYS: i64 = 3653;

/// A window as written: `30d`, `30 days`, `4w`, `12h`, a bare number of days.
pub fn parse_window(text: &str) -> Result<TimeDelta> {
    let t = text.trim();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let (amount, unit) = t.split_at(digits);
    let per_unit = match unit.trim() {
        "" | "d" | "day" | "days" => Some(86_400),
        "w" | "week" | "weeks" => Some(7 * 86_400),
        "h" | "hour" | "hours" => Some(3_600),
        _ => None,
    };
    let seconds = amount
        .parse::<i64>()
        .ok()
        .zip(per_unit)
        .and_then(|(n, per)| n.checked_mul(per))
        .filter(|&s| s > 0 && s <= MAX_WINDOW_DAYS * 86_400);
    match seconds {
        Some(s) => Ok(TimeDelta::seconds(s)),
        None => refuse(Refusal::InvalidValue {
            what: format!("window `{text}`"),
            why: format!(
                "write a positive number of days, weeks or hours, at most {MAX_WINDOW_DAYS} days: `30d`, `4w`, `12h`"
            ),
        }),
    }
}

impl Engine {
    /// The sign-offs reset within `within` of `now` on the items `who` may
    /// read, soonest first (then by item and step).
    pub fn recertifications_due(
        &mut self,
        who: &Identity,
        within: TimeDelta,
        now: Option<DateTime<Utc>>,
    ) -> Result<Vec<Recertification>> {
        let horizon = self.now_or(now) + within;
        let tx = self.store.read()?;
        let mut out = Vec::new();
        for id in tx.items_due(horizon)? {
            let Ok((chain, set)) = Self::loaded(&tx, &mut self.cache, id) else {
                continue;
            };
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            if !resolver.has(Permission::Read) {
                continue;
            }
            let item = &chain[0];
            let blueprint = set.blueprint(&item.blueprint);
            for (step, state) in &item.signoffs {
                let Some(due_at) = state.due_at().filter(|d| *d <= horizon) else {
                    continue;
                };
                let rerequest = blueprint
                    .and_then(|b| b.step(step)?.signoff.as_ref())
                    .is_some_and(|s| s.rerequest);
                out.push(Recertification {
                    item: item.id.to_string(),
                    name: item.name.clone(),
                    blueprint: item.blueprint.clone(),
                    step: step.clone(),
                    status: state.status,
                    approved_at: state
                        .approved_at
                        .filter(|_| state.status == Status::Approved),
                    due_at,
                    rerequest,
                });
            }
        }
        out.sort_by(|a, b| {
            (a.due_at, a.item.parse::<i64>().unwrap_or(0), &a.step).cmp(&(
                b.due_at,
                b.item.parse::<i64>().unwrap_or(0),
                &b.step,
            ))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_read_as_written() {
        assert_eq!(parse_window("30d").unwrap(), TimeDelta::days(30));
        assert_eq!(parse_window("30 days").unwrap(), TimeDelta::days(30));
        assert_eq!(parse_window("4w").unwrap(), TimeDelta::days(28));
        assert_eq!(parse_window("12h").unwrap(), TimeDelta::hours(12));
        assert_eq!(parse_window("7").unwrap(), TimeDelta::days(7));
        for bad in ["", "0d", "-3d", "d", "30 months", "99999d"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
    }
}
