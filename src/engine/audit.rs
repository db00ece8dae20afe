//! The audit trail: an item's events, and the verification of the hash chain
//! with every pointer into it.

use super::access::{Identity, Resolver};
use super::core::Engine;
use super::error::{EngineError, Refusal, Result, refuse};
use super::history::AuditEntry;

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
        Ok(super::pages::cut(entries, limit, |e| e.seq))
    }
}

impl Engine {
    /// Verifies the audit hash chain: Ok(number of events) or the first break
    /// (see [`crate::store::Tx::verify_chain`]).
    pub fn audit_verify(&mut self) -> Result<std::result::Result<usize, String>> {
        Ok(self.store.read()?.verify_chain()?)
    }
}
