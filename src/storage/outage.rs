//! Which failures are outages of the database (a full disk, a server down, a read-only file) rather
//! than faults of a request, and what a pooled connection must look like to be used again.

use super::StoreError;

/// Why the database cannot do its work for now: a passing condition, not a fault of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// No space left where the database writes.
    DiskFull,
    /// The database cannot be reached, is read-only, or is shutting down.
    Unavailable,
}

impl StoreError {
    /// Whether this error is an outage of the database rather than a fault of the request.
    pub fn outage(&self) -> Option<Outage> {
        match self {
            StoreError::Database(e) => outage_of(e),
            StoreError::Unavailable(outage, _) => Some(*outage),
            _ => None,
        }
    }

    /// The same failure for each of several waiting requests (a batch could not begin or commit).
    pub(crate) fn shared_copy(&self) -> StoreError {
        match self.outage() {
            Some(outage) => StoreError::Unavailable(outage, self.to_string()),
            None => StoreError::CommitFailed(self.to_string()),
        }
    }
}

/// Whether a connection given back to the pool may serve another request. A connection whose
/// commit or rollback failed (a full disk, a file made read-only) is still inside a transaction:
/// reused, every later write on it would fail (`begin_with at non-zero transaction depth`) until
/// a restart. A transaction merely dropped may still have its rollback queued (SQLite runs it on
/// the connection's worker): a ping lets it run first. A connection still in a transaction after
/// that is closed, and the pool opens a fresh one.
pub(super) async fn fit_for_reuse<C: sqlx::Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    if conn.is_in_transaction() {
        conn.ping().await?;
    }
    Ok(!conn.is_in_transaction())
}

/// Classifies a driver error: SQLite's result codes (`SQLITE_FULL`, `_READONLY`, `_IOERR`,
/// `_CANTOPEN`, `_BUSY`, `_LOCKED`), PostgreSQL's SQLSTATE classes (53 resources, 57 operator
/// intervention, 08 connection) and the pool's own (closed, timed out, I/O).
pub fn outage_of(error: &sqlx::Error) -> Option<Outage> {
    const ENOSPC: i32 = 28;
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            // SQLite's codes are numbers; so are many SQLSTATEs ("53100", "08006"): which engine
            // answered decides how to read them.
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                return match code.parse::<i32>().ok()? & 0xff {
                    13 => Some(Outage::DiskFull),
                    5 | 6 | 8 | 10 | 14 => Some(Outage::Unavailable),
                    _ => None,
                };
            }
            match code.as_ref() {
                "53100" => Some(Outage::DiskFull),
                c if c.starts_with("08") || c.starts_with("57") || c.starts_with("53") => {
                    Some(Outage::Unavailable)
                }
                "25006" => Some(Outage::Unavailable), // read-only transaction (a standby)
                _ => None,
            }
        }
        sqlx::Error::Io(io) if io.raw_os_error() == Some(ENOSPC) => Some(Outage::DiskFull),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => Some(Outage::Unavailable),
        _ => None,
    }
}
