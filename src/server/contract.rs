//! The API's contract: the OpenAPI document, generated from the handlers'
//! annotations and their request and response types when the routes are
//! built, so it cannot say anything the routes do not do. Here: the
//! document's header, the bearer scheme, the error answer every operation
//! has, and the path parameters several routes share.

use std::sync::OnceLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi as _};

use super::error::ErrorBody;

/// The document's header, its bearer scheme and shared schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "govrt",
        description = "The governance runtime's API: items against their blueprints, sign-offs, deploy checks, people and credentials. Every route but `/health`, `/health/ready`, `/metrics`, `/unsubscribe` and this document needs `Authorization: Bearer TOKEN`; without a valid one the answer is 401, whatever the body, path or method. Errors are `ErrorBody` with a stable `code`. Lists are paged (`limit`, `cursor`, `X-Next-Cursor`). POST accepts `Idempotency-Key`."
    ),
    components(schemas(ErrorBody)),
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
fn add_error_answers(openapi: &mut OpenApi) {
    for operation in operations(openapi) {
        operation
            .responses
            .responses
            .entry("default".into())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(ERROR_RESPONSE)));
    }
}

/// The whole document: [`Header`] with the routes' operations (built from
/// the same annotated handlers as the routes themselves).
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut openapi = super::routes::parts().documented;
        add_error_answers(&mut openapi);
        openapi
    })
}

/// The document as JSON, as `GET /api/v1/openapi.json` answers it.
pub fn document_json() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_pretty_json().unwrap_or_default())
}

/// The document's header (before the routes are added).
pub(super) fn header() -> OpenApi {
    Header::openapi()
}

/// `{id}` of the item routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(
    dead_code,
    reason = "read by the handlers as `Path<i64>`; this documents it"
)]
pub(super) struct ItemPath {
    /// The item's id (as answers write it: a string of digits).
    #[param(pattern = "^[0-9]{1,18}$")]
    id: String,
}
