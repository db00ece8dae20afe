//! The audit trail: an item's events, the trail searched for an auditor
//! (by time, actor, action, item), and the verification of the hash chain
//! with every pointer into it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::engine::access::{Identity, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{EngineError, Refusal, Result, refuse};
use crate::engine::read::history::AuditEntry;

impl Engine {
    /// The audit events of an item.
    pub fn history(&mut self, who: &Identity, id: i64) -> Result<Vec<AuditEntry>> {
        Ok(self.history_page(who, id, None, usize::MAX)?.0)
    }

    /// At most `limit` of an item's audit events after the sequence number
    /// `after`, oldest first, and the number to continue after if there may
    /// be more.
    pub fn history_page(
        &mut self,
        who: &Identity,
        id: i64,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<i64>)> {
        let tx = self.store.read()?;
        let loaded = match Self::readable(&tx, &mut self.cache, who, id) {
            Ok(loaded) => Some(loaded),
            // A deleted item's history stays readable by admins.
            Err(EngineError::Refused(Refusal::NotFound { .. })) if who.admin => None,
            Err(e) => return Err(e),
        };
        let asked = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let events = tx.events_after(id, after.unwrap_or(0), asked)?;
        if events.is_empty() && after.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        }
        let entries = events.into_iter().map(AuditEntry::from);
        let entries: Vec<AuditEntry> = match &loaded {
            Some((chain, set)) => {
                let resolver = Resolver { set, chain, who };
                let hidden = resolver.hidden_fields();
                entries.map(|e| resolver.redact_entry(&hidden, e)).collect()
            }
            None => entries.collect(),
        };
        Ok(crate::engine::read::paging::cut(entries, limit, |e| e.seq))
    }
}

impl Engine {
    /// Verifies the audit hash chain: Ok(number of events) or the first break
    /// (see [`crate::store::Tx::verify_chain`]).
    pub fn audit_verify(&mut self) -> Result<std::result::Result<usize, String>> {
        Ok(self.store.read()?.verify_chain()?)
    }
}

/// What `govrt audit list` (and `GET /api/v1/audit`) asks of the trail;
/// every part is optional and they all hold of each event listed.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Events before this time.
    pub until: Option<DateTime<Utc>>,
    /// Events by this actor.
    pub actor: Option<String>,
    /// Events of this action (`signoff.approve`), or of every action under
    /// a prefix ending in `.` (`signoff.`).
    pub action: Option<String>,
    /// Events of this item.
    pub item: Option<i64>,
}

impl AuditQuery {
    fn holds(&self, e: &AuditEntry) -> bool {
        let at = DateTime::parse_from_rfc3339(&e.at)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        let action = |a: &String| match a.strip_suffix('.') {
            Some(prefix) => e.action.starts_with(&format!("{prefix}.")),
            None => e.action == *a,
        };
        self.since.is_none_or(|s| at.is_some_and(|t| t >= s))
            && self.until.is_none_or(|u| at.is_some_and(|t| t < u))
            && self.actor.as_ref().is_none_or(|a| e.actor == *a)
            && self.action.as_ref().is_none_or(action)
            && self.item.is_none_or(|i| e.item == Some(i))
    }
}

/// Events read from the chain at a time.
const AUDIT_PAGE: i64 = 1000;

impl Engine {
    /// The audit events that `query` asks for, oldest first, as `who` may
    /// read them: an admin reads the whole trail; anyone else the events of
    /// the items they may read, each as that item's history shows it to
    /// them (fields they may not read left out).
    pub fn audit_list(&mut self, who: &Identity, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        if let Some(id) = query.item {
            let entries = self.history(who, id)?;
            return Ok(entries.into_iter().filter(|e| query.holds(e)).collect());
        }
        let tx = self.store.read()?;
        // Whether, and how, `who` reads each item's events (None: not at
        // all): the item loaded once, with the fields they may not read.
        type Loaded = (
            Vec<crate::model::Item>,
            std::sync::Arc<crate::engine::set_cache::LoadedSet>,
        );
        type Reader = Option<(Option<Loaded>, Vec<String>)>;
        let mut readers: BTreeMap<i64, Reader> = BTreeMap::new();
        let mut out = Vec::new();
        for page in crate::store::chain_pages(&*tx, AUDIT_PAGE) {
            for row in crate::store::parsed_events(page?)? {
                let e = AuditEntry::from(row);
                if !query.holds(&e) {
                    continue;
                }
                let Some(item) = e.item else {
                    if who.admin {
                        out.push(e);
                    }
                    continue;
                };
                let reader = match readers.entry(item) {
                    std::collections::btree_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(match Self::readable(&tx, &mut self.cache, who, item) {
                            Ok((chain, set)) => {
                                let hidden = Resolver {
                                    set: &set,
                                    chain: &chain,
                                    who,
                                }
                                .hidden_fields();
                                Some((Some((chain, set)), hidden))
                            }
                            // A deleted item's events stay readable by admins.
                            Err(EngineError::Refused(Refusal::NotFound { .. })) if who.admin => {
                                Some((None, Vec::new()))
                            }
                            Err(EngineError::Refused(Refusal::NotFound { .. })) => None,
                            Err(e) => return Err(e),
                        })
                    }
                };
                match reader {
                    Some((_, hidden)) if hidden.is_empty() => out.push(e),
                    Some((Some((chain, set)), hidden)) => {
                        out.push(Resolver { set, chain, who }.redact_entry(hidden, e));
                    }
                    _ => {}
                }
            }
        }
        Ok(out)
    }
}
