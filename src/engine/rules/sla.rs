//! Service levels of a sign-off's reviews, as pure functions of the
//! blueprint, the sign-off's clocks and the time: per feedback group and
//! final approval, the time elapsed and remaining, the due time and whether
//! it is breached; which reminder or escalation falls due; when the
//! scheduler next has one to send.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::calendar;
use crate::model::signoff::{Clock, SignOffState, Status};
use crate::model::{Blueprint, ServiceLevel, SignOff, WorkDuration};

/// A clock less than this share of its SLA from breaching is at risk.
pub const AT_RISK_SHARE: f64 = 0.25;

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Never started this round.
    NotStarted,
    /// Running: the review (decision) is asked for and not given.
    Running,
    /// Paused while the sign-off is abandoned.
    Paused,
    /// Stopped: given, or the sign-off moved on.
    Stopped,
}

/// What a status shows of one service level.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    /// Where the clock stands.
    pub clock: ClockState,
    /// The SLA (`5 business days`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// The calendar business durations count in.
    pub calendar: String,
    /// The calendar's time zone, which its times are shown in (`Europe/Paris`).
    #[schema(value_type = String)]
    pub timezone: chrono_tz::Tz,
    /// Time on the clock, in the SLA's measure (working seconds for business units).
    pub elapsed_seconds: i64,
    /// The same, in words (`1 business day 3 h`).
    pub elapsed: String,
    /// Time left before the SLA is breached (0 once it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_seconds: Option<i64>,
    /// The same, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<String>,
    /// When the SLA is (or was) breached, while the clock runs or once it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// The clock passed the SLA.
    pub breached: bool,
    /// Running, not breached, with less than a quarter of the SLA left.
    pub at_risk: bool,
    /// Reminders sent this round.
    pub reminders_sent: u32,
    /// When the next reminder goes, while the clock runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_reminder_at: Option<DateTime<Utc>>,
    /// When it escalated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it escalates, while the clock runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalates_at: Option<DateTime<Utc>>,
}

/// What falls due on one clock at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Due {
    /// The reminder to send (its number), if one is due.
    pub remind: Option<u32>,
    /// The escalation is due.
    pub escalate: bool,
}

/// The service level of `group` (`final`: the final approval) of a sign-off.
pub fn level_of<'a>(spec: &'a SignOff, group: &str) -> Option<&'a ServiceLevel> {
    if group == "final" {
        return Some(&spec.final_approval.service);
    }
    spec.feedback
        .iter()
        .find(|g| g.id.as_str() == group)
        .map(|g| &g.service)
}

/// The clocks a sign-off has service levels on: (group or `final`, level).
pub fn levels(spec: &SignOff) -> impl Iterator<Item = (&str, &ServiceLevel)> {
    spec.feedback
        .iter()
        .map(|g| (g.id.as_str(), &g.service))
        .chain([("final", &spec.final_approval.service)])
        .filter(|(_, l)| !l.is_empty())
}

/// Time on `clock` at `now`, in `d`'s measure.
fn elapsed(level: &ServiceLevel, d: &WorkDuration, clock: &Clock, now: DateTime<Utc>) -> i64 {
    clock
        .runs
        .iter()
        .map(|r| calendar::measure(&level.calendar, d, r.from, r.to.unwrap_or(now).min(now)))
        .sum()
}

/// The instant `clock` reached (or, running, will reach) `target` seconds of `d`.
fn reach(
    level: &ServiceLevel,
    d: &WorkDuration,
    clock: &Clock,
    target: i64,
) -> Option<DateTime<Utc>> {
    let mut done = 0;
    for run in &clock.runs {
        let left = target - done;
        match run.to {
            Some(to) => {
                let here = calendar::measure(&level.calendar, d, run.from, to);
                if here >= left {
                    return calendar::advance(&level.calendar, d, run.from, left);
                }
                done += here;
            }
            None => return calendar::advance(&level.calendar, d, run.from, left),
        }
    }
    None
}

/// `secs` in words, in the unit of `d`: `2 business days 3 h`, `5 h 20 min`.
pub fn words(level: &ServiceLevel, d: &WorkDuration, secs: i64) -> String {
    use crate::model::WorkUnit::*;
    let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let (day, name) = match d.unit {
        BusinessDay => (calendar::day_seconds(&level.calendar), "business day"),
        Day | Week => (86_400, "day"),
        Hour | BusinessHour => (0, ""),
    };
    if day > 0 && secs >= day {
        let hours = (secs % day) / 3600;
        let days = plural(secs / day, name);
        return if hours > 0 {
            format!("{days} {hours} h")
        } else {
            days
        };
    }
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    let business = if d.is_business() {
        " of business time"
    } else {
        ""
    };
    match (h, m) {
        (0, m) => format!("{m} min{business}"),
        (h, 0) => format!("{h} h{business}"),
        (h, m) => format!("{h} h {m} min{business}"),
    }
}

/// The view of one clock at `now`.
pub fn view(
    level: &ServiceLevel,
    clock: Option<&Clock>,
    status: Status,
    now: DateTime<Utc>,
) -> ServiceView {
    let empty = Clock::default();
    let clock = clock.unwrap_or(&empty);
    let state = if clock.running() {
        ClockState::Running
    } else if clock.runs.is_empty() {
        ClockState::NotStarted
    } else if status == Status::Abandoned {
        ClockState::Paused
    } else {
        ClockState::Stopped
    };
    let running = state == ClockState::Running;
    // Elapsed time is measured as the SLA measures it, else as the reminders or escalation do.
    let measure = level
        .sla
        .or(level.remind_every)
        .or(level.escalate.as_ref().map(|e| e.after));
    let secs = measure.map_or(0, |d| elapsed(level, &d, clock, now));
    let mut v = ServiceView {
        clock: state,
        sla: level.sla.map(|d| d.to_string()),
        calendar: level.calendar.id.clone(),
        timezone: level.calendar.timezone,
        elapsed_seconds: secs,
        elapsed: measure.map_or_else(String::new, |d| words(level, &d, secs)),
        remaining_seconds: None,
        remaining: None,
        due_at: None,
        breached: false,
        at_risk: false,
        reminders_sent: clock.reminders,
        next_reminder_at: None,
        escalated_at: clock.escalated_at,
        escalates_at: None,
    };
    if let Some(d) = level.sla {
        let length = calendar::length_seconds(&level.calendar, &d);
        let left = (length - secs).max(0);
        v.remaining_seconds = Some(left);
        v.remaining = Some(words(level, &d, left));
        v.breached = secs >= length;
        v.at_risk = running && !v.breached && (left as f64) < AT_RISK_SHARE * length as f64;
        v.due_at = (running || v.breached)
            .then(|| reach(level, &d, clock, length))
            .flatten();
    }
    if running {
        v.next_reminder_at = next_reminder(level, clock);
        v.escalates_at = next_escalation(level, clock);
    }
    v
}

fn next_reminder(level: &ServiceLevel, clock: &Clock) -> Option<DateTime<Utc>> {
    let every = level.remind_every?;
    let period = calendar::length_seconds(&level.calendar, &every);
    reach(
        level,
        &every,
        clock,
        period * (i64::from(clock.reminders) + 1),
    )
}

fn next_escalation(level: &ServiceLevel, clock: &Clock) -> Option<DateTime<Utc>> {
    let e = level
        .escalate
        .as_ref()
        .filter(|_| clock.escalated_at.is_none())?;
    reach(
        level,
        &e.after,
        clock,
        calendar::length_seconds(&level.calendar, &e.after),
    )
}

/// What falls due on a running clock at `now`: the latest reminder not yet
/// sent (one, however many periods were missed), and the escalation.
pub fn due(level: &ServiceLevel, clock: &Clock, now: DateTime<Utc>) -> Due {
    if !clock.running() {
        return Due::default();
    }
    let remind = level.remind_every.and_then(|every| {
        let period = calendar::length_seconds(&level.calendar, &every);
        let periods = elapsed(level, &every, clock, now) / period.max(1);
        let n = u32::try_from(periods).unwrap_or(u32::MAX);
        (n > clock.reminders).then_some(n)
    });
    let escalate = level.escalate.as_ref().is_some_and(|e| {
        clock.escalated_at.is_none()
            && elapsed(level, &e.after, clock, now)
                >= calendar::length_seconds(&level.calendar, &e.after)
    });
    Due { remind, escalate }
}

/// When the scheduler next has a reminder or an escalation to send on a
/// sign-off: the earliest over its running clocks.
pub fn wake_at(spec: &SignOff, state: &SignOffState) -> Option<DateTime<Utc>> {
    levels(spec)
        .filter_map(|(group, level)| {
            let clock = state.clocks.get(group).filter(|c| c.running())?;
            [next_reminder(level, clock), next_escalation(level, clock)]
                .into_iter()
                .flatten()
                .min()
        })
        .min()
}

/// Sets every sign-off's wake-up time from its clocks (the engine does it
/// whenever it writes an item).
pub fn schedule(
    blueprint: &Blueprint,
    signoffs: &mut std::collections::BTreeMap<String, SignOffState>,
) {
    for (step, state) in signoffs.iter_mut() {
        let spec = blueprint.step(step).and_then(|s| s.signoff.as_ref());
        state.wake_at = spec.and_then(|spec| wake_at(spec, state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkUnit;
    use crate::model::signoff::Run;
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        // A Monday, midnight UTC.
        DateTime::parse_from_rfc3339("2027-01-04T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::hours(h)
    }

    fn level() -> ServiceLevel {
        ServiceLevel {
            sla: Some(WorkDuration {
                amount: 3,
                unit: WorkUnit::Day,
            }),
            remind_every: Some(WorkDuration {
                amount: 1,
                unit: WorkUnit::Day,
            }),
            escalate: None,
            ..ServiceLevel::default()
        }
    }

    #[test]
    fn a_pause_does_not_count() {
        let clock = Clock {
            runs: vec![
                Run {
                    from: at(0),
                    to: Some(at(24)),
                },
                Run {
                    from: at(48),
                    to: None,
                },
            ],
            ..Clock::default()
        };
        let v = view(&level(), Some(&clock), Status::WaitingForFeedback, at(60));
        assert_eq!(v.elapsed_seconds, 36 * 3600);
        assert_eq!(v.due_at, Some(at(96)));
        assert!(!v.breached);
        assert_eq!(
            due(&level(), &clock, at(60)),
            Due {
                remind: Some(1),
                escalate: false
            }
        );
    }

    proptest! {
        /// Elapsed time never decreases as time goes on, and a breach is
        /// reported exactly when the elapsed time reaches the SLA.
        #[test]
        fn elapsed_grows_and_breach_matches(cuts in proptest::collection::vec(1i64..50, 0..6), later in 0i64..200) {
            let mut runs = Vec::new();
            let mut t = 0;
            for (i, c) in cuts.iter().enumerate() {
                if i % 2 == 0 { runs.push(Run { from: at(t), to: Some(at(t + c)) }); }
                t += c;
            }
            runs.push(Run { from: at(t), to: None });
            let clock = Clock { runs, ..Clock::default() };
            let a = view(&level(), Some(&clock), Status::WaitingForFeedback, at(t + later));
            let b = view(&level(), Some(&clock), Status::WaitingForFeedback, at(t + later + 5));
            prop_assert!(b.elapsed_seconds >= a.elapsed_seconds);
            prop_assert_eq!(a.breached, a.elapsed_seconds >= 3 * 86_400);
            if let Some(due_at) = a.due_at {
                let at_due = view(&level(), Some(&clock), Status::WaitingForFeedback, due_at);
                prop_assert_eq!(at_due.elapsed_seconds, 3 * 86_400);
            }
        }
    }
}
