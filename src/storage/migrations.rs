//! Which migrations a database has had and which this build would run (`migrate --status`),
//! read without running any: the engine's `_sqlx_migrations` table against the migrations compiled
//! into the binary.

use std::collections::HashMap;
use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Connection;

use super::StoreError;

/// One migration of this build, and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// The migrations of this build for the engine `url` names, each with whether it was applied;
/// a SQLite file that does not exist yet has none.
pub async fn status(url: &str) -> Result<Vec<MigrationState>, StoreError> {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let applied: HashMap<i64, bool> = if postgres {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut conn)
            .await?;
        let rows: Vec<(i64, bool)> = if exists {
            sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
                .fetch_all(&mut conn)
                .await?
        } else {
            Vec::new()
        };
        rows.into_iter().collect()
    } else {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        // Read-only and never created: asking must not make an empty database.
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(false)
            .read_only(true);
        match sqlx::SqliteConnection::connect_with(&options).await {
            Ok(mut conn) => {
                let exists: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_one(&mut conn)
                .await?;
                let rows: Vec<(i64, bool)> = if exists > 0 {
                    sqlx::query_as("SELECT version, success FROM _sqlx_migrations")
                        .fetch_all(&mut conn)
                        .await?
                } else {
                    Vec::new()
                };
                rows.into_iter().collect()
            }
            Err(sqlx::Error::Database(_)) | Err(sqlx::Error::Io(_)) => HashMap::new(),
            Err(e) => return Err(e.into()),
        }
    };
    let migrator = if postgres { &POSTGRES } else { &SQLITE };
    Ok(migrator
        .iter()
        .map(|m| MigrationState {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.get(&m.version).copied().unwrap_or(false),
        })
        .collect())
}
