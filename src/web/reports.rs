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
use crate::services::reports::{rendiconto_xlsx, Document};
use crate::services::App;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn router() -> Router<App> {
    Router::new().route("/api/v1/projects/{id}/reports/rendiconto.xlsx", get(xlsx))
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
    let project = parse_project_id(&id)?;
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", query.get("as_of"));
    v.finish(|| Some(())).map_err(ApiError::invalid)?;
    let doc = rendiconto_xlsx(&app, project, as_of, query.get("template")).await?;
    Ok(download(doc, XLSX_TYPE))
}
