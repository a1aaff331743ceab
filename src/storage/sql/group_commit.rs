//! Group commit for single-expense inserts. Concurrent requests are queued to one writer task that
//! runs whatever is waiting in a single transaction, one savepoint per request (a refused request
//! rolls back alone), and commits once: one fsync for many requests instead of one each. A request
//! is answered only after the commit that made it durable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use sqlx::Pool;
use tokio::sync::{mpsc, oneshot};

use super::{begin_write, insert_audited, Db};
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
    let mut tx = match begin_write(pool).await {
        Ok(tx) => tx,
        Err(e) => {
            for job in batch {
                let _ = job.reply.send(Err(e.shared_copy()));
            }
            return;
        }
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in &batch {
        let outcome = async {
            sqlx::query("SAVEPOINT one_request")
                .execute(&mut *tx)
                .await?;
            match insert_audited(&mut tx, job.project, &job.data, &job.change).await {
                Ok(expense) => {
                    sqlx::query("RELEASE SAVEPOINT one_request")
                        .execute(&mut *tx)
                        .await?;
                    Ok(expense)
                }
                Err(refused) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT one_request")
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("RELEASE SAVEPOINT one_request")
                        .execute(&mut *tx)
                        .await?;
                    Err(refused)
                }
            }
        }
        .await;
        results.push(outcome);
    }
    match tx.commit().await {
        Ok(()) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            let failure = StoreError::from(e);
            for job in batch {
                let _ = job.reply.send(Err(failure.shared_copy()));
            }
        }
    }
}
