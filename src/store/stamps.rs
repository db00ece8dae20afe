//! Instants as both stores keep them: RFC 3339 text in UTC, to the
//! microsecond, so that text order is time order.

use chrono::{DateTime, Utc};

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}
