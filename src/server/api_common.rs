//! What the API's handlers share: JSON answers, the ETag and If-Match of an
//! item's revision, and item ids and blueprint versions as request bodies
//! write them.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use serde::Deserialize;
use utoipa::IntoParams;

use super::contract_values;
use super::error::{ApiError, ApiResult};

/// `value` as a JSON answer, serialized once (not through a `serde_json::Value`).
pub(super) fn ok<T: serde::Serialize>(status: StatusCode, value: &T) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

pub(super) fn with_etag(mut response: Response, revision: i64) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{revision}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// `If-Match` of the edits: the revision the client read.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code, reason = "read by `if_match`; this documents it")]
pub(super) struct IfMatch {
    /// The item's ETag as last read (`"3"`): the edit is refused (409) if
    /// the item changed since.
    #[param(rename = "If-Match", value_type = contract_values::EtagText, inline, required = false)]
    if_match: Option<String>,
}

/// The revision an `If-Match` header names.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let quoted = |t: &str| {
        t.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .map(str::to_owned)
    };
    let digits = match text.strip_prefix("W/") {
        Some(tag) => quoted(tag),
        None => quoted(&text).or_else(|| Some(text.to_string())),
    };
    digits
        .filter(|d| (1..=18).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_input",
                format!("If-Match `{text}` is not an item revision"),
                Some("send the ETag of the item, e.g. `If-Match: \"3\"`".into()),
            )
        })
}

/// An item id as answers write it (`"4"`), so a client sends back what it
/// received; one JSON type both ways.
pub(super) fn item_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|t| parse_item_id(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// A list of item ids, each as [`item_id`] takes it.
pub(super) fn item_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|t| parse_item_id(t).map_err(serde::de::Error::custom))
        .collect()
}

/// An item id as the document's pattern writes it: 1 to 18 digits.
pub(super) fn parse_item_id(text: &str) -> Result<i64, String> {
    Some(text)
        .filter(|t| (1..=18).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| {
            format!("`{text}` is not an item id (a string of digits, as answers write ids)")
        })
}

/// A version number as JSON Schema's `integer` takes it: `3`, or `3.0`
/// (a number whose fraction is zero is an integer there too).
pub(super) fn version_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = f64::deserialize(d)?;
    if n.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(serde::de::Error::custom(format!(
            "`{n}` is not a version (a whole number from 1)"
        )))
    }
}

pub(super) fn optional_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "version_number")] u32);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(v)| v))
}
