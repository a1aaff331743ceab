//! The backups' leases and the files rows name: SQL both engines run as it is (`$1` placeholders,
//! as in `sql/`), compiled once inside each engine's module on its own connection (`connect`).

use chrono::{DateTime, Utc};
use sqlx::Connection as _;

use super::connect;
use crate::storage::backup::REFERENCED_FILES;
use crate::storage::StoreError;

/// The files rows name and the oldest live lease (since `leased_since`), read in one transaction.
pub(in crate::storage::backup) async fn files_in_use(
    url: &str,
    leased_since: DateTime<Utc>,
) -> Result<(Vec<String>, Option<DateTime<Utc>>), StoreError> {
    let mut conn = connect(url).await?;
    let mut tx = conn.begin().await?;
    let named: Vec<String> = sqlx::query_scalar(REFERENCED_FILES)
        .fetch_all(&mut *tx)
        .await?;
    let backup: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT MIN(created_at) FROM backup_leases WHERE created_at >= $1")
            .bind(leased_since)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    conn.close().await?;
    Ok((named, backup))
}

pub(in crate::storage::backup) async fn lease(
    url: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let mut conn = connect(url).await?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO backup_leases (created_at) VALUES ($1) RETURNING id")
            .bind(now)
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(id)
}

pub(in crate::storage::backup) async fn release(url: &str, lease: i64) -> Result<(), StoreError> {
    let mut conn = connect(url).await?;
    sqlx::query("DELETE FROM backup_leases WHERE id = $1")
        .bind(lease)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Every lease: a restored copy holds the one its backup took, and no backup runs on it.
pub(in crate::storage::backup) async fn release_all(url: &str) -> Result<(), StoreError> {
    let mut conn = connect(url).await?;
    sqlx::query("DELETE FROM backup_leases")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
