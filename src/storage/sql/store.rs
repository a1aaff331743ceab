//! The [`Store`] trait over the shared SQL: each method opens what it needs (a pool read, a
//! writing transaction), calls the query modules, and appends the audit entry in the same
//! transaction.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::DIALECT;
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche, Variation,
    VariationStatus,
};
use crate::domain::{
    Call, CallId, DateChange, DocumentKey, Entity, EntityId, Expense, ExpenseData, ExpenseId,
    Money, NewCall, NewEntity, Project, ProjectData, ProjectId, Step, UserId,
};
use crate::storage::{
    Change, ExpenseFile, ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort,
    Store, StoreError,
};

use super::{
    attach_audited, attachments, audit, calls, chain_created, expenses, funding, group_commit,
    import_batch, narrative, projects, submissions, SqlStore,
};

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn probe_write(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO health_probe (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_call(&self, call: &NewCall, change: &Change) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = calls::insert(&mut tx, call, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::CallCreate, "call", id).after(call),
        )
        .await?;
        tx.commit().await?;
        self.get_call(id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_call(&self, id: CallId) -> Result<Option<Call>, StoreError> {
        calls::get(&self.pool, id).await
    }

    async fn list_calls(&self, page: PageRequest) -> Result<Page<Call>, StoreError> {
        calls::list(&self.pool, page).await
    }

    async fn count_projects(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    async fn insert_project(
        &self,
        data: &ProjectData,
        change: &Change,
    ) -> Result<Project, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = projects::insert(&mut tx, data, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::ProjectCreate, "project", id)
                .project(id.0)
                .after(data),
        )
        .await?;
        tx.commit().await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        projects::get(&self.pool, id).await
    }

    async fn list_projects(
        &self,
        page: PageRequest,
        visible_to: Option<UserId>,
    ) -> Result<Page<Project>, StoreError> {
        projects::list(&self.pool, page, visible_to).await
    }

    async fn update_project(
        &self,
        id: ProjectId,
        expected_version: i64,
        data: &ProjectData,
        date_changes: &[DateChange],
        change: &Change,
    ) -> Result<Project, StoreError> {
        // Read before the transaction: if its version is the expected one and the update below
        // succeeds (it checks the version), nothing changed in between.
        let before = self.get_project(id).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.begin_write().await?;
        projects::update(
            &mut tx,
            id,
            expected_version,
            data,
            date_changes,
            change.now,
        )
        .await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::ProjectUpdate, "project", id)
                .project(id.0)
                .before(&before.data)
                .after(&json!({"data": data, "date_changes": date_changes})),
        )
        .await?;
        tx.commit().await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn insert_entity(
        &self,
        project: ProjectId,
        entity: &NewEntity,
        change: &Change,
    ) -> Result<Entity, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = projects::insert_entity(&mut tx, project, entity, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::EntityCreate, "entity", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_entity(&self, id: EntityId) -> Result<Option<Entity>, StoreError> {
        projects::get_entity(&self.pool, id).await
    }

    async fn list_entities(&self, project: ProjectId) -> Result<Vec<Entity>, StoreError> {
        projects::list_entities(&self.pool, project).await
    }

    async fn insert_expense(
        &self,
        project: ProjectId,
        data: &ExpenseData,
        change: &Change,
    ) -> Result<Expense, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = group_commit::Job {
            project,
            data: data.clone(),
            change: change.clone(),
            reply,
        };
        self.writer
            .send(job)
            .await
            .map_err(|_| StoreError::CommitFailed("writer stopped".into()))?;
        let expense = answer
            .await
            .map_err(|_| StoreError::CommitFailed("writer stopped".into()))??;
        Ok(expense)
    }

    async fn insert_expenses(
        &self,
        project: ProjectId,
        data: &[ExpenseData],
        evidence: Option<&NewAttachment>,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError> {
        let mut tx = self.begin_write().await?;
        // Once for the batch: the revision mark and the audit chain's head, the entries written
        // together at the end (a third of the statements of one audited insert per row).
        expenses::bump_revision(&mut tx, project).await?;
        let mut chain = audit::Chain::head(&mut tx).await?;
        let mut created = Vec::with_capacity(data.len());
        for expense in data {
            let expense = expenses::insert_row(
                &mut tx,
                project,
                expense,
                change.actor.user_id(),
                change.now,
            )
            .await?;
            chain_created(&mut tx, &mut chain, project, &expense, evidence, change).await?;
            created.push(expense);
        }
        chain.save(&mut tx).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn insert_expense_files(
        &self,
        project: ProjectId,
        files: &[ExpenseFile],
        change: &Change,
    ) -> Result<Vec<Result<Vec<Expense>, StoreError>>, StoreError> {
        let mut tx = self.begin_write().await?;
        let outcomes = import_batch::insert_files(&mut tx, project, files, change).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn insert_attachment(
        &self,
        expense: ExpenseId,
        new: &NewAttachment,
        change: &Change,
    ) -> Result<Attachment, StoreError> {
        let mut tx = self.begin_write().await?;
        let (project,): (i64,) = sqlx::query_as("SELECT project_id FROM expenses WHERE id = $1")
            .bind(expense.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let attachment = attach_audited(&mut tx, ProjectId(project), expense, new, change).await?;
        tx.commit().await?;
        Ok(attachment)
    }

    async fn get_attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
        attachments::get(&self.pool, id).await
    }

    async fn attachments(&self, expense: ExpenseId) -> Result<Vec<Attachment>, StoreError> {
        attachments::of_expense(&self.pool, expense).await
    }

    async fn project_attachments(&self, project: ProjectId) -> Result<Vec<Attachment>, StoreError> {
        attachments::of_project(&self.pool, project).await
    }

    async fn delete_attachment(&self, id: i64, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = attachments::delete(&mut tx, id).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::AttachmentDelete, "attachment", id)
                .project(before.project_id.0)
                .before(&before),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_expense(&self, id: ExpenseId) -> Result<Option<Expense>, StoreError> {
        expenses::get(&self.pool, id).await
    }

    async fn list_expenses(
        &self,
        project: ProjectId,
        filter: &ExpenseFilter,
        sort: Sort<ExpenseSortField>,
        page: PageRequest,
    ) -> Result<(Page<Expense>, ExpenseTotals), StoreError> {
        expenses::list(&self.pool, project, filter, sort, page).await
    }

    async fn all_expenses(&self, project: ProjectId) -> Result<Arc<Vec<Expense>>, StoreError> {
        // The revision first: rows read after it are at least as new, so a cached list is never
        // labelled newer than it is.
        let (revision,): (i64,) =
            sqlx::query_as("SELECT expenses_revision FROM projects WHERE id = $1")
                .bind(project.0)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        if let Some(cached) = self.cache.get(project, revision) {
            return Ok(cached);
        }
        let list = Arc::new(expenses::all(&self.pool, project).await?);
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
        let mut tx = self.begin_write().await?;
        let (before, after) = expenses::update(
            &mut tx,
            id,
            expected_version,
            data,
            change.actor.user_id(),
            change.now,
        )
        .await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::ExpenseUpdate, "expense", id)
                .project(after.project_id.0)
                .before(&before)
                .after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn update_expenses(
        &self,
        updates: &[(ExpenseId, i64, ExpenseData)],
        action: crate::domain::audit::AuditAction,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut done = Vec::with_capacity(updates.len());
        for (id, expected_version, data) in updates {
            let (before, after) = expenses::update(
                &mut tx,
                *id,
                *expected_version,
                data,
                change.actor.user_id(),
                change.now,
            )
            .await?;
            audit::append(
                &mut tx,
                change,
                Record::new(action, "expense", id)
                    .project(after.project_id.0)
                    .before(&before)
                    .after(&after),
            )
            .await?;
            done.push(after);
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn delete_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = expenses::delete(&mut tx, id, expected_version).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::ExpenseDelete, "expense", id)
                .project(before.project_id.0)
                .before(&before),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn step_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        step: Step,
        note: Option<&str>,
        change: &Change,
    ) -> Result<Expense, StoreError> {
        let mut tx = self.begin_write().await?;
        let (before, after) = expenses::step(
            &mut tx,
            id,
            expected_version,
            step,
            note,
            change.actor.user_id(),
            change.now,
        )
        .await?;
        audit::append(
            &mut tx,
            change,
            Record::new(step.action(), "expense", id)
                .project(after.project_id.0)
                .before(&before)
                .after(&json!({"expense": after, "note": note})),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn claims_elsewhere(
        &self,
        project: ProjectId,
    ) -> Result<Vec<(DocumentKey, Money)>, StoreError> {
        funding::claims_elsewhere(&self.pool, project).await
    }

    async fn insert_variation(
        &self,
        project: ProjectId,
        new: &NewVariation,
        change: &Change,
    ) -> Result<Variation, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = funding::insert_variation(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::VariationCreate, "variation", id)
                .project(project.0)
                .after(&json!({"act": new.act, "date": new.date, "status": new.status, "changes": new.changes})),
        )
        .await?;
        tx.commit().await?;
        self.variation(project, id).await
    }

    async fn variations(&self, project: ProjectId) -> Result<Vec<Variation>, StoreError> {
        funding::variations(&self.pool, project).await
    }

    async fn set_variation_status(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        status: VariationStatus,
        change: &Change,
    ) -> Result<Variation, StoreError> {
        let before = self.variation(project, id).await?;
        let mut tx = self.begin_write().await?;
        funding::set_variation_status(&mut tx, id, expected_version, status).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::VariationStatus, "variation", id)
                .project(project.0)
                .before(&before)
                .after(&json!({"status": status})),
        )
        .await?;
        tx.commit().await?;
        self.variation(project, id).await
    }

    async fn insert_extension(
        &self,
        project: ProjectId,
        new: &NewExtension,
        change: &Change,
    ) -> Result<Extension, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = funding::insert_extension(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::ExtensionCreate, "extension", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn extensions(&self, project: ProjectId) -> Result<Vec<Extension>, StoreError> {
        funding::extensions(&self.pool, project).await
    }

    async fn insert_milestone(
        &self,
        project: ProjectId,
        new: &NewMilestone,
        change: &Change,
    ) -> Result<Milestone, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = funding::insert_milestone(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::MilestoneCreate, "milestone", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>, StoreError> {
        funding::milestones(&self.pool, project).await
    }

    async fn update_milestone(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &NewMilestone,
        change: &Change,
    ) -> Result<Milestone, StoreError> {
        let before = self
            .milestones(project)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.begin_write().await?;
        funding::update_milestone(&mut tx, id, expected_version, new).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::MilestoneUpdate, "milestone", id)
                .project(project.0)
                .before(&before)
                .after(&json!({"name": new.name, "due_date": new.due_date, "done": new.done})),
        )
        .await?;
        tx.commit().await?;
        self.milestones(project)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn insert_tranche(
        &self,
        project: ProjectId,
        new: &NewTranche,
        change: &Change,
    ) -> Result<Tranche, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = funding::insert_tranche(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::TrancheCreate, "tranche", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn tranches(&self, project: ProjectId) -> Result<Vec<Tranche>, StoreError> {
        funding::tranches(&self.pool, project).await
    }

    async fn expenses_revision(&self, project: ProjectId) -> Result<i64, StoreError> {
        submissions::revision(&self.pool, project).await
    }

    async fn insert_submission(
        &self,
        project: ProjectId,
        new: &crate::domain::submission::NewSubmission,
        change: &Change,
    ) -> Result<crate::domain::submission::Submission, StoreError> {
        let mut tx = self.begin_write().await?;
        let (id, newly_included) = submissions::insert(&mut tx, project, new, change.now).await?;
        for expense in &newly_included {
            audit::append(
                &mut tx,
                change,
                Record::new(AuditAction::ExpenseInclude, "expense", expense)
                    .project(project.0)
                    .after(&json!({"status": "included", "submission": id})),
            )
            .await?;
        }
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::SubmissionCreate, "submission", id)
                .project(project.0)
                .after(&json!({
                    "as_of": new.as_of, "template": new.template, "fingerprint": new.fingerprint,
                    "contribution_due": new.contribution_due, "signatory": new.signatory,
                    "expenses": new.expenses.iter().map(|(e, claimed)| json!([e, claimed])).collect::<Vec<_>>(),
                    "audit_seq": new.audit_head.0, "audit_hash": new.audit_head.1,
                })),
        )
        .await?;
        tx.commit().await?;
        submissions::list(&self.pool, project)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn submissions(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::submission::Submission>, StoreError> {
        submissions::list(&self.pool, project).await
    }

    async fn prior_claims(
        &self,
        project: ProjectId,
        before: Option<i64>,
    ) -> Result<Vec<crate::domain::submission::PriorClaim>, StoreError> {
        submissions::prior_claims(&self.pool, project, before).await
    }

    async fn submission_file(
        &self,
        project: ProjectId,
        id: i64,
        document: crate::domain::submission::SubmittedFile,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        submissions::file(&self.pool, project, id, document).await
    }

    async fn insert_section(
        &self,
        project: ProjectId,
        new: &crate::domain::narrative::NewSection,
        change: &Change,
    ) -> Result<crate::domain::narrative::Section, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = narrative::insert_section(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::SectionCreate, "section", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn sections(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::narrative::Section>, StoreError> {
        narrative::sections(&self.pool, project).await
    }

    async fn insert_indicator(
        &self,
        project: ProjectId,
        new: &crate::domain::narrative::NewIndicator,
        change: &Change,
    ) -> Result<crate::domain::narrative::Indicator, StoreError> {
        let mut tx = self.begin_write().await?;
        let created = narrative::insert_indicator(&mut tx, project, new, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::IndicatorCreate, "indicator", created.id)
                .project(project.0)
                .after(&created),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn indicators(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::narrative::Indicator>, StoreError> {
        narrative::indicators(&self.pool, project).await
    }

    async fn update_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &crate::domain::narrative::NewSection,
        change: &Change,
    ) -> Result<crate::domain::narrative::Section, StoreError> {
        let mut tx = self.begin_write().await?;
        let (before, after) =
            narrative::update_section(&mut tx, project, id, expected_version, new).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::SectionUpdate, "section", id)
                .project(project.0)
                .before(&before)
                .after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn delete_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = narrative::delete_section(&mut tx, project, id, expected_version).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::SectionDelete, "section", id)
                .project(project.0)
                .before(&before),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &crate::domain::narrative::NewIndicator,
        change: &Change,
    ) -> Result<crate::domain::narrative::Indicator, StoreError> {
        let mut tx = self.begin_write().await?;
        let (before, after) =
            narrative::update_indicator(&mut tx, project, id, expected_version, new).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::IndicatorUpdate, "indicator", id)
                .project(project.0)
                .before(&before)
                .after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn delete_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let before = narrative::delete_indicator(&mut tx, project, id, expected_version).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::IndicatorDelete, "indicator", id)
                .project(project.0)
                .before(&before),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
