//! Field values as the runtime stores them: plain JSON, typed by the field.
//!
//! text, url, attachment, enum, date (`YYYY-MM-DD`), datetime (RFC 3339),
//! user and group names, and item ids are strings; principals are
//! `"user:alice"`, `"group:risk"`, `"api_key:bot"`, `"role:owner"`; numbers are
//! numbers; lists are arrays.

use serde_json::Value as Json;

use crate::model::parse::{parse_date_time, parse_principal_ref};
use crate::model::{FieldType, PrincipalRef, Value};

/// A value the user typed, parsed for a field of type `ty`; the error says why it does not fit.
pub fn parse_input(ty: &FieldType, text: &str) -> Result<Json, String> {
    if let FieldType::List { of } = ty {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Json::Array(Vec::new()));
        }
        return text
            .split(',')
            .map(|part| parse_input(of, part.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array);
    }
    let fail = |why: &str| Err(format!("`{text}` is not {why}"));
    match ty {
        FieldType::Text | FieldType::Attachment => Ok(Json::String(text.to_string())),
        FieldType::Url => {
            if text.contains("://") && !text.contains(char::is_whitespace) {
                Ok(Json::String(text.to_string()))
            } else {
                fail("a URL (write it with its scheme, e.g. `https://…`)")
            }
        }
        FieldType::Int { min, max } => match text.parse::<i64>() {
            Ok(n) if min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi) => {
                Err(format!("`{n}` is outside {}", ty.describe()))
            }
            Ok(n) => Ok(Json::from(n)),
            Err(_) => fail("a whole number"),
        },
        FieldType::Number => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Json::from(n)),
            _ => fail("a number"),
        },
        FieldType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(Json::Bool(true)),
            "false" | "no" => Ok(Json::Bool(false)),
            _ => fail("`true` or `false`"),
        },
        FieldType::Date => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => Ok(Json::String(d.to_string())),
            Err(_) => fail("a date (`YYYY-MM-DD`)"),
        },
        FieldType::DateTime => match parse_date_time(text) {
            Some(t) => Ok(Json::String(
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )),
            None => fail("an RFC 3339 date-time (`2027-01-31T09:00:00Z`)"),
        },
        FieldType::Enum { variants } => {
            if variants.iter().any(|v| v == text) {
                Ok(Json::String(text.to_string()))
            } else {
                Err(format!("`{text}` is not one of {}", variants.join(", ")))
            }
        }
        FieldType::User | FieldType::Group => {
            let name = text.split_once(':').map_or(text, |(kind, name)| {
                if (kind == "user" && *ty == FieldType::User)
                    || (kind == "group" && *ty == FieldType::Group)
                {
                    name
                } else {
                    text
                }
            });
            if name.is_empty() || name.contains(':') || name.contains(char::is_whitespace) {
                fail(if *ty == FieldType::User {
                    "a user name"
                } else {
                    "a group name"
                })
            } else {
                Ok(Json::String(name.to_string()))
            }
        }
        FieldType::Principal => match parse_principal_ref(text) {
            Some(p) => Ok(Json::String(principal_text(&p))),
            None => fail(
                "a principal (`user:alice`, `group:risk`, `api_key:bot`, `role:owner`, or a user name)",
            ),
        },
        FieldType::Ref { .. } => match text.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Json::String(id.to_string())),
            _ => fail("an item id"),
        },
        FieldType::List { .. } => fail("a list"),
    }
}

/// `user:alice`.
pub fn principal_text(p: &PrincipalRef) -> String {
    match p {
        PrincipalRef::User(n) => format!("user:{n}"),
        PrincipalRef::Group(n) => format!("group:{n}"),
        PrincipalRef::ApiKey(n) => format!("api_key:{n}"),
        PrincipalRef::Role(n) => format!("role:{n}"),
    }
}

/// A blueprint default as a stored value.
pub fn default_json(value: &Value, ty: &FieldType) -> Json {
    match (value, ty) {
        (Value::Text(s) | Value::Enum(s) | Value::Ref(s), _) => Json::String(s.clone()),
        (Value::Int(n), _) => Json::from(*n),
        (Value::Number(n), _) => Json::from(*n),
        (Value::Bool(b), _) => Json::Bool(*b),
        (Value::Date(d), _) => Json::String(d.to_string()),
        (Value::DateTime(t), _) => {
            Json::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        (Value::Principal(PrincipalRef::User(n)), FieldType::User)
        | (Value::Principal(PrincipalRef::Group(n)), FieldType::Group) => Json::String(n.clone()),
        (Value::Principal(p), _) => Json::String(principal_text(p)),
        (Value::List(items), FieldType::List { of }) => {
            Json::Array(items.iter().map(|v| default_json(v, of)).collect())
        }
        (Value::List(items), _) => Json::Array(items.iter().map(|v| default_json(v, ty)).collect()),
    }
}

/// The principals held in a stored field value.
pub fn principals_in(value: &Json, ty: &FieldType) -> Vec<PrincipalRef> {
    match (value, ty) {
        (Json::Array(items), FieldType::List { of }) => {
            items.iter().flat_map(|v| principals_in(v, of)).collect()
        }
        (Json::String(s), FieldType::User) => vec![PrincipalRef::User(s.clone())],
        (Json::String(s), FieldType::Group) => vec![PrincipalRef::Group(s.clone())],
        (Json::String(s), FieldType::Principal) => parse_principal_ref(s).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// A value for people: lists joined with commas, strings bare.
pub fn display(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(display).collect::<Vec<_>>().join(", "),
        Json::Null => "-".into(),
        other => other.to_string(),
    }
}

/// A stored field value as the engine reads typed input (a list as `a,b`),
/// and as the web UI's forms and tables show it.
pub fn field_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(field_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_against_their_type() {
        let range = FieldType::Int {
            min: Some(1),
            max: Some(5),
        };
        assert_eq!(parse_input(&range, "3"), Ok(Json::from(3)));
        assert!(parse_input(&range, "7").is_err());
        let list = FieldType::List {
            of: Box::new(FieldType::Principal),
        };
        assert_eq!(
            parse_input(&list, "user:itops, group:risk,bob"),
            Ok(serde_json::json!(["user:itops", "group:risk", "user:bob"]))
        );
        assert!(parse_input(&FieldType::Principal, "team:x").is_err());
        assert!(parse_input(&FieldType::Date, "2027-02-30").is_err());
        assert_eq!(
            parse_input(&FieldType::DateTime, "2027-01-31T10:00:00+01:00"),
            Ok(Json::String("2027-01-31T09:00:00Z".into()))
        );
        let principals = principals_in(&serde_json::json!(["user:a", "group:g"]), &list);
        assert_eq!(
            principals,
            vec![
                PrincipalRef::User("a".into()),
                PrincipalRef::Group("g".into())
            ]
        );
    }
}
