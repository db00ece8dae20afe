//! The OpenAPI schema of a value written as text (a name out of a fixed
//! list, a time of day): one helper for the types whose `Serialize` writes a
//! string by hand, so the API's document says what they are.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema, described by `description`, one of `values` when given.
pub fn text_schema(description: &str, values: Option<Vec<&'static str>>) -> RefOr<Schema> {
    let mut schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description));
    if let Some(values) = values {
        schema = schema.enum_values(Some(values));
    }
    schema.into()
}

/// `ToSchema` for a type that serializes as a string: its description, and
/// the expression listing the values it takes (or `None`).
#[macro_export]
macro_rules! text_schema {
    ($ty:ty, $description:expr, $values:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::model::text_schema::text_schema($description, $values)
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
