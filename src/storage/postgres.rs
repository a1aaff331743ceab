//! The PostgreSQL backend, for installations that outgrow one machine. The same SQL as SQLite
//! (see `sql/`); rows that guard an invariant across statements are locked with `FOR UPDATE`.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use super::{Dialect, StoreError, StoreOptions};

type Db = sqlx::Postgres;

const DIALECT: Dialect = Dialect {
    name: "postgres",
    begin_write: "BEGIN",
    for_update: " FOR UPDATE",
    lock_audit_head: "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE",
    // A failed statement aborts the whole transaction: only a savepoint keeps the rest.
    failed_statement_keeps_transaction: false,
    // The planner has statistics (autovacuum's ANALYZE) to choose the scan itself.
    project_scan: "",
};

#[path = "sql/mod.rs"]
mod sql;

pub use sql::SqlStore as PgStore;

pub async fn open(url: &str, options: StoreOptions) -> Result<PgStore, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        .after_release(|conn, _| Box::pin(super::outage::fit_for_reuse(conn)))
        .connect(url)
        .await?;
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    Ok(PgStore::new(pool, options))
}
