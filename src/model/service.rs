//! Service levels of reviews (the language reference's "Service levels"):
//! business calendars, and the SLA, reminders and escalation of a feedback
//! group or a final approval. What they mean in time (business hours,
//! due times) is worked out by the engine's `calendar` and `sla` rules.

use std::fmt;

use chrono::{NaiveDate, Weekday};
use serde::Serialize;

use super::Principal;

/// A business calendar (`calendar paris { … }`): the working time that
/// business durations count.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Calendar {
    /// The id (`default` for the built-in calendar).
    pub id: String,
    /// The label.
    pub label: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The time zone working hours and holidays are in.
    #[schema(value_type = String)]
    pub timezone: chrono_tz::Tz,
    /// The working days of the week, Monday first.
    #[schema(value_type = Vec<String>)]
    pub workdays: Vec<Weekday>,
    /// Working hours of a working day; `None`: the whole day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<WorkingHours>,
    /// Days off, in the calendar's time zone.
    pub holidays: Vec<NaiveDate>,
}

/// Working hours of a day, in minutes after midnight (`to` may be 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    /// When work starts.
    pub from: u32,
    /// When it ends (after `from`).
    pub to: u32,
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}..{}", hm(self.from), hm(self.to))
    }
}

crate::text_schema!(
    WorkingHours,
    "Working hours of a day, `HH:MM..HH:MM`.",
    None
);

impl Serialize for WorkingHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Default for Calendar {
    /// UTC, Monday to Friday, whole days, no holidays.
    fn default() -> Self {
        Calendar {
            id: "default".into(),
            label: "UTC, Monday to Friday".into(),
            doc: String::new(),
            timezone: chrono_tz::UTC,
            workdays: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            hours: None,
            holidays: Vec::new(),
        }
    }
}

/// The unit of a service-level duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkUnit {
    /// Hours of the clock.
    Hour,
    /// Days of 24 hours.
    Day,
    /// Weeks of 7 days.
    Week,
    /// Working hours of the calendar.
    BusinessHour,
    /// Working days of the calendar (each as long as its working hours).
    BusinessDay,
}

/// A service-level duration: `5 business days`, `48 hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkDuration {
    /// How many units (positive).
    pub amount: u32,
    /// The unit.
    pub unit: WorkUnit,
}

impl WorkDuration {
    /// Whether it counts a calendar's working time.
    pub fn is_business(&self) -> bool {
        matches!(self.unit, WorkUnit::BusinessHour | WorkUnit::BusinessDay)
    }
}

impl fmt::Display for WorkDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (business, unit) = match self.unit {
            WorkUnit::Hour => ("", "hour"),
            WorkUnit::Day => ("", "day"),
            WorkUnit::Week => ("", "week"),
            WorkUnit::BusinessHour => ("business ", "hour"),
            WorkUnit::BusinessDay => ("business ", "day"),
        };
        let s = if self.amount == 1 { "" } else { "s" };
        write!(f, "{} {business}{unit}{s}", self.amount)
    }
}

/// `escalate after DURATION to PRINCIPALS [grant]`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    /// After how long on the clock.
    pub after: WorkDuration,
    /// Who is told (and, with `grant`, made eligible).
    pub to: Vec<Principal>,
    /// They become eligible reviewers (approvers) once it escalates.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub grant: bool,
}

/// The service level of a feedback group or a final approval.
#[derive(Debug, Clone, PartialEq, Serialize, Default, utoipa::ToSchema)]
pub struct ServiceLevel {
    /// How long the review (decision) may take: `sla DURATION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<WorkDuration>,
    /// The calendar business durations count in (`sla … in CALENDAR`).
    pub calendar: Calendar,
    /// `remind every DURATION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<WorkDuration>,
    /// `escalate after … to …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalate: Option<Escalation>,
}

impl ServiceLevel {
    /// Whether nothing is set: no SLA, reminder or escalation.
    pub fn is_empty(&self) -> bool {
        self.sla.is_none() && self.remind_every.is_none() && self.escalate.is_none()
    }

    /// The principals an escalation with `grant` makes eligible.
    pub fn granted(&self) -> &[Principal] {
        match &self.escalate {
            Some(e) if e.grant => &e.to,
            _ => &[],
        }
    }
}
