//! The SQL shared by both backends. This module is compiled twice, once inside `sqlite.rs` and
//! once inside `postgres.rs`, where `Db` names the engine and `DIALECT` its few differences: the
//! queries are written once and each backend gets concrete, fully typed sqlx code.
//!
//! `store.rs` and `account_store.rs` implement the storage traits: each method opens a read or a
//! writing transaction, calls the query modules (`expenses`, `funding`, `accounts`…, one per table
//! family) and appends the audit entry in the same transaction. `import_batch.rs` writes a batch of
//! imported files; `group_commit.rs` batches single inserts; `expense_cache.rs` keeps a project's
//! expenses in memory between changes.

mod account_store;
mod accounts;
mod attachments;
mod audit;
mod calls;
mod expense_cache;
mod expenses;
mod funding;
mod group_commit;
mod import_batch;
mod narrative;
mod projects;
mod rows;
mod store;
mod submissions;

use sqlx::{Pool, Transaction};

use super::{Db, DIALECT};
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::funding::Variation;
use crate::domain::{Expense, ExpenseData, ExpenseId, ProjectId};
use crate::storage::{Change, StoreError};

pub struct SqlStore {
    pool: Pool<Db>,
    writer: tokio::sync::mpsc::Sender<group_commit::Job>,
    cache: expense_cache::ExpenseCache,
}

impl SqlStore {
    /// Must be called inside a Tokio runtime: it starts the group-commit writer.
    pub fn new(pool: Pool<Db>) -> SqlStore {
        let writer = group_commit::spawn(pool.clone());
        SqlStore {
            pool,
            writer,
            cache: expense_cache::ExpenseCache::default(),
        }
    }

    pub fn pool(&self) -> &Pool<Db> {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Db>, StoreError> {
        begin_write(&self.pool).await
    }
}

/// Begins a writing transaction: on PostgreSQL it first takes the audit trail's head, so writers
/// are ordered by it and never wait for it while holding other locks (no deadlock).
async fn begin_write(pool: &Pool<Db>) -> Result<Transaction<'static, Db>, StoreError> {
    let mut tx = pool.begin_with(DIALECT.begin_write).await?;
    audit::lock_head(&mut tx).await?;
    Ok(tx)
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`], anything else to `Database`.
fn classify(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(what.to_owned())
        }
        _ => StoreError::Database(error),
    }
}

/// Inserts an expense and records it in the audit trail, in `tx`.
async fn insert_audited(
    tx: &mut Transaction<'static, Db>,
    project: ProjectId,
    data: &ExpenseData,
    change: &Change,
) -> Result<Expense, StoreError> {
    let expense = expenses::insert(tx, project, data, change.actor.user_id(), change.now).await?;
    audit::append(
        tx,
        change,
        Record::new(AuditAction::ExpenseCreate, "expense", expense.id)
            .project(project.0)
            .after(&expense),
    )
    .await?;
    Ok(expense)
}

async fn attach_audited(
    tx: &mut Transaction<'static, Db>,
    project: ProjectId,
    expense: ExpenseId,
    file: &NewAttachment,
    change: &Change,
) -> Result<Attachment, StoreError> {
    let attachment =
        attachments::insert(tx, project, expense, file, change.now, change.actor.label()).await?;
    audit::append(
        tx,
        change,
        Record::new(AuditAction::AttachmentCreate, "attachment", attachment.id)
            .project(project.0)
            .after(&attachment),
    )
    .await?;
    Ok(attachment)
}

/// For a batch: seals the entry of an expense just inserted into the batch's audit chain and, with
/// `evidence`, attaches that file to it and seals that entry too (the chain writes them at the end).
async fn chain_created(
    tx: &mut Transaction<'static, Db>,
    chain: &mut audit::Chain,
    project: ProjectId,
    expense: &Expense,
    evidence: Option<&NewAttachment>,
    change: &Change,
) -> Result<(), StoreError> {
    chain.push(
        change,
        Record::new(AuditAction::ExpenseCreate, "expense", expense.id)
            .project(project.0)
            .after(expense),
    );
    if let Some(file) = evidence {
        let attachment = attachments::insert(
            tx,
            project,
            expense.id,
            file,
            change.now,
            change.actor.label(),
        )
        .await?;
        chain.push(
            change,
            Record::new(AuditAction::AttachmentCreate, "attachment", attachment.id)
                .project(project.0)
                .after(&attachment),
        );
    }
    Ok(())
}

impl SqlStore {
    /// One variation of a project (a variation of another project is not found).
    async fn variation(&self, project: ProjectId, id: i64) -> Result<Variation, StoreError> {
        funding::variations(&self.pool, project)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(StoreError::NotFound)
    }
}
