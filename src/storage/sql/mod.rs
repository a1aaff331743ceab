//! The SQL shared by both backends. This module is compiled twice, once inside `sqlite.rs` and
//! once inside `postgres.rs`, where `Db` names the engine and `DIALECT` its few differences: the
//! queries are written once and each backend gets concrete, fully typed sqlx code.

mod accounts;
mod attachments;
mod audit;
mod calls;
mod expense_cache;
mod expenses;
mod funding;
mod group_commit;
mod narrative;
mod projects;
mod rows;
mod submissions;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{Pool, Transaction};

use super::{Db, DIALECT};
use crate::domain::access::{ApiToken, Membership, Role, User};
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{Anchor, Entry, Record};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche, Variation,
    VariationStatus,
};
use crate::domain::{
    Call, CallId, DateChange, DocumentKey, Entity, EntityId, Expense, ExpenseData, ExpenseId,
    Money, NewCall, NewEntity, Project, ProjectData, ProjectId, Step, UserId,
};
use crate::storage::{
    AccountStore, Change, ExpenseFile, ExpenseFilter, ExpenseSortField, ExpenseTotals, NewSession,
    Page, PageRequest, Sort, Store, StoreError,
};

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

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_call(&self, call: &NewCall, change: &Change) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = calls::insert(&mut tx, call, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("call.create", "call", id).after(call),
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
            Record::new("project.create", "project", id)
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
            Record::new("project.update", "project", id)
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
            Record::new("entity.create", "entity", created.id)
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
        let mut created = Vec::with_capacity(data.len());
        for expense in data {
            let expense = insert_audited(&mut tx, project, expense, change).await?;
            if let Some(file) = evidence {
                attach_audited(&mut tx, project, expense.id, file, change).await?;
            }
            created.push(expense);
        }
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
        // Once for the batch: the revision mark and the audit chain's head (written at the end).
        expenses::bump_revision(&mut tx, project).await?;
        let mut chain = audit::Chain::head(&mut tx).await?;
        let by = change.actor.user_id();
        let mut outcomes = Vec::with_capacity(files.len());
        for file in files {
            // A file of one document needs no savepoint: checked first, then written whole or
            // failing the transaction. Several documents may stop half-way: a savepoint each.
            let several = file.expenses.len() > 1;
            if several {
                sqlx::query("SAVEPOINT import_file")
                    .execute(&mut *tx)
                    .await?;
            }
            let mark = chain.mark();
            let mut written: Result<Vec<Expense>, StoreError> = Ok(Vec::new());
            for data in &file.expenses {
                let step = async {
                    // Checked again here, inside the one write transaction, so that two imports
                    // of the same document at once cannot both record it.
                    if expenses::already_recorded(&mut tx, project, data).await? {
                        return Err(StoreError::Duplicate("documento già registrato".into()));
                    }
                    // Not recorded: no other part of it to guard against, unless this very file
                    // carries it twice.
                    let expense = if several {
                        expenses::insert_row(&mut tx, project, data, by, change.now).await?
                    } else {
                        expenses::insert_new_document(&mut tx, project, data, by, change.now)
                            .await?
                    };
                    chain.push(
                        change,
                        Record::new("expense.create", "expense", expense.id)
                            .project(project.0)
                            .after(&expense),
                    );
                    if let Some(evidence) = &file.evidence {
                        let attachment = attachments::insert(
                            &mut tx,
                            project,
                            expense.id,
                            evidence,
                            change.now,
                            change.actor.label(),
                        )
                        .await?;
                        chain.push(
                            change,
                            Record::new("attachment.create", "attachment", attachment.id)
                                .project(project.0)
                                .after(&attachment),
                        );
                    }
                    Ok::<_, StoreError>(expense)
                }
                .await;
                match (step, &mut written) {
                    (Ok(expense), Ok(created)) => created.push(expense),
                    (Err(e), _) => {
                        written = Err(e);
                        break;
                    }
                    (Ok(_), Err(_)) => break,
                }
            }
            match written {
                Ok(created) => {
                    if several {
                        sqlx::query("RELEASE SAVEPOINT import_file")
                            .execute(&mut *tx)
                            .await?;
                    }
                    outcomes.push(Ok(created));
                }
                // A rule broken by this file: undo only its rows. A database failure ends all.
                Err(e @ (StoreError::DocumentOverclaimed { .. } | StoreError::Duplicate(_))) => {
                    if several {
                        sqlx::query("ROLLBACK TO SAVEPOINT import_file")
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("RELEASE SAVEPOINT import_file")
                            .execute(&mut *tx)
                            .await?;
                    }
                    chain.reset(mark);
                    outcomes.push(Err(e));
                }
                Err(other) => return Err(other),
            }
        }
        chain.save(&mut tx).await?;
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
            Record::new("attachment.delete", "attachment", id)
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
        let (before, after) =
            expenses::update(&mut tx, id, expected_version, data, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("expense.update", "expense", id)
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
        action: &'static str,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut done = Vec::with_capacity(updates.len());
        for (id, expected_version, data) in updates {
            let (before, after) =
                expenses::update(&mut tx, *id, *expected_version, data, change.now).await?;
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
            Record::new("expense.delete", "expense", id)
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
            Record::new("variation.create", "variation", id)
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
            Record::new("variation.status", "variation", id)
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
            Record::new("extension.create", "extension", created.id)
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
            Record::new("milestone.create", "milestone", created.id)
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
            Record::new("milestone.update", "milestone", id)
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
            Record::new("tranche.create", "tranche", created.id)
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
                Record::new("expense.include", "expense", expense)
                    .project(project.0)
                    .after(&json!({"status": "included", "submission": id})),
            )
            .await?;
        }
        audit::append(
            &mut tx,
            change,
            Record::new("submission.create", "submission", id)
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
            Record::new("section.create", "section", created.id)
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
            Record::new("indicator.create", "indicator", created.id)
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
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        change: &Change,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        let user =
            accounts::insert_user(&mut tx, email, password_hash, is_admin, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("user.create", "user", user.id).after(&user),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        accounts::by_email(&self.pool, email).await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        accounts::get(&self.pool, id).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        accounts::list(&self.pool).await
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        accounts::set_password(&mut tx, id, password_hash).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("user.password", "user", id).after(&json!({"password": "cambiata"})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_membership(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
        entities: &[EntityId],
        change: &Change,
    ) -> Result<Membership, StoreError> {
        let before = accounts::memberships(&self.pool, project, Some(user)).await?;
        let mut tx = self.begin_write().await?;
        accounts::set_membership(&mut tx, project, user, role, entities).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("membership.set", "membership", format!("{project}/{user}"))
                .project(project.0)
                .before(&before.first())
                .after(&json!({"role": role, "entities": entities.iter().map(ToString::to_string).collect::<Vec<_>>()})),
        )
        .await?;
        tx.commit().await?;
        accounts::memberships(&self.pool, project, Some(user))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    }

    async fn remove_membership(
        &self,
        project: ProjectId,
        user: UserId,
        change: &Change,
    ) -> Result<(), StoreError> {
        let before = accounts::memberships(&self.pool, project, Some(user)).await?;
        let mut tx = self.begin_write().await?;
        accounts::remove_membership(&mut tx, project, user).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(
                "membership.remove",
                "membership",
                format!("{project}/{user}"),
            )
            .project(project.0)
            .before(&before.first()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn memberships(&self, project: ProjectId) -> Result<Vec<Membership>, StoreError> {
        accounts::memberships(&self.pool, project, None).await
    }

    async fn membership(
        &self,
        project: ProjectId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        Ok(accounts::memberships(&self.pool, project, Some(user))
            .await?
            .into_iter()
            .next())
    }

    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        accounts::insert_session(&self.pool, session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError> {
        accounts::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        accounts::delete_session(&self.pool, token_hash).await
    }

    async fn insert_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        change: &Change,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.begin_write().await?;
        let token = accounts::insert_token(&mut tx, user, name, token_hash, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("token.create", "api_token", token.id).after(&token),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        accounts::token_user(&self.pool, token_hash).await
    }

    async fn tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        accounts::tokens(&self.pool, user).await
    }

    async fn revoke_token(&self, user: UserId, id: i64, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let token = accounts::revoke_token(&mut tx, user, id, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new("token.revoke", "api_token", id).after(&token),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_login_failure(&self, email: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        accounts::record_failure(&self.pool, email, at).await
    }

    async fn login_failures_since(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        accounts::failures_since(&self.pool, email, since).await
    }

    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        accounts::clear_failures(&self.pool, email).await
    }

    async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        audit::head(&self.pool).await
    }

    async fn audit_of(&self, object_type: &str, object_id: &str) -> Result<Vec<Entry>, StoreError> {
        audit::of_object(&self.pool, object_type, object_id).await
    }

    async fn audit_of_project(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<Entry>, StoreError> {
        audit::of_project(&self.pool, project, page).await
    }

    async fn audit_scan(&self, after_seq: i64, limit: i64) -> Result<Vec<Entry>, StoreError> {
        audit::scan(&self.pool, after_seq, limit).await
    }

    async fn audit_anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        audit::anchors(&self.pool).await
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
        Record::new("expense.create", "expense", expense.id)
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
        Record::new("attachment.create", "attachment", attachment.id)
            .project(project.0)
            .after(&attachment),
    )
    .await?;
    Ok(attachment)
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
