//! Business calendars (`calendar ID { timezone … workdays … hours … holidays … }`):
//! their declarations, checked before the blueprints that name them in
//! `sla … in CALENDAR`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::Weekday;

use super::{Checker, duplicate_setting, unknown_word, values};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::{Calendar, WorkingHours};
use crate::syntax::ast;

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Checker<'_> {
    /// The declared calendars; reports duplicates and invalid settings.
    pub(super) fn resolve_calendars(
        &mut self,
        decls: &[(Arc<SourceFile>, &ast::CalendarDecl)],
    ) -> BTreeMap<String, Calendar> {
        let mut calendars = BTreeMap::new();
        for (file, c) in self.first_of_each(decls, Code::DuplicateCalendar, "calendar", |c| &c.id) {
            if let Some(calendar) = self.calendar(&file, c) {
                calendars.insert(c.id.name.clone(), calendar);
            }
        }
        calendars
    }

    fn calendar(&mut self, file: &Arc<SourceFile>, c: &ast::CalendarDecl) -> Option<Calendar> {
        let mut calendar = Calendar {
            id: c.id.name.clone(),
            label: self.label(file, &c.label, &c.id.name),
            doc: c.docs.join("\n").trim().to_string(),
            ..Calendar::default()
        };
        let mut firsts: HashMap<&str, Span> = HashMap::new();
        let mut valid = true;
        for item in &c.items {
            let (what, span) = match item {
                ast::CalendarItem::Timezone(_, s) => ("timezone", *s),
                ast::CalendarItem::Workdays(_, s) => ("workdays", *s),
                ast::CalendarItem::Hours(_, _, s) => ("hours", *s),
                ast::CalendarItem::Holidays(_, s) => ("holidays", *s),
            };
            if let Some(first) = firsts.get(what) {
                self.report(duplicate_setting(file, what, span, *first));
                continue;
            }
            firsts.insert(what, span);
            let ok = match item {
                ast::CalendarItem::Timezone(t, _) => self.timezone(file, t, &mut calendar),
                ast::CalendarItem::Workdays(days, s) => {
                    self.workdays(file, days, *s, &mut calendar)
                }
                ast::CalendarItem::Hours(from, to, s) => {
                    self.hours(file, from, to, *s, &mut calendar)
                }
                ast::CalendarItem::Holidays(dates, _) => {
                    let mut ok = true;
                    for d in dates {
                        match values::date(file, &d.raw, d.span) {
                            Ok(day) if !calendar.holidays.contains(&day) => {
                                calendar.holidays.push(day)
                            }
                            Ok(_) => {}
                            Err(problem) => {
                                self.report(*problem);
                                ok = false;
                            }
                        }
                    }
                    calendar.holidays.sort();
                    ok
                }
            };
            valid &= ok;
        }
        valid.then_some(calendar)
    }

    fn timezone(
        &mut self,
        file: &Arc<SourceFile>,
        t: &ast::StringLit,
        calendar: &mut Calendar,
    ) -> bool {
        let name = self.string(file, t);
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => {
                calendar.timezone = tz;
                true
            }
            Err(_) => {
                // A city alone (`"Paris"`) names the zone it ends.
                let city = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).find(|z| {
                    z.rsplit('/')
                        .next()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&name.replace(' ', "_")))
                });
                let help = match city {
                    Some(zone) => format!("did you mean `\"{zone}\"`?"),
                    None => did_you_mean(
                        &name,
                        chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()),
                        "write an IANA time zone name, e.g. `\"Europe/Paris\"` or `\"UTC\"`",
                    ),
                };
                self.report(
                    Diagnostic::new(
                        Code::UnknownTimezone,
                        file,
                        t.span,
                        "no such time zone",
                        format!("unknown time zone `{name}`"),
                    )
                    .with_help(help),
                );
                false
            }
        }
    }

    fn workdays(
        &mut self,
        file: &Arc<SourceFile>,
        days: &[ast::WeekdaysExpr],
        span: Span,
        calendar: &mut Calendar,
    ) -> bool {
        let mut ok = true;
        let mut mask = [false; 7];
        for d in days {
            let from = self.weekday(file, &d.from);
            let to = match &d.to {
                Some(to) => self.weekday(file, to),
                None => from,
            };
            let (Some(from), Some(to)) = (from, to) else {
                ok = false;
                continue;
            };
            // `fri..mon` wraps over the weekend.
            let mut day = from;
            loop {
                mask[day.num_days_from_monday() as usize] = true;
                if day == to {
                    break;
                }
                day = day.succ();
            }
        }
        if ok && !mask.contains(&true) {
            self.report(
                Diagnostic::new(
                    Code::InvalidCalendar,
                    file,
                    span,
                    "no working day",
                    "calendar has no working day",
                )
                .with_help("name at least one day, e.g. `workdays mon..fri`"),
            );
            return false;
        }
        calendar.workdays = (0..7)
            .filter(|i| mask[*i as usize])
            .filter_map(|i| Weekday::try_from(i).ok())
            .collect();
        ok
    }

    fn weekday(&mut self, file: &Arc<SourceFile>, day: &ast::Ident) -> Option<Weekday> {
        let found = WEEKDAYS.iter().position(|w| *w == day.name);
        if found.is_none() {
            self.report(unknown_word(
                Code::InvalidCalendar,
                file,
                day,
                "weekday",
                &WEEKDAYS,
                "weekdays are `mon`, `tue`, `wed`, `thu`, `fri`, `sat` and `sun`",
            ));
        }
        found.and_then(|i| Weekday::try_from(i as u8).ok())
    }

    fn hours(
        &mut self,
        file: &Arc<SourceFile>,
        from: &ast::RawLit,
        to: &ast::RawLit,
        span: Span,
        calendar: &mut Calendar,
    ) -> bool {
        let mut time = |t: &ast::RawLit, end: bool| {
            // `24:00` ends a day that works until midnight.
            let parsed = t.raw.split_once(':').and_then(|(h, m)| {
                let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
                let minutes = h * 60 + m;
                (m < 60 && (h < 24 || (end && minutes == 1440))).then_some(minutes)
            });
            if parsed.is_none() {
                self.report(
                    Diagnostic::new(
                        Code::InvalidCalendar,
                        file,
                        t.span,
                        "not a time of day",
                        format!("`{}` is not a time of day", t.raw),
                    )
                    .with_help(
                        "write hours and minutes from `00:00` to `23:59` (`24:00` may end the day)",
                    ),
                );
            }
            parsed
        };
        let (Some(start), Some(end)) = (time(from, false), time(to, true)) else {
            return false;
        };
        if start >= end {
            self.report(
                Diagnostic::new(
                    Code::InvalidCalendar,
                    file,
                    span,
                    "ends before it starts",
                    format!("working hours `{}..{}` are empty", from.raw, to.raw),
                )
                .with_help("working hours run from a start to a later end on the same day, e.g. `hours 09:00..18:00`"),
            );
            return false;
        }
        calendar.hours = Some(WorkingHours {
            from: start,
            to: end,
        });
        true
    }

    /// The calendar `sla … in NAME` names.
    pub(super) fn calendar_named(
        &mut self,
        file: &Arc<SourceFile>,
        name: &ast::Ident,
    ) -> Option<Calendar> {
        if let Some(c) = self.calendars.get(&name.name) {
            return Some(c.clone());
        }
        let help = did_you_mean(
            &name.name,
            self.calendars.keys().map(String::as_str),
            format!(
                "declare it: `calendar {} {{ timezone \"UTC\"  workdays mon..fri }}`",
                name.name
            ),
        );
        self.report(
            Diagnostic::new(
                Code::UnknownCalendar,
                file,
                name.span,
                "no such calendar",
                format!("unknown calendar `{}`", name.name),
            )
            .with_help(help),
        );
        None
    }
}
