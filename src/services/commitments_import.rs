//! Commitments from the accounting system's export (CSV): as the expense import does, a dry run
//! lists every row's errors (or what would be recorded); otherwise every row is recorded, in one
//! transaction, or none when any is wrong. Each row goes through the checks of a commitment typed
//! in: the CSV reader turns Italian cells into the API's forms, entity and category names become
//! ids and codes, then the one commitment parser, the project's entities and the caller's rights
//! per entity decide.

use serde::Serialize;

use super::csv_import::{
    add_unreported, resolve_category, resolve_entity, row_errors_of, CsvOutcome, Mapping, RowError,
};
use super::{access, calls, commitments, projects, App, ServiceError};
use crate::domain::access::{permits, Actor, Need};
use crate::domain::commitment::{CommitmentData, CommitmentFields};
use crate::domain::{FieldError, ProjectId};
use crate::imports::csv;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlannedCommitment {
    pub row: usize,
    pub entity_id: String,
    pub category: String,
    pub act: String,
    pub act_date: String,
    pub amount: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommitmentImportReport {
    pub outcome: CsvOutcome,
    pub rows: usize,
    /// The header each field was read from.
    pub columns: std::collections::BTreeMap<String, String>,
    pub ignored_columns: Vec<String>,
    pub errors: Vec<RowError>,
    pub commitments: Vec<PlannedCommitment>,
    pub created: Vec<String>,
}

/// Reads, checks and (unless a dry run) records. `Err` when the file as a whole cannot be read.
pub async fn run(
    app: &App,
    who: &Actor,
    project: ProjectId,
    bytes: &[u8],
    mapping: &Mapping,
    dry_run: bool,
) -> Result<CommitmentImportReport, ServiceError> {
    let p = projects::get(app, who, project).await?;
    let call = calls::get(app, who, p.data.call_id).await?;
    let entities = projects::entities(app, who, project).await?;
    let membership = access::membership(app, who, project).await?;
    // A role that may commit for no entity is refused before the file is read.
    if let Some(first) = entities.first() {
        if !entities
            .iter()
            .any(|e| permits(who, membership.as_ref(), Need::Commit { entity: e.id }).is_ok())
        {
            access::require(app, who, project, Need::Commit { entity: first.id }).await?;
        }
    }
    let sheet = csv::read(bytes, mapping, csv::COMMITMENT_FIELDS).map_err(ServiceError::Invalid)?;
    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, CommitmentData)> = Vec::new();
    for row in &sheet.rows {
        let mut row_errors = row.errors.clone();
        let mut fields = CommitmentFields::default();
        for (field, value) in &row.values {
            let value = match *field {
                "entity_id" => resolve_entity(&entities, value),
                "category" => resolve_category(&call, value),
                _ => Ok(value.clone()),
            };
            match value {
                Ok(v) => set(&mut fields, field, v),
                Err(e) => row_errors.push(e),
            }
        }
        match fields.parse() {
            Ok(data) if row_errors.is_empty() => {
                match permits(
                    who,
                    membership.as_ref(),
                    Need::Commit {
                        entity: data.entity_id,
                    },
                ) {
                    Ok(()) => parsed.push((row.line, data)),
                    Err(denied) => row_errors.push(FieldError {
                        field: "entity_id".into(),
                        code: "forbidden_entity".into(),
                        message: denied.0,
                    }),
                }
            }
            Ok(_) => {}
            Err(more) => add_unreported(&mut row_errors, more),
        }
        errors.extend(row_errors_of(&sheet.columns, row.line, row_errors));
    }
    if sheet.rows.is_empty() {
        errors.push(RowError {
            row: 0,
            field: String::new(),
            code: "no_rows".into(),
            message: "il file non contiene righe di impegno".into(),
        });
    }
    let mut report = CommitmentImportReport {
        outcome: CsvOutcome::Preview,
        rows: sheet.rows.len(),
        columns: sheet
            .columns
            .iter()
            .map(|(f, h)| ((*f).to_owned(), h.clone()))
            .collect(),
        ignored_columns: sheet.ignored.clone(),
        commitments: parsed
            .iter()
            .map(|(row, d)| PlannedCommitment {
                row: *row,
                entity_id: d.entity_id.to_string(),
                category: d.category.as_str().to_owned(),
                act: d.act.clone(),
                act_date: d.act_date.to_string(),
                amount: d.amount.to_string(),
            })
            .collect(),
        errors,
        created: Vec::new(),
    };
    if !report.errors.is_empty() {
        if !dry_run {
            report.outcome = CsvOutcome::Refused;
        }
        return Ok(report);
    }
    if dry_run {
        return Ok(report);
    }
    report.created = record_all(app, who, project, parsed).await?;
    report.outcome = CsvOutcome::Created;
    Ok(report)
}

fn set(fields: &mut CommitmentFields, field: &str, value: String) {
    let slot = match field {
        "entity_id" => &mut fields.entity_id,
        "category" => &mut fields.category,
        "nature" => &mut fields.nature,
        "supplier_name" => &mut fields.supplier_name,
        "supplier_vat" => &mut fields.supplier_vat,
        "act" => &mut fields.act,
        "act_date" => &mut fields.act_date,
        "cig" => &mut fields.cig,
        "amount" => &mut fields.amount,
        "expected_invoice_date" => &mut fields.expected_invoice_date,
        "expected_payment_date" => &mut fields.expected_payment_date,
        _ => return,
    };
    *slot = Some(value);
}

/// Every row in one unit of work: all recorded, or none.
async fn record_all(
    app: &App,
    who: &Actor,
    project: ProjectId,
    rows: Vec<(usize, CommitmentData)>,
) -> Result<Vec<String>, ServiceError> {
    let unit = app.store.unit_of_work().await?;
    let scoped = App {
        store: unit.store(),
        ..app.clone()
    };
    let mut created = Vec::new();
    for (_, data) in rows {
        match commitments::create(&scoped, who, project, data).await {
            Ok(s) => created.push(s.commitment.id.to_string()),
            Err(e) => return Err(e),
        }
    }
    drop(scoped);
    unit.commit().await?;
    Ok(created)
}
