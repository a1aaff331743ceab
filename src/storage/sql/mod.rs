//! The SQL shared by both backends. This module is compiled twice, once inside `sqlite.rs` and
//! once inside `postgres.rs`, where `Db` names the engine and `DIALECT` its few differences: the
//! queries are written once and each backend gets concrete, fully typed sqlx code.
//!
//! `store/` implements the storage traits, one file per aggregate: each method reads on a
//! connection or writes through [`SqlStore::audited`], calling the query modules here (`expenses`,
//! `funding`, `accounts`…, one per table family), which take a connection (`&mut Conn`) and so
//! serve a pooled connection, a transaction and a unit of work alike. `import_batch.rs` writes a batch of
//! imported files; `group_commit.rs` batches single inserts; `expense_cache.rs` keeps a project's
//! expenses in memory between changes.

mod accounts;
mod attachments;
mod audit;
mod calls;
mod commitments;
mod expense_cache;
mod expenses;
mod funding;
mod group_commit;
mod import_batch;
mod narrative;
mod projects;
mod rows;
mod signed_copies;
mod store;
mod submissions;
mod types;

use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{Db, DIALECT};
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{AuditAction, Record};
use crate::domain::funding::Variation;
use crate::domain::{Expense, ExpenseData, ExpenseId, ProjectId};
use crate::storage::{Change, StoreError, StoreOptions};

/// The engine's connection: what every query function runs on, from the pool or inside a
/// transaction alike.
pub(super) type Conn = <Db as sqlx::Database>::Connection;

pub struct SqlStore {
    pool: Pool<Db>,
    write_stats: Arc<group_commit::Stats>,
    target: Target,
    cache: expense_cache::ExpenseCache,
    commitment_cache: expense_cache::CommitmentCache,
}

impl SqlStore {
    fn usage(&self) -> crate::storage::Usage {
        use std::sync::atomic::Ordering::Relaxed;
        let queue_depth = match &self.target {
            Target::Pool(writer) => writer.max_capacity() - writer.capacity(),
            Target::Unit(_) => 0,
        };
        crate::storage::Usage {
            pool_open: self.pool.size(),
            pool_idle: self.pool.num_idle(),
            queue_depth,
            batches: self.write_stats.batches.load(Relaxed),
            batched_requests: self.write_stats.requests.load(Relaxed),
            commit_micros: self.write_stats.commit_micros.load(Relaxed),
        }
    }
}

/// Where a store's statements run.
enum Target {
    /// The pool: a connection per read, a transaction per write, single inserts group-committed.
    Pool(tokio::sync::mpsc::Sender<group_commit::Job>),
    /// One unit of work: every read and write on its one transaction, each write in a savepoint.
    Unit(Arc<Mutex<Transaction<'static, Db>>>),
}

/// A connection to run statements on: one from the pool, or the unit of work's transaction.
enum Handle {
    Pooled(PoolConnection<Db>),
    Unit(OwnedMutexGuard<Transaction<'static, Db>>),
}

impl std::ops::Deref for Handle {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match self {
            Handle::Pooled(conn) => conn,
            Handle::Unit(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for Handle {
    fn deref_mut(&mut self) -> &mut Conn {
        match self {
            Handle::Pooled(conn) => conn,
            Handle::Unit(tx) => tx,
        }
    }
}

impl Handle {
    /// Begins a writing transaction on this connection (a savepoint inside a unit of work): on
    /// PostgreSQL it first takes the audit trail's head, so writers are ordered by it and never
    /// wait for it while holding other locks (no deadlock).
    async fn begin_write(&mut self) -> Result<Transaction<'_, Db>, StoreError> {
        let mut tx = match self {
            Handle::Pooled(conn) => {
                sqlx::Connection::begin_with(&mut **conn, DIALECT.begin_write).await?
            }
            Handle::Unit(tx) => sqlx::Connection::begin(&mut ***tx).await?,
        };
        audit::lock_head(&mut tx).await?;
        Ok(tx)
    }
}

impl SqlStore {
    /// Must be called inside a Tokio runtime: it starts the group-commit writer.
    pub fn new(pool: Pool<Db>, options: StoreOptions) -> SqlStore {
        let write_stats = Arc::new(group_commit::Stats::default());
        let writer = group_commit::spawn(pool.clone(), write_stats.clone());
        SqlStore {
            pool,
            write_stats,
            target: Target::Pool(writer),
            cache: expense_cache::ExpenseCache::new(options.cache_rows),
            commitment_cache: expense_cache::CommitmentCache::new(options.cache_rows),
        }
    }

    pub fn pool(&self) -> &Pool<Db> {
        &self.pool
    }

    /// A connection for reads: the pool's, or the unit of work's (which sees its own writes).
    async fn conn(&self) -> Result<Handle, StoreError> {
        Ok(match &self.target {
            Target::Pool(_) => Handle::Pooled(self.pool.acquire().await?),
            Target::Unit(tx) => Handle::Unit(tx.clone().lock_owned().await),
        })
    }

    /// A writing transaction around `op`, committed when it succeeds. Nothing of a failed write
    /// remains (inside a unit of work, its savepoint is rolled back).
    async fn in_write<T>(
        &self,
        op: impl AsyncFnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut handle = self.conn().await?;
        let mut tx = handle.begin_write().await?;
        let value = op(&mut tx).await?;
        tx.commit().await?;
        Ok(value)
    }

    /// The one shape of every audited write: `op` runs in a writing transaction and the audit
    /// records it returns are appended in the same transaction, before it commits.
    async fn audited<T>(
        &self,
        change: &Change,
        op: impl AsyncFnOnce(&mut Conn) -> Result<(T, Vec<Record>), StoreError>,
    ) -> Result<T, StoreError> {
        self.in_write(async |conn| {
            let (value, records) = op(&mut *conn).await?;
            for record in records {
                audit::append(conn, change, record).await?;
            }
            Ok(value)
        })
        .await
    }

    /// A store whose reads and writes all run in one new transaction, for a unit of work.
    async fn unit(&self) -> Result<SqlUnit, StoreError> {
        let mut tx = self.pool.begin_with(DIALECT.begin_write).await?;
        audit::lock_head(&mut tx).await?;
        let tx = Arc::new(Mutex::new(tx));
        let store = SqlStore {
            pool: self.pool.clone(),
            write_stats: self.write_stats.clone(),
            target: Target::Unit(tx.clone()),
            // A unit of work reads its own uncommitted writes: nothing of it is kept.
            cache: expense_cache::ExpenseCache::new(0),
            commitment_cache: expense_cache::CommitmentCache::new(0),
        };
        Ok(SqlUnit {
            tx,
            store: Arc::new(store),
        })
    }
}

/// A unit of work over the shared SQL: committed whole by [`crate::storage::UnitOfWork::commit`],
/// rolled back whole when dropped.
struct SqlUnit {
    tx: Arc<Mutex<Transaction<'static, Db>>>,
    store: Arc<SqlStore>,
}

#[async_trait::async_trait]
impl crate::storage::UnitOfWork for SqlUnit {
    fn store(&self) -> crate::storage::DynStore {
        self.store.clone()
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqlUnit { tx, store } = *self;
        drop(store);
        let tx = Arc::try_unwrap(tx).map_err(|_| StoreError::Refused("unit_of_work_in_use"))?;
        tx.into_inner().commit().await?;
        Ok(())
    }
}

/// Begins a writing transaction on the pool, for the group-commit writer (see [`Handle`]).
async fn begin_write(pool: &Pool<Db>) -> Result<Transaction<'static, Db>, StoreError> {
    let mut tx = pool.begin_with(DIALECT.begin_write).await?;
    audit::lock_head(&mut tx).await?;
    Ok(tx)
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`], anything else to `Database`.
fn classify(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(what.to_owned())
        }
        _ => StoreError::Database(error),
    }
}

/// Inserts an expense and records it in the audit trail, in `conn`.
async fn insert_audited(
    conn: &mut Conn,
    project: ProjectId,
    data: &ExpenseData,
    change: &Change,
) -> Result<Expense, StoreError> {
    let expense = expenses::insert(
        &mut *conn,
        project,
        data,
        change.actor.user_id(),
        change.now,
    )
    .await?;
    audit::append(
        conn,
        change,
        Record::new(AuditAction::ExpenseCreate, "expense", expense.id)
            .project(project)
            .after(&expense),
    )
    .await?;
    Ok(expense)
}

async fn attach_audited(
    conn: &mut Conn,
    project: ProjectId,
    expense: ExpenseId,
    file: &NewAttachment,
    change: &Change,
) -> Result<Attachment, StoreError> {
    let attachment = attachments::insert(
        &mut *conn,
        project,
        expense,
        file,
        change.now,
        change.actor.label(),
    )
    .await?;
    audit::append(
        conn,
        change,
        Record::new(AuditAction::AttachmentCreate, "attachment", attachment.id)
            .project(project)
            .after(&attachment),
    )
    .await?;
    Ok(attachment)
}

/// For a batch: seals the entry of an expense just inserted into the batch's audit chain and, with
/// `evidence`, attaches that file to it and seals that entry too (the chain writes them at the end).
async fn chain_created(
    conn: &mut Conn,
    chain: &mut audit::Chain,
    project: ProjectId,
    expense: &Expense,
    evidence: Option<&NewAttachment>,
    change: &Change,
) -> Result<(), StoreError> {
    chain.push(
        change,
        Record::new(AuditAction::ExpenseCreate, "expense", expense.id)
            .project(project)
            .after(expense),
    );
    if let Some(file) = evidence {
        let attachment = attachments::insert(
            &mut *conn,
            project,
            expense.id,
            file,
            change.now,
            change.actor.label(),
        )
        .await?;
        chain.push(
            change,
            Record::new(AuditAction::AttachmentCreate, "attachment", attachment.id)
                .project(project)
                .after(&attachment),
        );
    }
    Ok(())
}

impl SqlStore {
    /// One variation of a project (a variation of another project is not found).
    async fn variation(&self, project: ProjectId, id: i64) -> Result<Variation, StoreError> {
        funding::variations(&mut *self.conn().await?, project)
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or(StoreError::NotFound)
    }
}
