//! A project's variations, extensions, milestones and the Region's tranches.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::json;

use super::super::{funding, SqlStore};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche, Variation,
    VariationStatus,
};
use crate::domain::ProjectId;
use crate::storage::{Change, FundingStore, StoreError};

#[async_trait]
impl FundingStore for SqlStore {
    async fn insert_variation(
        &self,
        project: ProjectId,
        new: &NewVariation,
        change: &Change,
    ) -> Result<Variation, StoreError> {
        let id = self
            .audited(change, async |conn| {
            let id = funding::insert_variation(conn, project, new, change.now).await?;
                let record = Record::new(AuditAction::VariationCreate, "variation", id)
                .project(project)
                .after(&json!({"act": new.act, "date": new.date, "status": new.status, "changes": new.changes}));
                Ok((id, vec![record]))
            })
            .await?;
        self.variation(project, id).await
    }

    async fn variations(&self, project: ProjectId) -> Result<Vec<Variation>, StoreError> {
        funding::variations(&mut *self.conn().await?, project).await
    }

    async fn set_variation_status(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        status: VariationStatus,
        decision_date: Option<NaiveDate>,
        change: &Change,
    ) -> Result<Variation, StoreError> {
        let before = self.variation(project, id).await?;
        self.audited(change, async |conn| {
            funding::set_variation_status(conn, id, expected_version, status, decision_date)
                .await?;
            let record = Record::new(AuditAction::VariationStatus, "variation", id)
                .project(project)
                .before(&before)
                .after(&json!({"status": status, "decision_date": decision_date}));
            Ok(((), vec![record]))
        })
        .await?;
        self.variation(project, id).await
    }

    async fn insert_extension(
        &self,
        project: ProjectId,
        new: &NewExtension,
        change: &Change,
    ) -> Result<Extension, StoreError> {
        self.audited(change, async |conn| {
            let created = funding::insert_extension(&mut *conn, project, new, change.now).await?;
            let record = Record::new(AuditAction::ExtensionCreate, "extension", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn extensions(&self, project: ProjectId) -> Result<Vec<Extension>, StoreError> {
        funding::extensions(&mut *self.conn().await?, project).await
    }

    async fn insert_milestone(
        &self,
        project: ProjectId,
        new: &NewMilestone,
        change: &Change,
    ) -> Result<Milestone, StoreError> {
        self.audited(change, async |conn| {
            let created = funding::insert_milestone(&mut *conn, project, new, change.now).await?;
            let record = Record::new(AuditAction::MilestoneCreate, "milestone", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>, StoreError> {
        funding::milestones(&mut *self.conn().await?, project).await
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
        self.audited(change, async |conn| {
            funding::update_milestone(conn, id, expected_version, new).await?;
            let record = Record::new(AuditAction::MilestoneUpdate, "milestone", id)
                .project(project)
                .before(&before)
                .after(&json!({"name": new.name, "due_date": new.due_date, "done": new.done}));
            Ok(((), vec![record]))
        })
        .await?;
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
        self.audited(change, async |conn| {
            let created = funding::insert_tranche(&mut *conn, project, new, change.now).await?;
            let record = Record::new(AuditAction::TrancheCreate, "tranche", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn tranches(&self, project: ProjectId) -> Result<Vec<Tranche>, StoreError> {
        funding::tranches(&mut *self.conn().await?, project).await
    }
}
