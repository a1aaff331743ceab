//! The signed copy of a submission's rendiconto: uploaded once the legal representative has
//! signed the submitted PDF outside rendiconta, kept only if it signs exactly that PDF (see
//! [`crate::imports::signature`]), listed beside the submission with who signed it, and packed
//! with its evidence. Its bytes go to the file store before the row is written, like evidence.

use super::reports::{find_submission, submission_file, Kind};
use super::{access, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::attachment::Digest;
use crate::domain::signed_copy::{NewSignedCopy, SignedCopy};
use crate::domain::submission::Submission;
use crate::domain::validation::FieldError;
use crate::domain::ProjectId;
use crate::imports::signature;

/// A signed copy kept by [`upload`].
pub struct Kept {
    pub copy: SignedCopy,
    /// False when the same file was kept before: nothing new was written.
    pub created: bool,
    /// None of its signers is the submission's signatory.
    pub other_signer: bool,
}

/// Checks and keeps a signed copy of submission `id`; refused with the reason when it does not
/// sign exactly the submitted PDF. The same file sent again is the copy already kept, not a
/// second one.
pub async fn upload(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    bytes: Vec<u8>,
) -> Result<Kept, ServiceError> {
    access::require(app, who, project, Need::Submit).await?;
    let (submission, _) = find_submission(app, who, project, id).await?;
    let kept = |copy: SignedCopy, created| Kept {
        other_signer: copy.signed_by_other_than(&submission.signatory),
        copy,
        created,
    };
    let invalid = |code: &str, message: String| {
        ServiceError::Invalid(vec![FieldError {
            field: "file".into(),
            code: code.into(),
            message,
        }])
    };
    if bytes.is_empty() {
        return Err(invalid("empty_file", "il file è vuoto".into()));
    }
    if bytes.len() > app.max_file_bytes {
        return Err(invalid(
            "file_too_large",
            format!(
                "il file supera il limite di {} MB",
                app.max_file_bytes / 1_000_000
            ),
        ));
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let submitted = submission_file(app, who, project, id, Kind::Pdf).await?;
    // A signed PDF may be tens of megabytes: scanned and hashed off the async workers.
    let (verified, bytes) =
        tokio::task::spawn_blocking(move || (signature::check(&submitted, &bytes), bytes))
            .await
            .map_err(|_| ServiceError::Report(crate::reports::ReportError::Interrupted))?;
    let verified = verified.map_err(|e| ServiceError::Unprocessable {
        code: e.code(),
        message: format!("Copia firmata non accettata: {e}."),
    })?;
    let new = NewSignedCopy {
        format: verified.format,
        size,
        digest: Digest::of(&bytes),
        signers: verified.signers,
    };
    let before = app.store.signed_copies(project, Some(id)).await?;
    if let Some(same) = before.into_iter().find(|c| c.digest == new.digest) {
        return Ok(kept(same, false));
    }
    app.blobs.put(&new.digest, bytes).await?;
    let copy = app
        .store
        .insert_signed_copy(project, id, &new, &app.change(who))
        .await?;
    Ok(kept(copy, true))
}

/// Submission `id` and its signed copies, oldest first.
pub async fn submission(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<(Submission, Vec<SignedCopy>), ServiceError> {
    let (submission, _) = find_submission(app, who, project, id).await?;
    Ok((
        submission,
        app.store.signed_copies(project, Some(id)).await?,
    ))
}

/// Every signed copy of the project's submissions, oldest first.
pub async fn of_project(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<SignedCopy>, ServiceError> {
    access::require(app, who, project, Need::Read).await?;
    Ok(app.store.signed_copies(project, None).await?)
}

/// One signed copy and its bytes, exactly as uploaded.
pub async fn download(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    copy: i64,
) -> Result<(SignedCopy, Vec<u8>), ServiceError> {
    let found = submission(app, who, project, id)
        .await?
        .1
        .into_iter()
        .find(|c| c.id == copy)
        .ok_or(ServiceError::NotFound("copia firmata"))?;
    let bytes = app
        .blobs
        .get(&found.digest)
        .await?
        .ok_or(ServiceError::NotFound("contenuto della copia firmata"))?;
    Ok((found, bytes))
}
