//! Submissions: frozen documents and the expenses they included.

use super::Conn;
use chrono::{DateTime, NaiveDate, Utc};

use super::rows::codice_fiscale;
use super::DIALECT;
use crate::domain::submission::{NewSubmission, PriorClaim, Submission, SubmittedFile};
use crate::domain::{ExpenseId, ExpenseStatus, Money, ProjectId, Signatory};
use crate::storage::StoreError;

pub(super) async fn revision(conn: &mut Conn, project: ProjectId) -> Result<i64, StoreError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT expenses_revision FROM projects WHERE id = $1")
            .bind(project.0)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(r,)| r).ok_or(StoreError::NotFound)
}

pub(super) async fn insert(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewSubmission,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<ExpenseId>), StoreError> {
    let (current,): (i64,) = sqlx::query_as(&format!(
        "SELECT expenses_revision FROM projects WHERE id = $1{}",
        DIALECT.for_update
    ))
    .bind(project.0)
    .fetch_one(&mut *conn)
    .await?;
    if current != new.expected_revision {
        return Err(StoreError::VersionMismatch);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO submissions (project_id, as_of, template, fingerprint, signatory_name, signatory_role, \
         signatory_place, contribution_due_cents, xlsx, pdf, relazione, created_at, audit_seq, audit_hash, \
         signatory_tax_code) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(project.0)
    .bind(new.as_of)
    .bind(&new.template)
    .bind(&new.fingerprint)
    .bind(&new.signatory.name)
    .bind(&new.signatory.role)
    .bind(&new.signatory.place)
    .bind(new.contribution_due.cents())
    .bind(&new.xlsx)
    .bind(&new.pdf)
    .bind(&new.relazione)
    .bind(now)
    .bind(new.audit_head.0)
    .bind(&new.audit_head.1)
    .bind(new.signatory.tax_code.as_ref().map(|c| c.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    let mut newly_included = Vec::new();
    for (expense, claimed) in &new.expenses {
        sqlx::query("INSERT INTO submission_expenses (submission_id, expense_id, claimed_cents) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(expense.0)
            .bind(claimed.cents())
            .execute(&mut *conn)
            .await?;
        let changed = sqlx::query(
            "UPDATE expenses SET status = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND project_id = $4 AND status <> $1",
        )
        .bind(ExpenseStatus::Included.as_str())
        .bind(now)
        .bind(expense.0)
        .bind(project.0)
        .execute(&mut *conn)
        .await?;
        if changed.rows_affected() > 0 {
            newly_included.push(*expense);
        }
    }
    sqlx::query("UPDATE projects SET expenses_revision = expenses_revision + 1 WHERE id = $1")
        .bind(project.0)
        .execute(&mut *conn)
        .await?;
    Ok((id, newly_included))
}

type SubmissionRow = (
    i64,
    i64,
    NaiveDate,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    DateTime<Utc>,
    Option<String>,
);

pub(super) async fn list(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Submission>, StoreError> {
    let rows: Vec<SubmissionRow> = sqlx::query_as(
        "SELECT s.id, s.project_id, s.as_of, s.template, s.fingerprint, s.signatory_name, s.signatory_role, \
         s.signatory_place, s.contribution_due_cents, \
         (SELECT COUNT(*) FROM submission_expenses e WHERE e.submission_id = s.id), s.audit_seq, s.audit_hash, \
         s.created_at, s.signatory_tax_code \
         FROM submissions s WHERE s.project_id = $1 ORDER BY s.id",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(
                id,
                project_id,
                as_of,
                template,
                fingerprint,
                name,
                role,
                place,
                due,
                count,
                audit_seq,
                audit_hash,
                created_at,
                tax_code,
            )| {
                Ok(Submission {
                    id,
                    project_id: ProjectId(project_id),
                    as_of,
                    template,
                    fingerprint,
                    signatory: Signatory {
                        name,
                        role,
                        place,
                        tax_code: codice_fiscale(tax_code)?,
                    },
                    contribution_due: Money::from_cents(due),
                    expense_count: count,
                    audit_seq,
                    audit_hash,
                    created_at,
                })
            },
        )
        .collect()
}

pub(super) async fn file(
    conn: &mut Conn,
    project: ProjectId,
    id: i64,
    document: SubmittedFile,
) -> Result<Option<Vec<u8>>, StoreError> {
    let column = match document {
        SubmittedFile::Xlsx => "xlsx",
        SubmittedFile::Pdf => "pdf",
        SubmittedFile::Relazione => "relazione",
    };
    let row: Option<(Vec<u8>,)> = sqlx::query_as(&format!(
        "SELECT {column} FROM submissions WHERE id = $1 AND project_id = $2"
    ))
    .bind(id)
    .bind(project.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(b,)| b))
}

pub(super) async fn prior_claims(
    conn: &mut Conn,
    project: ProjectId,
    before: Option<i64>,
) -> Result<Vec<PriorClaim>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT se.expense_id, se.submission_id, se.claimed_cents FROM submission_expenses se \
         JOIN submissions s ON s.id = se.submission_id \
         WHERE s.project_id = $1 AND ($2 IS NULL OR s.id < $2) AND se.claimed_cents IS NOT NULL \
         ORDER BY se.submission_id, se.expense_id",
    )
    .bind(project.0)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(expense, submission, cents)| PriorClaim {
            expense: ExpenseId(expense),
            submission,
            claimed: Money::from_cents(cents),
        })
        .collect())
}
