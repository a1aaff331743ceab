//! Importing files over the API: `POST /api/v1/projects/{id}/imports/fatturapa` with the file as
//! the body (XML or signed `.p7m`, any content type).

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{FileBody, QueryPairs};
use super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::{CategoryCode, EntityId, Nature, Violations};
use crate::services::imports::{self, Outcome, Target};
use crate::services::App;

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/projects/{id}/imports/fatturapa",
        // E-invoices may carry their attachments inside: larger than JSON bodies.
        post(fatturapa).layer(DefaultBodyLimit::max(
            crate::services::imports::FATTURAPA_MAX_BYTES,
        )),
    )
}

/// Imports one FatturaPA file (the request body): `entity` (required), `category`, `nature`
/// (`current` by default), `dry_run=true` for a preview. 201 when expenses were created, 200 for a
/// preview or a file already imported (nothing created), 422 when the file is refused.
#[utoipa::path(post, path = "/api/v1/projects/{id}/imports/fatturapa", tag = "imports",
    params(("id" = String, Path), ("entity" = String, Query), ("category" = Option<String>, Query),
        ("nature" = Option<String>, Query), ("dry_run" = Option<bool>, Query), ("file" = Option<String>, Query, description = "the file's name, for the report")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the e-invoice, XML or .p7m"),
    responses((status = 201, description = "created"), (status = 200, description = "preview, or already imported"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn fatturapa(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let mut v = Violations::new();
    let entity_raw = v.need("entity", query.get("entity"));
    let entity: Option<EntityId> = fields::id(&mut v, "entity", entity_raw);
    let category = match query.get("category") {
        None => None,
        Some(raw) => match CategoryCode::parse(raw) {
            Some(c) => Some(c),
            None => {
                v.add(
                    "category",
                    "invalid_category",
                    "codice di categoria non valido",
                );
                None
            }
        },
    };
    let nature = match query.get("nature") {
        None => Some(Nature::Current),
        raw => fields::choice(&mut v, "nature", raw, Nature::parse, &Nature::choices()),
    };
    let dry_run = match query.get("dry_run") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            v.add("dry_run", "invalid_boolean", "usare true oppure false");
            false
        }
    };
    let (entity, nature) = v
        .finish(|| Some((entity?, nature?)))
        .map_err(ApiError::invalid)?;
    let target = Target {
        project,
        entity,
        category,
        nature,
        dry_run,
    };
    let name = query.get("file").unwrap_or("fattura.xml");
    let report = imports::fatturapa(&app, &who, &target, name, &body).await?;
    let status = match report.outcome {
        Outcome::Created => StatusCode::CREATED,
        Outcome::Preview | Outcome::Skipped => StatusCode::OK,
        Outcome::Refused => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "file_refused",
                format!(
                    "File rifiutato: {}",
                    report
                        .message
                        .unwrap_or_else(|| "motivo sconosciuto".into())
                ),
            ))
        }
    };
    Ok((status, Json(report)).into_response())
}
