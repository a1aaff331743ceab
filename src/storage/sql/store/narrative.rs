//! The relazione's sections and the project's indicators.

use async_trait::async_trait;

use super::super::{narrative, SqlStore};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;
use crate::storage::{Change, NarrativeStore, StoreError};

#[async_trait]
impl NarrativeStore for SqlStore {
    async fn insert_section(
        &self,
        project: ProjectId,
        new: &NewSection,
        change: &Change,
    ) -> Result<Section, StoreError> {
        self.audited(change, async |conn| {
            let created = narrative::insert_section(conn, project, new, change.now).await?;
            let record = Record::new(AuditAction::SectionCreate, "section", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn sections(&self, project: ProjectId) -> Result<Vec<Section>, StoreError> {
        narrative::sections(&mut *self.conn().await?, project).await
    }

    async fn insert_indicator(
        &self,
        project: ProjectId,
        new: &NewIndicator,
        change: &Change,
    ) -> Result<Indicator, StoreError> {
        self.audited(change, async |conn| {
            let created = narrative::insert_indicator(&mut *conn, project, new, change.now).await?;
            let record = Record::new(AuditAction::IndicatorCreate, "indicator", created.id)
                .project(project)
                .after(&created);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn indicators(&self, project: ProjectId) -> Result<Vec<Indicator>, StoreError> {
        narrative::indicators(&mut *self.conn().await?, project).await
    }

    async fn update_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &NewSection,
        change: &Change,
    ) -> Result<Section, StoreError> {
        self.audited(change, async |conn| {
            let (before, after) =
                narrative::update_section(conn, project, id, expected_version, new).await?;
            let record = Record::new(AuditAction::SectionUpdate, "section", id)
                .project(project)
                .before(&before)
                .after(&after);
            Ok((after, vec![record]))
        })
        .await
    }

    async fn delete_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let before = narrative::delete_section(conn, project, id, expected_version).await?;
            let record = Record::new(AuditAction::SectionDelete, "section", id)
                .project(project)
                .before(&before);
            Ok(((), vec![record]))
        })
        .await
    }

    async fn update_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &NewIndicator,
        change: &Change,
    ) -> Result<Indicator, StoreError> {
        self.audited(change, async |conn| {
            let (before, after) =
                narrative::update_indicator(conn, project, id, expected_version, new).await?;
            let record = Record::new(AuditAction::IndicatorUpdate, "indicator", id)
                .project(project)
                .before(&before)
                .after(&after);
            Ok((after, vec![record]))
        })
        .await
    }

    async fn delete_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let before = narrative::delete_indicator(conn, project, id, expected_version).await?;
            let record = Record::new(AuditAction::IndicatorDelete, "indicator", id)
                .project(project)
                .before(&before);
            Ok(((), vec![record]))
        })
        .await
    }
}
