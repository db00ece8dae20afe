//! The documented bounds on what users send, enforced here so that every
//! front end (CLI, API, web UI) has them: lengths of names, values,
//! comments and reasons, lengths of lists, and fields in one edit. A value
//! over a bound is refused with the bound in the message; nothing is cut.

use super::error::{Refusal, Result, refuse};
use crate::model::FieldType;

/// Characters of an item's name.
pub const MAX_NAME: usize = 200;
/// Characters of a `text` field's value.
pub const MAX_TEXT: usize = 20_000;
/// Characters of any other field value, as written.
pub const MAX_VALUE: usize = 2_000;
/// Elements of a list value.
pub const MAX_LIST: usize = 500;
/// Fields set or unset by one edit (or given when an item is created).
pub const MAX_FIELDS_PER_EDIT: usize = 100;
/// Characters of a comment or a reason.
pub const MAX_COMMENT: usize = 10_000;

/// Refuses `text` (what it is: `what`) when it is longer than `max` characters.
pub fn check_length(what: &str, text: &str, max: usize) -> Result<()> {
    let n = text.chars().count();
    if n > max {
        return refuse(Refusal::InvalidValue {
            what: what.to_string(),
            why: format!("it has {n} characters; the limit is {max}"),
        });
    }
    Ok(())
}

/// Refuses a field value, as written, that is over the bounds of its type.
pub fn check_field_input(field: &str, ty: &FieldType, text: &str) -> Result<()> {
    let what = format!("value for `{field}`");
    match ty {
        FieldType::Text => check_length(&what, text, MAX_TEXT),
        FieldType::List { .. } => {
            let n = text.split(',').count();
            if n > MAX_LIST {
                return refuse(Refusal::InvalidValue {
                    what,
                    why: format!("it has {n} elements; the limit is {MAX_LIST}"),
                });
            }
            check_length(&what, text, MAX_VALUE * 4)
        }
        _ => check_length(&what, text, MAX_VALUE),
    }
}

/// Refuses an edit of more than [`MAX_FIELDS_PER_EDIT`] fields.
pub fn check_edit_size(fields: usize) -> Result<()> {
    if fields > MAX_FIELDS_PER_EDIT {
        return refuse(Refusal::InvalidValue {
            what: "edit".into(),
            why: format!("it changes {fields} fields; the limit is {MAX_FIELDS_PER_EDIT}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_over_their_bound_are_refused_and_the_bound_is_named() {
        assert!(check_length("name", &"n".repeat(MAX_NAME), MAX_NAME).is_ok());
        let err = check_length("name", &"n".repeat(MAX_NAME + 1), MAX_NAME).unwrap_err();
        assert!(err.to_string().contains("the limit is 200"), "{err}");
        let list = vec!["a"; MAX_LIST + 1].join(",");
        let of = Box::new(FieldType::Text);
        assert!(check_field_input("l", &FieldType::List { of }, &list).is_err());
        assert!(check_field_input("t", &FieldType::Text, &"t".repeat(MAX_TEXT)).is_ok());
        assert!(check_field_input("u", &FieldType::Url, &"u".repeat(MAX_VALUE + 1)).is_err());
        assert!(check_edit_size(MAX_FIELDS_PER_EDIT + 1).is_err());
    }
}
