//! Reading and verifying the audit trail.

use super::{access, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::audit::{ChainCheck, Entry, Problem};
use crate::domain::{ExpenseId, ProjectId};
use crate::storage::{Page, PageRequest};

/// How many entries a verification reads at a time.
const SCAN_BATCH: i64 = 5_000;

/// The outcome of checking the whole chain.
#[derive(Debug)]
pub struct Verification {
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    pub problems: Vec<Problem>,
}

/// Walks the whole chain in order, slice by slice, against the stored head and the heads that
/// submissions recorded.
pub async fn verify(app: &App) -> Result<Verification, ServiceError> {
    let anchors = app.store.audit_anchors().await?;
    let mut check = ChainCheck::new(anchors);
    let after = scan(app, &mut check, 0).await?;
    // The head is read after the walk; what was appended meanwhile is walked too, once.
    let (head_seq, head_hash) = app.store.audit_head().await?;
    if head_seq > after {
        scan(app, &mut check, after).await?;
    }
    let entries = check.entries;
    let problems = check.finish(head_seq, &head_hash);
    Ok(Verification {
        entries,
        head_seq,
        head_hash,
        problems,
    })
}

/// Feeds every entry after `after` to the check; returns the last sequence number seen.
async fn scan(app: &App, check: &mut ChainCheck, mut after: i64) -> Result<i64, ServiceError> {
    loop {
        let batch = app.store.audit_scan(after, SCAN_BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(after);
        };
        after = last.seq;
        for entry in &batch {
            check.push(entry);
        }
    }
}

/// The history of one expense, oldest first.
pub async fn expense_history(
    app: &App,
    who: &Actor,
    id: ExpenseId,
) -> Result<Vec<Entry>, ServiceError> {
    let entries = app.store.audit_of("expense", &id.to_string()).await?;
    let project = match entries.first().and_then(|e| e.project_id) {
        Some(p) => ProjectId(p),
        None => return Err(ServiceError::NotFound("spesa")),
    };
    access::require(app, who, project, Need::Read).await?;
    Ok(entries)
}

pub async fn project_log(
    app: &App,
    who: &Actor,
    project: ProjectId,
    page: PageRequest,
) -> Result<Page<Entry>, ServiceError> {
    super::projects::get(app, who, project).await?;
    Ok(app.store.audit_of_project(project, page).await?)
}
