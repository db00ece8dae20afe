//! The integration tests: one binary with a module per feature. Most drive
//! the real `govrt` binary (the CLI's contract) or a real daemon over HTTP;
//! `support` holds what they share.

mod support;

mod api;
mod audit;
mod board;
mod bound;
mod cli_authoring;
mod cli_lifecycle;
mod client;
mod concurrency;
mod conditional;
mod controls;
mod docs;
mod everyday;
mod explain;
mod field_permissions;
mod filters;
mod fmt;
mod hooks;
mod independence;
mod kept;
mod layout;
mod lifecycle;
mod model;
mod notifications;
mod pages;
mod people;
mod postgres;
mod recertification;
mod rework;
mod scenario;
mod security;
mod signoffs;
mod sla;
mod tables;
mod ui;
mod vocabulary;
mod web;
mod web_browser;
