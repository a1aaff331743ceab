//! The database's side of `rendiconta backup` and `restore`: a consistent copy of a running
//! database with the files its rows name, and the way back into an empty one. SQLite copies itself
//! with `VACUUM INTO` inside one read transaction; PostgreSQL with the real `pg_dump`, run on a
//! snapshot exported from the transaction that lists the files, so both see the same rows.

mod postgres;
mod sqlite;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::domain::attachment::Digest;

/// Every file a row names: the evidence of expenses and the signed copies of submissions.
const REFERENCED_FILES: &str =
    "SELECT sha256 FROM attachments UNION SELECT sha256 FROM signed_copies";

/// How long a lease left by a backup that died keeps its files from `gc`.
pub const LEASE_LIFETIME: chrono::Duration = chrono::Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Engine {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// The copy's name inside an archive.
    pub fn file_name(self) -> &'static str {
        match self {
            Engine::Sqlite => "database.sqlite",
            Engine::Postgres => "database.pgdump",
        }
    }

    /// As users name it.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// A copy of the database written to a file, and what it holds.
#[derive(Debug)]
pub struct DatabaseCopy {
    pub engine: Engine,
    /// The last migration the copy has.
    pub schema_version: i64,
    /// The files the copy's rows name.
    pub files: BTreeSet<Digest>,
}

/// Writes a consistent copy of the database `url` names to `dest` (which must not exist).
pub async fn copy_database(url: &str, dest: &Path) -> Result<DatabaseCopy, StoreError> {
    match Engine::of(url) {
        Engine::Sqlite => sqlite::copy(url, dest).await,
        Engine::Postgres => postgres::copy(url, dest).await,
    }
}

/// Whether the database `url` names has any table: a restore goes into an empty one only.
pub async fn holds_data(url: &str) -> Result<bool, StoreError> {
    match Engine::of(url) {
        Engine::Sqlite => sqlite::holds_data(url).await,
        Engine::Postgres => postgres::holds_data(url).await,
    }
}

/// Loads a copy made by [`copy_database`] into the empty database `url` names; the caller then
/// opens it, which runs the migrations a newer build adds.
pub async fn restore_database(url: &str, copy: &Path) -> Result<(), StoreError> {
    match Engine::of(url) {
        Engine::Sqlite => sqlite::restore(url, copy).await?,
        Engine::Postgres => postgres::restore(url, copy).await?,
    }
    // The backup's own lease was taken before its snapshot, so the copy holds it; no backup runs
    // on the restored database.
    match Engine::of(url) {
        Engine::Sqlite => sqlite::release_all(url).await,
        Engine::Postgres => postgres::release_all(url).await,
    }
}

/// What `gc` must keep: the files the rows of the database `url` names now, and whether a backup
/// is in progress (a lease younger than [`LEASE_LIFETIME`]), in which case it keeps every file.
#[derive(Debug)]
pub struct FilesInUse {
    pub named: BTreeSet<Digest>,
    pub backup_since: Option<DateTime<Utc>>,
}

pub async fn files_in_use(url: &str, now: DateTime<Utc>) -> Result<FilesInUse, StoreError> {
    let since = now - LEASE_LIFETIME;
    let (named, backup_since) = match Engine::of(url) {
        Engine::Sqlite => sqlite::files_in_use(url, since).await?,
        Engine::Postgres => postgres::files_in_use(url, since).await?,
    };
    Ok(FilesInUse {
        named: digests(named)?,
        backup_since,
    })
}

/// Records that a backup is starting, before its snapshot; returns the lease to release.
pub async fn lease(url: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
    match Engine::of(url) {
        Engine::Sqlite => sqlite::lease(url, now).await,
        Engine::Postgres => postgres::lease(url, now).await,
    }
}

pub async fn release(url: &str, lease: i64) -> Result<(), StoreError> {
    match Engine::of(url) {
        Engine::Sqlite => sqlite::release(url, lease).await,
        Engine::Postgres => postgres::release(url, lease).await,
    }
}

fn digests(raw: Vec<String>) -> Result<BTreeSet<Digest>, StoreError> {
    raw.into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            Digest::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("impronta di file non valida: {s}")))
        })
        .collect()
}
