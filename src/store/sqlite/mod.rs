//! The SQLite backend, the embedded default: one database file in WAL mode
//! with foreign keys on and `synchronous=FULL` unless told otherwise, schema
//! migrations applied on open. Every write is one transaction (`BEGIN
//! IMMEDIATE`, so two writers queue on the busy timeout instead of failing
//! half-way), or a savepoint of a group commit.

mod audit;
mod blueprints;
mod checkpoint;
mod connection;
mod copy;
mod idempotency;
mod identities;
mod index;
mod items;
mod outbox;
mod rows;
mod schema;
mod sessions;
mod subscriptions;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]
mod tests;

use chrono::{DateTime, Utc};

use crate::store::StoreError;
use crate::store::copy::{Cell, Table};
use crate::store::index::*;
use crate::store::rows::*;

pub use checkpoint::INLINE_CHECKPOINT_PAGES;
pub(super) use connection::{Store, Tx};

with_operations!(forward_ops Tx<'_>);
