//! The SQLite backend, the embedded default: one file, WAL, a busy timeout, foreign keys on, and
//! `synchronous=FULL` so that a write acknowledged to a client survives a power cut, not only a
//! crash of the process (WAL with NORMAL may lose the last commits when the machine stops).

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Dialect, StoreError, StoreOptions};

type Db = sqlx::Sqlite;

/// The dialect differences the shared SQL needs.
const DIALECT: Dialect = Dialect {
    name: "sqlite",
    // A write transaction takes the write lock at once: a deferred one that reads first would fail
    // with SQLITE_BUSY when another writer commits in between, instead of waiting.
    begin_write: "BEGIN IMMEDIATE",
    // SQLite has one writer at a time; the write lock already serialises what FOR UPDATE would.
    for_update: "",
    // BEGIN IMMEDIATE already holds the one write lock.
    lock_audit_head: "",
    // A failed statement (a broken constraint) undoes only itself; the transaction goes on.
    failed_statement_keeps_transaction: true,
    // Without statistics the planner may read a project's rows through any index that begins with
    // the project, in that index's order; its rows in id order are read page after page.
    project_scan: " INDEXED BY expenses_by_project",
};

#[path = "sql/mod.rs"]
mod sql;

pub use sql::SqlStore as SqliteStore;

/// Opens (creating if needed) the database file and migrates it.
pub async fn open(url: &str, store: StoreOptions) -> Result<SqliteStore, StoreError> {
    let url = if url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}")
    };
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // Each connection holds its own page cache (up to 2 MB) and prepared statements: after a
        // burst, the connections idle this long are closed, all of them, and their memory with
        // them (opening one again is a file open, well under a millisecond).
        .min_connections(0)
        .idle_timeout(Duration::from_secs(30))
        .after_release(|conn, _| Box::pin(super::outage::fit_for_reuse(conn)))
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    Ok(SqliteStore::new(pool, store))
}
