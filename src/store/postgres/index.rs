//! The kept status on PostgreSQL: writing what an action changed of an
//! item's index, reading it back (for `db check`), and the lists read from
//! it.

use postgres::types::ToSql;

use super::connection::Tx;
use super::rows::item_from_row;
use crate::store::StoreError;
use crate::store::index::*;
use crate::store::listing::{self, Bind, Dialect, page_of};
use crate::store::rows::*;

pub(super) fn to_sql(b: &Bind) -> Box<dyn ToSql + Sync> {
    match b {
        Bind::Text(t) => Box::new(t.clone()),
        Bind::Int(i) => Box::new(*i),
        Bind::Keys(keys) => Box::new(keys.clone()),
        Bind::OptText(t) => Box::new(t.clone()),
        Bind::OptInt(i) => Box::new(*i),
    }
}

impl Tx<'_> {
    /// Writes what changed of an item's kept index from `before` (`None`:
    /// nothing kept yet) to `after`.
    pub fn write_index(
        &self,
        item: i64,
        before: Option<&ItemIndex>,
        after: &ItemIndex,
    ) -> Result<(), StoreError> {
        let d = IndexDiff::between(before, after);
        if let Some(sql) = listing::kept_columns(item, d.columns, after, Dialect::Postgres) {
            let binds: Vec<Box<dyn ToSql + Sync>> = sql.binds.iter().map(to_sql).collect();
            let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b.as_ref()).collect();
            self.execute(&sql.text, &refs)?;
        }
        self.write_kept_rows(item, d)
    }

    /// Writes what changed of an item's kept rows (its readers, deploy
    /// verdicts and queued reviews); its kept columns are the caller's.
    pub(super) fn write_kept_rows(&self, item: i64, d: IndexDiff<'_>) -> Result<(), StoreError> {
        for key in d.readers.0 {
            self.execute(
                "DELETE FROM item_readers WHERE item = $1 AND key = $2",
                &[&item, key],
            )?;
        }
        for key in d.readers.1 {
            self.execute(
                "INSERT INTO item_readers (item, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&item, key],
            )?;
        }
        for infra in d.deploys.0 {
            self.execute(
                "DELETE FROM item_deploys WHERE item = $1 AND infrastructure = $2",
                &[&item, infra],
            )?;
        }
        for (infra, verdict) in d.deploys.1 {
            self.execute(
                "INSERT INTO item_deploys (item, infrastructure, verdict) VALUES ($1, $2, $3)
                 ON CONFLICT (item, infrastructure) DO UPDATE SET verdict = excluded.verdict",
                &[&item, infra, verdict],
            )?;
        }
        for q in d.queue.0 {
            self.execute(
                "DELETE FROM review_queue WHERE key = $1 AND item = $2 AND grp = $3",
                &[&q.key, &item, &q.group],
            )?;
        }
        for q in d.queue.1 {
            self.execute(
                "INSERT INTO review_queue (key, item, grp, due) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key, item, grp) DO UPDATE SET due = excluded.due",
                &[&q.key, &item, &q.group, &q.due_at.unwrap_or(NO_DUE)],
            )?;
        }
        Ok(())
    }

    /// Forgets the kept index of a deleted item.
    pub(super) fn delete_index(&self, item: i64) -> Result<(), StoreError> {
        for table in ["item_readers", "item_deploys", "review_queue"] {
            self.execute(&format!("DELETE FROM {table} WHERE item = $1"), &[&item])?;
        }
        Ok(())
    }

    /// The kept index of an item, as stored (`None`: no such item).
    pub fn item_index(&self, item: i64) -> Result<Option<ItemIndex>, StoreError> {
        let Some(row) = self.query_opt(
            "SELECT signoff, review_due, owner, barred FROM items WHERE id = $1",
            &[&item],
        )?
        else {
            return Ok(None);
        };
        let pairs = |sql: &str| -> Result<Vec<(String, String)>, StoreError> {
            self.query(sql, &[&item])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        };
        let mut queue = self
            .query(
                "SELECT key, grp, due FROM review_queue WHERE item = $1",
                &[&item],
            )?
            .iter()
            .map(|r| {
                Ok(QueueEntry {
                    key: r.try_get(0)?,
                    group: r.try_get(1)?,
                    due_at: listing::due_of(r.try_get(2)?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        queue.sort();
        Ok(Some(ItemIndex {
            signoff: row.try_get(0)?,
            review_due: row.try_get(1)?,
            owner: row.try_get(2)?,
            readers: self
                .query(
                    "SELECT key FROM item_readers WHERE item = $1 ORDER BY key COLLATE \"C\"",
                    &[&item],
                )?
                .iter()
                .map(|r| Ok(r.try_get(0)?))
                .collect::<Result<_, StoreError>>()?,
            deploys: pairs(
                "SELECT infrastructure, verdict FROM item_deploys WHERE item = $1 ORDER BY infrastructure COLLATE \"C\"",
            )?,
            queue,
            barred: listing::barred_of(&row.try_get::<_, String>(3)?)?,
        }))
    }

    /// A filtered, sorted page of items, read from the kept index.
    pub fn query_items(&self, q: &ItemQuery) -> Result<Page<Item, ItemSeek>, StoreError> {
        let blueprints: Vec<String> = if listing::merges_blueprints(q) {
            self.query(listing::BLUEPRINTS_WITH_ITEMS, &[])?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let sql = listing::item_page(q, Dialect::Postgres, item_columns!(), &blueprints);
        let binds: Vec<Box<dyn ToSql + Sync>> = sql.binds.iter().map(to_sql).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b.as_ref()).collect();
        let mut out = Vec::new();
        for r in self.query(&sql.text, &refs)? {
            out.push((
                item_from_row(&r)?,
                r.try_get::<_, Option<i64>>(ITEM_COLUMN_COUNT)?,
            ));
        }
        Ok(page_of(out, q))
    }

    /// The reviews queued for one of `q.keys` that `q.user` is not barred
    /// from, in `q.seek`'s order: at most `q.limit`.
    pub fn queued_reviews(&self, q: &ReviewQuery) -> Result<Vec<QueuedReview>, StoreError> {
        let mut lists = Vec::new();
        for key in &q.keys {
            let sql = listing::queued_for(key, &q.user, &q.seek, q.limit, Dialect::Postgres);
            let binds: Vec<Box<dyn ToSql + Sync>> = sql.binds.iter().map(to_sql).collect();
            let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b.as_ref()).collect();
            let rows = self
                .query(&sql.text, &refs)?
                .iter()
                .map(|r| {
                    Ok(QueuedReview {
                        item: r.try_get(0)?,
                        group: r.try_get(1)?,
                        due_at: listing::due_of(r.try_get(2)?),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            lists.push(rows);
        }
        Ok(merge_queues(
            lists,
            &q.seek,
            usize::try_from(q.limit).unwrap_or(usize::MAX),
        ))
    }
}
