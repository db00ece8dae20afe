//! Working time of a business calendar, as pure functions: how much of it
//! lies between two instants, and the instant a given amount of it after
//! another. Working days and hours are local to the calendar's time zone;
//! a local time a daylight-saving change skips counts from the first
//! instant after the gap, one it repeats from its first occurrence.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

use crate::model::{Calendar, WorkDuration, WorkUnit};

/// How far ahead a due time is looked for (a calendar whose every working
/// day is a holiday has none).
const HORIZON_DAYS: u32 = 366 * 20;

/// The seconds of a working day: its working hours, or 24 hours.
pub fn day_seconds(cal: &Calendar) -> i64 {
    cal.hours.map_or(86_400, |h| i64::from(h.to - h.from) * 60)
}

/// The length of `d` in the seconds its clock counts: wall-clock seconds,
/// or working seconds of the calendar for business units.
pub fn length_seconds(cal: &Calendar, d: &WorkDuration) -> i64 {
    let n = i64::from(d.amount);
    match d.unit {
        WorkUnit::Hour | WorkUnit::BusinessHour => n * 3600,
        WorkUnit::Day => n * 86_400,
        WorkUnit::Week => n * 7 * 86_400,
        WorkUnit::BusinessDay => n * day_seconds(cal),
    }
}

/// The seconds `d`'s clock counts between `from` and `to`.
pub fn measure(cal: &Calendar, d: &WorkDuration, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    if d.is_business() {
        working_seconds(cal, from, to)
    } else {
        (to - from).num_seconds().max(0)
    }
}

/// The instant `seconds` of `d`'s clock after `from`.
pub fn advance(
    cal: &Calendar,
    d: &WorkDuration,
    from: DateTime<Utc>,
    seconds: i64,
) -> Option<DateTime<Utc>> {
    if d.is_business() {
        add_working(cal, from, seconds)
    } else {
        from.checked_add_signed(Duration::seconds(seconds))
    }
}

/// The working window of local date `day` as UTC instants, if it is a working day.
fn window(cal: &Calendar, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !cal.workdays.contains(&day.weekday()) || cal.holidays.binary_search(&day).is_ok() {
        return None;
    }
    let (from, to) = cal.hours.map_or((0, 1440), |h| (h.from, h.to));
    Some((local(cal, day, from)?, local(cal, day, to)?))
}

/// The instant of `minutes` after local midnight of `day` (1440: the next midnight).
fn local(cal: &Calendar, day: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
    let (day, minutes) = if minutes >= 1440 {
        (day.succ_opt()?, minutes - 1440)
    } else {
        (day, minutes)
    };
    let naive = day.and_hms_opt(minutes / 60, minutes % 60, 0)?;
    let tz = cal.timezone;
    let found = tz.from_local_datetime(&naive).earliest().or_else(|| {
        // Skipped by a daylight-saving change: the first instant after the gap.
        (1..=240).find_map(|m| {
            tz.from_local_datetime(&(naive + Duration::minutes(m)))
                .earliest()
        })
    })?;
    Some(found.with_timezone(&Utc))
}

/// `t` in RFC 3339, in the time zone `tz` (`2027-01-07T15:00:00+01:00`;
/// `Z` for UTC): how the CLI and mail show a calendar's times.
pub fn stamp(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `t` to the minute, in the time zone `tz`, named (`2027-01-07 15:00
/// Europe/Paris`): how the web UI shows a calendar's times.
pub fn shown(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "{} {}",
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
        tz.name()
    )
}

/// The local date of `t` in the calendar's time zone.
fn local_date(cal: &Calendar, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cal.timezone).date_naive()
}

/// Working seconds in `[from, to)`.
pub fn working_seconds(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    if to <= from {
        return 0;
    }
    let mut total = 0;
    // A window may start the local day before (a zone behind UTC): look from there.
    let mut day = local_date(cal, from).pred_opt().unwrap_or(NaiveDate::MIN);
    let last = local_date(cal, to);
    while day <= last {
        if let Some((a, b)) = window(cal, day) {
            let (s, e) = (a.max(from), b.min(to));
            if e > s {
                total += (e - s).num_seconds();
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    total
}

/// The instant `seconds` of working time after `from`; `None` when the
/// calendar has no working time within its horizon.
pub fn add_working(cal: &Calendar, from: DateTime<Utc>, seconds: i64) -> Option<DateTime<Utc>> {
    let mut left = seconds.max(0);
    let mut day = local_date(cal, from).pred_opt()?;
    for _ in 0..HORIZON_DAYS {
        if let Some((a, b)) = window(cal, day) {
            let s = a.max(from);
            if b > s {
                let available = (b - s).num_seconds();
                if available >= left {
                    return Some(s + Duration::seconds(left));
                }
                left -= available;
            }
        }
        day = day.succ_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkingHours;
    use chrono::Weekday;
    use proptest::prelude::*;

    fn paris() -> Calendar {
        Calendar {
            id: "paris".into(),
            timezone: chrono_tz::Europe::Paris,
            hours: Some(WorkingHours {
                from: 9 * 60,
                to: 18 * 60,
            }),
            holidays: vec![NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()],
            ..Calendar::default()
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn business_days_skip_the_weekend_and_holidays() {
        let cal = paris();
        let five = WorkDuration {
            amount: 5,
            unit: WorkUnit::BusinessDay,
        };
        // Wednesday 2026-12-30 at 15:00 Paris; Friday Jan 1 is a holiday.
        let start = at("2026-12-30T15:00:00+01:00");
        let due = advance(&cal, &five, start, length_seconds(&cal, &five)).unwrap();
        // Wed 3h, Thu 9h, (Fri holiday, weekend), Mon 9h, Tue 9h, Wed 9h, Thu 6h.
        assert_eq!(due, at("2027-01-07T15:00:00+01:00"));
        assert_eq!(working_seconds(&cal, start, due), 5 * 9 * 3600);
    }

    #[test]
    fn the_default_calendar_counts_whole_weekdays_in_utc() {
        let cal = Calendar::default();
        let one = WorkDuration {
            amount: 1,
            unit: WorkUnit::BusinessDay,
        };
        // Friday noon + 1 business day = Monday noon.
        let due = advance(&cal, &one, at("2027-01-08T12:00:00Z"), 86_400).unwrap();
        assert_eq!(due, at("2027-01-11T12:00:00Z"));
        assert_eq!(cal.workdays.len(), 5);
        assert!(!cal.workdays.contains(&Weekday::Sat));
    }

    #[test]
    fn daylight_saving_changes_keep_local_hours() {
        let cal = paris();
        // The clocks go forward on Sunday 2027-03-28: Friday and Monday both work 09:00..18:00 local.
        let fri = at("2027-03-26T09:00:00+01:00");
        let mon_end = at("2027-03-29T18:00:00+02:00");
        assert_eq!(working_seconds(&cal, fri, mon_end), 2 * 9 * 3600);
    }

    proptest! {
        /// Advancing by the working time between two instants lands where
        /// the working time is reached, and measuring back gives it again.
        #[test]
        fn advance_and_measure_agree(start in 0i64..(400 * 86_400), secs in 0i64..(30 * 9 * 3600)) {
            let cal = paris();
            let from = at("2026-06-01T00:00:00Z") + Duration::seconds(start);
            let to = add_working(&cal, from, secs).unwrap();
            prop_assert_eq!(working_seconds(&cal, from, to), secs);
            prop_assert!(to >= from);
        }
    }
}
