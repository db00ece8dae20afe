//! The one set of domain operations the engine stores through, written
//! once as a list: the [`Ops`] trait both backends implement (each with
//! inherent methods of these names, which [`forward_ops!`] forwards to), and
//! what is the same on both (reading events with their details, verifying
//! the audit chain).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::StoreError;
use super::copy::{Cell, Table};
use super::hashes::{GENESIS, event_hash};
use super::index::*;
use super::rows::*;

/// Calls `$callback!` with the operations' signatures (and `$extra` first).
macro_rules! with_operations {
    ($callback:ident $($extra:tt)*) => {
        $callback! { [$($extra)*]
            /// A setting, set to `value` unless it was set already: its value.
            fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError>;
            /// Sets a setting.
            fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError>;
            /// A setting's value, if it is set.
            fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
            /// Appends an event to the hash chain; returns its sequence number.
            fn append_event(&self, item: Option<i64>, actor: &str, action: &str, at: DateTime<Utc>, details: &serde_json::Value) -> Result<i64, StoreError>;
            /// The events of one item, in chain order, as stored.
            fn raw_events(&self, item: i64) -> Result<Vec<RawEvent>, StoreError>;
            /// At most `limit` events of one item after the sequence number `after`, in chain order.
            fn raw_events_after(&self, item: i64, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError>;
            /// At most `limit` events of the whole chain after the sequence number `after`, in chain order.
            fn raw_chain_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError>;
            /// At most `limit` deletions of items (events `item.delete`) after
            /// the sequence number `after`, in chain order, read from the
            /// log's index of deletions.
            fn raw_deletions_after(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError>;
            /// Each live item's last event (`None` for an item without one), by item.
            fn last_events(&self) -> Result<Vec<(i64, Option<i64>)>, StoreError>;
            /// The last event no item row points at: (seq, hash).
            fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError>;
            /// Stores a loaded blueprint set's files; returns its id.
            fn insert_blueprint_set(&self, files: &[(String, String)], scripts: &[(String, String)], now: DateTime<Utc>) -> Result<i64, StoreError>;
            /// The newest stored version of a blueprint, with its fingerprint.
            fn latest_blueprint_version(&self, blueprint: &str) -> Result<Option<(u32, String)>, StoreError>;
            /// Stores a version of a blueprint.
            fn insert_blueprint_version(&self, v: &NewVersion<'_>, now: DateTime<Utc>) -> Result<(), StoreError>;
            /// The newest version of a blueprint in `state`.
            fn newest_version_in(&self, blueprint: &str, state: &str) -> Result<Option<u32>, StoreError>;
            /// Sets a stored version's state: the state it was in, if there is such a version.
            fn set_version_state(&self, blueprint: &str, version: u32, state: &str) -> Result<Option<String>, StoreError>;
            /// Every stored blueprint version.
            fn blueprint_versions(&self) -> Result<Vec<BlueprintVersionRow>, StoreError>;
            /// The `.gov` files and scripts of a stored set.
            fn blueprint_set_files(&self, set_id: i64) -> Result<(NamedTexts, NamedTexts), StoreError>;
            /// Adds a user; false if the name is taken.
            fn insert_user(&self, name: &str, email: Option<&str>, admin: bool, now: DateTime<Utc>) -> Result<bool, StoreError>;
            /// A user by name.
            fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError>;
            /// The mail address of each of `names` (none for a user without one, or no such user), in their order.
            fn addresses(&self, names: &[String]) -> Result<Vec<Option<String>>, StoreError>;
            /// Every user, by name.
            fn users(&self) -> Result<Vec<UserRow>, StoreError>;
            /// At most `limit` users by name, after the name `after`.
            fn users_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<UserRow>, StoreError>;
            /// Adds a group; false if the name is taken.
            fn insert_group(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
            /// Whether a group exists.
            fn group_exists(&self, name: &str) -> Result<bool, StoreError>;
            /// Adds a member to a group; false if they were one.
            fn add_member(&self, group: &str, user: &str) -> Result<bool, StoreError>;
            /// Every group with its members.
            fn groups(&self) -> Result<Vec<(String, Vec<String>)>, StoreError>;
            /// The groups of a user.
            fn groups_of(&self, user: &str) -> Result<Vec<String>, StoreError>;
            /// Stores a credential (its secret's hash); false if taken.
            fn insert_credential(&self, kind: &str, name: &str, hash: &str, now: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> Result<bool, StoreError>;
            /// A credential by its secret's hash.
            fn credential(&self, hash: &str) -> Result<Option<CredentialRow>, StoreError>;
            /// Credentials of a kind (of one name).
            fn credentials(&self, kind: &str, name: Option<&str>) -> Result<Vec<CredentialRow>, StoreError>;
            /// Revokes a credential by id or name: the row as it was, if one was live.
            fn revoke_credential(&self, kind: &str, id: Option<i64>, name: Option<&str>, now: DateTime<Utc>) -> Result<Option<CredentialRow>, StoreError>;
            /// Records a credential's use.
            fn touch_credential(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;
            /// Disables or enables a user; false if there is none.
            fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError>;
            /// Sets or clears a user's address; false if there is none.
            fn set_user_email(&self, name: &str, email: Option<&str>) -> Result<bool, StoreError>;
            /// Removes a member from a group; false if they were none.
            fn remove_member(&self, group: &str, user: &str) -> Result<bool, StoreError>;
            /// Inserts an item (its id is assigned); returns the id.
            fn insert_item(&self, item: &Item) -> Result<i64, StoreError>;
            /// At most `limit` items after the id `after`, optionally of one blueprint and/or under one parent, by id.
            fn items_after(&self, blueprint: Option<&str>, parent: Option<i64>, after: i64, limit: i64) -> Result<Vec<Item>, StoreError>;
            /// An item by id.
            fn item(&self, id: i64) -> Result<Option<Item>, StoreError>;
            /// An item by id, read to be changed in this transaction: where the
            /// backend caches items, the cached row is handed over instead of
            /// copied (the change writes a new one).
            fn item_to_change(&self, id: i64) -> Result<Option<Item>, StoreError>;
            /// The ancestors of `item`, nearest first (64 at most).
            fn ancestors(&self, item: &Item) -> Result<Vec<Item>, StoreError>;
            /// Writes `u.item`, a change of `u.before`, with its audit event and
            /// what changed of its kept index, if the stored revision is still
            /// `u.before`'s: the event's sequence number, or `None` (nothing
            /// written) if the item moved on.
            fn update_item(&self, u: &ItemUpdate<'_>) -> Result<Option<i64>, StoreError>;
            /// Writes what changed of an item's kept index from `before` (`None`: nothing kept yet) to `after`.
            fn write_index(&self, item: i64, before: Option<&ItemIndex>, after: &ItemIndex) -> Result<(), StoreError>;
            /// The kept index of an item, as stored (`None`: no such item).
            fn item_index(&self, item: i64) -> Result<Option<ItemIndex>, StoreError>;
            /// A filtered, sorted page of items, read from the kept index.
            fn query_items(&self, q: &ItemQuery) -> Result<Page<Item, ItemSeek>, StoreError>;
            /// The reviews queued for one of `q.keys` that `q.user` is not barred from, in `q.seek`'s order: at most `q.limit`.
            fn queued_reviews(&self, q: &ReviewQuery) -> Result<Vec<QueuedReview>, StoreError>;
            /// Deletes an item (and its kept index), auditing it with `event`
            /// (action `item.delete`): the event is linked to the item's
            /// last one, then the row goes, and the chain's head record
            /// points at the event. Returns its sequence number.
            fn delete_item(&self, id: i64, event: &NewEvent<'_>) -> Result<i64, StoreError>;
            /// Items, optionally of one blueprint and/or under one parent, by id.
            fn items(&self, blueprint: Option<&str>, parent: Option<i64>) -> Result<Vec<Item>, StoreError>;
            /// Whether an item has children.
            fn has_children(&self, id: i64) -> Result<bool, StoreError>;
            /// Ids of items with scheduled work due at or before `now`.
            fn items_due(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError>;
            /// Claims an idempotency key for a request (forgetting, first, the records answered before `expired_before` and those left unanswered since before `stale_before`): `None` if it is now this request's, else the record that holds it.
            fn claim_idempotency_key(&self, scope: &str, key: &str, request_hash: &str, now: i64, stale_before: i64, expired_before: i64) -> Result<Option<IdempotencyRow>, StoreError>;
            /// Records the answer of a claimed key's request.
            fn answer_idempotency_key(&self, scope: &str, key: &str, status: u16, body: &str) -> Result<(), StoreError>;
            /// Frees a claimed key whose request failed (so a retry acts).
            fn release_idempotency_key(&self, scope: &str, key: &str) -> Result<(), StoreError>;
            /// Queues the messages of an event.
            fn queue_messages(&self, event_seq: i64, item: Option<i64>, messages: &[NewMessage], now: DateTime<Utc>) -> Result<(), StoreError>;
            /// The outbox, newest first (pending messages only with `pending_only`).
            fn outbox(&self, pending_only: bool) -> Result<Vec<OutboxRow>, StoreError>;
            /// The messages waiting to be delivered, and when the oldest was queued.
            fn outbox_backlog(&self) -> Result<(i64, Option<DateTime<Utc>>), StoreError>;
            /// Claims the oldest message due for sending (or whose claim went stale), if any.
            fn claim_next_message(&self, now: i64, stale_before: i64) -> Result<Option<OutboxRow>, StoreError>;
            /// Records that the server accepted a message.
            fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;
            /// Records a failed attempt: retried at `retry_at`, or given up on.
            fn mark_failed(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<(), StoreError>;
            /// Follows (or stops following) an item; false if the item is gone.
            fn set_subscription(&self, user: &str, item: i64, subscribed: bool) -> Result<bool, StoreError>;
            /// The items a user follows (true) or asked not to (false).
            fn subscriptions_of_user(&self, user: &str) -> Result<Vec<(i64, bool)>, StoreError>;
            /// At most `limit` of a user's subscriptions after the item `after`, by item.
            fn subscriptions_after(&self, user: &str, after: i64, limit: i64) -> Result<Vec<(i64, bool)>, StoreError>;
            /// Stores a web session: its id's hash, the hash of the credential it
            /// signed in with, its CSRF secret, when it began (epoch seconds).
            fn insert_session(&self, id_hash: &str, credential: &str, csrf: &str, started_at: i64) -> Result<(), StoreError>;
            /// A web session by its id's hash: (credential hash, CSRF secret, start).
            fn session(&self, id_hash: &str) -> Result<Option<(String, String, i64)>, StoreError>;
            /// Ends a web session.
            fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;
            /// Forgets the web sessions that began before `started_before`.
            fn delete_sessions_before(&self, started_before: i64) -> Result<(), StoreError>;
            /// Every row of a table, in its order (for `db copy`).
            fn dump_rows(&self, table: &Table) -> Result<Vec<Vec<Cell>>, StoreError>;
            /// Replaces a table's rows with these (for `db copy`).
            fn load_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), StoreError>;
            /// After a copy: id sequences continue after the copied ids.
            fn after_load(&self) -> Result<(), StoreError>;
        }
    };
}

macro_rules! define_ops {
    ([] $($(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        /// The domain operations of one transaction (see the module).
        pub trait Ops {
            $($(#[$doc])* fn $name(&self $(, $arg: $ty)*) -> $ret;)*

            /// Commits; then keeps `item`, as this transaction wrote it, in
            /// the connection's cache where the backend has one.
            fn commit_keeping(self: Box<Self>, item: Option<Item>) -> Result<(), StoreError>;

            /// The events of one item, in order, details parsed.
            fn events(&self, item: i64) -> Result<Vec<EventRow>, StoreError> {
                parsed_events(self.raw_events(item)?)
            }

            /// A page of one item's events ([`Ops::raw_events_after`]), details parsed.
            fn events_after(&self, item: i64, after: i64, limit: i64) -> Result<Vec<EventRow>, StoreError> {
                parsed_events(self.raw_events_after(item, after, limit)?)
            }

            /// Every deletion of an item in the chain, in order, details
            /// parsed: read from the log's index of deletions, a page at a
            /// time, so the rest of the log is not read.
            fn deletions(&self) -> Result<Vec<EventRow>, StoreError> {
                let mut out = Vec::new();
                for page in deletion_pages(self, CHAIN_PAGE) {
                    out.extend(parsed_events(page?)?);
                }
                Ok(out)
            }

            /// Verifies the hash chain: Ok(number of events) or the first break.
            ///
            /// Besides each event's hash and its link to the one before, every
            /// pointer into the chain must still lead to the right event: each
            /// event's link to its item's previous event, each live item's last
            /// event, and the head record (the last event no item points at). So
            /// deleting events at the end is detected as well as in the middle.
            fn verify_chain(&self) -> Result<Result<usize, String>, StoreError> {
                verify_in_pages(self, CHAIN_PAGE)
            }
        }
    };
}

/// Implements [`Ops`] for a backend's transaction by forwarding each
/// operation to its inherent method of the same name.
macro_rules! forward_ops {
    ([$t:ty] $($(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl $crate::store::ops::Ops for $t {
            $(fn $name(&self $(, $arg: $ty)*) -> $ret { <$t>::$name(self $(, $arg)*) })*

            fn commit_keeping(self: Box<Self>, item: Option<Item>) -> Result<(), StoreError> {
                <$t>::commit_keeping(*self, item)
            }
        }
    };
}

with_operations!(define_ops);

/// Events the chain check (and any walk of the whole chain) reads at a
/// time: its memory is a page and each item's last event, whatever the
/// length of the chain.
pub const CHAIN_PAGE: i64 = 10_000;

/// The whole chain in order (or the part of it one read takes: its
/// deletions), `page` events at a time, in `tx`'s read.
pub struct ChainPages<'t, T: Ops + ?Sized> {
    tx: &'t T,
    page: i64,
    after: Option<i64>,
    /// At most `limit` events after a sequence number, in chain order.
    read: fn(&T, i64, i64) -> Result<Vec<RawEvent>, StoreError>,
}

/// The pages of the whole chain ([`ChainPages`]).
pub fn chain_pages<T: Ops + ?Sized>(tx: &T, page: i64) -> ChainPages<'_, T> {
    ChainPages {
        tx,
        page,
        after: Some(0),
        read: T::raw_chain_after,
    }
}

/// The pages of the chain's deletions ([`Ops::raw_deletions_after`]).
pub fn deletion_pages<T: Ops + ?Sized>(tx: &T, page: i64) -> ChainPages<'_, T> {
    ChainPages {
        read: T::raw_deletions_after,
        ..chain_pages(tx, page)
    }
}

impl<T: Ops + ?Sized> Iterator for ChainPages<'_, T> {
    type Item = Result<Vec<RawEvent>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let after = self.after?;
        let events = match (self.read)(self.tx, after, self.page) {
            Ok(events) => events,
            Err(e) => {
                self.after = None;
                return Some(Err(e));
            }
        };
        // A short page is the last one.
        self.after = events
            .last()
            .filter(|_| events.len() as i64 == self.page)
            .map(|last| last.seq);
        (!events.is_empty()).then_some(Ok(events))
    }
}

/// [`Ops::verify_chain`], reading the chain `page` events at a time.
pub(crate) fn verify_in_pages<T: Ops + ?Sized>(
    tx: &T,
    page: i64,
) -> Result<Result<usize, String>, StoreError> {
    let head = tx.audit_head()?;
    let mut check = ChainCheck::new(head.as_ref().map(|(seq, _)| *seq));
    for events in chain_pages(tx, page) {
        for e in &events? {
            if let Err(why) = check.event(e) {
                return Ok(Err(why));
            }
        }
    }
    Ok(check.finish(head, &tx.last_events()?))
}

/// The chain check of [`Ops::verify_chain`], fed the events in chain order.
struct ChainCheck {
    prev: String,
    expected_seq: i64,
    last_of: HashMap<i64, i64>,
    /// The event the head record points at, and its hash once passed.
    head: Option<i64>,
    head_hash: Option<String>,
}

impl ChainCheck {
    fn new(head: Option<i64>) -> Self {
        ChainCheck {
            prev: GENESIS.to_string(),
            expected_seq: 1,
            last_of: HashMap::new(),
            head,
            head_hash: None,
        }
    }

    /// Checks the next event: its number, its link to the one before, its
    /// hash and its link to its item's previous event.
    fn event(&mut self, e: &RawEvent) -> Result<(), String> {
        let (seq, prev_hash, hash) = (&e.seq, &e.prev_hash, &e.hash);
        let expected_seq = self.expected_seq;
        if *seq != expected_seq {
            return Err(format!(
                "event {expected_seq} is missing (the next one is {seq})"
            ));
        }
        if *prev_hash != self.prev {
            return Err(format!(
                "event {seq} does not follow event {}: its previous hash was changed",
                seq - 1
            ));
        }
        let computed = event_hash(
            prev_hash, *seq, e.item, &e.actor, &e.action, &e.at, &e.details,
        );
        if computed != *hash {
            return Err(format!(
                "event {seq} was changed after it was written (its hash does not match)"
            ));
        }
        if let Some(item) = e.item
            && self.last_of.insert(item, *seq) != e.item_prev
        {
            return Err(format!(
                "event {seq} is not linked to the previous event of item {item}: its link was changed"
            ));
        }
        if self.head == Some(*seq) {
            self.head_hash = Some(hash.clone());
        }
        self.prev = hash.clone();
        self.expected_seq += 1;
        Ok(())
    }

    /// After the last event: every pointer into the chain (the head record,
    /// each live item's last event) leads to the right event. Ok(number of
    /// events) or the first break.
    fn finish(
        self,
        head: Option<(i64, String)>,
        last_events: &[(i64, Option<i64>)],
    ) -> Result<usize, String> {
        let end = self.expected_seq - 1;
        let deleted = |pointer: String, seq: i64| {
            Err(format!(
                "the chain ends at event {end} but {pointer} event {seq}: events were deleted"
            ))
        };
        let Some((head, head_hash)) = head else {
            return Err("the chain's head record is missing".into());
        };
        if head > end {
            return deleted("the head record points at".into(), head);
        }
        if head > 0 && self.head_hash.as_deref() != Some(head_hash.as_str()) {
            return Err(format!(
                "the head record does not match event {head}: the chain was rewritten"
            ));
        }
        for &(item, last) in last_events {
            match last {
                Some(last) if last > end => {
                    return deleted(format!("item {item} points at"), last);
                }
                Some(last) if self.last_of.get(&item) != Some(&last) => {
                    return Err(format!(
                        "item {item} points at event {last}, which is not its last event: events were deleted or changed"
                    ));
                }
                None if self.last_of.contains_key(&item) => {
                    return Err(format!(
                        "item {item} has events but points at none: its link was changed"
                    ));
                }
                _ => {}
            }
        }
        Ok(usize::try_from(end).unwrap_or(0))
    }
}

/// Events as stored, their details parsed.
pub fn parsed_events(raw: Vec<RawEvent>) -> Result<Vec<EventRow>, StoreError> {
    raw.into_iter()
        .map(|e| {
            Ok(EventRow {
                details: serde_json::from_str(&e.details)?,
                seq: e.seq,
                item: e.item,
                actor: e.actor,
                action: e.action,
                at: e.at,
                prev_hash: e.prev_hash,
                hash: e.hash,
            })
        })
        .collect()
}
