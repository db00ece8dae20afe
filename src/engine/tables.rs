//! Declared table views (`table ID { … }`): the items of the table's
//! blueprint the caller may read, kept where the filter holds, in the
//! table's order, one cell per column, a page at a time. The CLI prints them
//! as text, JSON or CSV; the API and the web UI show the same rows.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value as Json;

use super::access::{Identity, Resolver};
use super::conditions::holds;
use super::core::Engine;
use super::cursor::List;
use super::error::{Refusal, Result, refuse};
use super::set_cache::SetCache;
use super::signoff::Status;
use super::status::decide;
use crate::model::Blueprint;
use crate::model::table::{Column, Table};

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
    let mut names: Vec<String> = tx
        .blueprint_versions()?
        .into_iter()
        .map(|v| v.blueprint)
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let Some(version) = cache.latest(tx, &name)? else {
            continue;
        };
        let set = cache.get(tx, &name, version)?;
        if let Some(b) = set.blueprint(&name) {
            out.extend(b.tables.iter().cloned());
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

impl Engine {
    /// A page of table `id` as `who` may read it: at most `limit` rows after
    /// the cursor `after`.
    pub fn table(
        &mut self,
        who: &Identity,
        id: &str,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<TableView> {
        let start = match after {
            None => 0,
            Some(c) => match List::Table.number_after(c) {
                Some(n) => usize::try_from(n).unwrap_or(0),
                None => {
                    return refuse(Refusal::InvalidValue {
                        what: "cursor".into(),
                        why: format!("`{c}` is not a cursor of table `{id}`"),
                    });
                }
            },
        };
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
        let mut rows: Vec<(Json, TableRow)> = Vec::new();
        let readable =
            Self::readable_items(&tx, &mut self.cache, who, Some(table.blueprint.as_str()))?;
        for (chain, set) in readable {
            let Some(blueprint) = set.blueprint(&chain[0].blueprint) else {
                continue;
            };
            let resolver = Resolver {
                set: &set,
                chain: &chain,
                who,
            };
            // A field the caller may not read counts as unset: which rows
            // a filter keeps must not tell its value.
            if let Some(filter) = &table.filter {
                let fields: Vec<_> = filter.condition.fields().into_iter().cloned().collect();
                if !holds(&filter.condition, &resolver.readable_bound(&fields)) {
                    continue;
                }
            }
            let key = table.sort.as_ref().map_or(Json::Null, |s| match s.column {
                // To the microsecond: the cell is shown to the second.
                Column::Updated => Json::from(chain[0].updated_at.timestamp_micros()),
                ref c => cell(c, &resolver, blueprint),
            });
            rows.push((
                key,
                TableRow {
                    item: chain[0].id.to_string(),
                    cells: table
                        .columns
                        .iter()
                        .map(|c| cell(c, &resolver, blueprint))
                        .collect(),
                },
            ));
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
            .take(limit.unwrap_or(usize::MAX))
            .map(|(_, r)| r)
            .collect();
        let end = start + page.len();
        Ok(TableView {
            id: table.id.clone(),
            label: table.label.clone(),
            blueprint: table.blueprint.to_string(),
            columns: table.columns.iter().map(Column::text).collect(),
            rows: page,
            next: (end < total)
                .then(|| List::Table.number_cursor(i64::try_from(end).unwrap_or(i64::MAX))),
        })
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
