//! Importing expenses from a CSV spreadsheet: `POST /api/v1/projects/{id}/imports/expenses.csv`
//! with the file as the body. A dry run lists every row's errors (or what would be created);
//! otherwise the rows are created all together, or none of them when any row is wrong.
//!
//! Each row goes through the same checks as `POST /expenses`: the CSV reader turns Italian cells
//! into the API's forms, entity and category names become ids and codes, then [`ExpenseInput`]
//! and the project's rules decide.

use std::collections::BTreeMap;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::expenses::ExpenseInput;
use super::extract::{FileBody, QueryPairs};
use super::projects::parse_project_id;
use crate::domain::access::Actor;
use crate::domain::access::{permits, Need};
use crate::domain::text::fold;
use crate::domain::{ExpenseData, FieldError, ProjectId};
use crate::imports::csv::{self, Mapping};
use crate::services::{access, calls, expenses, imports, App, ServiceError};

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/projects/{id}/imports/expenses.csv",
        post(import).layer(DefaultBodyLimit::max(
            crate::domain::attachment::DEFAULT_MAX_BYTES,
        )),
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line in the file (the header is line 1).
    pub row: usize,
    /// The API's name of the field, empty for the whole row.
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlannedRow {
    pub row: usize,
    pub entity_id: String,
    pub category: Option<String>,
    pub supplier_name: String,
    pub document_number: String,
    pub document_date: String,
    pub net_amount: String,
    pub vat_amount: String,
    pub claimed_amount: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CsvReport {
    /// `preview` (dry run), `created`, or `refused` (errors: nothing written).
    pub outcome: &'static str,
    pub rows: usize,
    /// The header each field was read from.
    pub columns: BTreeMap<String, String>,
    pub ignored_columns: Vec<String>,
    pub errors: Vec<RowError>,
    pub expenses: Vec<PlannedRow>,
    pub created: Vec<String>,
}

/// What to import with: the mapping (`field → header`), the entity for rows without one.
pub struct Options {
    pub mapping: Mapping,
    pub entity: Option<String>,
    pub dry_run: bool,
}

impl Options {
    /// `map.FIELD=Header`, `entity`, `dry_run` from the query.
    pub fn from_query(query: &QueryPairs) -> Result<Options, ApiError> {
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
}

/// Reads, checks and (unless a dry run) creates. `Err` when the file as a whole cannot be read
/// or the caller may not record expenses here.
pub async fn run(
    app: &App,
    who: &Actor,
    project: ProjectId,
    bytes: &[u8],
    options: &Options,
) -> Result<CsvReport, ApiError> {
    let entities = imports::recordable_entities(app, who, project).await?;
    let project_data = crate::services::projects::get(app, who, project).await?;
    let call = calls::get(app, who, project_data.data.call_id).await?;
    let sheet = csv::parse(bytes, &options.mapping).map_err(ApiError::invalid)?;

    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, ExpenseData)> = Vec::new();
    for row in &sheet.rows {
        let mut row_errors = row.errors.clone();
        let mut json = serde_json::Map::new();
        for (field, value) in &row.values {
            let value = match *field {
                "vat_recoverable" => Value::Bool(value == "true"),
                "entity_id" => match resolve_entity(&entities, value) {
                    Ok(id) => Value::String(id),
                    Err(e) => {
                        row_errors.push(e);
                        continue;
                    }
                },
                "category" => match call
                    .categories
                    .iter()
                    .find(|c| c.code.as_str() == value.as_str() || fold(&c.name) == fold(value))
                {
                    Some(c) => Value::String(c.code.as_str().to_owned()),
                    None => {
                        let known: Vec<String> = call
                            .categories
                            .iter()
                            .map(|c| format!("{} ({})", c.name, c.code.as_str()))
                            .collect();
                        row_errors.push(error(
                            "category",
                            "unknown_category",
                            format!(
                                "categoria «{value}» sconosciuta: quelle del bando sono {}",
                                known.join(", ")
                            ),
                        ));
                        continue;
                    }
                },
                _ => Value::String(value.clone()),
            };
            json.insert((*field).to_owned(), value);
        }
        if !row.values.contains_key("entity_id") {
            if let Some(entity) = &options.entity {
                match resolve_entity(&entities, entity) {
                    Ok(id) => {
                        json.insert("entity_id".into(), Value::String(id));
                    }
                    Err(e) => row_errors.push(e),
                }
            }
        }
        json.entry("document_type")
            .or_insert_with(|| Value::String("invoice".into()));
        let data = serde_json::from_value::<ExpenseInput>(Value::Object(json))
            .map_err(|e| vec![error("", "invalid", e.to_string())])
            .and_then(|input| ExpenseData::try_from(input).map_err(|e| e.field_errors().to_vec()));
        match data {
            Ok(data) if row_errors.is_empty() => parsed.push((row.line, data)),
            Ok(_) => {}
            Err(more) => {
                // A cell already reported as mistyped is not also "missing".
                let known: Vec<String> = row_errors.iter().map(|e| e.field.clone()).collect();
                row_errors.extend(more.into_iter().filter(|e| !known.contains(&e.field)));
            }
        }
        errors.extend(row_errors.into_iter().map(|e| RowError {
            row: row.line,
            message: with_column(&sheet.columns, &e),
            field: e.field,
            code: e.code,
        }));
    }
    // A row for an entity the caller may not record for is that row's error, not a refusal of
    // the whole file.
    let membership = access::membership(app, who, project).await?;
    parsed.retain(|(line, data)| {
        let need = Need::RecordExpense {
            entity: data.entity_id,
        };
        match permits(who, membership.as_ref(), need) {
            Ok(()) => true,
            Err(denied) => {
                errors.push(RowError {
                    row: *line,
                    field: "entity_id".into(),
                    code: "forbidden_entity".into(),
                    message: with_column(
                        &sheet.columns,
                        &error("entity_id", "forbidden_entity", denied.0),
                    ),
                });
                false
            }
        }
    });
    // The project's rules (entities, categories) and the caller's rights, as the API applies them.
    let data: Vec<ExpenseData> = parsed.iter().map(|(_, d)| d.clone()).collect();
    if !data.is_empty() {
        match expenses::validate_many(app, who, project, &data).await {
            Ok(()) => {}
            Err(ServiceError::Invalid(found)) => {
                for e in found {
                    let (index, field) = split_row_field(&e.field);
                    let row = index
                        .and_then(|i| parsed.get(i))
                        .map_or(0, |(line, _)| *line);
                    errors.push(RowError {
                        row,
                        message: with_column(
                            &sheet.columns,
                            &FieldError {
                                field: field.to_owned(),
                                ..e.clone()
                            },
                        ),
                        field: field.to_owned(),
                        code: e.code,
                    });
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    errors.sort_by_key(|e| e.row);
    let planned = parsed
        .iter()
        .map(|(line, d)| PlannedRow {
            row: *line,
            entity_id: d.entity_id.to_string(),
            category: d.category.as_ref().map(|c| c.as_str().to_owned()),
            supplier_name: d.document.supplier_name.clone(),
            document_number: d.document.number.clone(),
            document_date: d.document.date.to_string(),
            net_amount: d.amounts.net().to_string(),
            vat_amount: d.amounts.vat().to_string(),
            claimed_amount: d.amounts.claimed().to_string(),
        })
        .collect();
    let mut report = CsvReport {
        outcome: "preview",
        rows: sheet.rows.len(),
        columns: sheet
            .columns
            .iter()
            .map(|(f, h)| ((*f).to_owned(), h.clone()))
            .collect(),
        ignored_columns: sheet.ignored.clone(),
        errors,
        expenses: planned,
        created: Vec::new(),
    };
    if sheet.rows.is_empty() {
        report.outcome = "refused";
        report.errors.push(RowError {
            row: 0,
            field: String::new(),
            code: "no_rows".into(),
            message: "il file non contiene righe di spesa".into(),
        });
        return Ok(report);
    }
    if !report.errors.is_empty() {
        report.outcome = if options.dry_run {
            "preview"
        } else {
            "refused"
        };
        return Ok(report);
    }
    if options.dry_run {
        return Ok(report);
    }
    let created = expenses::create_many(app, who, project, data, None).await?;
    report.outcome = "created";
    report.created = created.iter().map(|e| e.id.to_string()).collect();
    Ok(report)
}

fn error(field: &str, code: &str, message: String) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }
}

/// An entity of the project given by id or by name (case and accents ignored).
fn resolve_entity(entities: &[crate::domain::Entity], raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    entities
        .iter()
        .find(|e| e.id.to_string() == raw || fold(&e.name) == fold(raw))
        .map(|e| e.id.to_string())
        .ok_or_else(|| {
            error(
                "entity_id",
                "unknown_entity",
                format!("ente «{raw}» non trovato tra i partner del progetto"),
            )
        })
}

/// `rows[3].category` → (Some(3), "category").
fn split_row_field(field: &str) -> (Option<usize>, &str) {
    field
        .strip_prefix("rows[")
        .and_then(|rest| rest.split_once("]."))
        .map_or((None, field), |(i, f)| (i.parse().ok(), f))
}

/// The message, naming the column the field came from when the reader did not already.
fn with_column(columns: &BTreeMap<&'static str, String>, e: &FieldError) -> String {
    match columns.get(e.field.as_str()) {
        Some(header) if !e.message.starts_with("colonna") => {
            format!("colonna «{header}»: {}", e.message)
        }
        _ => e.message.clone(),
    }
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
async fn import(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<(StatusCode, Json<CsvReport>)> {
    let project = parse_project_id(&id)?;
    let options = Options::from_query(&query)?;
    let report = run(&app, &who, project, &body, &options).await?;
    match report.outcome {
        "created" => Ok((StatusCode::CREATED, Json(report))),
        "preview" => Ok((StatusCode::OK, Json(report))),
        _ => Err(ApiError::invalid(
            report
                .errors
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
        )),
    }
}
