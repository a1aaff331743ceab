//! Group commit for single-expense inserts. Concurrent requests are queued to one writer task that
//! runs whatever is waiting in a single transaction, a refused request undone alone (see
//! [`Isolation`]), and commits once: one fsync for many requests instead of one each. A request is
//! answered only after the commit that made it durable.
//!
//! What every request would repeat is done once per batch: the project's revision mark, and the
//! audit chain's head, read once and written once with all the batch's entries (the same chain,
//! entry for entry, as one request at a time would have written).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sqlx::Pool;
use tokio::sync::{mpsc, oneshot};

use super::{audit, begin_write, chain_created, expenses, Conn, Db, DIALECT};
use crate::domain::{Expense, ExpenseData, ProjectId};
use crate::storage::{Change, StoreError};

/// The most requests one commit carries; bounds the latency a late arrival adds to the others.
const MAX_BATCH: usize = 64;

pub(super) struct Job {
    pub project: ProjectId,
    pub data: ExpenseData,
    pub change: Change,
    pub reply: oneshot::Sender<Result<Expense, StoreError>>,
}

/// What the writer has done since it started, for the metrics.
#[derive(Debug, Default)]
pub(super) struct Stats {
    pub batches: AtomicU64,
    pub requests: AtomicU64,
    pub commit_micros: AtomicU64,
}

/// Starts the writer task; it ends when every sender is dropped (the store is dropped).
pub(super) fn spawn(pool: Pool<Db>, stats: Arc<Stats>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(1024);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let size = batch.len() as u64;
            let started = Instant::now();
            run(&pool, batch).await;
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            stats.batches.fetch_add(1, Ordering::Relaxed);
            stats.requests.fetch_add(size, Ordering::Relaxed);
            stats.commit_micros.fetch_add(micros, Ordering::Relaxed);
        }
    });
    tx
}

async fn run(pool: &Pool<Db>, batch: Vec<Job>) {
    let fast = if DIALECT.failed_statement_keeps_transaction {
        Isolation::Statement
    } else {
        Isolation::Savepoint
    };
    let mut outcome = attempt(pool, &batch, fast).await;
    if matches!(outcome, Err(Failure::Unsure)) {
        // Something other than a refusal went wrong in one request: the batch was rolled back
        // whole, and runs again with a savepoint each, so every request gets its own outcome.
        outcome = attempt(pool, &batch, Isolation::Savepoint).await;
    }
    match outcome {
        Ok(results) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(failure) => {
            let failure = match failure {
                Failure::Store(e) => e,
                Failure::Unsure => StoreError::CommitFailed("batch failed twice".into()),
            };
            for job in batch {
                let _ = job.reply.send(Err(failure.shared_copy()));
            }
        }
    }
}

/// How one request's refusal is kept from the others in its batch.
#[derive(Clone, Copy)]
enum Isolation {
    /// A savepoint around each request, rolled back when it is refused.
    Savepoint,
    /// None: where a failed statement leaves the transaction as it was (SQLite), a request that is
    /// refused before writing, or whose one `INSERT` breaks a constraint, has written nothing.
    /// Any other failure is [`Failure::Unsure`].
    Statement,
}

enum Failure {
    /// The batch failed as a whole (nothing of it was written).
    Store(StoreError),
    /// A request failed in a way that may have left part of it written: the batch was rolled back.
    Unsure,
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Store(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::Store(e.into())
    }
}

/// One transaction for the batch: written and committed, or rolled back when dropped.
async fn attempt(
    pool: &Pool<Db>,
    batch: &[Job],
    isolation: Isolation,
) -> Result<Vec<Result<Expense, StoreError>>, Failure> {
    let mut tx = begin_write(pool).await?;
    let results = write(&mut tx, batch, isolation).await?;
    tx.commit().await?;
    Ok(results)
}

/// Writes the batch in `conn`: once for all of it, each project's revision mark and the audit
/// chain's head (read here, its entries written together at the end); then each request, kept
/// from the others as `isolation` says.
async fn write(
    conn: &mut Conn,
    batch: &[Job],
    isolation: Isolation,
) -> Result<Vec<Result<Expense, StoreError>>, Failure> {
    let mut projects: Vec<ProjectId> = batch.iter().map(|job| job.project).collect();
    projects.sort_unstable();
    projects.dedup();
    for project in projects {
        expenses::bump_revision(&mut *conn, project).await?;
    }
    let mut chain = audit::Chain::head(conn).await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let result = match isolation {
            Isolation::Savepoint => in_savepoint(conn, job).await?,
            Isolation::Statement => match insert(conn, job).await {
                Err(e) if !wrote_nothing(&e) => return Err(Failure::Unsure),
                result => result,
            },
        };
        if let Ok(expense) = &result {
            chain_created(conn, &mut chain, job.project, expense, None, &job.change).await?;
        }
        results.push(result);
    }
    chain.save(conn).await?;
    Ok(results)
}

async fn insert(conn: &mut Conn, job: &Job) -> Result<Expense, StoreError> {
    let by = job.change.actor.user_id();
    expenses::insert_row(conn, job.project, &job.data, by, job.change.now).await
}

/// The request in a savepoint of its own: the outer error is the batch's, the inner the request's.
async fn in_savepoint(conn: &mut Conn, job: &Job) -> Result<Result<Expense, StoreError>, Failure> {
    sqlx::query("SAVEPOINT one_request")
        .execute(&mut *conn)
        .await?;
    let result = insert(conn, job).await;
    if result.is_err() {
        sqlx::query("ROLLBACK TO SAVEPOINT one_request")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("RELEASE SAVEPOINT one_request")
        .execute(&mut *conn)
        .await?;
    Ok(result)
}

/// Whether a failed insert wrote nothing: the document guard refuses before writing, and a broken
/// constraint undoes its own statement, the only one that writes.
fn wrote_nothing(e: &StoreError) -> bool {
    use sqlx::error::ErrorKind;
    match e {
        StoreError::DocumentOverclaimed { .. }
        | StoreError::DocumentTotalMismatch { .. }
        | StoreError::Duplicate(_) => true,
        StoreError::Database(sqlx::Error::Database(db)) => matches!(
            db.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        ),
        _ => false,
    }
}
