//! The API's pages: the `limit` every list takes (its default and maximum),
//! each list's opaque cursor (a letter naming the list, then the key the
//! page continues after, in hexadecimal), and the answer of a page, whose
//! `X-Next-Cursor` header holds the cursor of the next one.

use axum::http::{HeaderValue, StatusCode};
use serde::Serialize;

use super::api_items::ok;
use super::error::{ApiError, ApiResult};

/// Entries a page unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: usize = 500;
/// The most entries a page.
pub(super) const MAX_LIMIT: usize = 1000;

/// The letter each list's cursors start with: a cursor of one list is not
/// taken by another.
#[derive(Clone, Copy)]
pub(super) enum List {
    Items,
    History,
    Reviews,
    Subscriptions,
    Users,
}

impl List {
    fn letter(self) -> char {
        match self {
            List::Items => 'i',
            List::History => 'e',
            List::Reviews => 'r',
            List::Subscriptions => 's',
            List::Users => 'u',
        }
    }
}

/// The `?limit=&cursor=` of a list whose cursor is `$cursor` (its schema).
macro_rules! page_query {
    ($(#[$doc:meta])* $name:ident, $cursor:ty) => {
        $(#[$doc])*
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        pub(super) struct $name {
            /// Entries a page (default 500, at most 1000).
            #[param(minimum = 1, maximum = 1000)]
            pub(super) limit: Option<usize>,
            /// Where the page starts: the `X-Next-Cursor` of the page before.
            #[param(value_type = Option<$cursor>, inline)]
            pub(super) cursor: Option<String>,
        }
    };
}

page_query!(
    /// `?limit=&cursor=` of an item's history.
    HistoryQuery,
    super::contract_values::EventCursor
);
page_query!(
    /// `?limit=&cursor=` of the reviews waiting for the caller.
    ReviewsQuery,
    super::contract_values::ReviewCursor
);
page_query!(
    /// `?limit=&cursor=` of the caller's subscriptions.
    SubscriptionsQuery,
    super::contract_values::SubscriptionCursor
);
page_query!(
    /// `?limit=&cursor=` of the users.
    UsersQuery,
    super::contract_values::UserCursor
);

/// The page size `limit` asks for.
pub(super) fn limit(limit: Option<usize>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("`limit` is {limit}"),
            Some(format!(
                "give a limit from 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"
            )),
        ));
    }
    Ok(limit)
}

fn not_a_cursor(text: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("`{text}` is not a cursor of this list"),
        Some("send back the `X-Next-Cursor` of the page before, as it is; leave `cursor` out for the first page".into()),
    )
}

/// The hexadecimal part of a cursor of `list`.
fn hex_of(list: List, text: &str) -> Result<&str, ApiError> {
    text.strip_prefix(list.letter())
        .filter(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| not_a_cursor(text))
}

/// The number a cursor of `list` continues after.
pub(super) fn number_after(list: List, cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|text| {
            let hex = hex_of(list, text)?;
            i64::from_str_radix(hex, 16).map_err(|_| not_a_cursor(text))
        })
        .transpose()
}

/// The name a cursor of `list` continues after.
pub(super) fn text_after(list: List, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor
        .map(|text| {
            let hex = hex_of(list, text)?;
            if hex.len() % 2 != 0 {
                return Err(not_a_cursor(text));
            }
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| not_a_cursor(text))?;
            // A position only: a name that is not UTF-8 still orders.
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        })
        .transpose()
}

/// A cursor of `list` continuing after `n`.
pub(super) fn number_cursor(list: List, n: i64) -> String {
    format!("{}{n:x}", list.letter())
}

/// A cursor of `list` continuing after `name`.
pub(super) fn text_cursor(list: List, name: &str) -> String {
    let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{}{hex}", list.letter())
}

/// A page's answer: its entries, and the cursor of the next page, if any,
/// in `X-Next-Cursor`.
pub(super) fn page<T: Serialize>(entries: &T, next: Option<String>) -> ApiResult {
    let mut answer = ok(StatusCode::OK, entries)?;
    if let Some(value) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        answer.headers_mut().insert("x-next-cursor", value);
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        assert_eq!(
            number_after(List::History, Some(&number_cursor(List::History, 4095))).ok(),
            Some(Some(4095))
        );
        let name = text_cursor(List::Users, "zoë");
        assert_eq!(
            text_after(List::Users, Some(&name))
                .ok()
                .flatten()
                .as_deref(),
            Some("zoë")
        );
        // A cursor of another list, or not a cursor, is refused.
        assert!(number_after(List::Items, Some("e1")).is_err());
        assert!(number_after(List::Items, Some("i")).is_err());
        assert!(text_after(List::Users, Some("u123")).is_err());
    }
}
