//! The schema: its migrations, in order (the schema version is their count).

/// The migrations, in order; the schema version is their count.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE blueprint_sets (
    id INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL
);
CREATE TABLE blueprint_files (
    set_id INTEGER NOT NULL REFERENCES blueprint_sets(id),
    kind TEXT NOT NULL CHECK (kind IN ('gov', 'script')),
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (set_id, kind, name)
);
CREATE TABLE blueprint_versions (
    blueprint TEXT NOT NULL,
    version INTEGER NOT NULL,
    declared_version INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    set_id INTEGER NOT NULL REFERENCES blueprint_sets(id),
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (blueprint, version)
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    email TEXT,
    admin INTEGER NOT NULL DEFAULT 0,
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
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('api_key', 'token')),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX api_key_names ON credentials(name) WHERE kind = 'api_key';
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    blueprint TEXT NOT NULL,
    version INTEGER NOT NULL,
    parent INTEGER REFERENCES items(id),
    name TEXT NOT NULL,
    fields TEXT NOT NULL,
    step TEXT,
    finished INTEGER NOT NULL DEFAULT 0,
    signoffs TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    due_at INTEGER,
    FOREIGN KEY (blueprint, version) REFERENCES blueprint_versions(blueprint, version)
);
CREATE INDEX items_by_parent ON items(parent);
CREATE INDEX items_by_blueprint ON items(blueprint);
CREATE INDEX items_due ON items(due_at) WHERE due_at IS NOT NULL;
CREATE TABLE audit_events (
    item INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (item, seq)
) WITHOUT ROWID;
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
"#,
    r#"
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE subscriptions (
    user_name TEXT NOT NULL REFERENCES users(name),
    item INTEGER NOT NULL,
    subscribed INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_name, item)
);
CREATE INDEX subscriptions_by_item ON subscriptions(item);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL,
    item INTEGER,
    recipient TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (event_seq, recipient)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
"#,
    // An action writes as few pages as it can: the audit log is kept in
    // chain order (an append fills the last page), an item's timeline is a
    // list of links between its events (`item_prev`, from the item's
    // `last_event`), and the chain head is the log's last row.
    r#"
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    item INTEGER NOT NULL,
    item_prev INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_log (seq, item, item_prev, actor, action, at, details, prev_hash, hash)
    SELECT seq, item,
           CASE WHEN item = 0 THEN NULL
                ELSE (SELECT MAX(p.seq) FROM audit_events p WHERE p.item = e.item AND p.seq < e.seq) END,
           actor, action, at, details, prev_hash, hash
    FROM audit_events e ORDER BY seq;
DROP TABLE audit_events;
ALTER TABLE audit_log RENAME TO audit_events;
ALTER TABLE items ADD COLUMN last_event INTEGER;
UPDATE items SET last_event = (SELECT MAX(seq) FROM audit_events WHERE item = items.id);
"#,
    // Who follows an item lives in the item's row (a map user -> followed),
    // so subscribing as part of an action writes no other page, and mail is
    // addressed from rows already read. Rows of deleted items go with them.
    // No query filters items by blueprint through an index.
    r#"
ALTER TABLE items ADD COLUMN subscribers TEXT NOT NULL DEFAULT '{}';
UPDATE items SET subscribers = (
    SELECT json_group_object(user_name, json(CASE WHEN subscribed THEN 'true' ELSE 'false' END))
    FROM subscriptions WHERE item = items.id)
WHERE EXISTS (SELECT 1 FROM subscriptions WHERE item = items.id);
DROP TABLE subscriptions;
DROP INDEX items_by_blueprint;
"#,
    // 5: people and credentials have a life cycle. A disabled user keeps
    // their history; a revoked credential keeps its row (when and who
    // revoked it is in the audit trail), and an API key's name is free
    // again once it is revoked.
    r#"
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN expires_at TEXT;
ALTER TABLE credentials ADD COLUMN revoked_at TEXT;
ALTER TABLE credentials ADD COLUMN last_used_at TEXT;
DROP INDEX api_key_names;
CREATE UNIQUE INDEX api_key_names ON credentials(name) WHERE kind = 'api_key' AND revoked_at IS NULL;
"#,
    // 6: a message keeps its one-click unsubscribe link for its
    // `List-Unsubscribe` header (RFC 8058).
    r#"
ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT;
"#,
    // 7: web sessions live in the database, so every daemon on it knows
    // them and a restart signs nobody out. The id is kept as its hash.
    r#"
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    credential TEXT NOT NULL,
    csrf TEXT NOT NULL,
    started_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_start ON web_sessions(started_at);
"#, // 8: the answers of POST requests sent with an `Idempotency-Key`, kept
    // a day, so a retried request is answered without acting again.
    r#"
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_start ON idempotency_keys(started_at);
"#, // 9: the lifecycle of blueprint versions: DRAFT, ACTIVE or ARCHIVED
    // (what was stored before is ACTIVE, as it took items).
    r#"
ALTER TABLE blueprint_versions ADD COLUMN state TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('DRAFT', 'ACTIVE', 'ARCHIVED'));
"#, // 10: the status kept beside each item, so that every list is one
    // indexed query: the current sign-off's state and due time, the owner,
    // who may read it, its deploy verdicts, the reviews it waits for and who
    // may not give them. The engine fills it for the items already there.
    r#"
ALTER TABLE items ADD COLUMN signoff TEXT;
ALTER TABLE items ADD COLUMN review_due INTEGER;
ALTER TABLE items ADD COLUMN owner TEXT;
CREATE INDEX items_by_blueprint ON items(blueprint, id);
CREATE INDEX items_by_step ON items(blueprint, step, id);
CREATE INDEX items_by_signoff ON items(signoff, id) WHERE signoff IS NOT NULL;
CREATE INDEX items_by_owner ON items(owner, id) WHERE owner IS NOT NULL;
CREATE INDEX items_by_update ON items(updated_at, id);
CREATE INDEX items_by_blueprint_update ON items(blueprint, updated_at, id);
CREATE INDEX items_by_review_due ON items(review_due, id) WHERE review_due IS NOT NULL;
CREATE TABLE item_readers (
    item INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (item, key)
) WITHOUT ROWID;
CREATE TABLE item_deploys (
    item INTEGER NOT NULL,
    infrastructure TEXT NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (item, infrastructure)
) WITHOUT ROWID;
CREATE INDEX item_deploys_by_verdict ON item_deploys(infrastructure, verdict, item);
CREATE TABLE review_queue (
    key TEXT NOT NULL,
    item INTEGER NOT NULL,
    grp TEXT NOT NULL,
    due INTEGER NOT NULL,
    PRIMARY KEY (key, item, grp)
) WITHOUT ROWID;
CREATE INDEX review_queue_by_due ON review_queue(key, due, item, grp);
CREATE INDEX review_queue_by_item ON review_queue(item);
CREATE TABLE review_barred (
    item INTEGER NOT NULL,
    grp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (item, grp, user_name)
) WITHOUT ROWID;
"#, // 11: a page of every blueprint's items by update time is read as one
    // ranged scan of `items_by_blueprint_update` per blueprint, so the index
    // of all items by update time is not needed, and an action no longer
    // writes it.
    r#"
DROP INDEX items_by_update;
"#, // 12: who is barred from an item's reviews is kept on its row (a JSON
    // array of [group, user] pairs), which every action writes anyway.
    r#"
ALTER TABLE items ADD COLUMN barred TEXT NOT NULL DEFAULT '[]';
UPDATE items SET barred = (
    SELECT json_group_array(json_array(grp, user_name)) FROM (
        SELECT grp, user_name FROM review_barred b WHERE b.item = items.id ORDER BY grp, user_name
    )
) WHERE id IN (SELECT item FROM review_barred);
DROP TABLE review_barred;
"#, // 13: the steps found not to apply to an item (conditional steps), by
    // step id, with the condition and the values that decided.
    r#"
ALTER TABLE items ADD COLUMN skipped TEXT NOT NULL DEFAULT '{}';
"#, // 14: the deletions in the audit log, found without reading the log (the
    // controls report's retired items). Partial: no other event writes it.
    r#"
CREATE INDEX audit_deletions ON audit_events(seq) WHERE action = 'item.delete';
"#, // 15: a blueprint's items by name, for tables sorted by name (tables by
    // step read `items_by_step`). Written when an item is created or renamed.
    r#"
CREATE INDEX items_by_name ON items(blueprint, name, id);
"#,
];

// The audit log is one hash chain in `seq` order (the rowid), so an append
// writes the log's last page and nothing else of the log. Each item's events
// are linked (`item_prev`) from the item row's `last_event`, so a timeline
// is a walk of the links, and every event about a live item is pointed at by
// that item: deleting the last events is detected (see `Tx::verify_chain`).
// `audit_head` records the last event no item row points at (events about no
// item, and deletions), for the same reason.
