//! A review clock on the web UI: the SLA, the time elapsed and left, the
//! due time, and a badge when it is breached or at risk.

use maud::{Markup, html};

use super::frame::when_in;
use crate::engine::PendingReview;
use crate::engine::rules::sla::{ClockState, ServiceView};

/// One service level, as a line under its feedback group or final approval.
pub(super) fn service(v: &ServiceView) -> Markup {
    let state = match v.clock {
        ClockState::NotStarted => "not started",
        ClockState::Running => "running",
        ClockState::Paused => "paused (abandoned)",
        ClockState::Stopped => "stopped",
    };
    html! {
        p.service {
            @if v.breached { span.badge.breached { "BREACHED" } " " }
            @else if v.at_risk { span.badge.at-risk { "AT RISK" } " " }
            @if let Some(sla) = &v.sla { "SLA " strong { (sla) } " · " }
            "clock " (state)
            @if v.clock != ClockState::NotStarted { " · " (v.elapsed) " elapsed" }
            @if let (Some(left), false) = (&v.remaining, v.breached) { " · " (left) " left" }
            @if let Some(due) = &v.due_at { " · due " (when_in(due, v.timezone)) }
            @if v.reminders_sent > 0 { " · " (v.reminders_sent) " reminder" @if v.reminders_sent != 1 { "s" } " sent" }
            @if let Some(at) = &v.escalated_at { " · escalated " (when_in(at, v.timezone)) }
        }
    }
}

/// The due time of a review in a list, with its badge.
pub(super) fn due(review: &PendingReview) -> Markup {
    html! {
        @match &review.due_at {
            Some(t) => { (when_in(t, review.timezone.unwrap_or(chrono_tz::UTC))) @if review.breached { " " span.badge.breached { "BREACHED" } } },
            None => span.hint { "no SLA" },
        }
    }
}
