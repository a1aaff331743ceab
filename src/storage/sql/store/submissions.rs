//! Submissions: what each froze, and the claims it made.

use async_trait::async_trait;
use serde_json::json;

use super::super::{attachments, signed_copies, submissions, SqlStore};
use crate::domain::attachment::Attachment;
use crate::domain::audit::{AuditAction, Record};
use crate::domain::signed_copy::{NewSignedCopy, SignedCopy};
use crate::domain::submission::{NewSubmission, PriorClaim, Submission, SubmittedFile};
use crate::domain::ProjectId;
use crate::storage::{Change, StoreError, SubmissionStore};

#[async_trait]
impl SubmissionStore for SqlStore {
    async fn submission_evidence(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Vec<Attachment>, StoreError> {
        attachments::of_submission(&mut *self.conn().await?, project, id).await
    }

    async fn integrazioni(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Vec<Attachment>, StoreError> {
        attachments::added_after(&mut *self.conn().await?, project, id).await
    }

    async fn expenses_revision(&self, project: ProjectId) -> Result<i64, StoreError> {
        submissions::revision(&mut *self.conn().await?, project).await
    }

    async fn insert_submission(
        &self,
        project: ProjectId,
        new: &NewSubmission,
        change: &Change,
    ) -> Result<Submission, StoreError> {
        let id = self
            .audited(change, async |conn| {
                let (id, newly_included) =
                    submissions::insert(&mut *conn, project, new, change.now).await?;
                let mut records: Vec<Record> = newly_included
                    .iter()
                    .map(|expense| {
                        Record::new(AuditAction::ExpenseInclude, "expense", expense)
                            .project(project)
                            .after(&json!({"status": "included", "submission": id}))
                    })
                    .collect();
                records.push(
                    Record::new(AuditAction::SubmissionCreate, "submission", id)
                        .project(project)
                        .after(&json!({
                            "as_of": new.as_of, "template": new.template,
                            "fingerprint": new.fingerprint,
                            "contribution_due": new.contribution_due, "signatory": new.signatory,
                            "expenses": new.expenses.iter()
                                .map(|(e, claimed)| json!([e, claimed])).collect::<Vec<_>>(),
                            "audit_seq": new.audit_head.0, "audit_hash": new.audit_head.1,
                        })),
                );
                Ok((id, records))
            })
            .await?;
        submissions::list(&mut *self.conn().await?, project)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn submissions(&self, project: ProjectId) -> Result<Vec<Submission>, StoreError> {
        submissions::list(&mut *self.conn().await?, project).await
    }

    async fn prior_claims(
        &self,
        project: ProjectId,
        before: Option<i64>,
    ) -> Result<Vec<PriorClaim>, StoreError> {
        submissions::prior_claims(&mut *self.conn().await?, project, before).await
    }

    async fn insert_signed_copy(
        &self,
        project: ProjectId,
        submission: i64,
        new: &NewSignedCopy,
        change: &Change,
    ) -> Result<SignedCopy, StoreError> {
        let id = self
            .audited(change, async |conn| {
                let id = signed_copies::insert(
                    &mut *conn,
                    project,
                    submission,
                    new,
                    change.now,
                    change.actor.label(),
                )
                .await?;
                let record = Record::new(AuditAction::SignedCopyCreate, "signed_copy", id)
                    .project(project)
                    .after(&json!({
                        "submission": submission, "format": new.format,
                        "sha256": new.digest.as_str(), "size": new.size, "signers": new.signers,
                    }));
                Ok((id, vec![record]))
            })
            .await?;
        signed_copies::list(&mut *self.conn().await?, project, Some(submission))
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn signed_copies(
        &self,
        project: ProjectId,
        submission: Option<i64>,
    ) -> Result<Vec<SignedCopy>, StoreError> {
        signed_copies::list(&mut *self.conn().await?, project, submission).await
    }

    async fn submission_file(
        &self,
        project: ProjectId,
        id: i64,
        document: SubmittedFile,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        submissions::file(&mut *self.conn().await?, project, id, document).await
    }
}
