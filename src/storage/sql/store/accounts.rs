//! Accounts, roles, sessions, API tokens and sign-in throttling.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::{accounts, SqlStore};
use crate::domain::access::{ApiToken, Membership, Role, User};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::{EntityId, ProjectId, UserId};
use crate::storage::{AccountStore, Change, NewSession, StoreError};

#[async_trait]
impl AccountStore for SqlStore {
    async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        change: &Change,
    ) -> Result<User, StoreError> {
        self.audited(change, async |conn| {
            let user =
                accounts::insert_user(&mut *conn, email, password_hash, is_admin, change.now)
                    .await?;
            let record = Record::new(AuditAction::UserCreate, "user", user.id).after(&user);
            Ok((user, vec![record]))
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        accounts::by_email(&mut *self.conn().await?, email).await
    }

    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        accounts::get(&mut *self.conn().await?, id).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        accounts::list(&mut *self.conn().await?).await
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        change: &Change,
    ) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let revoked = accounts::set_password(conn, id, password_hash, change.now).await?;
            let record = Record::new(AuditAction::UserPassword, "user", id)
                .after(&json!({"password": "cambiata", "token_revocati": revoked}));
            Ok(((), vec![record]))
        })
        .await
    }

    async fn set_membership(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
        entities: &[EntityId],
        change: &Change,
    ) -> Result<Membership, StoreError> {
        let before = accounts::memberships(&mut *self.conn().await?, project, Some(user)).await?;
        self
            .audited(change, async |conn| {
            accounts::set_membership(conn, project, user, role, entities).await?;
                let record = Record::new(AuditAction::MembershipSet, "membership", format!("{project}/{user}"))
                .project(project)
                .before(&before.first())
                .after(&json!({"role": role, "entities": entities.iter().map(ToString::to_string).collect::<Vec<_>>()}));
                Ok(((), vec![record]))
            })
            .await?;
        accounts::memberships(&mut *self.conn().await?, project, Some(user))
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
        let before = accounts::memberships(&mut *self.conn().await?, project, Some(user)).await?;
        self.audited(change, async |conn| {
            accounts::remove_membership(&mut *conn, project, user).await?;
            let record = Record::new(
                AuditAction::MembershipRemove,
                "membership",
                format!("{project}/{user}"),
            )
            .project(project)
            .before(&before.first());
            Ok(((), vec![record]))
        })
        .await
    }

    async fn memberships(&self, project: ProjectId) -> Result<Vec<Membership>, StoreError> {
        accounts::memberships(&mut *self.conn().await?, project, None).await
    }

    async fn membership(
        &self,
        project: ProjectId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        Ok(
            accounts::memberships(&mut *self.conn().await?, project, Some(user))
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        accounts::insert_session(&mut *self.conn().await?, session).await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError> {
        accounts::session(&mut *self.conn().await?, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        accounts::delete_session(&mut *self.conn().await?, token_hash).await
    }

    async fn insert_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        change: &Change,
    ) -> Result<ApiToken, StoreError> {
        self.audited(change, async |conn| {
            let token =
                accounts::insert_token(&mut *conn, user, name, token_hash, change.now).await?;
            let record = Record::new(AuditAction::TokenCreate, "api_token", token.id).after(&token);
            Ok((token, vec![record]))
        })
        .await
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        accounts::token_user(&mut *self.conn().await?, token_hash).await
    }

    async fn tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        accounts::tokens(&mut *self.conn().await?, user).await
    }

    async fn revoke_token(&self, user: UserId, id: i64, change: &Change) -> Result<(), StoreError> {
        self.audited(change, async |conn| {
            let token = accounts::revoke_token(&mut *conn, user, id, change.now).await?;
            let record = Record::new(AuditAction::TokenRevoke, "api_token", id).after(&token);
            Ok(((), vec![record]))
        })
        .await
    }

    async fn count_login_attempt(
        &self,
        email: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<(i64, DateTime<Utc>), StoreError> {
        accounts::count_attempt(&mut *self.conn().await?, email, now, stale_before).await
    }

    async fn clear_login_attempts(
        &self,
        email: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        accounts::clear_attempts(&mut *self.conn().await?, email, stale_before).await
    }
}
