//! Reconciliation over the API: `POST /api/v1/projects/{id}/reconciliation` with the accounting
//! system's payments export (CSV) as the body.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::routing::post;
use axum::{Json, Router};

use super::auth::Who;
use super::csv_import::options_from_query;
use super::error::{ApiResult, Problem};
use super::extract::{FileBody, QueryPairs};
use super::projects::parse_project_id;
use crate::services::reconciliation::{self, Report};
use crate::services::App;

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/projects/{id}/reconciliation",
        post(reconcile).layer(DefaultBodyLimit::max(
            crate::domain::attachment::DEFAULT_MAX_BYTES,
        )),
    )
}

/// Matches the payments export (columns `Numero mandato`, `Data mandato`, `Partita IVA`,
/// `Numero fattura`, `Importo`, optionally `Data pagamento`; `map.FIELD=Header` names others) to
/// the project's expenses by supplier and invoice number, checking the amount (total, or net under
/// split payment). Matched expenses get the payment order and dates, in one transaction; with
/// `dry_run=true` nothing is written. The report lists the matches, the payments that match
/// nothing (and why) and the expenses still without payment data. Finance officers only.
#[utoipa::path(post, path = "/api/v1/projects/{id}/reconciliation", tag = "imports",
    params(("id" = String, Path), ("dry_run" = Option<bool>, Query)),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, description = "the reconciliation report"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reconcile(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<Json<Report>> {
    let project = parse_project_id(&id)?;
    let options = options_from_query(&query)?;
    let report = reconciliation::run(
        &app,
        &who,
        project,
        &body,
        &options.mapping,
        options.dry_run,
    )
    .await?;
    Ok(Json(report))
}
