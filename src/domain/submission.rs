//! A submission (rendicontazione) to the funder: the documents as first made, frozen with the
//! fingerprint of their data and the expenses they included.

use chrono::{DateTime, NaiveDate, Utc};

use super::ids::{ExpenseId, ProjectId};
use super::money::Money;
use super::project::Signatory;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub as_of: NaiveDate,
    pub template: String,
    pub fingerprint: String,
    pub signatory: Signatory,
    pub contribution_due: Money,
    pub xlsx: Vec<u8>,
    pub pdf: Vec<u8>,
    pub relazione: Vec<u8>,
    /// The expenses the documents count, with what each claims; they become `included`.
    pub expenses: Vec<(ExpenseId, Money)>,
    /// The audit trail's head when the documents were made: sequence number and hash.
    pub audit_head: (i64, String),
    /// The project's expense revision the documents were made from: if it moved meanwhile, the
    /// submission is refused rather than frozen on data the documents do not show.
    pub expected_revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub project_id: ProjectId,
    pub as_of: NaiveDate,
    pub template: String,
    pub fingerprint: String,
    pub signatory: Signatory,
    pub contribution_due: Money,
    pub expense_count: i64,
    pub audit_seq: Option<i64>,
    pub audit_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The documents a submission keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmittedFile {
    Xlsx,
    Pdf,
    Relazione,
}
