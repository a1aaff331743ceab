//! Importing expenses from a CSV spreadsheet: a dry run lists every row's errors (or what would
//! be created); otherwise the rows are created all together, or none of them when any row is
//! wrong. Each row goes through the same checks as an expense typed in: the CSV reader turns
//! Italian cells into the API's forms, entity and category names become ids and codes, then the
//! one expense parser and the project's rules decide. Used by the API and the workspace.

use std::collections::BTreeMap;

use serde::Serialize;

use super::expenses::CheckedRows;
use super::{access, calls, expenses, imports, App, ServiceError};
use crate::domain::access::{permits, Actor, Need};
use crate::domain::expense_fields::{ExpenseFields, Locale};
use crate::domain::text::fold;
use crate::domain::{Call, Entity, ExpenseData, FieldError, ProjectId};
use crate::imports::csv;
/// Which header each field is read from (`field → header`).
pub use crate::imports::csv::Mapping;

/// What an import did: a dry run's preview, the expenses created, or a refusal (errors, nothing
/// written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CsvOutcome {
    Preview,
    Created,
    Refused,
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
    pub outcome: CsvOutcome,
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

/// Reads, checks and (unless a dry run) creates. `Err` when the file as a whole cannot be read
/// or the caller may not record expenses here.
pub async fn run(
    app: &App,
    who: &Actor,
    project: ProjectId,
    bytes: &[u8],
    options: &Options,
) -> Result<CsvReport, ServiceError> {
    let entities = imports::recordable_entities(app, who, project).await?;
    let project_data = crate::services::projects::get(app, who, project).await?;
    let call = calls::get(app, who, project_data.data.call_id).await?;
    let sheet = csv::parse(bytes, &options.mapping).map_err(ServiceError::Invalid)?;

    let (mut parsed, mut errors) = read_rows(&sheet, &entities, &call, options);
    keep_permitted(app, who, project, &sheet, &mut parsed, &mut errors).await?;
    let checked = check_rules(app, who, project, &sheet, &parsed, &mut errors).await?;
    errors.sort_by_key(|e| e.row);
    let planned = planned(&parsed);
    let mut report = CsvReport {
        outcome: CsvOutcome::Preview,
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
        report.outcome = CsvOutcome::Refused;
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
            CsvOutcome::Preview
        } else {
            CsvOutcome::Refused
        };
        return Ok(report);
    }
    if options.dry_run {
        return Ok(report);
    }
    let Some(checked) = checked else {
        return Ok(report);
    };
    let created = expenses::create_checked(app, who, checked, None).await?;
    report.outcome = CsvOutcome::Created;
    report.created = created.iter().map(|e| e.id.to_string()).collect();
    Ok(report)
}

/// Each row's fields read into an expense, or the row's errors: entities and categories named by
/// id, code or name; the entity of the options for rows without one.
fn read_rows(
    sheet: &csv::Sheet,
    entities: &[Entity],
    call: &Call,
    options: &Options,
) -> (Vec<(usize, ExpenseData)>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, ExpenseData)> = Vec::new();
    for row in &sheet.rows {
        let mut row_errors = row.errors.clone();
        let mut fields = ExpenseFields::default();
        for (field, value) in &row.values {
            let value = match *field {
                "entity_id" => match resolve_entity(entities, value) {
                    Ok(id) => id,
                    Err(e) => {
                        row_errors.push(e);
                        continue;
                    }
                },
                "category" => match resolve_category(call, value) {
                    Ok(code) => code,
                    Err(e) => {
                        row_errors.push(e);
                        continue;
                    }
                },
                _ => value.clone(),
            };
            fields.set(field, value);
        }
        if !row.values.contains_key("entity_id") {
            if let Some(entity) = &options.entity {
                match resolve_entity(entities, entity) {
                    Ok(id) => fields.entity_id = Some(id),
                    Err(e) => row_errors.push(e),
                }
            }
        }
        fields
            .document_type
            .get_or_insert_with(|| "invoice".to_owned());
        // The reader gives cells in the API's forms (it read the Italian ones).
        let data = fields.parse(Locale::Api);
        match data {
            Ok(data) if row_errors.is_empty() => parsed.push((row.line, data)),
            Ok(_) => {}
            Err(more) => add_unreported(&mut row_errors, more),
        }
        errors.extend(row_errors_of(&sheet.columns, row.line, row_errors));
    }
    (parsed, errors)
}

/// A row for an entity the caller may not record for is that row's error, not a refusal of the
/// whole file.
async fn keep_permitted(
    app: &App,
    who: &Actor,
    project: ProjectId,
    sheet: &csv::Sheet,
    parsed: &mut Vec<(usize, ExpenseData)>,
    errors: &mut Vec<RowError>,
) -> Result<(), ServiceError> {
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
    Ok(())
}

/// The project's rules (entities, categories) and the caller's rights, as the API applies them:
/// each error under the row it came from. The rows read, checked once, when they all pass.
async fn check_rules(
    app: &App,
    who: &Actor,
    project: ProjectId,
    sheet: &csv::Sheet,
    parsed: &[(usize, ExpenseData)],
    errors: &mut Vec<RowError>,
) -> Result<Option<CheckedRows>, ServiceError> {
    let mut checked = None;
    if !parsed.is_empty() {
        let data: Vec<ExpenseData> = parsed.iter().map(|(_, d)| d.clone()).collect();
        match expenses::validate_many(app, who, project, data).await {
            Ok(rows) => checked = Some(rows),
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
            Err(other) => return Err(other),
        }
    }
    Ok(checked)
}

/// What a dry run shows of each row it would create.
fn planned(parsed: &[(usize, ExpenseData)]) -> Vec<PlannedRow> {
    parsed
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
        .collect()
}

fn error(field: &str, code: &str, message: String) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }
}

/// A category of the call given by code or by name (case and accents ignored).
pub(crate) fn resolve_category(call: &Call, raw: &str) -> Result<String, FieldError> {
    match call
        .categories
        .iter()
        .find(|c| c.code.as_str() == raw || fold(&c.name) == fold(raw))
    {
        Some(c) => Ok(c.code.as_str().to_owned()),
        None => {
            let known: Vec<String> = call
                .categories
                .iter()
                .map(|c| format!("{} ({})", c.name, c.code.as_str()))
                .collect();
            Err(error(
                "category",
                "unknown_category",
                format!(
                    "categoria «{raw}» sconosciuta: quelle del bando sono {}",
                    known.join(", ")
                ),
            ))
        }
    }
}

/// An entity of the project given by id or by name (case and accents ignored).
pub(crate) fn resolve_entity(
    entities: &[crate::domain::Entity],
    raw: &str,
) -> Result<String, FieldError> {
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
/// Adds the parser's errors but for fields whose cell was already reported as mistyped (not also
/// "missing").
pub(crate) fn add_unreported(row_errors: &mut Vec<FieldError>, more: Vec<FieldError>) {
    let known: Vec<String> = row_errors.iter().map(|e| e.field.clone()).collect();
    row_errors.extend(more.into_iter().filter(|e| !known.contains(&e.field)));
}

/// A row's errors as the report lists them, each naming its column.
pub(crate) fn row_errors_of<'a>(
    columns: &'a BTreeMap<&'static str, String>,
    line: usize,
    errors: Vec<FieldError>,
) -> impl Iterator<Item = RowError> + 'a {
    errors.into_iter().map(move |e| RowError {
        row: line,
        message: with_column(columns, &e),
        field: e.field,
        code: e.code,
    })
}

pub(crate) fn with_column(columns: &BTreeMap<&'static str, String>, e: &FieldError) -> String {
    match columns.get(e.field.as_str()) {
        Some(header) if !e.message.starts_with("colonna") => {
            format!("colonna «{header}»: {}", e.message)
        }
        _ => e.message.clone(),
    }
}
