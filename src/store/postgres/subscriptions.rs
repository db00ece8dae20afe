//! Who follows an item, on PostgreSQL: kept in the item's row.

use std::collections::BTreeMap;

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
        row.subscribers.insert(user.to_string(), subscribed);
        self.execute(
            "UPDATE items SET subscribers = $1 WHERE id = $2",
            &[&serde_json::to_string(&row.subscribers)?, &item],
        )?;
        Ok(true)
    }

    /// A user's subscriptions: (item, subscribed), by item.
    pub fn subscriptions_of_user(&self, user: &str) -> Result<Vec<(i64, bool)>, StoreError> {
        self.subscriptions_after(user, 0, i64::MAX)
    }

    /// At most `limit` of a user's subscriptions after the item `after`, by
    /// item (the user is looked for in the query, so the limit is SQL's).
    pub fn subscriptions_after(
        &self,
        user: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, bool)>, StoreError> {
        let mut out = Vec::new();
        for r in self.query(
            "SELECT id, subscribers FROM items WHERE subscribers <> '{}' AND id > $1 AND subscribers::jsonb ? $2 ORDER BY id LIMIT $3",
            &[&after, &user, &limit],
        )? {
            let subscribers: BTreeMap<String, bool> = serde_json::from_str(r.try_get(1)?)?;
            if let Some(&subscribed) = subscribers.get(user) {
                out.push((r.try_get(0)?, subscribed));
            }
        }
        Ok(out)
    }
}
