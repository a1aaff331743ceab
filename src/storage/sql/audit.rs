//! The audit trail: appends sealed entries in the writer's transaction, and reads them back.

use sqlx::Executor;

use super::{Conn, Db};

use super::DIALECT;
use crate::domain::audit::{micros, Anchor, Entry, Record};
use crate::domain::ProjectId;
use crate::storage::{Change, Page, PageRequest, StoreError};

/// Appends one entry after the current head, in `conn`. On PostgreSQL the head row was locked when
/// the transaction began (see `SqlStore::begin_write`), so the chain has one order.
pub(super) async fn append(
    conn: &mut Conn,
    change: &Change,
    record: Record,
) -> Result<(), StoreError> {
    let mut chain = Chain::head(conn).await?;
    chain.push(change, record);
    chain.save(conn).await
}

/// The chain's head held in memory while one transaction appends many entries (an import): the
/// head is read once, entries are sealed as they come and written together, and the head is
/// written once, by [`Chain::save`]. Take a [`Mark`] before a savepoint and [`Chain::reset`] to it
/// when rolling back to that savepoint.
pub(super) struct Chain {
    seq: i64,
    hash: String,
    pending: Vec<Entry>,
}

/// Where the chain stood: its head and how many entries were waiting.
pub(super) struct Mark {
    seq: i64,
    hash: String,
    pending: usize,
}

/// The chain's last entry: its sequence number and hash.
#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

/// Rows per multi-row `INSERT` (12 parameters each; SQLite allows 32,766 per statement).
const ROWS_PER_INSERT: usize = 1000;

impl Chain {
    pub(super) async fn head(conn: &mut Conn) -> Result<Chain, StoreError> {
        let head: Head = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Chain {
            seq: head.seq,
            hash: head.hash,
            pending: Vec::new(),
        })
    }

    /// Seals the record as the next entry; written by [`Chain::save`].
    pub(super) fn push(&mut self, change: &Change, record: Record) {
        let entry = Entry::seal(
            record,
            self.seq + 1,
            change.now,
            change.actor.label(),
            change.actor.user_id().map(|u| u.0),
            &self.hash,
        );
        self.seq = entry.seq;
        self.hash.clone_from(&entry.hash);
        self.pending.push(entry);
    }

    pub(super) fn mark(&self) -> Mark {
        Mark {
            seq: self.seq,
            hash: self.hash.clone(),
            pending: self.pending.len(),
        }
    }

    pub(super) fn reset(&mut self, mark: Mark) {
        self.seq = mark.seq;
        self.hash = mark.hash;
        self.pending.truncate(mark.pending);
    }

    /// Writes the waiting entries and the new head.
    pub(super) async fn save(&mut self, conn: &mut Conn) -> Result<(), StoreError> {
        for chunk in self.pending.chunks(ROWS_PER_INSERT) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO audit_log (seq, at, actor, user_id, action, object_type, object_id, \
                 project_id, before, after, prev_hash, hash) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.seq)
                    .push_bind(e.at)
                    .push_bind(e.actor.clone())
                    .push_bind(e.user_id)
                    .push_bind(e.action.clone())
                    .push_bind(e.object_type.clone())
                    .push_bind(e.object_id.clone())
                    .push_bind(e.project_id)
                    .push_bind(e.before.clone())
                    .push_bind(e.after.clone())
                    .push_bind(e.prev_hash.clone())
                    .push_bind(e.hash.clone());
            });
            q.build().execute(&mut *conn).await?;
        }
        self.pending.clear();
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(&self.hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Takes the chain's head lock: the first statement of every writing transaction on PostgreSQL.
pub(super) async fn lock_head(conn: &mut Conn) -> Result<(), StoreError> {
    if !DIALECT.lock_audit_head.is_empty() {
        sqlx::query(DIALECT.lock_audit_head)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn head(conn: &mut Conn) -> Result<(i64, String), StoreError> {
    let head: Head = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    Ok((head.seq, head.hash))
}

const COLUMNS: &str = "seq, at, actor, user_id, action, object_type, object_id, project_id, before, after, prev_hash, hash";

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
    actor: String,
    user_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: String,
    project_id: Option<i64>,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Entry {
        Entry {
            seq: r.seq,
            at: micros(r.at),
            actor: r.actor,
            user_id: r.user_id,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            project_id: r.project_id,
            before: r.before,
            after: r.after,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

pub(super) async fn of_object(
    db: impl Executor<'_, Database = Db>,
    object_type: &str,
    object_id: &str,
) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY seq"
    ))
    .bind(object_type)
    .bind(object_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

pub(super) async fn of_project(
    conn: &mut Conn,
    project: ProjectId,
    page: PageRequest,
) -> Result<Page<Entry>, StoreError> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE project_id = $1")
        .bind(project)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE project_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3"
    ))
    .bind(project)
    .bind(i64::from(page.per_page))
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    Ok(Page {
        items: rows.into_iter().map(Entry::from).collect(),
        total,
    })
}

pub(super) async fn scan(
    db: impl Executor<'_, Database = Db>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Entry::from).collect())
}

pub(super) async fn anchors(conn: &mut Conn) -> Result<Vec<Anchor>, StoreError> {
    let rows: Vec<AnchorRow> =
        sqlx::query_as("SELECT id, project_id, audit_seq, audit_hash FROM submissions ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(Anchor {
                label: format!(
                    "la rendicontazione {} del progetto {}",
                    row.id, row.project_id
                ),
                seq: row.audit_seq?,
                hash: row.audit_hash?,
            })
        })
        .collect())
}

/// A submission's record of the audit chain's head when it was made (older ones have none).
#[derive(sqlx::FromRow)]
struct AnchorRow {
    id: i64,
    project_id: i64,
    audit_seq: Option<i64>,
    audit_hash: Option<String>,
}
