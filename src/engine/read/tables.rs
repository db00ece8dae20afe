//! Declared table views (`table ID { … }`): the items of the table's
//! blueprint the caller may read, kept where the filter holds, in the
//! table's order, one cell per column, a page at a time. The CLI prints them
//! as text, JSON or CSV; the API and the web UI show the same rows.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value as Json;

use chrono::{DateTime, Utc};

use crate::engine::access::{Identity, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::filters::filter_holds;
use crate::engine::index::keys_of;
use crate::engine::read::cursor::{List, table_cursor, table_seek};
use crate::engine::rules::deploy::decide;
use crate::engine::rules::signoff::Status;
use crate::engine::set_cache::{LoadedSet, SetCache};
use crate::model::Blueprint;
use crate::model::Item;
use crate::model::table::{Column, Table};
use crate::store::Tx;
use crate::store::index::{ItemQuery, ItemSeek, TextColumn, TextSeek};

/// One page of a table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TableView {
    /// The table's id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// The blueprint whose items it lists.
    pub blueprint: String,
    /// The columns, as written (`name`, `signoff review`, `deploy prod`).
    pub columns: Vec<String>,
    /// The rows of this page.
    pub rows: Vec<TableRow>,
    /// The cursor of the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One item of a table.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TableRow {
    /// The item's id.
    pub item: String,
    /// One value per column, in the columns' order (`null`: unset).
    #[schema(value_type = Vec<Object>)]
    pub cells: Vec<Json>,
}

/// A table declared in the newest versions of the blueprints.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TableSummary {
    /// The id.
    pub id: String,
    /// The label.
    pub label: String,
    /// The blueprint whose items it lists.
    pub blueprint: String,
}

/// The cell of `column` for the resolver's item, as its caller may read it.
fn cell(column: &Column, resolver: &Resolver<'_>, blueprint: &Blueprint) -> Json {
    let (set, chain) = (resolver.set, resolver.chain);
    let item = &chain[0];
    match column {
        Column::Name => Json::String(item.name.clone()),
        Column::Step => item.step.clone().map_or(Json::Null, Json::String),
        Column::Updated => Json::String(
            item.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        Column::Field(f) => resolver
            .readable_field(f.as_str())
            .cloned()
            .unwrap_or(Json::Null),
        Column::SignOff(step) => Json::String(
            item.signoffs
                .get(step.as_str())
                .map_or(Status::NotStarted, |s| s.status)
                .as_str()
                .to_string(),
        ),
        Column::Deploy(infra) => set.infrastructures.get(infra).map_or(Json::Null, |i| {
            Json::String(decide(blueprint, chain, i).decision.as_str().to_string())
        }),
    }
}

/// How two cells order: numbers by value, text by its characters, unset last.
fn order(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Null, _) => Ordering::Greater,
        (_, Json::Null) => Ordering::Less,
        (Json::Number(x), Json::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

impl Engine {
    /// The tables of the newest version of every blueprint.
    pub fn tables(&mut self) -> Result<Vec<TableSummary>> {
        let tx = self.store.read()?;
        let mut out = Vec::new();
        for table in latest_tables(&mut self.cache, &tx)? {
            out.push(TableSummary {
                id: table.id.clone(),
                label: table.label.clone(),
                blueprint: table.blueprint.to_string(),
            });
        }
        Ok(out)
    }
}

/// The tables of the newest version of every blueprint, by id.
fn latest_tables(cache: &mut SetCache, tx: &crate::store::Tx<'_>) -> Result<Vec<Table>> {
    let mut out = Vec::new();
    for (name, _, set) in cache.newest_sets(tx, None)? {
        if let Some(b) = set.blueprint(&name) {
            out.extend(b.tables.iter().cloned());
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

impl Engine {
    /// A page of table `id` as `who` may read it: at most `limit` rows after
    /// the cursor `after`. A table in the kept index's order (by update
    /// time, name or step, either way, or unsorted: by id) is read a page of
    /// the index at a time, its filter kept for each item as `who` may read
    /// it; any other is read whole and sorted in memory.
    pub fn table(
        &mut self,
        who: &Identity,
        id: &str,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<TableView> {
        let now = self.now_or(None);
        let tx = self.store.read()?;
        let tables = latest_tables(&mut self.cache, &tx)?;
        let ids: Vec<String> = tables.iter().map(|t| t.id.clone()).collect();
        let Some(table) = tables.into_iter().find(|t| t.id == id) else {
            return refuse(Refusal::NotFound {
                what: if ids.is_empty() {
                    format!("table `{id}` (the blueprint set declares no table)")
                } else {
                    format!("table `{id}` (the tables are {})", ids.join(", "))
                },
            });
        };
        let bad_cursor = |c: &str| {
            refuse(Refusal::InvalidValue {
                what: "cursor".into(),
                why: format!("`{c}` is not a cursor of table `{id}`"),
            })
        };
        let limit = limit.unwrap_or(usize::MAX);
        let (rows, next) = match kept_order(&table) {
            Some(order) => {
                let Some(seek) = table_seek(&order, after) else {
                    return bad_cursor(after.unwrap_or_default());
                };
                let (rows, next) =
                    Self::kept_rows(&tx, &mut self.cache, (who, now), &table, seek, limit)?;
                (rows, next.as_ref().and_then(table_cursor))
            }
            None => {
                let start = match after.map(|c| List::Table.number_after(c)) {
                    None => 0,
                    Some(Some(n)) => usize::try_from(n).unwrap_or(0),
                    Some(None) => return bad_cursor(after.unwrap_or_default()),
                };
                Self::sorted_rows(&tx, &mut self.cache, (who, now), &table, start, limit)?
            }
        };
        Ok(TableView {
            id: table.id.clone(),
            label: table.label.clone(),
            blueprint: table.blueprint.to_string(),
            columns: table.columns.iter().map(Column::text).collect(),
            rows,
            next,
        })
    }

    /// The row of `chain[0]` in `table`, if its filter holds as `who` may
    /// read the item, with its sort key.
    fn table_row(
        set: &LoadedSet,
        chain: &[Item],
        who: &Identity,
        table: &Table,
        now: DateTime<Utc>,
    ) -> Option<(Json, TableRow)> {
        let blueprint = set.blueprint(&chain[0].blueprint)?;
        let resolver = Resolver { set, chain, who };
        if let Some(filter) = &table.filter
            && !filter_holds(&filter.condition, &resolver, now)
        {
            return None;
        }
        let key = table.sort.as_ref().map_or(Json::Null, |s| match s.column {
            // To the microsecond: the cell is shown to the second.
            Column::Updated => Json::from(chain[0].updated_at.timestamp_micros()),
            ref c => cell(c, &resolver, blueprint),
        });
        let row = TableRow {
            item: chain[0].id.to_string(),
            cells: table
                .columns
                .iter()
                .map(|c| cell(c, &resolver, blueprint))
                .collect(),
        };
        Some((key, row))
    }

    /// At most `limit` rows of `table` from the kept index, after `seek`,
    /// and the position after the last one when more follow: the index is
    /// read a page at a time (the read permission in the query) and the
    /// filter kept where it holds.
    fn kept_rows(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        (who, now): (&Identity, DateTime<Utc>),
        table: &Table,
        mut seek: ItemSeek,
        limit: usize,
    ) -> Result<(Vec<TableRow>, Option<ItemSeek>)> {
        let batch = limit.saturating_add(1).clamp(50, 500);
        let mut rows: Vec<TableRow> = Vec::new();
        let mut last = None;
        loop {
            let page = tx.query_items(&ItemQuery {
                blueprint: Some(table.blueprint.to_string()),
                readers: (!who.admin).then(|| keys_of(who)),
                seek: seek.clone(),
                limit: i64::try_from(batch).unwrap_or(i64::MAX),
                ..ItemQuery::default()
            })?;
            for item in page.rows {
                let position = seek.past(&item, None);
                let set = cache.get(tx, &item.blueprint, item.version)?;
                let chain = Self::with_ancestors(tx, item)?;
                let Some((_, row)) = Self::table_row(&set, &chain, who, table, now) else {
                    continue;
                };
                if rows.len() == limit {
                    return Ok((rows, last));
                }
                rows.push(row);
                last = Some(position);
            }
            match page.next {
                Some(next) => seek = next,
                None => return Ok((rows, None)),
            }
        }
    }

    /// At most `limit` rows of `table` from position `start` of its order,
    /// with the cursor of the rest: every readable item of its blueprint,
    /// sorted here.
    fn sorted_rows(
        tx: &Tx<'_>,
        cache: &mut SetCache,
        (who, now): (&Identity, DateTime<Utc>),
        table: &Table,
        start: usize,
        limit: usize,
    ) -> Result<(Vec<TableRow>, Option<String>)> {
        let mut rows: Vec<(Json, TableRow)> = Vec::new();
        for (chain, set) in Self::readable_items(tx, cache, who, Some(table.blueprint.as_str()))? {
            rows.extend(Self::table_row(&set, &chain, who, table, now));
        }
        let id_of = |r: &TableRow| r.item.parse::<i64>().unwrap_or_default();
        // Unset last whatever the direction; ties by id, in the same direction.
        let descending = table.sort.as_ref().is_some_and(|s| s.descending);
        rows.sort_by(|(ka, a), (kb, b)| {
            let (by_key, by_id) = if descending && !ka.is_null() && !kb.is_null() {
                (order(kb, ka), id_of(b).cmp(&id_of(a)))
            } else if descending {
                (order(ka, kb), id_of(b).cmp(&id_of(a)))
            } else {
                (order(ka, kb), id_of(a).cmp(&id_of(b)))
            };
            by_key.then(by_id)
        });
        let total = rows.len();
        let page: Vec<TableRow> = rows
            .into_iter()
            .skip(start)
            .take(limit)
            .map(|(_, r)| r)
            .collect();
        let end = start + page.len();
        let next = (end < total)
            .then(|| List::Table.number_cursor(i64::try_from(end).unwrap_or(i64::MAX)));
        Ok((page, next))
    }
}

/// Where `table` starts when it is in an order the kept index has: sorted
/// by update time (newest or oldest first), by name or by step (either
/// way), or unsorted (by id).
fn kept_order(table: &Table) -> Option<ItemSeek> {
    match &table.sort {
        None => Some(ItemSeek::Id(None)),
        Some(s) if s.column == Column::Updated && s.descending => Some(ItemSeek::Updated(None)),
        Some(s) if s.column == Column::Updated => Some(ItemSeek::Oldest(None)),
        Some(s) => {
            let column = match s.column {
                Column::Name => TextColumn::Name,
                Column::Step => TextColumn::Step,
                _ => return None,
            };
            Some(ItemSeek::Text(TextSeek {
                column,
                descending: s.descending,
                after: None,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_order_by_value_and_unset_last() {
        assert_eq!(order(&json!(2), &json!(10)), Ordering::Less);
        assert_eq!(order(&json!("b"), &json!("a")), Ordering::Greater);
        assert_eq!(order(&Json::Null, &json!(1)), Ordering::Greater);
        assert_eq!(order(&json!(1), &Json::Null), Ordering::Less);
    }
}
