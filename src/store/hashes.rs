//! The hashes the store computes: the audit chain's event hashes, and the
//! hashes credentials are stored as (their secrets never are).

use sha2::{Digest, Sha256};

/// The hash an empty audit chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an event, chained to the previous one.
pub fn event_hash(
    prev_hash: &str,
    seq: i64,
    item: Option<i64>,
    actor: &str,
    action: &str,
    at: &str,
    details: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        &item.map_or(String::new(), |i| i.to_string()),
        actor,
        action,
        at,
        details,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("{:x}", h.finalize())
}

/// An event made ready to append after the chain's last event: its
/// sequence number, the text stored (and hashed) for its time and details,
/// the previous hash and its own.
pub(crate) struct Link {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) details: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

/// Links `event` about `item` after `last` (the chain's last event as
/// (seq, hash); none for an empty chain). Both backends append through it.
pub(crate) fn link(
    last: Option<(i64, String)>,
    item: Option<i64>,
    event: &super::rows::NewEvent<'_>,
) -> Result<Link, serde_json::Error> {
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_string()));
    let seq = prev_seq + 1;
    let at = super::stamps::ts(event.at);
    let details = serde_json::to_string(event.details)?;
    let hash = event_hash(
        &prev_hash,
        seq,
        item,
        event.actor,
        event.action,
        &at,
        &details,
    );
    Ok(Link {
        seq,
        at,
        details,
        prev_hash,
        hash,
    })
}

/// The SHA-256 of a secret, as stored (secrets themselves never are).
pub fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}
