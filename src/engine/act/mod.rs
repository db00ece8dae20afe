//! Actions: every change to items, people and blueprint sets, each one
//! transaction holding the new state and its audit event. Items (create,
//! edit, move), sign-offs, subscriptions, identities and sessions, blueprint
//! sets, versions and migrations, replay, recertification, the service tick,
//! settings, hook tests and idempotent retries.

pub mod hook_test;
pub mod idempotency;
pub mod identities;
pub mod items;
pub mod migrate;
pub mod moves;
pub mod recertifications;
pub mod replay;
pub mod service_tick;
pub mod sessions;
pub mod sets;
pub mod settings;
pub mod signoffs;
pub mod subscriptions;
pub mod versions;
