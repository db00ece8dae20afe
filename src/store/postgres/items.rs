//! Item rows on PostgreSQL: insert, read (always from the database: no
//! cache, so a read on one replica sees what another just committed),
//! update with the item's audit event, delete, list, and the index of due
//! work.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;

use super::audit::insert_event_values;
use super::connection::Tx;
use super::index::to_sql;
use super::rows::item_from_row;
use crate::store::StoreError;
use crate::store::index::IndexDiff;
use crate::store::listing;
use crate::store::rows::*;

impl Tx<'_> {
    /// Inserts an item (its id is assigned); returns the id.
    pub fn insert_item(&self, item: &Item) -> Result<i64, StoreError> {
        let row = self.query_opt(
            "INSERT INTO items (blueprint, version, parent, name, fields, step, finished, signoffs, creator, created_at, updated_at, revision, due_at, subscribers, skipped)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            &[
                &item.blueprint,
                &i64::from(item.version),
                &item.parent,
                &item.name,
                &serde_json::to_string(&item.fields)?,
                &item.step,
                &item.finished,
                &serde_json::to_string(&item.signoffs)?,
                &item.creator,
                &ts(item.created_at),
                &ts(item.updated_at),
                &item.revision,
                &item.due_at(),
                &serde_json::to_string(&item.subscribers)?,
                &serde_json::to_string(&item.skipped)?,
            ],
        )?;
        match row {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Location("the new item got no id".into())),
        }
    }

    /// An item by id, to be changed (see [`crate::store::Ops::item_to_change`]):
    /// read like any other, as nothing is cached here.
    pub fn item_to_change(&self, id: i64) -> Result<Option<Item>, StoreError> {
        self.item(id)
    }

    /// An item by id.
    pub fn item(&self, id: i64) -> Result<Option<Item>, StoreError> {
        self.query_opt(
            concat!("SELECT ", item_columns!(), " FROM items WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(item_from_row)
        .transpose()
    }

    /// The ancestors of `item`, nearest first (64 at most), in one query.
    pub fn ancestors(&self, item: &Item) -> Result<Vec<Item>, StoreError> {
        let Some(parent) = item.parent else {
            return Ok(Vec::new());
        };
        self.query(
            concat!(
                "WITH RECURSIVE up (id, depth) AS (
                   SELECT $1::BIGINT, 1
                   UNION ALL
                   SELECT i.parent, up.depth + 1 FROM items i JOIN up ON i.id = up.id
                   WHERE i.parent IS NOT NULL AND up.depth < 64)
                 SELECT ",
                item_columns!(),
                " FROM items JOIN up USING (id) ORDER BY up.depth"
            ),
            &[&parent],
        )?
        .iter()
        .map(item_from_row)
        .collect()
    }

    /// Writes `u.item`, a change of `u.before`, with the audit event of the
    /// change and what changed of its kept index, if the stored revision is
    /// still `u.before`'s: returns the event's sequence number, or `None`
    /// (and writes nothing) if the item moved on. Only the columns that
    /// changed are written, the kept ones among them in the same statement.
    pub fn update_item(&self, u: &ItemUpdate<'_>) -> Result<Option<i64>, StoreError> {
        let (item, before, event) = (u.item, u.before, u.event);
        // The event and the row in one statement (one round trip).
        let l = self.next_link(Some(item.id), event)?;
        let mut sql = String::from(concat!(
            "WITH appended AS (INSERT INTO audit_events ",
            insert_event_values!(),
            ") UPDATE items SET updated_at = $9, revision = $10, last_event = $1"
        ));
        let mut values: Vec<Box<dyn ToSql + Sync>> = vec![
            Box::new(l.seq),
            Box::new(item.id),
            Box::new(event.actor.to_string()),
            Box::new(event.action.to_string()),
            Box::new(l.at.clone()),
            Box::new(l.details.clone()),
            Box::new(l.prev_hash.clone()),
            Box::new(l.hash.clone()),
            Box::new(ts(item.updated_at)),
            Box::new(item.revision),
        ];
        for (column, value) in changed_columns(item, before)? {
            values.push(match value {
                Column::Text(v) => Box::new(v),
                Column::MaybeText(v) => Box::new(v),
                Column::Flag(v) => Box::new(v),
                Column::MaybeInt(v) => Box::new(v),
            });
            sql.push_str(&format!(", {column} = ${}", values.len()));
        }
        let kept = u.kept.map(|(b, a)| (IndexDiff::between(Some(b), a), a));
        if let Some((d, after)) = &kept {
            for (column, value) in listing::kept_sets(d.columns, after) {
                values.push(to_sql(&value));
                sql.push_str(&format!(", {column} = ${}", values.len()));
            }
        }
        values.push(Box::new(before.revision));
        sql.push_str(&format!(" WHERE id = $2 AND revision = ${}", values.len()));
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        if self.execute(&sql, &params)? == 1 {
            self.moved_head(&l);
            if let Some((d, _)) = kept {
                self.write_kept_rows(item.id, d)?;
            }
            return Ok(Some(l.seq));
        }
        self.execute("DELETE FROM audit_events WHERE seq = $1", &[&l.seq])?;
        self.forget_head();
        Ok(None)
    }

    /// Deletes an item, auditing it with `event` (see [`crate::store::Ops::delete_item`]).
    pub fn delete_item(&self, id: i64, event: &NewEvent<'_>) -> Result<i64, StoreError> {
        // Appended while the row is there, so it links to the item's last event.
        let (seq, hash) = self.insert_event(Some(id), event)?;
        self.delete_index(id)?;
        self.execute("DELETE FROM items WHERE id = $1", &[&id])?;
        self.set_head(seq, &hash)?;
        Ok(seq)
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
        self.query(
            concat!(
                "SELECT ",
                item_columns!(),
                " FROM items WHERE ($1::TEXT IS NULL OR blueprint = $1) AND ($2::BIGINT IS NULL OR parent = $2) AND id > $3 ORDER BY id LIMIT $4"
            ),
            &[&blueprint, &parent, &after, &limit],
        )?
        .iter()
        .map(item_from_row)
        .collect()
    }

    /// Items, optionally of one blueprint and/or under one parent, by id.
    pub fn items(
        &self,
        blueprint: Option<&str>,
        parent: Option<i64>,
    ) -> Result<Vec<Item>, StoreError> {
        self.query(
            concat!(
                "SELECT ",
                item_columns!(),
                " FROM items WHERE ($1::TEXT IS NULL OR blueprint = $1) AND ($2::BIGINT IS NULL OR parent = $2) ORDER BY id"
            ),
            &[&blueprint, &parent],
        )?
        .iter()
        .map(item_from_row)
        .collect()
    }

    /// Whether an item has children.
    pub fn has_children(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .query_opt("SELECT 1 FROM items WHERE parent = $1 LIMIT 1", &[&id])?
            .is_some())
    }

    /// Ids of items with scheduled work due at or before `now`.
    pub fn items_due(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        self.query(
            "SELECT id FROM items WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, id",
            &[&now.timestamp()],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }
}
