//! The kept index of recently changed items, remembered between actions
//! (derived by `index::index_of`).

use crate::model::Item;
use crate::store::index::ItemIndex;

/// The kept index last computed for recently changed items, so an action
/// does not derive again the index its item had before it. An entry holds
/// for the (id, revision) of the item and each of its ancestors it was
/// computed from: whatever else it depends on (its blueprint version's
/// rules) does not change under a revision, and group membership is not in
/// it.
#[derive(Default)]
pub(super) struct KeptCache {
    entries: std::collections::HashMap<i64, (Vec<(i64, i64)>, ItemIndex)>,
}

/// Entries the cache keeps before it starts afresh.
const KEPT_CACHE: usize = 4096;

/// What a remembered index holds for: the (id, revision) of an item and of
/// each of its ancestors, the item first.
pub(super) fn revisions(chain: &[Item]) -> Vec<(i64, i64)> {
    chain.iter().map(|i| (i.id, i.revision)).collect()
}

impl KeptCache {
    /// The index remembered for `chain[0]` at the revisions of `chain`, if
    /// any (taken out: the action about to change it writes a new one).
    pub(super) fn take(&mut self, chain: &[Item]) -> Option<ItemIndex> {
        match self.entries.remove(&chain[0].id) {
            Some((key, index)) if key == revisions(chain) => Some(index),
            _ => None,
        }
    }

    /// Remembers the index just written for the item and revisions of
    /// `key` (see [`revisions`]).
    pub(super) fn remember(&mut self, key: Vec<(i64, i64)>, index: ItemIndex) {
        if self.entries.len() >= KEPT_CACHE {
            self.entries.clear();
        }
        if let Some(&(id, _)) = key.first() {
            self.entries.insert(id, (key, index));
        }
    }
}
