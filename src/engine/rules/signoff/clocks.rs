//! The service-level clocks of a sign-off (the design notes' "Service
//! levels"), kept by the state machine itself after every transition: a
//! feedback group's clock runs while the sign-off waits for feedback and the
//! group has fewer than `min` current reviews; the final approval's while it
//! waits for the decision. Any other state stops them: for good when the
//! group completes or the decision is made, for a while when the sign-off
//! is abandoned or sent elsewhere (they go on from where they were when it
//! comes back). A reset archives the round and its clocks.

use chrono::{DateTime, Utc};

use super::{Rules, SignOffState, Status};
use crate::model::signoff::Run;

/// Whether the clock of `group` (`final`: the final approval) should run
/// in `state`.
pub fn should_run(state: &SignOffState, rules: &Rules<'_>, group: &str) -> bool {
    if group == "final" {
        return state.status == Status::WaitingForApproval;
    }
    let min = rules
        .mins
        .iter()
        .find(|(g, _)| *g == group)
        .map_or(1, |(_, m)| *m);
    state.status == Status::WaitingForFeedback && state.counted_reviews(group) < min as usize
}

/// Starts and stops the clocks (of the groups with a service level) so
/// that exactly those that should run do, as of `now`.
pub fn settle(state: &mut SignOffState, rules: &Rules<'_>, now: DateTime<Utc>) {
    for &group in &rules.clocked {
        let run = should_run(state, rules, group);
        let running = state.clocks.get(group).is_some_and(|c| c.running());
        if run && !running {
            let clock = state.clocks.entry(group.to_string()).or_default();
            match clock.runs.last_mut() {
                // Stopped and started at one instant: one run, not two.
                // (A clock set back never makes a run end before it began.)
                Some(last) if last.to.is_some_and(|to| to >= now) => last.to = None,
                _ => clock.runs.push(Run {
                    from: now,
                    to: None,
                }),
            }
        } else if !run
            && running
            && let Some(last) = state.clocks.get_mut(group).and_then(|c| c.runs.last_mut())
        {
            last.to = Some(now.max(last.from));
        }
    }
}
