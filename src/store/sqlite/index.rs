//! The kept status on SQLite: writing what an action changed of an item's
//! index, reading it back (for `db check`), and the lists read from it.

use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use super::rows::item_from_row;
use crate::store::StoreError;
use crate::store::index::*;
use crate::store::listing::{self, Bind, Dialect, page_of};
use crate::store::rows::*;

pub(super) fn to_sql(b: &Bind) -> Result<Box<dyn rusqlite::ToSql>, StoreError> {
    Ok(match b {
        Bind::Text(t) => Box::new(t.clone()),
        Bind::Int(i) => Box::new(*i),
        Bind::Keys(keys) => Box::new(serde_json::to_string(keys)?),
        Bind::OptText(t) => Box::new(t.clone()),
        Bind::OptInt(i) => Box::new(*i),
    })
}

/// The values `sql` binds, in order.
fn values(sql: &listing::Sql) -> Result<Vec<Box<dyn rusqlite::ToSql>>, StoreError> {
    sql.binds.iter().map(to_sql).collect()
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
        if let Some(sql) = listing::kept_columns(item, d.columns, after, Dialect::Sqlite) {
            let binds = values(&sql)?;
            let refs: Vec<&dyn rusqlite::ToSql> = binds.iter().map(|b| b.as_ref()).collect();
            self.tx
                .prepare_cached(&sql.text)?
                .execute(refs.as_slice())?;
        }
        self.write_kept_rows(item, d)
    }

    /// Writes what changed of an item's kept rows (its readers, deploy
    /// verdicts and queued reviews); its kept columns are the caller's.
    pub(super) fn write_kept_rows(&self, item: i64, d: IndexDiff<'_>) -> Result<(), StoreError> {
        for key in d.readers.0 {
            self.tx
                .prepare_cached("DELETE FROM item_readers WHERE item = ?1 AND key = ?2")?
                .execute(params![item, key])?;
        }
        for key in d.readers.1 {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO item_readers (item, key) VALUES (?1, ?2)")?
                .execute(params![item, key])?;
        }
        for infra in d.deploys.0 {
            self.tx
                .prepare_cached("DELETE FROM item_deploys WHERE item = ?1 AND infrastructure = ?2")?
                .execute(params![item, infra])?;
        }
        for (infra, verdict) in d.deploys.1 {
            self.tx
                .prepare_cached(
                    "INSERT INTO item_deploys (item, infrastructure, verdict) VALUES (?1, ?2, ?3)
                     ON CONFLICT (item, infrastructure) DO UPDATE SET verdict = excluded.verdict",
                )?
                .execute(params![item, infra, verdict])?;
        }
        for q in d.queue.0 {
            self.tx
                .prepare_cached(
                    "DELETE FROM review_queue WHERE key = ?1 AND item = ?2 AND grp = ?3",
                )?
                .execute(params![q.key, item, q.group])?;
        }
        for q in d.queue.1 {
            self.tx
                .prepare_cached(
                    "INSERT INTO review_queue (key, item, grp, due) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key, item, grp) DO UPDATE SET due = excluded.due",
                )?
                .execute(params![q.key, item, q.group, q.due_at.unwrap_or(NO_DUE)])?;
        }
        Ok(())
    }

    /// Forgets the kept index of a deleted item.
    pub(super) fn delete_index(&self, item: i64) -> Result<(), StoreError> {
        for table in ["item_readers", "item_deploys", "review_queue"] {
            self.tx
                .prepare_cached(&format!("DELETE FROM {table} WHERE item = ?1"))?
                .execute(params![item])?;
        }
        Ok(())
    }

    /// The kept index of an item, as stored (`None`: no such item).
    pub fn item_index(&self, item: i64) -> Result<Option<ItemIndex>, StoreError> {
        let Some((signoff, review_due, owner, barred)) = self
            .tx
            .prepare_cached("SELECT signoff, review_due, owner, barred FROM items WHERE id = ?1")?
            .query_row(params![item], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let strings = |sql: &str| -> Result<Vec<String>, StoreError> {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let rows = stmt.query_map(params![item], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let pairs = |sql: &str| -> Result<Vec<(String, String)>, StoreError> {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let rows = stmt.query_map(params![item], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let mut stmt = self
            .tx
            .prepare_cached("SELECT key, grp, due FROM review_queue WHERE item = ?1")?;
        let mut queue: Vec<QueueEntry> = stmt
            .query_map(params![item], |r| {
                Ok(QueueEntry {
                    key: r.get(0)?,
                    group: r.get(1)?,
                    due_at: listing::due_of(r.get(2)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        queue.sort();
        Ok(Some(ItemIndex {
            signoff,
            review_due,
            owner,
            readers: strings("SELECT key FROM item_readers WHERE item = ?1 ORDER BY key")?,
            deploys: pairs(
                "SELECT infrastructure, verdict FROM item_deploys WHERE item = ?1 ORDER BY infrastructure",
            )?,
            queue,
            barred: listing::barred_of(&barred)?,
        }))
    }

    /// The first column of every row `sql` (no parameters) selects.
    fn strings(&self, sql: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A filtered, sorted page of items, read from the kept index.
    pub fn query_items(&self, q: &ItemQuery) -> Result<Page<Item, ItemSeek>, StoreError> {
        let blueprints = if listing::merges_blueprints(q) {
            self.strings(listing::BLUEPRINTS_WITH_ITEMS)?
        } else {
            Vec::new()
        };
        let sql = listing::item_page(q, Dialect::Sqlite, item_columns!(), &blueprints);
        let binds = values(&sql)?;
        let refs: Vec<&dyn rusqlite::ToSql> = binds.iter().map(|b| b.as_ref()).collect();
        let mut stmt = self.tx.prepare_cached(&sql.text)?;
        let rows = stmt.query_map(refs.as_slice(), |r| {
            Ok((
                item_from_row(r)?,
                r.get::<_, Option<i64>>(ITEM_COLUMN_COUNT)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (raw, due) = row?;
            out.push((finish_item(raw)?, due));
        }
        Ok(page_of(out, q))
    }

    /// The reviews queued for one of `q.keys` that `q.user` is not barred
    /// from, in `q.seek`'s order: at most `q.limit`.
    pub fn queued_reviews(&self, q: &ReviewQuery) -> Result<Vec<QueuedReview>, StoreError> {
        let mut lists = Vec::new();
        for key in &q.keys {
            let sql = listing::queued_for(key, &q.user, &q.seek, q.limit, Dialect::Sqlite);
            let binds = values(&sql)?;
            let refs: Vec<&dyn rusqlite::ToSql> = binds.iter().map(|b| b.as_ref()).collect();
            let mut stmt = self.tx.prepare_cached(&sql.text)?;
            let rows = stmt.query_map(refs.as_slice(), |r| {
                Ok(QueuedReview {
                    item: r.get(0)?,
                    group: r.get(1)?,
                    due_at: listing::due_of(r.get(2)?),
                })
            })?;
            lists.push(rows.collect::<Result<Vec<_>, _>>()?);
        }
        Ok(merge_queues(
            lists,
            &q.seek,
            usize::try_from(q.limit).unwrap_or(usize::MAX),
        ))
    }
}
