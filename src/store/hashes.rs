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

/// The SHA-256 of a secret, as stored (secrets themselves never are).
pub fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}
