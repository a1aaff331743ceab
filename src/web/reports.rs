//! `GET /api/v1/projects/{id}/reports/rendiconto.xlsx` — the documents for download.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::QueryPairs;
use super::fields;
use super::projects::parse_project_id;
use crate::domain::Violations;
use crate::services::reports::{rendiconto, Document, Kind};
use crate::services::App;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects/{id}/reports/rendiconto.xlsx", get(xlsx))
        .route("/api/v1/projects/{id}/reports/rendiconto.pdf", get(pdf))
}

fn download(doc: Document, content_type: &'static str) -> Response {
    let mut response = doc.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", doc.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&doc.fingerprint) {
        headers.insert("x-rendiconta-fingerprint", v);
    }
    response
}

/// The rendiconto as XLSX: summary, expenses by category with subtotals, excluded expenses, split
/// among entities. `as_of` (default today) and `template` (default: the call's).
#[utoipa::path(get, path = "/api/v1/projects/{id}/reports/rendiconto.xlsx", tag = "reports",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"), ("template" = Option<String>, Query)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn xlsx(
    State(app): State<App>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    document(app, &id, &query, Kind::Xlsx).await
}

/// The rendiconto as PDF (A4, for signature): the same figures, the declaration and the signature
/// block, "Pagina N di M" and the data's fingerprint on every page.
#[utoipa::path(get, path = "/api/v1/projects/{id}/reports/rendiconto.pdf", tag = "reports",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"), ("template" = Option<String>, Query)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn pdf(
    State(app): State<App>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    document(app, &id, &query, Kind::Pdf).await
}

async fn document(app: App, id: &str, query: &QueryPairs, kind: Kind) -> ApiResult<Response> {
    let project = parse_project_id(id)?;
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", query.get("as_of"));
    v.finish(|| Some(())).map_err(ApiError::invalid)?;
    let doc = rendiconto(&app, project, kind, as_of, query.get("template")).await?;
    let content_type = match kind {
        Kind::Xlsx => XLSX_TYPE,
        Kind::Pdf => "application/pdf",
    };
    Ok(download(doc, content_type))
}
