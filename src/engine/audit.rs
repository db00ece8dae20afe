//! The audit trail: an item's events, and the verification of the hash chain
//! with every pointer into it.

use super::access::Identity;
use super::core::Engine;
use super::error::{EngineError, Refusal, Result, refuse};
use super::history::AuditEntry;

impl Engine {
    /// The audit events of an item.
    pub fn history(&mut self, who: &Identity, id: i64) -> Result<Vec<AuditEntry>> {
        let tx = self.store.read()?;
        match Self::readable(&tx, &mut self.cache, who, id) {
            Ok(_) => {}
            // A deleted item's history stays readable by admins.
            Err(EngineError::Refused(Refusal::NotFound { .. })) if who.admin => {}
            Err(e) => return Err(e),
        }
        let events = tx.events(Some(id))?;
        if events.is_empty() {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        }
        Ok(events.into_iter().map(AuditEntry::from).collect())
    }
}

impl Engine {
    /// Verifies the audit hash chain: Ok(number of events) or the first break
    /// (see [`crate::store::Tx::verify_chain`]).
    pub fn audit_verify(&mut self) -> Result<std::result::Result<usize, String>> {
        Ok(self.store.read()?.verify_chain()?)
    }
}
