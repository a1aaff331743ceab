//! Users, project memberships, sessions, API tokens and failed sign-ins.

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, Utc};

use super::rows::corrupt;
use crate::domain::access::{ApiToken, Membership, Role, User};
use crate::domain::{EntityId, ProjectId, UserId};
use crate::storage::{NewSession, StoreError};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    email: String,
    is_admin: bool,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: row.id,
            email: row.email,
            is_admin: row.is_admin,
            created_at: row.created_at,
        }
    }
}

/// A user with a secret of theirs: the password's hash, or a session's CSRF token.
#[derive(sqlx::FromRow)]
struct UserWith {
    #[sqlx(flatten)]
    user: UserRow,
    secret: String,
}

pub(super) async fn insert_user(
    db: impl Executor<'_, Database = Db>,
    email: &str,
    password_hash: &str,
    is_admin: bool,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    let row: UserRow = sqlx::query_as(
        "INSERT INTO users (email, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, email, is_admin, created_at",
    )
    .bind(email)
    .bind(password_hash)
    .bind(is_admin)
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(|e| super::classify(e, "email"))?;
    Ok(row.into())
}

pub(super) async fn by_email(
    db: impl Executor<'_, Database = Db>,
    email: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserWith> = sqlx::query_as(
        "SELECT id, email, is_admin, created_at, password_hash AS secret FROM users \
         WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.user.into(), r.secret)))
}

pub(super) async fn get(
    db: impl Executor<'_, Database = Db>,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, email, is_admin, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(User::from))
}

pub(super) async fn list(conn: &mut Conn) -> Result<Vec<User>, StoreError> {
    let rows: Vec<UserRow> =
        sqlx::query_as("SELECT id, email, is_admin, created_at FROM users ORDER BY email")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// Replaces the password; every session of the user ends and every API token is revoked (a token
/// issued under a password someone else may have known must not outlive it). Returns how many
/// tokens were revoked.
pub(super) async fn set_password(
    conn: &mut Conn,
    id: UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(revoked.rows_affected())
}

/// Replaces the user's role and entities on the project.
pub(super) async fn set_membership(
    conn: &mut Conn,
    project: ProjectId,
    user: UserId,
    role: Role,
    entities: &[EntityId],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO memberships (project_id, user_id, role) VALUES ($1, $2, $3)")
        .bind(project)
        .bind(user)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await?;
    for entity in entities {
        sqlx::query(
            "INSERT INTO membership_entities (project_id, user_id, entity_id) VALUES ($1, $2, $3)",
        )
        .bind(project)
        .bind(user)
        .bind(entity)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn remove_membership(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    user: UserId,
) -> Result<(), StoreError> {
    let deleted = sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user)
        .execute(db)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: UserId,
    email: String,
    role: String,
}

#[derive(sqlx::FromRow)]
struct AssignedRow {
    user_id: UserId,
    entity_id: EntityId,
}

pub(super) async fn memberships(
    conn: &mut Conn,
    project: ProjectId,
    only: Option<UserId>,
) -> Result<Vec<Membership>, StoreError> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.project_id = $1 AND ($2 IS NULL OR m.user_id = $2) ORDER BY u.email",
    )
    .bind(project)
    .bind(only)
    .fetch_all(&mut *conn)
    .await?;
    let assigned: Vec<AssignedRow> = sqlx::query_as(
        "SELECT user_id, entity_id FROM membership_entities WHERE project_id = $1 \
         AND ($2 IS NULL OR user_id = $2) ORDER BY entity_id",
    )
    .bind(project)
    .bind(only)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Membership {
                user_id: row.user_id,
                role: Role::parse(&row.role).ok_or_else(|| corrupt("role", &row.role))?,
                email: row.email,
                entities: assigned
                    .iter()
                    .filter(|a| a.user_id == row.user_id)
                    .map(|a| a.entity_id)
                    .collect(),
            })
        })
        .collect()
}

pub(super) async fn insert_session(
    conn: &mut Conn,
    session: &NewSession,
) -> Result<(), StoreError> {
    // Expired sessions are swept as new ones arrive: no background job to run.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(session.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&session.token_hash)
    .bind(session.user)
    .bind(&session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn session(
    db: impl Executor<'_, Database = Db>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserWith> = sqlx::query_as(
        "SELECT u.id, u.email, u.is_admin, u.created_at, s.csrf_token AS secret FROM sessions s \
         JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.user.into(), r.secret)))
}

pub(super) async fn delete_session(
    db: impl Executor<'_, Database = Db>,
    token_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: UserId,
    name: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

fn token(row: TokenRow) -> ApiToken {
    ApiToken {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        created_at: row.created_at,
        revoked_at: row.revoked_at,
    }
}

pub(super) async fn insert_token(
    db: impl Executor<'_, Database = Db>,
    user: UserId,
    name: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    let row: TokenRow = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id, user_id, name, created_at, revoked_at",
    )
    .bind(user)
    .bind(name)
    .bind(token_hash)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(token(row))
}

pub(super) async fn token_user(
    db: impl Executor<'_, Database = Db>,
    token_hash: &str,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.is_admin, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(User::from))
}

pub(super) async fn tokens(
    db: impl Executor<'_, Database = Db>,
    user: UserId,
) -> Result<Vec<ApiToken>, StoreError> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(token).collect())
}

pub(super) async fn revoke_token(
    db: impl Executor<'_, Database = Db>,
    user: UserId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    let row: Option<TokenRow> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND user_id = $3 \
         RETURNING id, user_id, name, created_at, revoked_at",
    )
    .bind(now)
    .bind(id)
    .bind(user)
    .fetch_optional(db)
    .await?;
    row.map(token).ok_or(StoreError::NotFound)
}

/// Counts one sign-in attempt for `email` and returns the attempts in its window and when the
/// window began. A window older than `stale_before` starts afresh with this attempt. One statement:
/// the row's lock orders parallel attempts, so no two see the same count.
pub(super) async fn count_attempt(
    db: impl Executor<'_, Database = Db>,
    email: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<(i64, DateTime<Utc>), StoreError> {
    let row: AttemptRow = sqlx::query_as(
        "INSERT INTO login_throttle (email, window_start, attempts) VALUES ($1, $2, 1) \
         ON CONFLICT (email) DO UPDATE SET \
           attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                           ELSE login_throttle.attempts + 1 END, \
           window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                               ELSE login_throttle.window_start END \
         RETURNING attempts, window_start",
    )
    .bind(email)
    .bind(now)
    .bind(stale_before)
    .fetch_one(db)
    .await?;
    Ok((row.attempts, row.window_start))
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    attempts: i64,
    window_start: DateTime<Utc>,
}

/// Forgets an account's attempts (after a successful sign-in), and every stale window.
pub(super) async fn clear_attempts(
    db: impl Executor<'_, Database = Db>,
    email: &str,
    stale_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_throttle WHERE email = $1 OR window_start <= $2")
        .bind(email)
        .bind(stale_before)
        .execute(db)
        .await?;
    Ok(())
}

/// Replaces the user's calendar token.
pub(super) async fn set_calendar_token(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM calendar_tokens WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
    )
    .bind(user)
    .bind(token_hash)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn revoke_calendar_token(
    db: impl Executor<'_, Database = Db>,
    user: UserId,
) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM calendar_tokens WHERE user_id = $1")
        .bind(user)
        .execute(db)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub(super) async fn calendar_token_user(
    db: impl Executor<'_, Database = Db>,
    token_hash: &str,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.is_admin, u.created_at FROM calendar_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(User::from))
}
