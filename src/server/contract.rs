//! The API's contract: the OpenAPI document, generated from the handlers'
//! annotations and their request and response types when the routes are
//! built, so it cannot say anything the routes do not do. Here: the
//! document's header, the bearer scheme, and what is added to every
//! operation once the routes are documented (the error answer, the paging
//! headers); the document is put together in `operations`.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

use super::contract_values::ItemJson;
use super::error::ErrorBody;
use crate::engine::actions::Verb;

/// The document's header, its bearer scheme and shared schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "govrt",
        description = "The governance runtime's API: items against their blueprints, sign-offs, deploy checks, people and credentials. Every route but `/health`, `/health/ready`, `/metrics`, `/unsubscribe` and this document needs `Authorization: Bearer TOKEN`; without a valid one the answer is 401, whatever the body, path or method. Errors are `ErrorBody` with a stable `code`. Lists are paged (`limit`, `cursor`, `X-Next-Cursor`). POST accepts `Idempotency-Key`."
    ),
    components(schemas(ErrorBody, Verb, ItemJson)),
    modifiers(&Contract),
    security(("bearer" = []))
)]
pub(super) struct Header;

/// What every operation shares: the bearer scheme, and the error answer.
struct Contract;

/// The name of the error answer every operation has.
const ERROR_RESPONSE: &str = "Error";

impl Modify for Contract {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.responses.insert(
            ERROR_RESPONSE.into(),
            RefOr::T(
                ResponseBuilder::new()
                    .description("The request was refused or failed: `error.code` says why, `error.help` how to get past it.")
                    .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
                    .build(),
            ),
        );
    }
}

/// Every operation of `openapi`, with its path.
fn operations(openapi: &mut OpenApi) -> impl Iterator<Item = &mut Operation> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
    })
}

/// Gives each operation without its own `default` answer the error answer.
pub(super) fn add_error_answers(openapi: &mut OpenApi) {
    for operation in operations(openapi) {
        operation
            .responses
            .responses
            .entry("default".into())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(ERROR_RESPONSE)));
    }
}

/// Keeps one description of each parameter: the route's own (listed first)
/// over the one read off an extractor's type (`Path<i64>` says integer; the
/// route says a string of digits, as answers write ids).
pub(super) fn dedupe_parameters(openapi: &mut OpenApi) {
    for operation in operations(openapi) {
        if let Some(parameters) = operation.parameters.as_mut() {
            let mut seen = std::collections::HashSet::new();
            parameters.retain(|p| match p {
                RefOr::T(p) => seen.insert((
                    p.name.clone(),
                    serde_json::to_string(&p.parameter_in).unwrap_or_default(),
                )),
                RefOr::Ref(_) => true,
            });
        }
    }
}

/// An optional body is said by leaving it out, not by sending `null`: the
/// schema of a body that is not required loses the `null` alternative
/// utoipa gives an `Option` (generated clients would send it as a value).
pub(super) fn optional_bodies_without_null(openapi: &mut OpenApi) {
    for operation in operations(openapi) {
        let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
            continue;
        };
        if body.required == Some(utoipa::openapi::Required::True) {
            continue;
        }
        for content in body.content.values_mut() {
            let RefOr::T(content) = content else {
                continue;
            };
            if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                let kept: Vec<_> = one_of
                    .items
                    .iter()
                    .filter(|s| !matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null)))
                    .cloned()
                    .collect();
                if let [only] = kept.as_slice() {
                    content.schema = Some(only.clone());
                }
            }
        }
    }
}

/// Gives each paged list's answer (an operation with a `cursor`
/// parameter) the `X-Next-Cursor` header.
pub(super) fn add_next_cursor_headers(openapi: &mut OpenApi) {
    for operation in operations(openapi) {
        let paged = operation
            .parameters
            .iter()
            .flatten()
            .any(|p| matches!(p, RefOr::T(p) if p.name == "cursor"));
        if !paged {
            continue;
        }
        if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
            ok.headers.insert(
                "X-Next-Cursor".into(),
                utoipa::openapi::HeaderBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .description(Some(
                        "The `cursor` of the next page; absent on the last page.",
                    ))
                    .build()
                    .into(),
            );
        }
    }
}

/// The document's header (before the routes are added).
pub(super) fn header() -> OpenApi {
    Header::openapi()
}
