//! Expenses, their evidence, and the claims on their documents.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::super::{
    attach_audited, attachments, audit, chain_created, expenses, funding, group_commit,
    import_batch, insert_audited, SqlStore, Target,
};
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::{DocumentKey, Expense, ExpenseData, ExpenseId, Money, ProjectId, Step};
use crate::storage::{
    Change, ExpenseFile, ExpenseFilter, ExpenseSortField, ExpenseStore, ExpenseTotals, Page,
    PageRequest, Sort, StoreError,
};

#[async_trait]
impl ExpenseStore for SqlStore {
    async fn insert_expense(
        &self,
        project: ProjectId,
        data: &ExpenseData,
        change: &Change,
    ) -> Result<Expense, StoreError> {
        let Target::Pool(writer) = &self.target else {
            // Inside a unit of work: written at once, in its transaction.
            return self
                .in_write(async |conn| insert_audited(conn, project, data, change).await)
                .await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = group_commit::Job {
            project,
            data: data.clone(),
            change: change.clone(),
            reply,
        };
        writer
            .send(job)
            .await
            .map_err(|_| StoreError::CommitFailed("writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::CommitFailed("writer stopped".into()))?
    }

    async fn insert_expenses(
        &self,
        project: ProjectId,
        data: &[ExpenseData],
        evidence: Option<&NewAttachment>,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError> {
        self.in_write(async |conn| {
            // Once for the batch: the revision mark and the audit chain's head, the entries
            // written together at the end (a third of the statements of one audited insert each).
            expenses::bump_revision(&mut *conn, project).await?;
            let mut chain = audit::Chain::head(conn).await?;
            let mut created = Vec::with_capacity(data.len());
            for expense in data {
                let by = change.actor.user_id();
                let expense = expenses::insert_row(conn, project, expense, by, change.now).await?;
                chain_created(conn, &mut chain, project, &expense, evidence, change).await?;
                created.push(expense);
            }
            chain.save(conn).await?;
            Ok(created)
        })
        .await
    }

    async fn insert_expense_files(
        &self,
        project: ProjectId,
        files: &[ExpenseFile],
        change: &Change,
    ) -> Result<Vec<Result<Vec<Expense>, StoreError>>, StoreError> {
        self.in_write(async |conn| import_batch::insert_files(conn, project, files, change).await)
            .await
    }

    async fn get_expense(&self, id: ExpenseId) -> Result<Option<Expense>, StoreError> {
        expenses::get(&mut *self.conn().await?, id).await
    }

    async fn list_expenses(
        &self,
        project: ProjectId,
        filter: &ExpenseFilter,
        sort: Sort<ExpenseSortField>,
        page: PageRequest,
    ) -> Result<(Page<Expense>, ExpenseTotals), StoreError> {
        expenses::list(&mut *self.conn().await?, project, filter, sort, page).await
    }

    async fn all_expenses(&self, project: ProjectId) -> Result<Arc<Vec<Expense>>, StoreError> {
        // The revision first: rows read after it are at least as new, so a cached list is never
        // labelled newer than it is.
        let revision: i64 =
            sqlx::query_scalar("SELECT expenses_revision FROM projects WHERE id = $1")
                .bind(project)
                .fetch_optional(&mut *self.conn().await?)
                .await?
                .ok_or(StoreError::NotFound)?;
        if let Some(cached) = self.cache.get(project, revision) {
            return Ok(cached);
        }
        let list = Arc::new(expenses::all(&mut *self.conn().await?, project).await?);
        self.cache.put(project, revision, list.clone());
        Ok(list)
    }

    async fn update_expense(
        &self,
        id: ExpenseId,
        expected_version: i64,
        data: &ExpenseData,
        change: &Change,
    ) -> Result<Expense, StoreError> {
        self.audited(change, async |conn| {
            let (before, after) = expenses::update(
                conn,
                id,
                expected_version,
                data,
                change.actor.user_id(),
                change.now,
            )
            .await?;
            let record = Record::new(AuditAction::ExpenseUpdate, "expense", id)
                .project(after.project_id)
                .before(&before)
                .after(&after);
            Ok((after, vec![record]))
        })
        .await
    }

    async fn update_expenses(
        &self,
        updates: &[(ExpenseId, i64, ExpenseData)],
        action: crate::domain::audit::AuditAction,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError> {
        self.audited(change, async |conn| {
            let mut done = Vec::with_capacity(updates.len());
            let mut records = Vec::with_capacity(updates.len());
            for (id, expected_version, data) in updates {
                let by = change.actor.user_id();
                let (before, after) =
                    expenses::update(conn, *id, *expected_version, data, by, change.now).await?;
                records.push(
                    Record::new(action, "expense", id)
                        .project(after.project_id)
                        .before(&before)
                        .after(&after),
                );
                done.push(after);
            }
            Ok((done, records))
        })
        .await
    }

    async fn delete_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let before = expenses::delete(conn, id, expected_version).await?;
            let record = Record::new(AuditAction::ExpenseDelete, "expense", id)
                .project(before.project_id)
                .before(&before);
            Ok(((), vec![record]))
        })
        .await
    }

    async fn step_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        step: Step,
        note: Option<&str>,
        change: &Change,
    ) -> Result<Expense, StoreError> {
        self.audited(change, async |conn| {
            let (before, after) = expenses::step(
                conn,
                id,
                expected_version,
                step,
                note,
                change.actor.user_id(),
                change.now,
            )
            .await?;
            let record = Record::new(step.action(), "expense", id)
                .project(after.project_id)
                .before(&before)
                .after(&json!({"expense": after, "note": note}));
            Ok((after, vec![record]))
        })
        .await
    }

    async fn insert_attachment(
        &self,
        expense: ExpenseId,
        new: &NewAttachment,
        change: &Change,
    ) -> Result<Attachment, StoreError> {
        self.in_write(async |conn| {
            let project: i64 = sqlx::query_scalar("SELECT project_id FROM expenses WHERE id = $1")
                .bind(expense)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound)?;
            attach_audited(conn, ProjectId(project), expense, new, change).await
        })
        .await
    }

    async fn get_attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
        attachments::get(&mut *self.conn().await?, id).await
    }

    async fn attachments(&self, expense: ExpenseId) -> Result<Vec<Attachment>, StoreError> {
        attachments::of_expense(&mut *self.conn().await?, expense).await
    }

    async fn project_attachments(&self, project: ProjectId) -> Result<Vec<Attachment>, StoreError> {
        attachments::of_project(&mut *self.conn().await?, project).await
    }

    async fn delete_attachment(&self, id: i64, change: &Change) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let before = attachments::delete(conn, id).await?;
            let record = Record::new(AuditAction::AttachmentDelete, "attachment", id)
                .project(before.project_id)
                .before(&before);
            Ok(((), vec![record]))
        })
        .await
    }

    async fn claims_elsewhere(
        &self,
        project: ProjectId,
    ) -> Result<Vec<(DocumentKey, Money)>, StoreError> {
        funding::claims_elsewhere(&mut *self.conn().await?, project).await
    }
}
