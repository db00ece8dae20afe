//! Item rows: insert, read (through the connection's item cache), update
//! with the item's audit event, delete, list, and the reset index.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::connection::Tx;
use super::index::to_sql;
use super::rows::*;
use crate::store::StoreError;
use crate::store::index::IndexDiff;
use crate::store::listing;
use crate::store::rows::*;

impl Tx<'_> {
    /// Inserts an item (its id is assigned); returns the id.
    pub fn insert_item(&self, item: &Item) -> Result<i64, StoreError> {
        self.tx.prepare_cached(
            "INSERT INTO items (blueprint, version, parent, name, fields, step, finished, signoffs, creator, created_at, updated_at, revision, due_at, subscribers, skipped)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
                item.blueprint,
                item.version,
                item.parent,
                item.name,
                serde_json::to_string(&item.fields)?,
                item.step,
                item.finished,
                serde_json::to_string(&item.signoffs)?,
                item.creator,
                ts(item.created_at),
                ts(item.updated_at),
                item.revision,
                item.due_at(),
                serde_json::to_string(&item.subscribers)?,
                serde_json::to_string(&item.skipped)?,
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The ancestors of `item`, nearest first (64 at most): each read
    /// through the connection's item cache.
    pub fn ancestors(&self, item: &Item) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut next = item.parent;
        while let Some(id) = next
            && found.len() < 64
        {
            let Some(parent) = self.item(id)? else {
                break;
            };
            next = parent.parent;
            found.push(parent);
        }
        Ok(found)
    }

    /// An item by id.
    pub fn item(&self, id: i64) -> Result<Option<Item>, StoreError> {
        self.cached_item(id, false)
    }

    /// An item by id, to be changed (see [`crate::store::Ops::item_to_change`]):
    /// a cached row leaves the cache instead of being copied. The change
    /// drops it from the cache anyway, and a write transaction that does not
    /// commit empties the cache.
    pub fn item_to_change(&self, id: i64) -> Result<Option<Item>, StoreError> {
        self.cached_item(id, true)
    }

    /// An item by id, through the cache: copied out of it, or taken
    /// (`take`).
    fn cached_item(&self, id: i64, take: bool) -> Result<Option<Item>, StoreError> {
        let cache = self.items.cache;
        if !self.items.current.get() {
            let version: i64 = self
                .tx
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?;
            let mut cache = cache.borrow_mut();
            if cache.version != Some(version) {
                cache.rows.clear();
                cache.version = Some(version);
            }
            self.items.current.set(true);
        }
        let known = if take {
            cache.borrow_mut().rows.remove(&id)
        } else {
            cache.borrow().rows.get(&id).cloned()
        };
        if let Some(known) = known {
            return Ok(Some(known));
        }
        let row = self
            .tx
            .prepare_cached(concat!(
                "SELECT ",
                item_columns!(),
                " FROM items WHERE id = ?1"
            ))?
            .query_row(params![id], item_from_row)
            .optional()?;
        let Some(parts) = row else {
            return Ok(None);
        };
        let item = finish_item(parts)?;
        if !take {
            cache.borrow_mut().put(item.clone());
        }
        Ok(Some(item))
    }

    /// Drops an item this transaction is about to change from the cache
    /// (it is kept again once the change commits, see [`Tx::commit_keeping`]).
    pub(super) fn forget_item(&self, id: i64) {
        self.items.cache.borrow_mut().rows.remove(&id);
    }

    /// Writes `u.item`, a change of `u.before`, with the audit event of the
    /// change and what changed of its kept index, if the stored revision is
    /// still `u.before`'s: returns the event's sequence number, or `None`
    /// (and writes nothing) if the item moved on. The chain's head, the
    /// event (which reads the item's last event to link to it), the item
    /// (which then points at the new event, its kept columns set in the
    /// same statement), then the kept rows that changed. The reset index is
    /// written only when the next reset moved.
    pub fn update_item(&self, u: &ItemUpdate<'_>) -> Result<Option<i64>, StoreError> {
        let (item, before) = (u.item, u.before);
        self.forget_item(item.id);
        let (seq, _) = self.insert_event(Some(item.id), u.event)?;
        let updated_at = ts(item.updated_at);
        let mut sql =
            String::from("UPDATE items SET updated_at = ?1, revision = ?2, last_event = ?3");
        let mut values: Vec<Box<dyn rusqlite::ToSql>> =
            vec![Box::new(updated_at), Box::new(item.revision), Box::new(seq)];
        for (column, value) in changed_columns(item, before)? {
            values.push(match value {
                Column::Text(v) => Box::new(v),
                Column::MaybeText(v) => Box::new(v),
                Column::Flag(v) => Box::new(v),
                Column::MaybeInt(v) => Box::new(v),
            });
            sql.push_str(&format!(", {column} = ?{}", values.len()));
        }
        let kept = u.kept.map(|(b, a)| (IndexDiff::between(Some(b), a), a));
        if let Some((d, after)) = &kept {
            for (column, value) in listing::kept_sets(d.columns, after) {
                values.push(to_sql(&value)?);
                sql.push_str(&format!(", {column} = ?{}", values.len()));
            }
        }
        values.push(Box::new(item.id));
        values.push(Box::new(before.revision));
        sql.push_str(&format!(
            " WHERE id = ?{} AND revision = ?{}",
            values.len() - 1,
            values.len()
        ));
        let mut stmt = self.tx.prepare_cached(&sql)?;
        let values: Vec<&dyn rusqlite::ToSql> = values.iter().map(|v| v.as_ref()).collect();
        if stmt.execute(values.as_slice())? == 1 {
            if let Some((d, _)) = kept {
                self.write_kept_rows(item.id, d)?;
            }
            return Ok(Some(seq));
        }
        self.tx
            .prepare_cached("DELETE FROM audit_events WHERE seq = ?1")?
            .execute(params![seq])?;
        Ok(None)
    }

    /// Deletes an item, auditing it with `event` (see [`crate::store::Ops::delete_item`]).
    pub fn delete_item(&self, id: i64, event: &NewEvent<'_>) -> Result<i64, StoreError> {
        // Appended while the row is there, so it links to the item's last event.
        let (seq, hash) = self.insert_event(Some(id), event)?;
        self.forget_item(id);
        self.delete_index(id)?;
        self.tx
            .execute("DELETE FROM items WHERE id = ?1", params![id])?;
        self.set_head(seq, &hash)?;
        Ok(seq)
    }

    /// Items, optionally of one blueprint and/or under one parent, by id.
    pub fn items(
        &self,
        blueprint: Option<&str>,
        parent: Option<i64>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            item_columns!(),
            " FROM items WHERE (?1 IS NULL OR blueprint = ?1) AND (?2 IS NULL OR parent = ?2) ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![blueprint, parent], item_from_row)?;
        rows.map(|r| finish_item(r?)).collect()
    }

    /// At most `limit` items after the id `after`, optionally of one
    /// blueprint and/or under one parent, by id (a page: it costs what the
    /// first does, wherever it starts).
    pub fn items_after(
        &self,
        blueprint: Option<&str>,
        parent: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Item>, StoreError> {
        let mut stmt = self.tx.prepare_cached(concat!(
            "SELECT ",
            item_columns!(),
            " FROM items WHERE (?1 IS NULL OR blueprint = ?1) AND (?2 IS NULL OR parent = ?2) AND id > ?3 ORDER BY id LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![blueprint, parent, after, limit], item_from_row)?;
        rows.map(|r| finish_item(r?)).collect()
    }

    /// Whether an item has children.
    pub fn has_children(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM items WHERE parent = ?1 LIMIT 1")?
            .query_row(params![id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Ids of items with a reset due at or before `now`.
    pub fn items_due(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM items WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at, id",
        )?;
        let rows = stmt.query_map(params![now.timestamp()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
