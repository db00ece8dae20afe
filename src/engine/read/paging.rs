//! Lists a page at a time (the API's `limit` and `cursor`): users by name
//! and a user's subscriptions. Each page is read from where the one before
//! ended, so a late page costs what the first does. Items and reviews page
//! in `lists`, an item's history in `audit`.

use crate::engine::core::Engine;
use crate::engine::error::Result;
use crate::store::UserRow;

/// `rows` (read one over `limit`, to know whether more follow) as a page:
/// the first `limit`, and the key of the last of them when more follow.
pub(in crate::engine) fn cut<T, K>(
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
}
