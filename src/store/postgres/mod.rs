//! The PostgreSQL backend, for several daemons sharing one database: the
//! same operations as the SQLite backend, in PostgreSQL's SQL, with its own
//! migrations. Writers are serialized by a transaction-scoped advisory lock
//! (see `connection`); nothing is cached between transactions.

mod audit;
mod blueprints;
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

use chrono::{DateTime, Utc};

use crate::store::StoreError;
use crate::store::copy::{Cell, Table};
use crate::store::index::*;
use crate::store::rows::*;

pub(super) use connection::{Store, Tx};

with_operations!(forward_ops Tx<'_>);
