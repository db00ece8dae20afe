//! The scheduler's service-level work (the book's "Service levels"): at a
//! tick, the escalations and reminders that fell due on a sign-off. What
//! was sent is recorded on the sign-off's clocks in the same transaction
//! that queues the mail, so another tick at the same time (or another
//! replica) finds nothing left to send.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::engine::access::Identity;
use crate::engine::act::items::{Change, ChangeOptions};
use crate::engine::actions::ItemAction;
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::rules::signoff::Event;
use crate::engine::rules::signoff::SignOffEvents;
use crate::engine::rules::sla;

/// Which of the two kinds of work a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Escalate,
    Remind,
}

impl Engine {
    /// Sends the escalations, then the reminders, due on the sign-off of
    /// `step` at `now`; the events of what was sent (none: nothing was due,
    /// or another tick sent it first).
    pub(in crate::engine) fn service_tick(
        &mut self,
        id: i64,
        step: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let mut sent = Vec::new();
        for work in [Work::Escalate, Work::Remind] {
            match self.service_work(id, step, work, now) {
                Ok(events) => sent.extend(events),
                Err(crate::engine::error::EngineError::Refused(Refusal::InvalidTransition {
                    ..
                })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    fn service_work(
        &mut self,
        id: i64,
        step: &str,
        work: Work,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let how = ChangeOptions {
            expect_revision: None,
            now,
            action: match work {
                Work::Escalate => ItemAction::Escalate,
                Work::Remind => ItemAction::Remind,
            },
            keep_approvals: false,
        };
        self.change_item(&Identity::scheduler(), id, how, |_tx, resolver, item| {
            let blueprint = resolver.own_blueprint()?;
            let nothing = || Refusal::InvalidTransition {
                action: "send service-level mail".into(),
                state: "nothing due".into(),
            };
            let Some(spec) = blueprint.step(step).and_then(|s| s.signoff.as_ref()) else {
                return refuse(nothing());
            };
            let Some(state) = item.signoffs.get_mut(step) else {
                return refuse(nothing());
            };
            let mut events = Vec::new();
            for (group, level) in sla::levels(spec) {
                let Some(clock) = state.clocks.get_mut(group) else {
                    continue;
                };
                let due = sla::due(level, clock, now);
                match (work, &level.escalate) {
                    (Work::Escalate, Some(e)) if due.escalate => {
                        clock.escalated_at = Some(now);
                        events.push(Event::Escalated {
                            group: group.to_string(),
                            to: e.to.iter().map(ToString::to_string).collect(),
                            grant: e.grant,
                        });
                    }
                    (Work::Remind, _) => {
                        if let Some(number) = due.remind {
                            clock.reminders = number;
                            events.push(Event::Reminded {
                                group: group.to_string(),
                                number,
                            });
                        }
                    }
                    _ => {}
                }
            }
            if events.is_empty() {
                return refuse(nothing());
            }
            let details = json!({"step": step, "status": state.status, "events": events});
            Ok(Change {
                details,
                signoff: Some(SignOffEvents {
                    step: step.to_string(),
                    events: events.clone(),
                    notify: true,
                    note: None,
                }),
                out: events,
            })
        })
    }
}

/// How many running review clocks are breached or at risk, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceCounts {
    /// Running clocks with an SLA.
    pub running: usize,
    /// Of them, past their SLA.
    pub breached: usize,
    /// Of them, not breached with less than a quarter of the SLA left.
    pub at_risk: usize,
}

impl Engine {
    /// Counts the running service-level clocks of every item at `now`.
    pub fn service_counts(&mut self, now: Option<DateTime<Utc>>) -> Result<ServiceCounts> {
        let now = self.now_or(now);
        let tx = self.store.read()?;
        let mut counts = ServiceCounts::default();
        for row in tx.items(None, None)? {
            let running = row
                .signoffs
                .iter()
                .any(|(_, s)| s.clocks.values().any(|c| c.running()));
            if !running {
                continue;
            }
            let set = self.cache.get(&tx, &row.blueprint, row.version)?;
            let Some(blueprint) = set.blueprint(&row.blueprint) else {
                continue;
            };
            for (step, state) in &row.signoffs {
                let Some(spec) = blueprint.step(step).and_then(|s| s.signoff.as_ref()) else {
                    continue;
                };
                for (group, level) in sla::levels(spec).filter(|(_, l)| l.sla.is_some()) {
                    let clock = state.clocks.get(group);
                    if !clock.is_some_and(|c| c.running()) {
                        continue;
                    }
                    let v = sla::view(level, clock, state.status, now);
                    counts.running += 1;
                    counts.breached += usize::from(v.breached);
                    counts.at_risk += usize::from(v.at_risk);
                }
            }
        }
        Ok(counts)
    }
}
