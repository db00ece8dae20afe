//! Values as the language and every front end write them, parsed without a
//! source file to point into: date-times and principal references. The
//! checker, the engine, the CLI and the server all read them here.

use chrono::{NaiveDateTime, TimeZone, Utc};

use super::PrincipalRef;

/// Parses a date-time as the language writes it; `None` if it is not a real one.
pub fn parse_date_time(text: &str) -> Option<chrono::DateTime<Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z") {
        return Some(t.with_timezone(&Utc));
    }
    let naive = text.trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
        .map(|t| Utc.from_utc_datetime(&t))
}

/// Parses `user:alice`, `group:risk`, `api_key:bot`, `role:owner`; a bare name is a user.
pub fn parse_principal_ref(text: &str) -> Option<PrincipalRef> {
    let (kind, name) = text.split_once(':').unwrap_or(("user", text));
    if name.is_empty() {
        return None;
    }
    let name = name.to_string();
    Some(match kind {
        "user" => PrincipalRef::User(name),
        "group" => PrincipalRef::Group(name),
        "api_key" => PrincipalRef::ApiKey(name),
        "role" => PrincipalRef::Role(name),
        _ => return None,
    })
}
