//! What `govrt db copy` moves between two databases, whichever their
//! backends: every table, row for row, with its ids, in an order that keeps
//! the references whole. Each backend reads and writes the rows as
//! [`Cell`]s; the list of tables and columns is this one.

/// A column's kind, which each backend stores in its own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An integer.
    Int,
    /// Text.
    Text,
    /// A boolean (SQLite's 0/1, PostgreSQL's BOOLEAN).
    Bool,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// A table: its name, its columns, and the column its rows are ordered by.
#[derive(Debug)]
pub struct Table {
    /// The name.
    pub name: &'static str,
    /// (column, kind), in order.
    pub columns: &'static [(&'static str, Kind)],
    /// The column rows are read in the order of.
    pub order: &'static str,
}

use Kind::{Bool, Int, Text};

/// Every table, parents before the rows that reference them.
pub const TABLES: &[Table] = &[
    Table {
        name: "settings",
        columns: &[("key", Text), ("value", Text)],
        order: "key",
    },
    Table {
        name: "blueprint_sets",
        columns: &[("id", Int), ("loaded_at", Text)],
        order: "id",
    },
    Table {
        name: "blueprint_files",
        columns: &[
            ("set_id", Int),
            ("kind", Text),
            ("name", Text),
            ("text", Text),
        ],
        order: "set_id, kind, name",
    },
    Table {
        name: "blueprint_versions",
        columns: &[
            ("blueprint", Text),
            ("version", Int),
            ("declared_version", Int),
            ("fingerprint", Text),
            ("set_id", Int),
            ("state", Text),
            ("loaded_at", Text),
        ],
        order: "blueprint, version",
    },
    Table {
        name: "users",
        columns: &[
            ("name", Text),
            ("email", Text),
            ("admin", Bool),
            ("disabled", Bool),
            ("created_at", Text),
        ],
        order: "name",
    },
    Table {
        name: "groups",
        columns: &[("name", Text), ("created_at", Text)],
        order: "name",
    },
    Table {
        name: "group_members",
        columns: &[("group_name", Text), ("user_name", Text)],
        order: "group_name, user_name",
    },
    Table {
        name: "credentials",
        columns: &[
            ("id", Int),
            ("hash", Text),
            ("kind", Text),
            ("name", Text),
            ("created_at", Text),
            ("expires_at", Text),
            ("revoked_at", Text),
            ("last_used_at", Text),
        ],
        order: "id",
    },
    Table {
        name: "items",
        columns: &[
            ("id", Int),
            ("blueprint", Text),
            ("version", Int),
            ("parent", Int),
            ("name", Text),
            ("fields", Text),
            ("step", Text),
            ("finished", Bool),
            ("signoffs", Text),
            ("creator", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("revision", Int),
            ("due_at", Int),
            ("last_event", Int),
            ("subscribers", Text),
            ("signoff", Text),
            ("review_due", Int),
            ("owner", Text),
            ("barred", Text),
            ("skipped", Text),
        ],
        order: "id",
    },
    Table {
        name: "item_readers",
        columns: &[("item", Int), ("key", Text)],
        order: "item, key",
    },
    Table {
        name: "item_deploys",
        columns: &[("item", Int), ("infrastructure", Text), ("verdict", Text)],
        order: "item, infrastructure",
    },
    Table {
        name: "review_queue",
        columns: &[("key", Text), ("item", Int), ("grp", Text), ("due", Int)],
        order: "key, item, grp",
    },
    Table {
        name: "audit_events",
        columns: &[
            ("seq", Int),
            ("item", Int),
            ("item_prev", Int),
            ("actor", Text),
            ("action", Text),
            ("at", Text),
            ("details", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
        order: "seq",
    },
    Table {
        name: "audit_head",
        columns: &[("id", Int), ("seq", Int), ("hash", Text)],
        order: "id",
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Int),
            ("event_seq", Int),
            ("item", Int),
            ("recipient", Text),
            ("address", Text),
            ("subject", Text),
            ("body_text", Text),
            ("body_html", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Int),
            ("last_error", Text),
            ("created_at", Text),
            ("sent_at", Text),
            ("unsubscribe_url", Text),
        ],
        order: "id",
    },
    Table {
        name: "web_sessions",
        columns: &[
            ("id_hash", Text),
            ("credential", Text),
            ("csrf", Text),
            ("started_at", Int),
        ],
        order: "id_hash",
    },
];

/// What a copy moved: rows per table.
pub type Copied = Vec<(&'static str, usize)>;
