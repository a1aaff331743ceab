//! SQLite: `VACUUM INTO` writes a whole, compact copy from one read transaction while writers go
//! on (WAL); the copy is checked with `integrity_check` before anything is read from it. A restore
//! puts the copy in place of an empty or missing file, synced, by rename.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use super::{digests, DatabaseCopy, Engine, REFERENCED_FILES};
use crate::storage::StoreError;

#[path = "leases.rs"]
mod leases;
pub(super) use leases::{files_in_use, lease, release, release_all};

/// A connection to the database file (never created here).
async fn connect(url: &str) -> Result<SqliteConnection, StoreError> {
    Ok(SqliteConnection::connect_with(&options(url)?).await?)
}

fn options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    let url = if url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}")
    };
    Ok(SqliteConnectOptions::from_str(&url)?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30)))
}

fn path_of(url: &str) -> Result<PathBuf, StoreError> {
    Ok(options(url)?.get_filename().to_path_buf())
}

pub(super) async fn copy(url: &str, dest: &Path) -> Result<DatabaseCopy, StoreError> {
    let source = path_of(url)?;
    if !source.exists() {
        return Err(StoreError::Backup(format!(
            "il database {} non esiste",
            source.display()
        )));
    }
    let mut live = SqliteConnection::connect_with(&options(url)?).await?;
    let target = dest
        .to_str()
        .ok_or_else(|| StoreError::Backup(format!("percorso non UTF-8: {}", dest.display())))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut live)
        .await?;
    live.close().await?;

    let mut copy = SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(dest)
            .read_only(true)
            .create_if_missing(false),
    )
    .await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await?;
    if check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "la copia del database non è integra: {check}"
        )));
    }
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
            .fetch_one(&mut copy)
            .await?;
    let named: Vec<String> = sqlx::query_scalar(REFERENCED_FILES)
        .fetch_all(&mut copy)
        .await?;
    copy.close().await?;
    Ok(DatabaseCopy {
        engine: Engine::Sqlite,
        schema_version,
        files: digests(named)?,
    })
}

pub(super) async fn holds_data(url: &str) -> Result<bool, StoreError> {
    let path = path_of(url)?;
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::Backup(format!("{}: {e}", path.display()))),
        Ok(meta) if meta.len() == 0 => return Ok(false),
        Ok(_) => {}
    }
    let mut conn = SqliteConnection::connect_with(&options(url)?.read_only(true)).await?;
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(tables > 0)
}

pub(super) async fn restore(url: &str, copy: &Path) -> Result<(), StoreError> {
    let path = path_of(url)?;
    let copy = copy.to_path_buf();
    tokio::task::spawn_blocking(move || put_in_place(&copy, &path))
        .await
        .map_err(|e| StoreError::Backup(e.to_string()))?
        .map_err(|e| StoreError::Backup(e.to_string()))
}

/// Copies the file beside its final name, syncs it, renames it over the (empty) target and syncs
/// the directory; the empty target's journal files go first, so none is applied to the copy.
fn put_in_place(copy: &Path, path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::remove_file(PathBuf::from(side)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".ripristino");
    let partial = PathBuf::from(partial);
    std::fs::copy(copy, &partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, path)?;
    std::fs::File::open(&dir)?.sync_all()
}
