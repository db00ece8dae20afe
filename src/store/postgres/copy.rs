//! Rows of whole tables on PostgreSQL, for `govrt db copy`.

use postgres::types::ToSql;

use super::connection::Tx;
use crate::store::StoreError;
use crate::store::copy::{Cell, Kind, Table};

/// The tables whose ids come from a sequence.
const SERIAL: &[&str] = &["blueprint_sets", "credentials", "items", "outbox"];

impl Tx<'_> {
    /// Every row of a table, in its order.
    pub fn dump_rows(&self, table: &Table) -> Result<Vec<Vec<Cell>>, StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            columns.join(", "),
            table.name,
            table.order
        );
        self.query(&sql, &[])?
            .iter()
            .map(|r| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Kind::Int => r
                                .try_get::<_, Option<i64>>(i)?
                                .map_or(Cell::Null, Cell::Int),
                            Kind::Text => r
                                .try_get::<_, Option<String>>(i)?
                                .map_or(Cell::Null, Cell::Text),
                            Kind::Bool => r
                                .try_get::<_, Option<bool>>(i)?
                                .map_or(Cell::Null, Cell::Bool),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// Replaces a table's rows with these.
    pub fn load_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), StoreError> {
        self.execute(&format!("DELETE FROM {}", table.name), &[])?;
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            columns.join(", "),
            marks.join(", ")
        );
        for row in rows {
            let values: Vec<Box<dyn ToSql + Sync>> = row
                .iter()
                .zip(table.columns)
                .map(|(c, (_, kind))| -> Box<dyn ToSql + Sync> {
                    match (c, kind) {
                        (Cell::Null, Kind::Int) => Box::new(None::<i64>),
                        (Cell::Null, Kind::Bool) => Box::new(None::<bool>),
                        (Cell::Null, Kind::Text) => Box::new(None::<String>),
                        (Cell::Int(n), Kind::Bool) => Box::new(*n != 0),
                        (Cell::Int(n), _) => Box::new(*n),
                        (Cell::Bool(b), _) => Box::new(*b),
                        (Cell::Text(t), _) => Box::new(t.clone()),
                    }
                })
                .collect();
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
            self.execute(&sql, &params)?;
        }
        Ok(())
    }

    /// Id sequences continue after the copied ids.
    pub fn after_load(&self) -> Result<(), StoreError> {
        for table in SERIAL {
            self.execute(
                &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1), (SELECT MAX(id) FROM {table}) IS NOT NULL)"),
                &[],
            )?;
        }
        Ok(())
    }
}
