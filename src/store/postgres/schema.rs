//! The PostgreSQL schema: its migrations, in order (the schema version is
//! their count, kept in `govrt_schema`). The first is the whole schema of
//! the SQLite backend's sixth version, in PostgreSQL's types; timestamps
//! are the same RFC 3339 text, so audit hashes are the same on both.

/// The migrations, in order.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE blueprint_sets (
    id BIGSERIAL PRIMARY KEY,
    loaded_at TEXT NOT NULL
);
CREATE TABLE blueprint_files (
    set_id BIGINT NOT NULL REFERENCES blueprint_sets(id),
    kind TEXT NOT NULL CHECK (kind IN ('gov', 'script')),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (set_id, kind, name)
);
CREATE TABLE blueprint_versions (
    blueprint TEXT NOT NULL,
    version BIGINT NOT NULL,
    declared_version BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    set_id BIGINT NOT NULL REFERENCES blueprint_sets(id),
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (blueprint, version)
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    email TEXT,
    admin BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);
CREATE TABLE groups (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE group_members (
    group_name TEXT NOT NULL REFERENCES groups(name),
    user_name TEXT NOT NULL REFERENCES users(name),
    PRIMARY KEY (group_name, user_name)
);
CREATE TABLE credentials (
    id BIGSERIAL UNIQUE,
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('api_key', 'token')),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE UNIQUE INDEX api_key_names ON credentials(name) WHERE kind = 'api_key' AND revoked_at IS NULL;
CREATE TABLE items (
    id BIGSERIAL PRIMARY KEY,
    blueprint TEXT NOT NULL,
    version BIGINT NOT NULL,
    parent BIGINT REFERENCES items(id),
    name TEXT NOT NULL,
    fields TEXT NOT NULL,
    step TEXT,
    finished BOOLEAN NOT NULL DEFAULT FALSE,
    signoffs TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision BIGINT NOT NULL,
    due_at BIGINT,
    last_event BIGINT,
    subscribers TEXT NOT NULL DEFAULT '{}',
    FOREIGN KEY (blueprint, version) REFERENCES blueprint_versions(blueprint, version)
);
CREATE INDEX items_by_parent ON items(parent);
CREATE INDEX items_due ON items(due_at) WHERE due_at IS NOT NULL;
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    item BIGINT NOT NULL,
    item_prev BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_item ON audit_events(item, seq);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    event_seq BIGINT NOT NULL,
    item BIGINT,
    recipient TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    unsubscribe_url TEXT,
    UNIQUE (event_seq, recipient)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
"#,
    // 2: web sessions, as the SQLite backend's seventh.
    r#"
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    credential TEXT NOT NULL,
    csrf TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_by_start ON web_sessions(started_at);
"#, // 3: as the SQLite backend's eighth: the answers of POST requests sent with an `Idempotency-Key`, kept
    // a day, so a retried request is answered without acting again.
    r#"
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT,
    body TEXT,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_start ON idempotency_keys(started_at);
"#, // 4: as the SQLite backend's ninth: the lifecycle of blueprint versions.
    r#"
ALTER TABLE blueprint_versions ADD COLUMN state TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('DRAFT', 'ACTIVE', 'ARCHIVED'));
"#, // 5: as the SQLite backend's tenth: the status kept beside each item.
    r#"
ALTER TABLE items ADD COLUMN signoff TEXT;
ALTER TABLE items ADD COLUMN review_due BIGINT;
ALTER TABLE items ADD COLUMN owner TEXT;
CREATE INDEX items_by_blueprint ON items(blueprint, id);
CREATE INDEX items_by_step ON items(blueprint, step, id);
CREATE INDEX items_by_signoff ON items(signoff, id) WHERE signoff IS NOT NULL;
CREATE INDEX items_by_owner ON items(owner, id) WHERE owner IS NOT NULL;
CREATE INDEX items_by_update ON items(updated_at, id);
CREATE INDEX items_by_blueprint_update ON items(blueprint, updated_at, id);
CREATE INDEX items_by_review_due ON items(review_due, id) WHERE review_due IS NOT NULL;
CREATE TABLE item_readers (
    item BIGINT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (item, key)
);
CREATE TABLE item_deploys (
    item BIGINT NOT NULL,
    infrastructure TEXT NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (item, infrastructure)
);
CREATE INDEX item_deploys_by_verdict ON item_deploys(infrastructure, verdict, item);
CREATE TABLE review_queue (
    key TEXT NOT NULL,
    item BIGINT NOT NULL,
    grp TEXT NOT NULL,
    due BIGINT NOT NULL,
    PRIMARY KEY (key, item, grp)
);
CREATE INDEX review_queue_by_due ON review_queue(key, due, item, grp);
CREATE INDEX review_queue_by_item ON review_queue(item);
CREATE TABLE review_barred (
    item BIGINT NOT NULL,
    grp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (item, grp, user_name)
);
"#, // 6: as the SQLite backend's eleventh: no index of all items by update time.
    r#"
DROP INDEX items_by_update;
"#, // 7: as the SQLite backend's twelfth: who is barred, on the item's row.
    r#"
ALTER TABLE items ADD COLUMN barred TEXT NOT NULL DEFAULT '[]';
UPDATE items i SET barred = (
    SELECT jsonb_agg(jsonb_build_array(grp, user_name) ORDER BY grp COLLATE "C", user_name COLLATE "C")::text
    FROM review_barred b WHERE b.item = i.id
) WHERE id IN (SELECT item FROM review_barred);
DROP TABLE review_barred;
"#, // 8: as the SQLite backend's thirteenth: the steps skipped, on the item's row.
    r#"
ALTER TABLE items ADD COLUMN skipped TEXT NOT NULL DEFAULT '{}';
"#, // 9: as the SQLite backend's fourteenth: the deletions in the audit log, indexed.
    r#"
CREATE INDEX audit_deletions ON audit_events(seq) WHERE action = 'item.delete';
"#, // 10: as the SQLite backend's fifteenth: a blueprint's items by name; and
    // the index by step made bytewise, as SQLite's is, for tables by step.
    r#"
CREATE INDEX items_by_name ON items(blueprint, name COLLATE "C", id);
DROP INDEX items_by_step;
CREATE INDEX items_by_step ON items(blueprint, step COLLATE "C", id);
"#,
];
