//! The routes with their operations: each handler's route and its operation
//! in the OpenAPI document come from one `routes!`, so the two cannot
//! disagree; and the document itself, served at `/api/v1/openapi.json`.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api_public;
use super::contract::{
    add_error_answers, add_next_cursor_headers, dedupe_parameters, header,
    optional_bodies_without_null,
};
use super::state::Shared;
use super::{
    api_admin, api_audit, api_items, api_people, api_signoffs, api_subscriptions, api_tables,
};

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "public", security(()),
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub(super) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
        .into_response()
}

/// The routes of the API and the public ones, with the document they make.
pub(super) struct Parts {
    /// `/api/v1/…`: authenticated.
    pub(super) api: Router<Shared>,
    /// `/health`, `/metrics`, `/unsubscribe`.
    pub(super) public: Router<Shared>,
    /// The operations of both, under the document's header.
    pub(super) documented: utoipa::openapi::OpenApi,
}

/// The annotated routes: each handler's route and its operation in the
/// document come from one `routes!`, so the two cannot disagree.
pub(super) fn parts() -> Parts {
    let (api, api_doc) = OpenApiRouter::new()
        .routes(routes!(api_items::list_items, api_items::create_item))
        .routes(routes!(
            api_items::get_item,
            api_items::patch_item,
            api_items::delete_item
        ))
        .routes(routes!(api_items::advance))
        .routes(routes!(api_items::move_item))
        .routes(routes!(api_items::status))
        .routes(routes!(api_items::history))
        .routes(routes!(api_signoffs::signoff))
        .routes(routes!(api_signoffs::explain))
        .routes(routes!(api_signoffs::who_can))
        .routes(routes!(api_signoffs::deploy))
        .routes(routes!(
            api_subscriptions::subscribe,
            api_subscriptions::unsubscribe
        ))
        .routes(routes!(api_subscriptions::subscriptions))
        .routes(routes!(api_signoffs::reviews))
        .routes(routes!(api_signoffs::recertifications))
        .routes(routes!(api_audit::audit_list))
        .routes(routes!(api_signoffs::matrix))
        .routes(routes!(api_signoffs::controls_report))
        .routes(routes!(api_tables::tables))
        .routes(routes!(api_tables::table))
        .routes(routes!(api_admin::blueprints, api_admin::reload_blueprints))
        .routes(routes!(api_admin::hook_test))
        .routes(routes!(api_admin::migrate))
        .routes(routes!(api_people::users, api_people::add_user))
        .routes(routes!(api_people::set_email))
        .routes(routes!(api_people::disable_user))
        .routes(routes!(api_people::enable_user))
        .routes(routes!(api_people::groups, api_people::add_group))
        .routes(routes!(api_people::add_member))
        .routes(routes!(api_people::remove_member))
        .routes(routes!(api_people::api_keys, api_people::create_api_key))
        .routes(routes!(api_people::revoke_api_key))
        .routes(routes!(api_people::tokens, api_people::create_token))
        .routes(routes!(api_people::revoke_token))
        .routes(routes!(openapi))
        .split_for_parts();
    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(api_public::health))
        .routes(routes!(api_public::ready))
        .routes(routes!(api_public::metrics))
        .routes(routes!(
            api_subscriptions::unsubscribe_link,
            api_subscriptions::unsubscribe_post
        ))
        .split_for_parts();
    Parts {
        api,
        public,
        documented: header().merge_from(public_doc).nest("/api/v1", api_doc),
    }
}

/// The whole document: [`Header`] with the routes' operations (built from
/// the same annotated handlers as the routes themselves).
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut openapi = parts().documented;
        add_error_answers(&mut openapi);
        dedupe_parameters(&mut openapi);
        optional_bodies_without_null(&mut openapi);
        add_next_cursor_headers(&mut openapi);
        openapi
    })
}

/// The document as JSON, as `GET /api/v1/openapi.json` answers it.
pub fn document_json() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_pretty_json().unwrap_or_default())
}
