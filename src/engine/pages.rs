//! Lists a page at a time (the API's `limit` and `cursor`): users by name,
//! a user's subscriptions and the reviews waiting for them by item. Each
//! page is read from where the one before ended, so a late page costs what
//! the first does, and what the caller may not see is left out before the
//! page is counted. Items and an item's history page where they are read
//! (`items`, `audit`).

use chrono::{DateTime, Utc};

use super::access::Identity;
use super::core::{Engine, now_or};
use super::error::Result;
use super::views::PendingReview;
use crate::store::UserRow;

/// `rows` (read one over `limit`, to know whether more follow) as a page:
/// the first `limit`, and the key of the last of them when more follow.
pub(super) fn cut<T, K>(
    mut rows: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<K>) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(key) } else { None };
    (rows, next)
}

/// A subscription: the item, and whether the user follows it (`false`: they
/// unsubscribed from it, which stops what they would get through an
/// ancestor).
pub type Subscribed = (i64, bool);

/// One over `limit`, as SQL's `LIMIT` takes it.
fn one_over(limit: usize) -> i64 {
    i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX)
}

impl Engine {
    /// At most `limit` users by name after `after`, and the name to continue
    /// after if there may be more.
    pub fn users_page(
        &mut self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<UserRow>, Option<String>)> {
        let rows = self.store.read()?.users_after(after, one_over(limit))?;
        Ok(cut(rows, limit, |u| u.name.clone()))
    }

    /// At most `limit` of `user`'s subscriptions (item, subscribed) after
    /// the item `after`, and the item to continue after.
    pub fn subscriptions_page(
        &mut self,
        user: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<Subscribed>, Option<i64>)> {
        let tx = self.store.read()?;
        let rows = tx.subscriptions_after(user, after.unwrap_or(0), one_over(limit))?;
        Ok(cut(rows, limit, |(item, _)| *item))
    }

    /// The sign-offs waiting for `who` on items after `after`, by item, and
    /// the item to continue after. A page holds `limit` entries, or a few
    /// more to keep the entries of its last item together (an item has one
    /// per feedback group the caller reviews, or its final approval).
    pub fn reviews_page(
        &mut self,
        who: &Identity,
        after: Option<i64>,
        limit: usize,
        now: Option<DateTime<Utc>>,
    ) -> Result<(Vec<PendingReview>, Option<i64>)> {
        let now = now_or(now);
        let tx = self.store.read()?;
        let batch = one_over(limit).max(64);
        let mut cursor = after.unwrap_or(0);
        let mut out = Vec::new();
        let mut last_item = None;
        loop {
            let rows = tx.items_after(None, None, cursor, batch)?;
            let ended = (rows.len() as i64) < batch;
            for row in rows {
                cursor = row.id;
                let entries = Self::pending_of(&mut self.cache, &tx, who, &row, now)?;
                if entries.is_empty() {
                    continue;
                }
                if out.len() >= limit {
                    // More follow: the page ends with the item before.
                    return Ok((out, last_item));
                }
                out.extend(entries);
                last_item = Some(row.id);
            }
            if ended {
                return Ok((out, None));
            }
        }
    }
}
