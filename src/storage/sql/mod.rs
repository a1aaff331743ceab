//! The SQL shared by both backends. This module is compiled twice, once inside `sqlite.rs` and
//! once inside `postgres.rs`, where `Db` names the engine and `DIALECT` its few differences: the
//! queries are written once and each backend gets concrete, fully typed sqlx code.

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
use sqlx::{Pool, Transaction};

use super::{Db, DIALECT};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche, Variation,
    VariationStatus,
};
use crate::domain::{
    Call, CallId, DateChange, DocumentKey, Entity, EntityId, Expense, ExpenseData, ExpenseId,
    Money, NewCall, NewEntity, Project, ProjectData, ProjectId,
};
use crate::storage::{
    ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort, Store, StoreError,
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
        Ok(self.pool.begin_with(DIALECT.begin_write).await?)
    }
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

    async fn insert_call(&self, call: &NewCall, now: DateTime<Utc>) -> Result<Call, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = calls::insert(&mut tx, call, now).await?;
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
        now: DateTime<Utc>,
    ) -> Result<Project, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = projects::insert(&mut tx, data, now).await?;
        tx.commit().await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        projects::get(&self.pool, id).await
    }

    async fn list_projects(&self, page: PageRequest) -> Result<Page<Project>, StoreError> {
        projects::list(&self.pool, page).await
    }

    async fn update_project(
        &self,
        id: ProjectId,
        expected_version: i64,
        data: &ProjectData,
        date_changes: &[DateChange],
        now: DateTime<Utc>,
    ) -> Result<Project, StoreError> {
        let mut tx = self.begin_write().await?;
        projects::update(&mut tx, id, expected_version, data, date_changes, now).await?;
        tx.commit().await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn insert_entity(
        &self,
        project: ProjectId,
        entity: &NewEntity,
        now: DateTime<Utc>,
    ) -> Result<Entity, StoreError> {
        projects::insert_entity(&self.pool, project, entity, now).await
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
        now: DateTime<Utc>,
    ) -> Result<Expense, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = group_commit::Job {
            project,
            data: data.clone(),
            now,
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
        now: DateTime<Utc>,
    ) -> Result<Vec<Expense>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut created = Vec::with_capacity(data.len());
        for expense in data {
            created.push(expenses::insert(&mut tx, project, expense, now).await?);
        }
        tx.commit().await?;
        Ok(created)
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
        now: DateTime<Utc>,
    ) -> Result<Expense, StoreError> {
        let mut tx = self.begin_write().await?;
        let expense = expenses::update(&mut tx, id, expected_version, data, now).await?;
        tx.commit().await?;
        Ok(expense)
    }

    async fn delete_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        expenses::delete(&mut tx, id, expected_version).await?;
        tx.commit().await?;
        Ok(())
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
        now: DateTime<Utc>,
    ) -> Result<Variation, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = funding::insert_variation(&mut tx, project, new, now).await?;
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
    ) -> Result<Variation, StoreError> {
        self.variation(project, id).await?;
        let mut tx = self.begin_write().await?;
        funding::set_variation_status(&mut tx, id, expected_version, status).await?;
        tx.commit().await?;
        self.variation(project, id).await
    }

    async fn insert_extension(
        &self,
        project: ProjectId,
        new: &NewExtension,
        now: DateTime<Utc>,
    ) -> Result<Extension, StoreError> {
        funding::insert_extension(&self.pool, project, new, now).await
    }

    async fn extensions(&self, project: ProjectId) -> Result<Vec<Extension>, StoreError> {
        funding::extensions(&self.pool, project).await
    }

    async fn insert_milestone(
        &self,
        project: ProjectId,
        new: &NewMilestone,
        now: DateTime<Utc>,
    ) -> Result<Milestone, StoreError> {
        funding::insert_milestone(&self.pool, project, new, now).await
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
    ) -> Result<Milestone, StoreError> {
        if !self.milestones(project).await?.iter().any(|m| m.id == id) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin_write().await?;
        funding::update_milestone(&mut tx, id, expected_version, new).await?;
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
        now: DateTime<Utc>,
    ) -> Result<Tranche, StoreError> {
        funding::insert_tranche(&self.pool, project, new, now).await
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
        now: DateTime<Utc>,
    ) -> Result<crate::domain::submission::Submission, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = submissions::insert(&mut tx, project, new, now).await?;
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
        now: DateTime<Utc>,
    ) -> Result<crate::domain::narrative::Section, StoreError> {
        narrative::insert_section(&self.pool, project, new, now).await
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
        now: DateTime<Utc>,
    ) -> Result<crate::domain::narrative::Indicator, StoreError> {
        narrative::insert_indicator(&self.pool, project, new, now).await
    }

    async fn indicators(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::narrative::Indicator>, StoreError> {
        narrative::indicators(&self.pool, project).await
    }
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
