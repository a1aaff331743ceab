//! The project summary as of a date: gathers the facts from storage (budget in force, extensions,
//! tranches, deadlines, claims of other projects) and hands them to the pure rules engine.

use chrono::NaiveDate;

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::rules::Scope;
use crate::domain::snapshot::{self, StoredFacts};
use crate::domain::ProjectId;

pub use crate::domain::snapshot::Snapshot;

pub async fn snapshot(
    app: &App,
    who: &Actor,
    id: ProjectId,
    as_of: Option<NaiveDate>,
    scope: Scope,
) -> Result<Snapshot, ServiceError> {
    access::require(app, who, id, Need::Read).await?;
    build(app, id, as_of, scope, false).await
}

/// The state a submission freezes: the verified expenses only (the others are listed as pending),
/// as [`snapshot`], with every counted expense already `included`,
/// as it will be once frozen, so that documents re-made later from the stored data are identical.
pub async fn snapshot_as_submitted(
    app: &App,
    who: &Actor,
    id: ProjectId,
    as_of: Option<NaiveDate>,
) -> Result<Snapshot, ServiceError> {
    access::require(app, who, id, Need::Read).await?;
    build(app, id, as_of, Scope::Verified, true).await
}

async fn build(
    app: &App,
    id: ProjectId,
    as_of: Option<NaiveDate>,
    scope: Scope,
    as_submitted: bool,
) -> Result<Snapshot, ServiceError> {
    let facts = facts(app, id).await?;
    let as_of = as_of.unwrap_or_else(|| app.clock.today());
    Ok(snapshot::assemble(facts, as_of, scope, as_submitted))
}

/// Everything stored that a project's state depends on, read concurrently.
pub(crate) async fn facts(app: &App, id: ProjectId) -> Result<StoredFacts, ServiceError> {
    let project = projects::find(app, id).await?;
    let call = app
        .store
        .get_call(project.data.call_id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))?;
    let store = &app.store;
    let (entities, expenses, variations, extensions, milestones, tranches, claims) = tokio::try_join!(
        store.list_entities(id),
        store.all_expenses(id),
        store.variations(id),
        store.extensions(id),
        store.milestones(id),
        store.tranches(id),
        store.claims_elsewhere(id),
    )?;
    Ok(StoredFacts {
        project,
        call,
        entities,
        expenses,
        variations,
        extensions,
        milestones,
        tranches,
        claims_elsewhere: claims,
    })
}

/// Every deadline of a project as an iCalendar feed (all-day events), for Outlook or Thunderbird.
pub async fn deadlines_ics(app: &App, who: &Actor, id: ProjectId) -> Result<String, ServiceError> {
    let snap = snapshot(app, who, id, None, Scope::All).await?;
    Ok(crate::reports::ics::deadlines(&snap))
}
