//! What each attached file is and which expense it proves (the bytes are in the file store).

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, Utc};

use super::classify;
use super::rows::corrupt;
use crate::domain::attachment::{
    Attachment, AttachmentKind, ContentType, Digest, FileName, NewAttachment,
};
use crate::domain::{ExpenseId, ProjectId};
use crate::storage::StoreError;

const COLUMNS: &str = "id, project_id, expense_id, kind, file_name, content_type, size_bytes, \
                       sha256, created_at, created_by";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    project_id: ProjectId,
    expense_id: ExpenseId,
    kind: String,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    created_at: DateTime<Utc>,
    created_by: String,
}

fn into_domain(row: Row) -> Result<Attachment, StoreError> {
    Ok(Attachment {
        id: row.id,
        project_id: row.project_id,
        expense_id: row.expense_id,
        kind: AttachmentKind::parse(&row.kind)
            .ok_or_else(|| corrupt("attachment kind", &row.kind))?,
        file_name: FileName::stored(row.file_name),
        content_type: ContentType::from_mime(&row.content_type)
            .ok_or_else(|| corrupt("content type", &row.content_type))?,
        size: row.size_bytes,
        digest: Digest::parse(&row.sha256).ok_or_else(|| corrupt("sha256", &row.sha256))?,
        created_at: row.created_at,
        created_by: row.created_by,
    })
}

pub(super) async fn insert(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    expense: ExpenseId,
    new: &NewAttachment,
    now: DateTime<Utc>,
    by: &str,
) -> Result<Attachment, StoreError> {
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO attachments (project_id, expense_id, kind, file_name, content_type, size_bytes, \
         sha256, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(project)
    .bind(expense)
    .bind(new.kind.as_str())
    .bind(new.file_name.as_str())
    .bind(new.content_type.mime())
    .bind(new.size)
    .bind(new.digest.as_str())
    .bind(now)
    .bind(by)
    .fetch_one(db)
    .await
    .map_err(|e| classify(e, "file già allegato a questa spesa"))?;
    into_domain(row)
}

pub(super) async fn get(
    db: impl Executor<'_, Database = Db>,
    id: i64,
) -> Result<Option<Attachment>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(into_domain).transpose()
}

pub(super) async fn of_expense(
    db: impl Executor<'_, Database = Db>,
    expense: ExpenseId,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE expense_id = $1 ORDER BY id"
    ))
    .bind(expense)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(into_domain).collect()
}

pub(super) async fn of_project(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE project_id = $1 ORDER BY expense_id, id"
    ))
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(into_domain).collect()
}

/// The files a submission's evidence pack holds, frozen with it: by expense, then as attached.
pub(super) async fn of_submission(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    submission: i64,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE project_id = $1 AND id IN \
         (SELECT attachment_id FROM submission_evidence WHERE submission_id = $2) \
         ORDER BY expense_id, id"
    ))
    .bind(project)
    .bind(submission)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(into_domain).collect()
}

/// The files attached since to the expenses a submission counted: its integrazioni, in the order
/// they came.
pub(super) async fn added_after(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    submission: i64,
) -> Result<Vec<Attachment>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE project_id = $1 AND expense_id IN \
         (SELECT expense_id FROM submission_expenses WHERE submission_id = $2) \
         AND id NOT IN (SELECT attachment_id FROM submission_evidence WHERE submission_id = $2) \
         ORDER BY created_at, id"
    ))
    .bind(project)
    .bind(submission)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(into_domain).collect()
}

/// Deletes the row, unless a submission's evidence pack holds the file (it is then frozen).
pub(super) async fn delete(conn: &mut Conn, id: i64) -> Result<Attachment, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let attachment = into_domain(row.ok_or(StoreError::NotFound)?)?;
    // A file a submission's pack holds stays; one added since (an integrazione) may go.
    let submitted: Option<i64> = sqlx::query_scalar(
        "SELECT submission_id FROM submission_evidence WHERE attachment_id = $1 \
         ORDER BY submission_id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(submission) = submitted {
        return Err(StoreError::InEvidence(submission));
    }
    sqlx::query("DELETE FROM attachments WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(attachment)
}
