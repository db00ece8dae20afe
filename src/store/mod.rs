//! SQLite persistence: the only module that writes SQL. Schema migrations are
//! applied on open; the database runs in WAL mode with foreign keys on and
//! `synchronous=FULL` unless told otherwise.
//!
//! Every write of the engine goes through one [`Tx`] (`BEGIN IMMEDIATE`, so
//! two writers queue on the busy timeout instead of failing half-way).

// The column lists of `rows` are macros, so they come first.
#[macro_use]
mod rows;
mod audit;
mod blueprints;
mod connection;
mod error;
mod identities;
mod items;
mod outbox;
mod schema;
mod subscriptions;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]
mod tests;

pub use audit::{GENESIS, event_hash};
pub use connection::{Durability, Store, Tx};
pub use error::StoreError;
pub use identities::secret_hash;
pub use rows::{
    BlueprintVersionRow, CredentialRow, EventRow, ItemRow, NamedTexts, NewEvent, NewMessage,
    OutboxRow, RawEvent, UserRow,
};
