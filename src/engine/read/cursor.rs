//! The opaque cursors of paged lists, shared by the API (`cursor`,
//! `X-Next-Cursor`) and the CLI (`--after`): a letter naming the list, so a
//! cursor of one list is not taken by another, then the key the next page
//! continues after, in hexadecimal (a number, or a name's bytes).

use crate::store::index::{ItemSeek, TextColumn, TextSeek};

/// A paged list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Items, by id.
    Items,
    /// An item's history, by sequence number.
    History,
    /// The reviews waiting for a user, by item.
    Reviews,
    /// A user's subscriptions, by item.
    Subscriptions,
    /// Users, by name.
    Users,
    /// Items, most recently updated first.
    ItemsByUpdate,
    /// Items whose current sign-off has a due time, soonest first.
    ItemsByDue,
    /// The reviews waiting for a user, most urgent first.
    ReviewsByDue,
    /// The rows of a table view read in memory, by position in the
    /// table's order.
    Table,
    /// The rows of a table view read from the kept index, after an item
    /// (by id, or by update time and id).
    TableRows,
}

impl List {
    fn letter(self) -> char {
        match self {
            List::Items => 'i',
            List::History => 'e',
            List::Reviews => 'r',
            List::Subscriptions => 's',
            List::Users => 'u',
            List::ItemsByUpdate => 't',
            List::ItemsByDue => 'd',
            List::ReviewsByDue => 'q',
            List::Table => 'v',
            List::TableRows => 'w',
        }
    }

    /// A cursor continuing after the number `n`.
    pub fn number_cursor(self, n: i64) -> String {
        format!("{}{n:x}", self.letter())
    }

    /// A cursor continuing after the name `name`.
    pub fn text_cursor(self, name: &str) -> String {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{}{hex}", self.letter())
    }

    /// The hexadecimal part of a cursor of this list.
    fn hex_of(self, text: &str) -> Option<&str> {
        text.strip_prefix(self.letter())
            .filter(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// The number a cursor of this list continues after (`None`: it is not
    /// one).
    pub fn number_after(self, cursor: &str) -> Option<i64> {
        i64::from_str_radix(self.hex_of(cursor)?, 16).ok()
    }

    /// The name a cursor of this list continues after (`None`: it is not
    /// one). A position only: bytes that are not UTF-8 still order.
    pub fn text_after(self, cursor: &str) -> Option<String> {
        let hex = self.hex_of(cursor)?;
        if hex.len() % 2 != 0 {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// How a list of items is sorted, by name: `id`, `updated` (most recent
/// first) or `due` (soonest due first, only items with a due time).
pub fn item_sort(name: &str) -> Option<List> {
    match name {
        "" | "id" => Some(List::Items),
        "updated" => Some(List::ItemsByUpdate),
        "due" => Some(List::ItemsByDue),
        _ => None,
    }
}

/// The cursor of a position in a list of items.
pub fn item_cursor(seek: &ItemSeek) -> Option<String> {
    match seek {
        ItemSeek::Id(Some(id)) => Some(List::Items.number_cursor(*id)),
        ItemSeek::Updated(Some((at, id))) => {
            Some(List::ItemsByUpdate.text_cursor(&format!("{at}/{id}")))
        }
        ItemSeek::Due(Some((due, id))) => {
            Some(List::ItemsByDue.text_cursor(&format!("{due}/{id}")))
        }
        _ => None,
    }
}

/// Where a list of items sorted as `list` starts: after the position
/// `cursor` holds (`None` for no cursor); `None` when it is not a cursor of
/// that list.
pub fn item_seek(list: List, cursor: Option<&str>) -> Option<ItemSeek> {
    let key = |c: &str| key_after(list, c);
    Some(match (list, cursor) {
        (List::ItemsByUpdate, None) => ItemSeek::Updated(None),
        (List::ItemsByDue, None) => ItemSeek::Due(None),
        (_, None) => ItemSeek::Id(None),
        (List::ItemsByUpdate, Some(c)) => ItemSeek::Updated(Some(key(c)?)),
        (List::ItemsByDue, Some(c)) => {
            let (due, id) = key(c)?;
            ItemSeek::Due(Some((due.parse().ok()?, id)))
        }
        (_, Some(c)) => ItemSeek::Id(Some(List::Items.number_after(c)?)),
    })
}

/// The (key, id) a cursor of `list` holds as `KEY/ID` (`None`: it is not
/// one).
fn key_after(list: List, cursor: &str) -> Option<(String, i64)> {
    let text = list.text_after(cursor)?;
    let (k, id) = text.rsplit_once('/')?;
    Some((k.to_string(), id.parse().ok()?))
}

/// The cursor of a position in a table read from the kept index.
pub fn table_cursor(seek: &ItemSeek) -> Option<String> {
    match seek {
        ItemSeek::Id(Some(id)) => Some(List::TableRows.text_cursor(&id.to_string())),
        ItemSeek::Updated(Some((at, id))) | ItemSeek::Oldest(Some((at, id))) => {
            Some(List::TableRows.text_cursor(&format!("{at}/{id}")))
        }
        // The column's letter, then `=` and the value, or `-` for an item
        // without one.
        ItemSeek::Text(TextSeek {
            column,
            after: Some((value, id)),
            ..
        }) => Some(List::TableRows.text_cursor(&match value {
            Some(v) => format!("{}={v}/{id}", column_letter(*column)),
            None => format!("{}-/{id}", column_letter(*column)),
        })),
        _ => None,
    }
}

/// Where a table read from the kept index in `order`'s order (its start:
/// by id, most or least recently updated first) continues: after the
/// position `cursor` holds (`None` for no cursor, then `order` itself);
/// `None` when it is not a cursor of that order.
pub fn table_seek(order: &ItemSeek, cursor: Option<&str>) -> Option<ItemSeek> {
    let Some(c) = cursor else {
        return Some(order.clone());
    };
    match order {
        ItemSeek::Updated(_) => Some(ItemSeek::Updated(Some(time_after(c)?))),
        ItemSeek::Oldest(_) => Some(ItemSeek::Oldest(Some(time_after(c)?))),
        ItemSeek::Id(_) => Some(ItemSeek::Id(Some(
            List::TableRows.text_after(c)?.parse().ok()?,
        ))),
        ItemSeek::Text(t) => {
            let (key, id) = key_after(List::TableRows, c)?;
            let key = key.strip_prefix(column_letter(t.column))?;
            let value = match key.split_at_checked(1)? {
                ("=", v) => Some(v.to_string()),
                ("-", "") => None,
                _ => return None,
            };
            Some(ItemSeek::Text(TextSeek {
                after: Some((value, id)),
                ..t.clone()
            }))
        }
        ItemSeek::Due(_) => None,
    }
}

/// The letter a table cursor by a text column starts with.
fn column_letter(column: TextColumn) -> char {
    match column {
        TextColumn::Name => 'n',
        TextColumn::Step => 's',
    }
}

/// The (update time, id) a cursor of a table by update time holds (`None`:
/// it is not one, e.g. a cursor of the same table's rows by another order).
fn time_after(cursor: &str) -> Option<(String, i64)> {
    let (at, id) = key_after(List::TableRows, cursor)?;
    chrono::DateTime::parse_from_rfc3339(&at).ok()?;
    Some((at, id))
}

/// The cursor of a position in the reviews by due time.
pub fn review_cursor((due, item, group): &(i64, i64, String)) -> String {
    List::ReviewsByDue.text_cursor(&format!("{due}/{item}/{group}"))
}

/// The position a cursor of the reviews by due time holds.
pub fn review_after(cursor: &str) -> Option<(i64, i64, String)> {
    let text = List::ReviewsByDue.text_after(cursor)?;
    let mut parts = text.splitn(3, '/');
    let due = parts.next()?.parse().ok()?;
    let item = parts.next()?.parse().ok()?;
    Some((due, item, parts.next()?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let c = List::History.number_cursor(4095);
        assert_eq!(List::History.number_after(&c), Some(4095));
        let name = List::Users.text_cursor("zoë");
        assert_eq!(List::Users.text_after(&name).as_deref(), Some("zoë"));
        // A cursor of another list, or not a cursor, is refused.
        assert_eq!(List::Items.number_after("e1"), None);
        assert_eq!(List::Items.number_after("i"), None);
        assert_eq!(List::Items.number_after("i-1"), None);
        assert_eq!(List::Users.text_after("u123"), None);
    }

    #[test]
    fn item_and_review_positions_read_back() {
        for seek in [
            ItemSeek::Id(Some(7)),
            ItemSeek::Updated(Some(("2026-12-01T10:00:00.000000Z".into(), 9))),
            ItemSeek::Due(Some((1_700_000_000, 3))),
        ] {
            let c = item_cursor(&seek).unwrap_or_default();
            let list = match seek {
                ItemSeek::Id(_) => List::Items,
                ItemSeek::Updated(_) | ItemSeek::Oldest(_) => List::ItemsByUpdate,
                ItemSeek::Due(_) => List::ItemsByDue,
                ItemSeek::Text(_) => unreachable!("not an order of item lists"),
            };
            assert_eq!(item_seek(list, Some(&c)), Some(seek));
        }
        assert!(item_seek(List::ItemsByDue, Some("i1")).is_none());
        let at = || Some(("2026-12-01T10:00:00.000000Z".to_string(), 4));
        let text = |column, after| {
            ItemSeek::Text(TextSeek {
                column,
                descending: true,
                after,
            })
        };
        for (order, seek, other) in [
            (
                ItemSeek::Id(None),
                ItemSeek::Id(Some(12)),
                ItemSeek::Updated(None),
            ),
            (
                ItemSeek::Updated(None),
                ItemSeek::Updated(at()),
                ItemSeek::Id(None),
            ),
            (
                ItemSeek::Oldest(None),
                ItemSeek::Oldest(at()),
                ItemSeek::Id(None),
            ),
            (
                text(TextColumn::Name, None),
                text(TextColumn::Name, Some((Some("a/b=c".into()), 3))),
                text(TextColumn::Step, None),
            ),
            (
                text(TextColumn::Step, None),
                text(TextColumn::Step, Some((None, 8))),
                ItemSeek::Updated(None),
            ),
        ] {
            let c = table_cursor(&seek).unwrap_or_default();
            assert_eq!(table_seek(&order, Some(&c)), Some(seek));
            assert_eq!(table_seek(&order, None), Some(order.clone()));
            assert!(table_seek(&other, Some(&c)).is_none());
        }
        let at = (5, 6, "risk".to_string());
        assert_eq!(review_after(&review_cursor(&at)), Some(at));
    }
}
