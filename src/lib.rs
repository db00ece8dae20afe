//! govrt: a governance runtime for AI and ML work.
//!
//! Admins describe what is governed in `.gov` blueprints; govrt checks them
//! ([`check`]) into a [`model::BlueprintSet`] and runs items against them.
//!
//! The pipeline, one module a stage:
//! `syntax` (text → AST, pest stays there) → `check` (AST → model, every
//! problem reported as a [`diag::Diagnostic`]) → `model` (what the runtime
//! executes). `cli` is the command line on top.

pub mod check;
pub mod cli;
pub mod diag;
pub mod model;
pub mod notify;
pub mod render;
pub mod server;
// The generated parser refers to `crate::alloc` when pest is built without
// `std` (which skips its per-call stack probing: the grammar does not nest).
extern crate alloc;

pub mod engine;
pub mod hooks;
pub mod standard;
pub mod store;
pub mod syntax;
