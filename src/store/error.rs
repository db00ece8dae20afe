//! Storage failures: I/O, SQLite or PostgreSQL, corrupt rows, a schema too new.

/// A storage failure (I/O, the database, corrupt rows).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed, or could not be reached.
    #[error("database error: {0}")]
    Postgres(#[from] postgres::Error),
    /// The database location is not one govrt can open.
    #[error("{0}")]
    Location(String),
    /// A stored JSON document does not parse.
    #[error("corrupt stored data: {0}")]
    Json(#[from] serde_json::Error),
    /// The operating system refused what the store needs (a thread).
    #[error("{0}")]
    System(String),
    /// The database was made by a newer govrt.
    #[error("the database schema version {found} is newer than this govrt understands ({known})")]
    TooNew {
        /// The schema version found.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
}

impl StoreError {
    /// Whether the database cannot be reached now (PostgreSQL down, shutting
    /// down, or the connection lost): a failure to try again later, not a bug.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Postgres(e) = self else {
            return false;
        };
        if e.is_closed() {
            return true;
        }
        match e.code() {
            // Class 08 (connection exception), 57P01-57P03 (shutting down,
            // crashed, cannot connect now), 53300 (too many connections).
            Some(code) => {
                let code = code.code();
                code.starts_with("08") || code.starts_with("57P") || code == "53300"
            }
            // No server error at all: the connection itself failed.
            None => e.as_db_error().is_none(),
        }
    }
}
