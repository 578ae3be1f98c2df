//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the DTOs' schemas, served at /api/openapi.json.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, content, dto};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Masthead API",
        description = "The Content API (published articles for apps and partners, with a content key) and the Admin API (what the desk does, with a staff token and scopes). Every error is `{\"error\": {\"code\", \"message\", \"fields\"}}` with a stable code.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        content::list_articles, content::get_article, content::list_authors, content::list_tags,
        admin::list_articles, admin::create_article, admin::get_article, admin::update_article, admin::delete_article,
        admin::publish_article, admin::unpublish_article,
        admin::list_authors, admin::get_author, admin::put_author, admin::delete_author,
        admin::list_tags, admin::get_tag, admin::put_tag, admin::delete_tag,
        admin::list_members, admin::get_member,
    ),
    components(schemas(dto::ArticleEvent)),
    modifiers(&Security),
    tags(
        (name = "content", description = "Published articles, cut as the web cuts them for an anonymous reader over quota"),
        (name = "admin", description = "The desk's operations; a staff token's scopes and its member's role both apply"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "content_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A content key (mh_content_…)")).build()),
        );
        components.add_security_scheme("content_key_query", SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("key"))));
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A staff token (mh_admin_…) with scopes: articles:read, articles:write, articles:publish, taxonomy:write, members:read, admin"))
                    .build(),
            ),
        );
    }
}

/// The document as JSON text, for the route and the snapshot test.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub async fn document(State(_state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "public, max-age=300")], json()).into_response()
}
