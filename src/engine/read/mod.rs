//! Reading: what the engine shows of items and reviews, without changing
//! them. Views and status, lists, queries, tables and the board with their
//! cursors, history and audit, explain, the controls report and the home
//! page's overview.

pub mod audit;
pub mod board;
pub mod controls;
pub mod cursor;
pub mod explain;
pub mod history;
pub mod lists;
pub mod overview;
pub mod paging;
pub mod queries;
pub mod status;
pub mod tables;
pub mod views;
