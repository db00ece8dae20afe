//! Who follows which item: the subscriber map of each item row.

use std::collections::BTreeMap;

use rusqlite::params;

use super::connection::Tx;
use crate::store::StoreError;

impl Tx<'_> {
    /// Sets a user's subscription to an item (true) or an explicit
    /// unsubscribe (false); false if there is no such item.
    pub fn set_subscription(
        &self,
        user: &str,
        item: i64,
        subscribed: bool,
    ) -> Result<bool, StoreError> {
        let Some(mut row) = self.item(item)? else {
            return Ok(false);
        };
        self.forget_item(item);
        row.subscribers.insert(user.to_string(), subscribed);
        self.tx
            .prepare_cached("UPDATE items SET subscribers = ?1 WHERE id = ?2")?
            .execute(params![serde_json::to_string(&row.subscribers)?, item])?;
        Ok(true)
    }

    /// A user's subscriptions: (item, subscribed), by item.
    pub fn subscriptions_of_user(&self, user: &str) -> Result<Vec<(i64, bool)>, StoreError> {
        self.subscriptions_after(user, 0, i64::MAX)
    }

    /// At most `limit` of a user's subscriptions after the item `after`, by
    /// item: the items with followers are read by id from `after` on, until
    /// the page is full.
    pub fn subscriptions_after(
        &self,
        user: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, bool)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, subscribers FROM items WHERE subscribers != '{}' AND id > ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query(params![after])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            if out.len() as i64 >= limit {
                break;
            }
            let subscribers: BTreeMap<String, bool> =
                serde_json::from_str(&r.get::<_, String>(1)?)?;
            if let Some(&subscribed) = subscribers.get(user) {
                out.push((r.get(0)?, subscribed));
            }
        }
        Ok(out)
    }
}
