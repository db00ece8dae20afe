//! The opaque cursors of paged lists, shared by the API (`cursor`,
//! `X-Next-Cursor`) and the CLI (`--after`): a letter naming the list, so a
//! cursor of one list is not taken by another, then the key the next page
//! continues after, in hexadecimal (a number, or a name's bytes).

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
}
