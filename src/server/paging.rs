//! The API's pages: the `limit` every list takes (its default and maximum),
//! each list's `cursor` (the engine's opaque cursors), and the answer of a
//! page, whose `X-Next-Cursor` header holds the cursor of the next one.

use axum::http::{HeaderValue, StatusCode};
use serde::Serialize;

use super::api_common::ok;
use super::error::{ApiError, ApiResult};
pub(super) use crate::engine::read::cursor::List;

/// Entries a page unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: usize = 500;
/// The most entries a page.
pub(super) const MAX_LIMIT: usize = 1000;

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
    /// `?limit=&cursor=` of a table's rows.
    TableQuery,
    super::contract_values::TableCursor
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

/// The number a cursor of `list` continues after.
pub(super) fn number_after(list: List, cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|text| list.number_after(text).ok_or_else(|| not_a_cursor(text)))
        .transpose()
}

/// Refuses a cursor that is not one of any of `lists` (for a list whose
/// engine call reads its own cursors).
pub(super) fn cursor_of_any(lists: &[List], cursor: Option<&str>) -> Result<(), ApiError> {
    match cursor {
        Some(text)
            if !lists
                .iter()
                .any(|l| l.number_after(text).is_some() || l.text_after(text).is_some()) =>
        {
            Err(not_a_cursor(text))
        }
        _ => Ok(()),
    }
}

/// The name a cursor of `list` continues after.
pub(super) fn text_after(list: List, cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor
        .map(|text| list.text_after(text).ok_or_else(|| not_a_cursor(text)))
        .transpose()
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
