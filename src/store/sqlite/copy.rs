//! Rows of whole tables on SQLite, for `govrt db copy`.

use rusqlite::types::Value;

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::copy::{Cell, Kind, Table};

/// A column as SQLite names it (a credential's id is its rowid).
fn column(table: &Table, name: &'static str) -> &'static str {
    if table.name == "credentials" && name == "id" {
        "rowid"
    } else {
        name
    }
}

impl Tx<'_> {
    /// Every row of a table, in its order.
    pub fn dump_rows(&self, table: &Table) -> Result<Vec<Vec<Cell>>, StoreError> {
        let columns: Vec<&str> = table
            .columns
            .iter()
            .map(|(c, _)| column(table, c))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            table.name,
            table.order.replace("id", column(table, "id"))
        );
        let mut stmt = self.tx.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match (r.get::<_, Value>(i)?, kind) {
                        (Value::Null, _) => Cell::Null,
                        (Value::Integer(n), Kind::Bool) => Cell::Bool(n != 0),
                        (Value::Integer(n), _) => Cell::Int(n),
                        (Value::Text(t), _) => Cell::Text(t),
                        (Value::Real(f), _) => Cell::Text(f.to_string()),
                        (Value::Blob(b), _) => Cell::Text(String::from_utf8_lossy(&b).into_owned()),
                    })
                })
                .collect::<rusqlite::Result<Vec<Cell>>>()
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces a table's rows with these.
    pub fn load_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), StoreError> {
        self.tx
            .execute(&format!("DELETE FROM {}", table.name), [])?;
        let columns: Vec<&str> = table
            .columns
            .iter()
            .map(|(c, _)| column(table, c))
            .collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            columns.join(", "),
            marks.join(", ")
        );
        let mut stmt = self.tx.prepare(&sql)?;
        for row in rows {
            let values: Vec<Value> = row
                .iter()
                .map(|c| match c {
                    Cell::Null => Value::Null,
                    Cell::Int(n) => Value::Integer(*n),
                    Cell::Bool(b) => Value::Integer(i64::from(*b)),
                    Cell::Text(t) => Value::Text(t.clone()),
                })
                .collect();
            stmt.execute(rusqlite::params_from_iter(values))?;
        }
        Ok(())
    }

    /// SQLite's AUTOINCREMENT follows the largest id inserted: nothing to do.
    pub fn after_load(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
