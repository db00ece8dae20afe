//! A field value as text: as the engine reads typed input (a list as `a,b`),
//! and as the web UI's forms and tables show it.

use serde_json::Value;

/// A field value as the engine reads typed input (a list as `a,b`), and as
/// the web UI's forms and tables show it.
pub(super) fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}
