//! Authorisation: every use case asks [`require`] before it reads or changes a project.

use super::{App, ServiceError};
use crate::domain::access::{permits, Actor, Membership, Need};
use crate::domain::{ExpenseId, ProjectId};

/// The caller's role on the project, if they have one.
pub async fn membership(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Option<Membership>, ServiceError> {
    match who.user_id() {
        Some(user) => Ok(app.store.membership(project, user).await?),
        None => Ok(None),
    }
}

/// What a request is about, for [`require_member`].
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Project(ProjectId),
    Expense(ExpenseId),
    Attachment(i64),
    Commitment(crate::domain::CommitmentId),
}

/// Refuses a caller with no role on the project the target belongs to (403), before anything
/// else of the request is looked at: its body, its `If-Match`, the state of the object. A
/// missing expense or attachment is a 404 (its project cannot be named).
pub async fn require_member(app: &App, who: &Actor, target: Target) -> Result<(), ServiceError> {
    if who.is_superuser() {
        return Ok(());
    }
    let project = match target {
        Target::Project(project) => project,
        Target::Expense(id) => super::expenses::project_of(app, id).await?,
        Target::Attachment(id) => super::attachments::project_of(app, id).await?,
        Target::Commitment(id) => {
            app.store
                .get_commitment(id)
                .await?
                .ok_or(ServiceError::NotFound("impegno"))?
                .project_id
        }
    };
    match membership(app, who, project).await? {
        Some(_) => Ok(()),
        None => Err(ServiceError::Forbidden(
            "non hai accesso a questo progetto".into(),
        )),
    }
}

/// Refuses (403, saying why) unless `who` may do `need` on the project.
pub async fn require(
    app: &App,
    who: &Actor,
    project: ProjectId,
    need: Need,
) -> Result<(), ServiceError> {
    require_all(app, who, project, [need]).await
}

/// As [`require`] for several needs at once (a batch of expenses), reading the role once.
pub async fn require_all(
    app: &App,
    who: &Actor,
    project: ProjectId,
    needs: impl IntoIterator<Item = Need>,
) -> Result<(), ServiceError> {
    // The admin needs no membership, but is still held to segregation of duties (see `permits`).
    let m = if who.is_superuser() {
        None
    } else {
        membership(app, who, project).await?
    };
    for need in needs {
        permits(who, m.as_ref(), need).map_err(|denied| ServiceError::Forbidden(denied.0))?;
    }
    Ok(())
}

/// The caller's rights on one project, their role read once: for a page that shows only the
/// controls the role allows, asking about several needs without a query each.
pub struct Rights<'a> {
    who: &'a Actor,
    membership: Option<Membership>,
}

impl Rights<'_> {
    /// Whether `need` is allowed; if not, why, in Italian.
    pub fn may(&self, need: Need) -> Result<(), String> {
        permits(self.who, self.membership.as_ref(), need).map_err(|denied| denied.0)
    }
}

pub async fn rights<'a>(
    app: &App,
    who: &'a Actor,
    project: ProjectId,
) -> Result<Rights<'a>, ServiceError> {
    let membership = if who.is_superuser() {
        None
    } else {
        membership(app, who, project).await?
    };
    Ok(Rights { who, membership })
}

/// Set-up that only the admin (or the local operator) may do: calls, projects, users.
pub fn require_admin(who: &Actor) -> Result<(), ServiceError> {
    if who.is_superuser() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "solo l'amministratore può eseguire questa operazione".into(),
        ))
    }
}
