//! The overview the web UI's home page shows the caller, over the items
//! they may read: how many stand in each sign-off state, the review clocks
//! past their SLA or at risk, the re-certifications due within 30 days, the
//! items blocked from each infrastructure, and what waits for the caller.
//! Each count reads at most [`OVERVIEW_CAP`] items of the kept index, so the
//! page costs the same at a million items; a count that reached it is shown
//! as "at least".

use chrono::TimeDelta;

use crate::engine::access::Identity;
use crate::engine::act::recertifications::Recertification;
use crate::engine::core::Engine;
use crate::engine::error::Result;
use crate::engine::read::lists::{ItemFilter, ItemSeek};
use crate::engine::read::views::PendingReview;
use crate::engine::rules::signoff::Status;
use crate::engine::rules::sla::{ClockState, ServiceView};

/// Most items one count reads.
pub const OVERVIEW_CAP: usize = 1000;

/// Most entries of the caller's queue and of the re-certifications shown.
const SHOWN: usize = 10;

/// A count, and whether it reached the cap (there may be more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    /// How many were found.
    pub n: usize,
    /// The count stopped at the cap.
    pub at_least: bool,
}

/// What the home page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Items by the state of their current sign-off, every state listed.
    pub states: Vec<(Status, Count)>,
    /// Running review clocks past their SLA.
    pub breached: Count,
    /// Running review clocks with less than a quarter of their SLA left.
    pub at_risk: Count,
    /// The re-certifications due within 30 days, soonest first (the first
    /// few), and how many there are.
    pub recertifications: (Vec<Recertification>, usize),
    /// Items whose deploy decision is BLOCK, by infrastructure.
    pub blocked: Vec<(String, Count)>,
    /// What waits for the caller, most urgent first (the first few), and
    /// whether more wait.
    pub queue: (Vec<PendingReview>, bool),
}

impl Engine {
    /// The overview of what `who` may read, now.
    pub fn overview(&mut self, who: &Identity) -> Result<Overview> {
        let mut states = Vec::new();
        for status in Status::ALL {
            let filter = ItemFilter {
                signoff: Some(status),
                ..ItemFilter::default()
            };
            states.push((status, self.count(who, &filter)?));
        }
        let mut blocked = Vec::new();
        for infrastructure in self.infrastructure_ids()? {
            let filter = ItemFilter {
                deploy: Some((infrastructure.clone(), "BLOCK".into())),
                ..ItemFilter::default()
            };
            blocked.push((infrastructure, self.count(who, &filter)?));
        }
        let (breached, at_risk) = self.clocks_late(who)?;
        let due = self.recertifications_due(who, TimeDelta::days(30), None)?;
        let total = due.len();
        let (queue, more) = self.reviews_by_due(who, None, SHOWN)?;
        Ok(Overview {
            states,
            breached,
            at_risk,
            recertifications: (due.into_iter().take(SHOWN).collect(), total),
            blocked,
            queue: (queue, more.is_some()),
        })
    }

    /// How many items `who` may read match `filter`, up to the cap.
    fn count(&mut self, who: &Identity, filter: &ItemFilter) -> Result<Count> {
        let (rows, next) =
            self.rows_page(who, filter, (ItemSeek::Id(None), OVERVIEW_CAP), false)?;
        Ok(Count {
            n: rows.len(),
            at_least: next.is_some(),
        })
    }

    /// The running review clocks past their SLA and at risk, read from the
    /// items soonest due first.
    fn clocks_late(&mut self, who: &Identity) -> Result<(Count, Count)> {
        let (statuses, next) = self.statuses_page(
            who,
            &ItemFilter::default(),
            ItemSeek::Due(None),
            OVERVIEW_CAP,
        )?;
        let running = |v: &&ServiceView| v.clock == ClockState::Running;
        let (mut breached, mut at_risk) = (Count::default(), Count::default());
        for status in &statuses {
            let clocks = status.signoffs.iter().flat_map(|s| {
                s.feedback
                    .iter()
                    .filter_map(|g| g.service.as_ref())
                    .chain(s.final_service.as_ref())
            });
            for clock in clocks.filter(running) {
                breached.n += usize::from(clock.breached);
                at_risk.n += usize::from(clock.at_risk);
            }
        }
        // Read soonest due first: a full read may have left later ones.
        breached.at_least = next.is_some();
        at_risk.at_least = next.is_some();
        Ok((breached, at_risk))
    }

    /// The infrastructures of the newest version of every blueprint's set.
    fn infrastructure_ids(&mut self) -> Result<Vec<String>> {
        let tx = self.store.read()?;
        let mut out = Vec::new();
        for (_, _, set) in self.cache.newest_sets(&tx, None)? {
            out.extend(set.infrastructures.keys().map(ToString::to_string));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}
