//! Storage: the [`Store`] trait the services need, with two implementations, SQLite (the embedded
//! default) and PostgreSQL (chosen by a `postgres://` URL). Both run the same SQL, kept once in
//! `sql/` and compiled for each backend, so they cannot drift apart; what differs (connection set-up,
//! migrations, locking) lives in `sqlite.rs` and `postgres.rs`.

pub mod backup;
pub mod blobs;
pub mod migrations;
mod outage;
pub use outage::{outage_of, Outage};
pub mod postgres;
pub mod sqlite;
mod traits;
pub use traits::{
    AccountStore, AuditStore, CommitmentStore, ExpenseStore, FundingStore, NarrativeStore,
    ProjectStore, SubmissionStore,
};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::access::Actor;
use crate::domain::attachment::NewAttachment;
use crate::domain::{ExpenseData, ExpenseId, Money, UserId};

/// The one error type of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The caller's version is stale: someone else changed the row first.
    #[error("version mismatch")]
    VersionMismatch,
    /// A uniqueness rule of the schema was broken (e.g. two entities with one name).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// The parts of one supplier document would claim more than its total.
    #[error("document overclaimed")]
    DocumentOverclaimed {
        others: Vec<ExpenseId>,
        already_claimed: Money,
    },
    /// The first part recorded of a supplier document fixed its total; this part states another.
    #[error("document total mismatch")]
    DocumentTotalMismatch { first: ExpenseId, total: Money },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The transaction carrying the request could not commit: nothing of it was written.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The expense was part of this submission: it may be corrected, never deleted.
    #[error("submitted in {0}")]
    Submitted(i64),
    /// Expenses draw on the row (a commitment): it cannot be removed while they do.
    #[error("in use by {0} rows")]
    InUse(usize),
    /// The file is in this submission's frozen evidence pack: it stays.
    #[error("in the evidence of {0}")]
    InEvidence(i64),
    /// The row's state does not allow the change (an expense's workflow step, say).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// A backup or restore step failed (a tool missing or refusing, a file not where it should
    /// be): the message says which, in Italian.
    #[error("{0}")]
    Backup(String),
    /// The file store (directory or bucket) failed.
    #[error("files: {0}")]
    Files(String),
    /// The database cannot take writes (or answer) for now; nothing of the request was written.
    #[error("database unavailable ({0:?}): {1}")]
    Unavailable(Outage, String),
}

/// What the shared SQL of `sql/` needs to know about the engine it runs on.
struct Dialect {
    name: &'static str,
    /// How a transaction that will write begins.
    begin_write: &'static str,
    /// Appended to a `SELECT` of a row that guards an invariant until commit.
    for_update: &'static str,
    /// Locks the audit trail's head; empty where the write transaction already excludes others.
    lock_audit_head: &'static str,
    /// Whether a statement that fails on a constraint leaves its transaction usable (SQLite), or
    /// aborts it (PostgreSQL, where only a savepoint saves the rest).
    failed_statement_keeps_transaction: bool,
    /// After `FROM expenses` in a query that reads all of a project's expenses with no order (the
    /// list's totals): the index that reads them in their stored order.
    project_scan: &'static str,
}

pub use crate::domain::query::{
    ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort,
};

/// Everything the services need of a database, one trait per aggregate.
#[async_trait]
pub trait Store:
    ProjectStore
    + ExpenseStore
    + FundingStore
    + SubmissionStore
    + NarrativeStore
    + AccountStore
    + AuditStore
    + CommitmentStore
{
    /// Which engine this is, for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    /// The connection pool's and the write queue's use, for the metrics.
    fn usage(&self) -> Usage;
    async fn ping(&self) -> Result<(), StoreError>;
    /// Commits a one-row write, to tell whether the database takes writes right now.
    async fn probe_write(&self, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Begins a unit of work: a store whose reads and writes all run in one transaction.
    async fn unit_of_work(&self) -> Result<Box<dyn UnitOfWork>, StoreError>;
}

/// Several writes that stand or fall together (the demo's load): made durable by `commit`,
/// rolled back when dropped. Drop every clone of [`UnitOfWork::store`] before committing.
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    /// The store to do the work with.
    fn store(&self) -> DynStore;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

pub type DynStore = Arc<dyn Store>;

/// The connection pool's and the group-commit writer's use: gauges now, counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub pool_open: u32,
    pub pool_idle: usize,
    /// Single-expense inserts waiting for the writer.
    pub queue_depth: usize,
    /// Transactions the writer committed, and the requests they carried.
    pub batches: u64,
    pub batched_requests: u64,
    /// Time spent running and committing those transactions.
    pub commit_micros: u64,
}

/// The expenses one imported file creates, with the file as their evidence.
#[derive(Debug, Clone)]
pub struct ExpenseFile {
    pub expenses: Vec<ExpenseData>,
    pub evidence: Option<NewAttachment>,
}

/// Who makes a change and when. Every write appends it to the audit trail in its own transaction.
#[derive(Debug, Clone)]
pub struct Change {
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

/// A sign-in session: the hash of its cookie's token, never the token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a store keeps in memory: set by the operator (`--cache-expenses`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// The most expenses (and, apart, commitments) kept in memory over all projects, so that a
    /// summary need not re-read an unchanged project; about 1 KB each. 0 keeps none.
    pub cache_rows: usize,
}

impl StoreOptions {
    /// A project of 100,000 expenses, or a hundred of 1,000, in about 100 MB.
    pub const DEFAULT_CACHE_ROWS: usize = 100_000;
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            cache_rows: StoreOptions::DEFAULT_CACHE_ROWS,
        }
    }
}

/// Opens the database a URL names (`postgres://…` or `sqlite:…`/a path) and runs its migrations.
pub async fn open(url: &str) -> Result<DynStore, StoreError> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with the operator's settings.
pub async fn open_with(url: &str, options: StoreOptions) -> Result<DynStore, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(url, options).await?))
    } else {
        Ok(Arc::new(sqlite::open(url, options).await?))
    }
}
