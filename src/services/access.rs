//! Authorisation: every use case asks [`require`] before it reads or changes a project.

use super::{App, ServiceError};
use crate::domain::access::{permits, Actor, Membership, Need};
use crate::domain::ProjectId;

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
