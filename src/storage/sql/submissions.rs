//! Submissions: frozen documents and the expenses they included.

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, NaiveDate, Utc};

use super::rows::codice_fiscale;
use super::DIALECT;
use crate::domain::submission::{NewSubmission, PriorClaim, Submission, SubmittedFile};
use crate::domain::{ExpenseId, ExpenseStatus, Money, ProjectId, Signatory};
use crate::storage::StoreError;

pub(super) async fn revision(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<i64, StoreError> {
    let row: Option<i64> =
        sqlx::query_scalar("SELECT expenses_revision FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(db)
            .await?;
    row.ok_or(StoreError::NotFound)
}

pub(super) async fn insert(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewSubmission,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<ExpenseId>), StoreError> {
    let current: i64 = sqlx::query_scalar(&format!(
        "SELECT expenses_revision FROM projects WHERE id = $1{}",
        DIALECT.for_update
    ))
    .bind(project)
    .fetch_one(&mut *conn)
    .await?;
    if current != new.expected_revision {
        return Err(StoreError::VersionMismatch);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO submissions (project_id, as_of, template, fingerprint, signatory_name, signatory_role, \
         signatory_place, contribution_due_cents, xlsx, pdf, relazione, created_at, audit_seq, audit_hash, \
         signatory_tax_code, fingerprint_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
    )
    .bind(project)
    .bind(new.as_of)
    .bind(&new.template)
    .bind(&new.fingerprint)
    .bind(&new.signatory.name)
    .bind(&new.signatory.role)
    .bind(&new.signatory.place)
    .bind(new.contribution_due)
    .bind(&new.xlsx)
    .bind(&new.pdf)
    .bind(&new.relazione)
    .bind(now)
    .bind(new.audit_head.0)
    .bind(&new.audit_head.1)
    .bind(new.signatory.tax_code.as_ref().map(|c| c.as_str()))
    .bind(new.fingerprint_version)
    .fetch_one(&mut *conn)
    .await?;
    let mut newly_included = Vec::new();
    for (expense, claimed) in &new.expenses {
        sqlx::query("INSERT INTO submission_expenses (submission_id, expense_id, claimed_cents) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(expense)
            .bind(claimed)
            .execute(&mut *conn)
            .await?;
        let changed = sqlx::query(
            "UPDATE expenses SET status = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND project_id = $4 AND status <> $1",
        )
        .bind(ExpenseStatus::Included.as_str())
        .bind(now)
        .bind(expense)
        .bind(project)
        .execute(&mut *conn)
        .await?;
        if changed.rows_affected() > 0 {
            newly_included.push(*expense);
        }
    }
    // The evidence pack, frozen with it: every file of the counted expenses, as they are now.
    sqlx::query(
        "INSERT INTO submission_evidence (submission_id, attachment_id) \
         SELECT CAST($1 AS BIGINT), a.id FROM attachments a \
         JOIN submission_expenses se ON se.expense_id = a.expense_id AND se.submission_id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE projects SET expenses_revision = expenses_revision + 1 WHERE id = $1")
        .bind(project)
        .execute(&mut *conn)
        .await?;
    Ok((id, newly_included))
}

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    id: i64,
    project_id: ProjectId,
    as_of: NaiveDate,
    template: String,
    fingerprint: String,
    fingerprint_version: i64,
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    signatory_tax_code: Option<String>,
    contribution_due_cents: Money,
    expense_count: i64,
    audit_seq: Option<i64>,
    audit_hash: Option<String>,
    created_at: DateTime<Utc>,
}

pub(super) async fn list(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Submission>, StoreError> {
    let rows: Vec<SubmissionRow> = sqlx::query_as(
        "SELECT s.id, s.project_id, s.as_of, s.template, s.fingerprint, s.fingerprint_version, \
         s.signatory_name, \
         s.signatory_role, s.signatory_place, s.signatory_tax_code, s.contribution_due_cents, \
         (SELECT COUNT(*) FROM submission_expenses e WHERE e.submission_id = s.id) AS expense_count, \
         s.audit_seq, s.audit_hash, s.created_at \
         FROM submissions s WHERE s.project_id = $1 ORDER BY s.id",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Submission {
                id: row.id,
                project_id: row.project_id,
                as_of: row.as_of,
                template: row.template,
                fingerprint: row.fingerprint,
                fingerprint_version: row.fingerprint_version,
                signatory: Signatory {
                    name: row.signatory_name,
                    role: row.signatory_role,
                    place: row.signatory_place,
                    tax_code: codice_fiscale(row.signatory_tax_code)?,
                },
                contribution_due: row.contribution_due_cents,
                expense_count: row.expense_count,
                audit_seq: row.audit_seq,
                audit_hash: row.audit_hash,
                created_at: row.created_at,
            })
        })
        .collect()
}

pub(super) async fn file(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    id: i64,
    document: SubmittedFile,
) -> Result<Option<Vec<u8>>, StoreError> {
    let column = match document {
        SubmittedFile::Xlsx => "xlsx",
        SubmittedFile::Pdf => "pdf",
        SubmittedFile::Relazione => "relazione",
    };
    let bytes: Option<Vec<u8>> = sqlx::query_scalar(&format!(
        "SELECT {column} FROM submissions WHERE id = $1 AND project_id = $2"
    ))
    .bind(id)
    .bind(project)
    .fetch_optional(db)
    .await?;
    Ok(bytes)
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    expense_id: ExpenseId,
    submission_id: i64,
    claimed_cents: Money,
}

pub(super) async fn prior_claims(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    before: Option<i64>,
) -> Result<Vec<PriorClaim>, StoreError> {
    let rows: Vec<ClaimRow> = sqlx::query_as(
        "SELECT se.expense_id, se.submission_id, se.claimed_cents FROM submission_expenses se \
         JOIN submissions s ON s.id = se.submission_id \
         WHERE s.project_id = $1 AND ($2 IS NULL OR s.id < $2) AND se.claimed_cents IS NOT NULL \
         ORDER BY se.submission_id, se.expense_id",
    )
    .bind(project)
    .bind(before)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PriorClaim {
            expense: row.expense_id,
            submission: row.submission_id,
            claimed: row.claimed_cents,
        })
        .collect())
}
