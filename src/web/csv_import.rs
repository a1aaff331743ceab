//! `POST /api/v1/projects/{id}/imports/expenses.csv` with the file as the body: the options from
//! the query, the import itself in [`crate::services::csv_import`].

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{FileBody, QueryPairs};
use super::projects::parse_project_id;
use crate::domain::FieldError;
use crate::services::commitments_import::CommitmentImportReport;
use crate::services::csv_import::{self, CsvOutcome, CsvReport, Mapping, Options};
use crate::services::App;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/imports/expenses.csv",
            post(import).layer(DefaultBodyLimit::max(
                crate::domain::attachment::DEFAULT_MAX_BYTES,
            )),
        )
        .route(
            "/api/v1/projects/{id}/imports/commitments.csv",
            post(import_commitments).layer(DefaultBodyLimit::max(
                crate::domain::attachment::DEFAULT_MAX_BYTES,
            )),
        )
}

/// The rows' errors as one problem document, each under `rows[N].field`.
fn refusal(errors: &[crate::services::csv_import::RowError]) -> ApiError {
    ApiError::invalid(
        errors
            .iter()
            .map(|e| FieldError {
                field: if e.field.is_empty() {
                    format!("rows[{}]", e.row)
                } else {
                    format!("rows[{}].{}", e.row, e.field)
                },
                code: e.code.clone(),
                message: if e.row > 0 {
                    format!("riga {}: {}", e.row, e.message)
                } else {
                    e.message.clone()
                },
            })
            .collect(),
    )
}

/// Imports commitments from the accounting system's export (CSV, the body), with the
/// conventions of the expense import: Italian headers (`Ente`, `Categoria`, `Atto`, `Data atto`,
/// `Importo`, `Fornitore`, `CIG`, `Fattura prevista`, `Pagamento previsto`…), `map.FIELD=Header`,
/// `dry_run=true` for the preview (200); otherwise 201 when every row was recorded, 422 with every
/// row's errors when any is wrong (nothing written).
#[utoipa::path(post, path = "/api/v1/projects/{id}/imports/commitments.csv", tag = "imports",
    params(("id" = String, Path), ("dry_run" = Option<bool>, Query),
        ("map.act" = Option<String>, Query, description = "the header of a field's column; any field of the commitment API as map.FIELD")),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 201, body = CommitmentImportReport), (status = 200, body = CommitmentImportReport, description = "dry run"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn import_commitments(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<(StatusCode, Json<CommitmentImportReport>)> {
    let project = parse_project_id(&id)?;
    let options = options_from_query(&query)?;
    let report = crate::services::commitments_import::run(
        &app,
        &who,
        project,
        &body,
        &options.mapping,
        options.dry_run,
    )
    .await?;
    match report.outcome {
        CsvOutcome::Created => Ok((StatusCode::CREATED, Json(report))),
        CsvOutcome::Preview => Ok((StatusCode::OK, Json(report))),
        CsvOutcome::Refused => Err(refusal(&report.errors)),
    }
}

/// `map.FIELD=Header`, `entity`, `dry_run` from the query.
pub fn options_from_query(query: &QueryPairs) -> Result<Options, ApiError> {
    let mut mapping = Mapping::default();
    for (key, value) in &query.0 {
        if let Some(field) = key.strip_prefix("map.") {
            if !value.trim().is_empty() {
                mapping.0.insert(field.to_owned(), value.trim().to_owned());
            }
        }
    }
    let dry_run = match query.get("dry_run") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::invalid(vec![FieldError {
                field: "dry_run".into(),
                code: "invalid_boolean".into(),
                message: "usare true oppure false".into(),
            }]))
        }
    };
    Ok(Options {
        mapping,
        entity: query.get("entity").map(str::to_owned),
        dry_run,
    })
}

/// Imports expenses from a CSV file (the body): `;` or `,` separated, decimal comma, dates as
/// dd/mm/yyyy, UTF-8 or Windows-1252. Columns are found by their Italian headers (`Fornitore`,
/// `Partita IVA`, `Numero fattura`, `Data fattura`, `Imponibile`, `IVA`, `Ente`, `Categoria`…);
/// `map.FIELD=Header` names another header for a field; `entity` is the entity of rows without
/// one. `dry_run=true` lists every row's errors and what would be created (200); otherwise 201
/// when every row was created, 422 with every row's errors when any is wrong (nothing written).
#[utoipa::path(post, path = "/api/v1/projects/{id}/imports/expenses.csv", tag = "imports",
    params(("id" = String, Path), ("entity" = Option<String>, Query), ("dry_run" = Option<bool>, Query),
        ("map.supplier_name" = Option<String>, Query, description = "the header of a field's column; any field of the expense API as map.FIELD")),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 201, body = CsvReport), (status = 200, body = CsvReport, description = "dry run"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn import(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<(StatusCode, Json<CsvReport>)> {
    let project = parse_project_id(&id)?;
    let options = options_from_query(&query)?;
    let report = csv_import::run(&app, &who, project, &body, &options).await?;
    match report.outcome {
        CsvOutcome::Created => Ok((StatusCode::CREATED, Json(report))),
        CsvOutcome::Preview => Ok((StatusCode::OK, Json(report))),
        CsvOutcome::Refused => Err(refusal(&report.errors)),
    }
}
