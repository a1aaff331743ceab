//! The [`AccountStore`] trait over the shared SQL: users, roles, sessions, tokens, sign-in
//! throttling and the audit trail's reads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::access::{ApiToken, Membership, Role, User};
use crate::domain::audit::{Anchor, AuditAction, Entry, Record};
use crate::domain::{EntityId, ProjectId, UserId};
use crate::storage::{AccountStore, Change, NewSession, Page, PageRequest, StoreError};

use super::{accounts, audit, SqlStore};

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
            Record::new(AuditAction::UserCreate, "user", user.id).after(&user),
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
        let revoked = accounts::set_password(&mut tx, id, password_hash, change.now).await?;
        audit::append(
            &mut tx,
            change,
            Record::new(AuditAction::UserPassword, "user", id)
                .after(&json!({"password": "cambiata", "token_revocati": revoked})),
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
            Record::new(AuditAction::MembershipSet, "membership", format!("{project}/{user}"))
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
                AuditAction::MembershipRemove,
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
            Record::new(AuditAction::TokenCreate, "api_token", token.id).after(&token),
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
            Record::new(AuditAction::TokenRevoke, "api_token", id).after(&token),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn count_login_attempt(
        &self,
        email: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<(i64, DateTime<Utc>), StoreError> {
        accounts::count_attempt(&self.pool, email, now, stale_before).await
    }

    async fn clear_login_attempts(
        &self,
        email: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        accounts::clear_attempts(&self.pool, email, stale_before).await
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
