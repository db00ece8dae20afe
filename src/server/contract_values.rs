//! The schemas of the values the API's routes share (an item id, a name, a
//! duration, a page's cursor): each written once, so that the document says
//! exactly what the server accepts, and used by the request types with
//! `schema_with`; the `{id}` path parameter of the item routes; and the
//! schema of an item given as JSON.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::AdditionalProperties;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

/// Control characters (Unicode's Cc), as a regular expression class's body.
const CONTROL: &str = "\\x00-\\x1f\\x7f-\\x9f";
/// White space (Unicode's White_Space, what Rust's `char::is_whitespace`
/// takes), spelled out: `\s` means other sets in other dialects.
const SPACE: &str =
    "\\x09-\\x0d\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// The invisible and text-reordering characters names may not have (the
/// model's `is_invisible`); those outside the Basic Multilingual Plane are
/// written as themselves, which every dialect reads alike.
const INVISIBLE: &str = "\\xad\\u034f\\u061c\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff9-\\ufffb\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}";

/// A user, group or API key name (the engine's `check_name`): no white
/// space, control characters, invisible characters, `:` or `,`.
fn name_pattern() -> String {
    format!("^[^{CONTROL}{SPACE}{INVISIBLE}:,]+$")
}

/// An item name (the engine's item name check): no control characters,
/// not only white space.
fn item_name_pattern() -> String {
    format!("^[^{CONTROL}]*[^{CONTROL}{SPACE}][^{CONTROL}]*$")
}

/// The pattern of an item id.
const ID_PATTERN: &str = "^[0-9]{1,18}$";

fn text(pattern: impl Into<String>, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}

fn or_null(schema: ObjectBuilder) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// An item id as answers write it: a string of digits.
pub(super) fn id() -> RefOr<Schema> {
    text(
        ID_PATTERN,
        "An item id, as answers write it: a string of digits.",
    )
    .into()
}

/// An item id, or null for none.
pub(super) fn id_or_null() -> RefOr<Schema> {
    or_null(text(
        ID_PATTERN,
        "An item id, as answers write it: a string of digits.",
    ))
}

fn name_text() -> ObjectBuilder {
    text(
        name_pattern(),
        "A name: non-empty, without white space, control characters, invisible or text-reordering characters (zero-width, bidi), `:` or `,`.",
    )
}

/// A list of item ids.
pub(super) fn ids() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(text(
            ID_PATTERN,
            "An item id, as answers write it: a string of digits.",
        ))
        .into()
}

/// A user, group or API key name.
pub(super) fn name() -> RefOr<Schema> {
    name_text().into()
}

/// A list of names.
pub(super) fn names() -> RefOr<Schema> {
    ArrayBuilder::new().items(name_text()).into()
}

/// An item's name.
pub(super) fn item_name() -> RefOr<Schema> {
    text(
        item_name_pattern(),
        "A name: not only white space, without control characters.",
    )
    .max_length(Some(crate::engine::limits::MAX_NAME))
    .into()
}

/// An e-mail address (`name@domain`, without white space), or null: none.
pub(super) fn email_or_null() -> RefOr<Schema> {
    or_null(text(
        format!("^[^{SPACE}]*@[^{SPACE}]*$"),
        "An e-mail address: `name@domain`, without white space.",
    ))
}

/// An `If-Match` header: an item's ETag (`"3"`, or `W/"3"`).
pub(super) fn etag() -> RefOr<Schema> {
    text(
        "^(W/)?\"[0-9]{1,18}\"$|^[0-9]{1,18}$",
        "The item's ETag as last read (`\"3\"`): the edit is refused (409) if the item changed since.",
    )
    .into()
}

/// How long a credential works, or null: until revoked.
pub(super) fn duration_or_null() -> RefOr<Schema> {
    or_null(text(
        "^[1-9][0-9]{0,3}[mhdw]$",
        "How long it works: a whole number from 1 to 9999 and a unit, `90d`, `12h`, `30m`, `2w`.",
    ))
}

/// The opaque cursor of a list paged by a number (an id, a sequence
/// number): `prefix` and hexadecimal digits.
fn number_cursor(prefix: char) -> RefOr<Schema> {
    text(
        format!("^{prefix}[0-9a-f]{{1,15}}$"),
        "Where the page starts: the `X-Next-Cursor` of the page before, as it was answered.",
    )
    .into()
}

/// The opaque cursor of a list paged by a name: `prefix` and the name's
/// bytes in hexadecimal.
fn text_cursor(prefix: char) -> RefOr<Schema> {
    text(
        format!("^{prefix}([0-9a-f]{{2}}){{1,1024}}$"),
        "Where the page starts: the `X-Next-Cursor` of the page before, as it was answered.",
    )
    .into()
}

/// A type whose schema is one of the functions above, for the parameters
/// of `IntoParams` structs (whose `schema_with` would drop their
/// description and whether they are required): `value_type = X, inline`.
macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident = $schema:expr) => {
        $(#[$doc])*
        pub(super) struct $name;
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

text_type!(
    /// [`id`] as a parameter's type.
    IdText = id()
);
text_type!(
    /// [`etag`] as a parameter's type.
    EtagText = etag()
);
text_type!(
    /// The cursor of the item list (by id).
    ItemCursor = number_cursor('i')
);
text_type!(
    /// The cursor of an item's history (by sequence number).
    EventCursor = number_cursor('e')
);
text_type!(
    /// The cursor of the reviews waiting for the caller (by item).
    ReviewCursor = number_cursor('r')
);
text_type!(
    /// The cursor of the caller's subscriptions (by item).
    SubscriptionCursor = number_cursor('s')
);
text_type!(
    /// The cursor of a table's rows: by position (a table sorted in
    /// memory), or after an item of the kept index.
    TableCursor = text(
        "^v[0-9a-f]{1,15}$|^w([0-9a-f]{2}){1,1024}$",
        "Where the page starts: the `X-Next-Cursor` of the page before, as it was answered.",
    )
    .into()
);
text_type!(
    /// The cursor of the user list (by name).
    UserCursor = text_cursor('u')
);
/// The pattern of an identifier of the language (a step, an
/// infrastructure).
const IDENT_PATTERN: &str = "^[a-z][a-z0-9_]*$";

text_type!(
    /// A step id, as the language writes identifiers.
    StepText = text(IDENT_PATTERN, "A step id.").into()
);
text_type!(
    /// A table id, as the language writes identifiers.
    TableText = text(IDENT_PATTERN, "A table id.").into()
);
text_type!(
    /// A user name.
    NameText = text(name_pattern(), "A user name.").into()
);
text_type!(
    /// `INFRASTRUCTURE:VERDICT`.
    DeployFilterText = text(
        "^[a-z][a-z0-9_]*:(ALLOW|CONFIRM|BLOCK)$",
        "An infrastructure and a deploy verdict: `prod:BLOCK`."
    )
    .into()
);

/// `{id}` of the item routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(
    dead_code,
    reason = "read by the handlers as `Path<i64>`; this documents it"
)]
pub(super) struct ItemPath {
    /// The item's id (as answers write it: a string of digits).
    #[param(value_type = IdText, inline)]
    id: String,
}

/// An item given as JSON to a hook test (`{"name": …, "fields": {…}}`).
pub(super) struct ItemJson;

impl utoipa::PartialSchema for ItemJson {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("An item as JSON (`{\"name\": …, \"fields\": {…}}`)."))
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

impl ToSchema for ItemJson {}
