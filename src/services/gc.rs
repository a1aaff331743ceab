//! `rendiconta gc`: removes the files no row names any more — the evidence of an import that was
//! refused after its files were stored, of an expense since deleted. Never a file younger than an
//! hour (an upload whose row is not committed yet), never one a row names (attachments, which
//! include every submission's frozen evidence, and signed copies), and nothing at all while a
//! backup is in progress (its snapshot may name a file whose row was deleted since).

use chrono::{DateTime, Duration, Utc};

use super::ServiceError;
use crate::storage::backup as engine;
use crate::storage::blobs::{DynBlobs, StoredFile};

/// A file this young may belong to a request still in flight.
pub const MIN_AGE: Duration = Duration::hours(1);

#[derive(Debug, Default)]
pub struct Collected {
    /// Named by no row and old enough: removed (or, on a dry run, to remove).
    pub orphans: Vec<StoredFile>,
    /// Files rows name.
    pub in_use: usize,
    /// Named by no row but younger than [`MIN_AGE`]: left for a later run.
    pub too_young: usize,
    /// A backup in progress since then: nothing was removed.
    pub backup_since: Option<DateTime<Utc>>,
}

impl Collected {
    pub fn orphan_bytes(&self) -> u64 {
        self.orphans.iter().map(|f| f.size).sum()
    }
}

/// Finds (and unless `dry_run`, removes) the files of `blobs` no row of the database `url` names.
pub async fn collect(
    url: &str,
    blobs: &DynBlobs,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Collected, ServiceError> {
    // Listed before the rows are read: a row committed in between names a file already listed,
    // and is seen by the read that follows.
    let stored = blobs.list().await?;
    let in_use = engine::files_in_use(url, now).await?;
    let mut collected = Collected {
        backup_since: in_use.backup_since,
        ..Collected::default()
    };
    for file in stored {
        if in_use.named.contains(&file.digest) {
            collected.in_use += 1;
        } else if now - file.modified < MIN_AGE {
            collected.too_young += 1;
        } else {
            collected.orphans.push(file);
        }
    }
    if dry_run || collected.backup_since.is_some() || collected.orphans.is_empty() {
        return Ok(collected);
    }
    // Read again just before removing: a file attached again meanwhile (the same bytes) stays.
    let named_now = engine::files_in_use(url, now).await?;
    if named_now.backup_since.is_some() {
        collected.backup_since = named_now.backup_since;
        return Ok(collected);
    }
    collected
        .orphans
        .retain(|f| !named_now.named.contains(&f.digest));
    for file in &collected.orphans {
        blobs.delete(&file.digest).await?;
        tracing::info!(file = %file.digest, size = file.size, "file senza riferimenti rimosso");
    }
    Ok(collected)
}
