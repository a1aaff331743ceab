//! Calls, projects and their partner entities.

use async_trait::async_trait;
use serde_json::json;

use super::super::{calls, projects, SqlStore};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::{
    Call, CallId, DateChange, Entity, EntityId, NewCall, NewEntity, Project, ProjectData,
    ProjectId, UserId,
};
use crate::storage::{Change, Page, PageRequest, ProjectStore, StoreError};

#[async_trait]
impl ProjectStore for SqlStore {
    async fn insert_call(&self, call: &NewCall, change: &Change) -> Result<Call, StoreError> {
        let id = self
            .audited(change, async |conn| {
                let id = calls::insert(&mut *conn, call, change.now).await?;
                let record = Record::new(AuditAction::CallCreate, "call", id).after(call);
                Ok((id, vec![record]))
            })
            .await?;
        self.get_call(id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_call(&self, id: CallId) -> Result<Option<Call>, StoreError> {
        calls::get(&mut *self.conn().await?, id).await
    }

    async fn list_calls(&self, page: PageRequest) -> Result<Page<Call>, StoreError> {
        calls::list(&mut *self.conn().await?, page).await
    }

    async fn count_projects(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(n)
    }

    async fn insert_project(
        &self,
        data: &ProjectData,
        change: &Change,
    ) -> Result<Project, StoreError> {
        let id = self
            .audited(change, async |conn| {
                let id = projects::insert(&mut *conn, data, change.now).await?;
                let record = Record::new(AuditAction::ProjectCreate, "project", id)
                    .project(id)
                    .after(data);
                Ok((id, vec![record]))
            })
            .await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError> {
        projects::get(&mut *self.conn().await?, id).await
    }

    async fn list_projects(
        &self,
        page: PageRequest,
        visible_to: Option<UserId>,
    ) -> Result<Page<Project>, StoreError> {
        projects::list(&mut *self.conn().await?, page, visible_to).await
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
        self.audited(change, async |conn| {
            projects::update(conn, id, expected_version, data, date_changes, change.now).await?;
            let record = Record::new(AuditAction::ProjectUpdate, "project", id)
                .project(id)
                .before(&before.data)
                .after(&json!({"data": data, "date_changes": date_changes}));
            Ok(((), vec![record]))
        })
        .await?;
        self.get_project(id).await?.ok_or(StoreError::NotFound)
    }

    async fn insert_entity(
        &self,
        project: ProjectId,
        entity: &NewEntity,
        change: &Change,
    ) -> Result<Entity, StoreError> {
        self.audited(change, async |conn| {
            let created = projects::insert_entity(&mut *conn, project, entity, change.now).await?;
            let record = Record::new(AuditAction::EntityCreate, "entity", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn update_entity(
        &self,
        project: ProjectId,
        id: EntityId,
        expected_version: i64,
        entity: &NewEntity,
        change: &Change,
    ) -> Result<Entity, StoreError> {
        self.audited(change, async |conn| {
            let (before, after) =
                projects::update_entity(conn, project, id, expected_version, entity).await?;
            let record = Record::new(AuditAction::EntityUpdate, "entity", id)
                .project(project)
                .before(&before)
                .after(&after);
            Ok((after, vec![record]))
        })
        .await
    }

    async fn get_entity(&self, id: EntityId) -> Result<Option<Entity>, StoreError> {
        projects::get_entity(&mut *self.conn().await?, id).await
    }

    async fn list_entities(&self, project: ProjectId) -> Result<Vec<Entity>, StoreError> {
        projects::list_entities(&mut *self.conn().await?, project).await
    }
}
