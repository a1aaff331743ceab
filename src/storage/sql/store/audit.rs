//! The audit trail's reads.

use async_trait::async_trait;

use super::super::{audit, SqlStore};
use crate::domain::audit::{Anchor, Entry};
use crate::domain::ProjectId;
use crate::storage::{AuditStore, Page, PageRequest, StoreError};

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit_head(&self) -> Result<(i64, String), StoreError> {
        audit::head(&mut *self.conn().await?).await
    }

    async fn audit_of(&self, object_type: &str, object_id: &str) -> Result<Vec<Entry>, StoreError> {
        audit::of_object(&mut *self.conn().await?, object_type, object_id).await
    }

    async fn audit_of_project(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<Entry>, StoreError> {
        audit::of_project(&mut *self.conn().await?, project, page).await
    }

    async fn audit_scan(&self, after_seq: i64, limit: i64) -> Result<Vec<Entry>, StoreError> {
        audit::scan(&mut *self.conn().await?, after_seq, limit).await
    }

    async fn audit_anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        audit::anchors(&mut *self.conn().await?).await
    }
}
