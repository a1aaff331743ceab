//! The storage traits, one per aggregate; [`super::Store`] is all of them.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::access::{ApiToken, Membership, Role, User};
use crate::domain::attachment::{Attachment, NewAttachment};
use crate::domain::audit::{Anchor, Entry};
use crate::domain::commitment::{Commitment, CommitmentData};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche, Variation,
    VariationStatus,
};
use crate::domain::{
    Call, CallId, CommitmentId, DateChange, DocumentKey, Entity, EntityId, Expense, ExpenseData,
    ExpenseId, Money, NewCall, NewEntity, Project, ProjectData, ProjectId, Step, UserId,
};

use super::{
    Change, ExpenseFile, ExpenseFilter, ExpenseSortField, ExpenseTotals, NewSession, Page,
    PageRequest, Sort, StoreError,
};

/// Calls, projects and their partner entities.
#[async_trait]
pub trait ProjectStore: Send + Sync + 'static {
    async fn insert_call(&self, call: &NewCall, change: &Change) -> Result<Call, StoreError>;
    async fn get_call(&self, id: CallId) -> Result<Option<Call>, StoreError>;
    async fn list_calls(&self, page: PageRequest) -> Result<Page<Call>, StoreError>;
    async fn count_projects(&self) -> Result<i64, StoreError>;
    async fn insert_project(
        &self,
        data: &ProjectData,
        change: &Change,
    ) -> Result<Project, StoreError>;
    async fn get_project(&self, id: ProjectId) -> Result<Option<Project>, StoreError>;
    /// The projects `visible_to` a user has a role on, or all of them for `None`.
    async fn list_projects(
        &self,
        page: PageRequest,
        visible_to: Option<UserId>,
    ) -> Result<Page<Project>, StoreError>;
    /// Replaces the project's data if its version is still `expected_version`, appending the date
    /// changes to its history, in one transaction.
    async fn update_project(
        &self,
        id: ProjectId,
        expected_version: i64,
        data: &ProjectData,
        date_changes: &[DateChange],
        change: &Change,
    ) -> Result<Project, StoreError>;
    async fn insert_entity(
        &self,
        project: ProjectId,
        entity: &NewEntity,
        change: &Change,
    ) -> Result<Entity, StoreError>;
    async fn get_entity(&self, id: EntityId) -> Result<Option<Entity>, StoreError>;
    /// Replaces an entity's particulars if its version is still `expected_version`.
    async fn update_entity(
        &self,
        project: ProjectId,
        id: EntityId,
        expected_version: i64,
        entity: &NewEntity,
        change: &Change,
    ) -> Result<Entity, StoreError>;
    async fn list_entities(&self, project: ProjectId) -> Result<Vec<Entity>, StoreError>;
}

/// Expenses, their evidence, and the claims on their documents.
#[async_trait]
pub trait ExpenseStore: Send + Sync + 'static {
    /// Inserts an expense unless, together with the other parts of its document, it would claim
    /// more than the document's total: that check and the insert share one transaction.
    async fn insert_expense(
        &self,
        project: ProjectId,
        data: &ExpenseData,
        change: &Change,
    ) -> Result<Expense, StoreError>;
    /// Inserts many expenses in one transaction, each guarded like [`Store::insert_expense`]: all
    /// or nothing (imports).
    /// `evidence`, when given, is attached to every expense created (the imported file).
    async fn insert_expenses(
        &self,
        project: ProjectId,
        data: &[ExpenseData],
        evidence: Option<&NewAttachment>,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError>;
    /// Inserts the expenses of many files in one transaction, each file all or nothing (a
    /// savepoint each): a file whose expenses break a rule gets its error, the others are kept.
    /// `Err` only when the transaction itself fails (then nothing is written).
    async fn insert_expense_files(
        &self,
        project: ProjectId,
        files: &[ExpenseFile],
        change: &Change,
    ) -> Result<Vec<Result<Vec<Expense>, StoreError>>, StoreError>;
    async fn get_expense(&self, id: ExpenseId) -> Result<Option<Expense>, StoreError>;
    async fn list_expenses(
        &self,
        project: ProjectId,
        filter: &ExpenseFilter,
        sort: Sort<ExpenseSortField>,
        page: PageRequest,
    ) -> Result<(Page<Expense>, ExpenseTotals), StoreError>;
    /// Every expense of a project in id order (for the rules engine and the reports). Shared and
    /// read-only: the store may serve it from memory while the project's expenses are unchanged.
    async fn all_expenses(&self, project: ProjectId) -> Result<Arc<Vec<Expense>>, StoreError>;
    async fn update_expense(
        &self,
        id: ExpenseId,
        expected_version: i64,
        data: &ExpenseData,
        change: &Change,
    ) -> Result<Expense, StoreError>;
    /// Replaces several expenses' data in one transaction, each at its expected version: all or
    /// nothing (reconciliation with the accounts). `action` names the change in the audit trail.
    async fn update_expenses(
        &self,
        updates: &[(ExpenseId, i64, ExpenseData)],
        action: crate::domain::audit::AuditAction,
        change: &Change,
    ) -> Result<Vec<Expense>, StoreError>;
    async fn delete_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError>;
    /// Takes a workflow step if the expense's status allows it (and its version is still
    /// `expected_version`, when given); `note` is the rejection reason or unlock justification.
    async fn step_expense(
        &self,
        id: ExpenseId,
        expected_version: Option<i64>,
        step: Step,
        note: Option<&str>,
        change: &Change,
    ) -> Result<Expense, StoreError>;
    /// Records a file (already in the file store) as evidence of an expense.
    async fn insert_attachment(
        &self,
        expense: ExpenseId,
        new: &NewAttachment,
        change: &Change,
    ) -> Result<Attachment, StoreError>;
    async fn get_attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError>;
    async fn attachments(&self, expense: ExpenseId) -> Result<Vec<Attachment>, StoreError>;
    /// Every attachment of a project, by expense.
    async fn project_attachments(&self, project: ProjectId) -> Result<Vec<Attachment>, StoreError>;
    /// Removes an attachment, unless its expense was submitted (`Submitted`).
    async fn delete_attachment(&self, id: i64, change: &Change) -> Result<(), StoreError>;
    /// What other projects claim of this project's supplier documents.
    async fn claims_elsewhere(
        &self,
        project: ProjectId,
    ) -> Result<Vec<(DocumentKey, Money)>, StoreError>;
}

/// A project's variations, extensions, milestones and the Region's tranches.
#[async_trait]
pub trait FundingStore: Send + Sync + 'static {
    async fn insert_variation(
        &self,
        project: ProjectId,
        new: &NewVariation,
        change: &Change,
    ) -> Result<Variation, StoreError>;
    async fn variations(&self, project: ProjectId) -> Result<Vec<Variation>, StoreError>;
    async fn set_variation_status(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        status: VariationStatus,
        decision_date: Option<chrono::NaiveDate>,
        change: &Change,
    ) -> Result<Variation, StoreError>;
    async fn insert_extension(
        &self,
        project: ProjectId,
        new: &NewExtension,
        change: &Change,
    ) -> Result<Extension, StoreError>;
    async fn extensions(&self, project: ProjectId) -> Result<Vec<Extension>, StoreError>;
    async fn insert_milestone(
        &self,
        project: ProjectId,
        new: &NewMilestone,
        change: &Change,
    ) -> Result<Milestone, StoreError>;
    async fn milestones(&self, project: ProjectId) -> Result<Vec<Milestone>, StoreError>;
    async fn update_milestone(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &NewMilestone,
        change: &Change,
    ) -> Result<Milestone, StoreError>;
    async fn insert_tranche(
        &self,
        project: ProjectId,
        new: &NewTranche,
        change: &Change,
    ) -> Result<Tranche, StoreError>;
    async fn tranches(&self, project: ProjectId) -> Result<Vec<Tranche>, StoreError>;
}

/// A project's commitments (impegni).
#[async_trait]
pub trait CommitmentStore: Send + Sync + 'static {
    async fn insert_commitment(
        &self,
        project: ProjectId,
        data: &CommitmentData,
        change: &Change,
    ) -> Result<Commitment, StoreError>;
    /// A project's commitments, by act date.
    async fn commitments(&self, project: ProjectId) -> Result<Arc<Vec<Commitment>>, StoreError>;
    async fn get_commitment(&self, id: CommitmentId) -> Result<Option<Commitment>, StoreError>;
    /// Replaces the commitment's data if its version is still `expected_version`.
    async fn update_commitment(
        &self,
        id: CommitmentId,
        expected_version: i64,
        data: &CommitmentData,
        change: &Change,
    ) -> Result<Commitment, StoreError>;
    /// Deletes the commitment if its version is still `expected_version` and no expense draws on
    /// it (`StoreError::InUse` otherwise).
    async fn delete_commitment(
        &self,
        id: CommitmentId,
        expected_version: i64,
        change: &Change,
    ) -> Result<(), StoreError>;
    /// The user's calendar token, replaced (one per user, stored as its digest).
    async fn set_calendar_token(
        &self,
        user: UserId,
        token_hash: &str,
        change: &Change,
    ) -> Result<(), StoreError>;
    /// Removes the user's calendar token; `false` when there was none.
    async fn revoke_calendar_token(
        &self,
        user: UserId,
        change: &Change,
    ) -> Result<bool, StoreError>;
    /// The owner of a calendar token.
    async fn calendar_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
}

/// Submissions: what each froze, and the claims it made.
#[async_trait]
pub trait SubmissionStore: Send + Sync + 'static {
    /// The files a submission's evidence pack holds, frozen with it.
    async fn submission_evidence(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Vec<Attachment>, StoreError>;
    /// The files attached since to the expenses a submission counted: its integrazioni.
    async fn integrazioni(
        &self,
        project: ProjectId,
        id: i64,
    ) -> Result<Vec<Attachment>, StoreError>;
    /// The counter every change to a project's expenses bumps.
    async fn expenses_revision(&self, project: ProjectId) -> Result<i64, StoreError>;
    /// Freezes a submission: stores its documents and marks its expenses `included`, in one
    /// transaction, unless the expenses changed since `expected_revision` (then `VersionMismatch`).
    async fn insert_submission(
        &self,
        project: ProjectId,
        new: &crate::domain::submission::NewSubmission,
        change: &Change,
    ) -> Result<crate::domain::submission::Submission, StoreError>;
    async fn submissions(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::submission::Submission>, StoreError>;
    /// What the project's submissions (those before `before`, or all) claimed of each expense.
    async fn prior_claims(
        &self,
        project: ProjectId,
        before: Option<i64>,
    ) -> Result<Vec<crate::domain::submission::PriorClaim>, StoreError>;
    /// Keeps a signed copy of a submission (its bytes already in the file store), audited;
    /// `NotFound` when the project has no such submission.
    async fn insert_signed_copy(
        &self,
        project: ProjectId,
        submission: i64,
        new: &crate::domain::signed_copy::NewSignedCopy,
        change: &Change,
    ) -> Result<crate::domain::signed_copy::SignedCopy, StoreError>;
    /// The signed copies of one submission, or of all the project's, oldest first.
    async fn signed_copies(
        &self,
        project: ProjectId,
        submission: Option<i64>,
    ) -> Result<Vec<crate::domain::signed_copy::SignedCopy>, StoreError>;
    /// A stored document, byte for byte as first made.
    async fn submission_file(
        &self,
        project: ProjectId,
        id: i64,
        document: crate::domain::submission::SubmittedFile,
    ) -> Result<Option<Vec<u8>>, StoreError>;
}

/// The relazione's sections and the project's indicators.
#[async_trait]
pub trait NarrativeStore: Send + Sync + 'static {
    async fn insert_section(
        &self,
        project: ProjectId,
        new: &crate::domain::narrative::NewSection,
        change: &Change,
    ) -> Result<crate::domain::narrative::Section, StoreError>;
    async fn sections(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::narrative::Section>, StoreError>;
    async fn insert_indicator(
        &self,
        project: ProjectId,
        new: &crate::domain::narrative::NewIndicator,
        change: &Change,
    ) -> Result<crate::domain::narrative::Indicator, StoreError>;
    async fn indicators(
        &self,
        project: ProjectId,
    ) -> Result<Vec<crate::domain::narrative::Indicator>, StoreError>;
    /// Replaces a section of the project's final report (`NotFound` when it is not the project's,
    /// `VersionMismatch` when it changed since `expected_version`).
    async fn update_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &crate::domain::narrative::NewSection,
        change: &Change,
    ) -> Result<crate::domain::narrative::Section, StoreError>;
    async fn delete_section(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError>;
    async fn update_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: i64,
        new: &crate::domain::narrative::NewIndicator,
        change: &Change,
    ) -> Result<crate::domain::narrative::Indicator, StoreError>;
    async fn delete_indicator(
        &self,
        project: ProjectId,
        id: i64,
        expected_version: Option<i64>,
        change: &Change,
    ) -> Result<(), StoreError>;
}

/// Accounts, roles, sessions, API tokens and sign-in throttling.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    async fn insert_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        change: &Change,
    ) -> Result<User, StoreError>;
    /// The user and their password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>, StoreError>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces the password and ends every session of the user.
    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        change: &Change,
    ) -> Result<(), StoreError>;
    async fn set_membership(
        &self,
        project: ProjectId,
        user: UserId,
        role: Role,
        entities: &[EntityId],
        change: &Change,
    ) -> Result<Membership, StoreError>;
    async fn remove_membership(
        &self,
        project: ProjectId,
        user: UserId,
        change: &Change,
    ) -> Result<(), StoreError>;
    async fn memberships(&self, project: ProjectId) -> Result<Vec<Membership>, StoreError>;
    async fn membership(
        &self,
        project: ProjectId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError>;
    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError>;
    /// The signed-in user and the session's CSRF token, if the session exists and has not expired.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn insert_token(
        &self,
        user: UserId,
        name: &str,
        token_hash: &str,
        change: &Change,
    ) -> Result<ApiToken, StoreError>;
    /// The owner of a token that has not been revoked.
    async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    async fn tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError>;
    async fn revoke_token(&self, user: UserId, id: i64, change: &Change) -> Result<(), StoreError>;
    /// Counts a sign-in attempt before its password is verified: the attempts in the account's
    /// window (this one included) and the window's start; a window begun at or before
    /// `stale_before` restarts.
    async fn count_login_attempt(
        &self,
        email: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<(i64, DateTime<Utc>), StoreError>;
    /// Forgets the account's attempts (it signed in) and every stale window.
    async fn clear_login_attempts(
        &self,
        email: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The audit trail's reads (every write appends to it in its own transaction).
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// The last entry's sequence number and hash (0 and the genesis hash when empty).
    async fn audit_head(&self) -> Result<(i64, String), StoreError>;
    /// The history of one object, oldest first.
    async fn audit_of(&self, object_type: &str, object_id: &str) -> Result<Vec<Entry>, StoreError>;
    /// A project's entries, newest first.
    async fn audit_of_project(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<Entry>, StoreError>;
    /// Up to `limit` entries after `after_seq`, in order: the whole log, a slice at a time.
    async fn audit_scan(&self, after_seq: i64, limit: i64) -> Result<Vec<Entry>, StoreError>;
    /// The heads the submissions recorded.
    async fn audit_anchors(&self) -> Result<Vec<Anchor>, StoreError>;
}
