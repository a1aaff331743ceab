//! The files that prove an expense: upload (checked, stored once by SHA-256, then recorded),
//! list, download and removal. The bytes go to the file store before the row is written, so a
//! recorded attachment always has its bytes; a failed write leaves at most an unreferenced file.

use super::{access, expenses, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::attachment::{Attachment, AttachmentKind, NewAttachment};
use crate::domain::ExpenseId;

/// Checks a file and puts its bytes in the file store; the caller records it.
pub async fn store_file(
    app: &App,
    kind: AttachmentKind,
    name: &str,
    bytes: Vec<u8>,
) -> Result<NewAttachment, ServiceError> {
    let new = NewAttachment::check(kind, name, &bytes, app.max_file_bytes)
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    app.blobs.put(&new.digest, bytes).await?;
    Ok(new)
}

pub async fn upload(
    app: &App,
    who: &Actor,
    expense: ExpenseId,
    kind: AttachmentKind,
    name: &str,
    bytes: Vec<u8>,
) -> Result<Attachment, ServiceError> {
    let target = expenses::get(app, who, expense).await?;
    access::require(
        app,
        who,
        target.project_id,
        Need::RecordExpense {
            entity: target.data.entity_id,
        },
    )
    .await?;
    let new = store_file(app, kind, name, bytes).await?;
    Ok(app
        .store
        .insert_attachment(expense, &new, &app.change(who))
        .await?)
}

pub async fn list(
    app: &App,
    who: &Actor,
    expense: ExpenseId,
) -> Result<Vec<Attachment>, ServiceError> {
    expenses::get(app, who, expense).await?;
    Ok(app.store.attachments(expense).await?)
}

/// What the attachment is, if `who` may read its project.
pub async fn get(app: &App, who: &Actor, id: i64) -> Result<Attachment, ServiceError> {
    let attachment = find(app, id).await?;
    access::require(app, who, attachment.project_id, Need::Read).await?;
    Ok(attachment)
}

/// The attachment and its bytes, if `who` may read its project.
pub async fn download(
    app: &App,
    who: &Actor,
    id: i64,
) -> Result<(Attachment, Vec<u8>), ServiceError> {
    let attachment = get(app, who, id).await?;
    let bytes = app
        .blobs
        .get(&attachment.digest)
        .await?
        .ok_or(ServiceError::NotFound("contenuto dell'allegato"))?;
    Ok((attachment, bytes))
}

pub async fn delete(app: &App, who: &Actor, id: i64) -> Result<(), ServiceError> {
    let attachment = find(app, id).await?;
    let expense = expenses::get(app, who, attachment.expense_id).await?;
    access::require(
        app,
        who,
        expense.project_id,
        Need::EditExpense {
            entity: expense.data.entity_id,
            status: expense.status,
        },
    )
    .await?;
    Ok(app.store.delete_attachment(id, &app.change(who)).await?)
}

/// The project an attachment belongs to (for the membership gate).
pub async fn project_of(app: &App, id: i64) -> Result<crate::domain::ProjectId, ServiceError> {
    Ok(find(app, id).await?.project_id)
}

async fn find(app: &App, id: i64) -> Result<Attachment, ServiceError> {
    app.store
        .get_attachment(id)
        .await?
        .ok_or(ServiceError::NotFound("allegato"))
}
