//! A project's commitments, and the users' calendar tokens.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::super::{accounts, commitments, SqlStore};
use crate::domain::access::User;
use crate::domain::audit::{AuditAction, Record};
use crate::domain::commitment::{Commitment, CommitmentData};
use crate::domain::{CommitmentId, ProjectId, UserId};
use crate::storage::{Change, CommitmentStore, StoreError};

#[async_trait]
impl CommitmentStore for SqlStore {
    async fn insert_commitment(
        &self,
        project: ProjectId,
        data: &CommitmentData,
        change: &Change,
    ) -> Result<Commitment, StoreError> {
        self.audited(change, async |conn| {
            let created = commitments::insert(&mut *conn, project, data, change.now).await?;
            let record = Record::new(AuditAction::CommitmentCreate, "commitment", created.id.0)
                .project(project)
                .after(&created.data);
            Ok((created, vec![record]))
        })
        .await
    }

    async fn commitments(&self, project: ProjectId) -> Result<Arc<Vec<Commitment>>, StoreError> {
        // The revision first, as for the expenses: a cached list is never labelled newer than it is.
        let revision: i64 =
            sqlx::query_scalar("SELECT expenses_revision FROM projects WHERE id = $1")
                .bind(project)
                .fetch_optional(&mut *self.conn().await?)
                .await?
                .ok_or(StoreError::NotFound)?;
        if let Some(cached) = self.commitment_cache.get(project, revision) {
            return Ok(cached);
        }
        let list = Arc::new(commitments::of_project(&mut *self.conn().await?, project).await?);
        self.commitment_cache.put(project, revision, list.clone());
        Ok(list)
    }

    async fn get_commitment(&self, id: CommitmentId) -> Result<Option<Commitment>, StoreError> {
        commitments::get(&mut *self.conn().await?, id).await
    }

    async fn update_commitment(
        &self,
        id: CommitmentId,
        expected_version: i64,
        data: &CommitmentData,
        change: &Change,
    ) -> Result<Commitment, StoreError> {
        let before = self.get_commitment(id).await?.ok_or(StoreError::NotFound)?;
        self.audited(change, async |conn| {
            let after = commitments::update(
                conn,
                before.project_id,
                id,
                expected_version,
                data,
                change.now,
            )
            .await?;
            let record = Record::new(AuditAction::CommitmentUpdate, "commitment", id.0)
                .project(before.project_id)
                .before(&before.data)
                .after(&after.data);
            Ok((after, vec![record]))
        })
        .await
    }

    async fn delete_commitment(
        &self,
        id: CommitmentId,
        expected_version: i64,
        change: &Change,
    ) -> Result<(), StoreError> {
        let before = self.get_commitment(id).await?.ok_or(StoreError::NotFound)?;
        self.audited(change, async |conn| {
            commitments::delete(conn, before.project_id, id, expected_version).await?;
            let record = Record::new(AuditAction::CommitmentDelete, "commitment", id.0)
                .project(before.project_id)
                .before(&before.data);
            Ok(((), vec![record]))
        })
        .await
    }

    async fn set_calendar_token(
        &self,
        user: UserId,
        token_hash: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            accounts::set_calendar_token(conn, user, token_hash, change.now).await?;
            // The digest is not recorded: the trail says a token was made, not which.
            let record = Record::new(AuditAction::CalendarTokenCreate, "calendar_token", user.0)
                .after(&json!({"user_id": user.to_string()}));
            Ok(((), vec![record]))
        })
        .await
    }

    async fn revoke_calendar_token(
        &self,
        user: UserId,
        change: &Change,
    ) -> Result<bool, StoreError> {
        self.audited(change, async |conn| {
            let removed = accounts::revoke_calendar_token(&mut *conn, user).await?;
            let records = if removed {
                vec![
                    Record::new(AuditAction::CalendarTokenRevoke, "calendar_token", user.0)
                        .before(&json!({"user_id": user.to_string()})),
                ]
            } else {
                Vec::new()
            };
            Ok((removed, records))
        })
        .await
    }

    async fn calendar_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        accounts::calendar_token_user(&mut *self.conn().await?, token_hash).await
    }
}
