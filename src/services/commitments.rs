//! Commitments (impegni): recorded and changed by the finance office, or by a project manager for
//! the entities assigned to them; read by every member. Each is shown with what its expenses have
//! invoiced and paid; the forecast at completion counts what is left of them.

use chrono::NaiveDate;

use super::{access, projects, summary, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::commitment::{drawn, Commitment, CommitmentData, Drawn};
use crate::domain::forecast::{self, Forecast};
use crate::domain::rules::Scope;
use crate::domain::snapshot;
use crate::domain::{CommitmentId, ExpenseData, ProjectId, Violations};

/// A commitment with what its expenses drew on it.
#[derive(Debug, Clone)]
pub struct Standing {
    pub commitment: Commitment,
    pub drawn: Drawn,
}

impl Standing {
    pub fn residual(&self) -> crate::domain::Money {
        self.drawn.residual(self.commitment.data.amount)
    }

    /// Drawn above what was committed: a warning (the accounts may hold a later increase).
    pub fn overdrawn(&self) -> bool {
        self.residual().is_negative()
    }
}

/// The entity must be one of the project's, and the category one of its call's.
async fn check(app: &App, project: ProjectId, data: &CommitmentData) -> Result<(), ServiceError> {
    let project = projects::find(app, project).await?;
    let mut v = Violations::new();
    let entity = app.store.get_entity(data.entity_id).await?;
    if !matches!(entity, Some(e) if e.project_id == project.id) {
        v.add(
            "entity_id",
            "unknown_entity",
            "l'ente indicato non partecipa al progetto",
        );
    }
    let call = app
        .store
        .get_call(project.data.call_id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))?;
    if !call.categories.iter().any(|c| c.code == data.category) {
        v.add(
            "category",
            "unknown_category",
            "la categoria non è tra quelle del bando",
        );
    }
    v.finish(|| Some(())).map_err(ServiceError::Invalid)
}

pub async fn create(
    app: &App,
    who: &Actor,
    project: ProjectId,
    data: CommitmentData,
) -> Result<Standing, ServiceError> {
    access::require(
        app,
        who,
        project,
        Need::Commit {
            entity: data.entity_id,
        },
    )
    .await?;
    check(app, project, &data).await?;
    let commitment = app
        .store
        .insert_commitment(project, &data, &app.change(who))
        .await?;
    Ok(Standing {
        commitment,
        drawn: Drawn::default(),
    })
}

/// A project's commitments by act date, each with what its expenses drew.
pub async fn list(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Standing>, ServiceError> {
    access::require(app, who, project, Need::Read).await?;
    let (commitments, expenses) = tokio::try_join!(
        app.store.commitments(project),
        app.store.all_expenses(project)
    )?;
    let drawn = drawn(&expenses);
    Ok(commitments
        .iter()
        .map(|c| Standing {
            drawn: drawn.get(&c.id).copied().unwrap_or_default(),
            commitment: c.clone(),
        })
        .collect())
}

/// One commitment, for any member of its project.
pub async fn get(app: &App, who: &Actor, id: CommitmentId) -> Result<Standing, ServiceError> {
    let found = app
        .store
        .get_commitment(id)
        .await?
        .ok_or(ServiceError::NotFound("impegno"))?;
    list(app, who, found.project_id)
        .await?
        .into_iter()
        .find(|s| s.commitment.id == id)
        .ok_or(ServiceError::NotFound("impegno"))
}

pub async fn update(
    app: &App,
    who: &Actor,
    id: CommitmentId,
    expected_version: i64,
    data: CommitmentData,
) -> Result<Standing, ServiceError> {
    let current = get(app, who, id).await?;
    let project = current.commitment.project_id;
    // A project manager may neither change another entity's commitment nor move one to it.
    for entity in [current.commitment.data.entity_id, data.entity_id] {
        access::require(app, who, project, Need::Commit { entity }).await?;
    }
    check(app, project, &data).await?;
    let commitment = app
        .store
        .update_commitment(id, expected_version, &data, &app.change(who))
        .await?;
    Ok(Standing {
        commitment,
        drawn: current.drawn,
    })
}

pub async fn delete(
    app: &App,
    who: &Actor,
    id: CommitmentId,
    expected_version: i64,
) -> Result<(), ServiceError> {
    let current = get(app, who, id).await?;
    access::require(
        app,
        who,
        current.commitment.project_id,
        Need::Commit {
            entity: current.commitment.data.entity_id,
        },
    )
    .await?;
    Ok(app
        .store
        .delete_commitment(id, expected_version, &app.change(who))
        .await?)
}

/// An expense draws on a commitment of its own project, entity and category.
pub async fn check_expense_link(
    app: &App,
    project: ProjectId,
    data: &ExpenseData,
    v: &mut Violations,
) -> Result<(), ServiceError> {
    let Some(id) = data.payment.commitment_id else {
        return Ok(());
    };
    let field = "commitment_id";
    match app.store.get_commitment(id).await? {
        Some(c) if c.project_id == project => {
            if c.data.entity_id != data.entity_id {
                v.add(
                    field,
                    "commitment_other_entity",
                    "l'impegno indicato è di un altro ente",
                );
            }
            if data
                .category
                .as_ref()
                .is_some_and(|k| *k != c.data.category)
            {
                v.add(
                    field,
                    "commitment_other_category",
                    "l'impegno indicato è di un'altra categoria",
                );
            }
        }
        _ => v.add(
            field,
            "unknown_commitment",
            "l'impegno indicato non è tra quelli del progetto",
        ),
    }
    Ok(())
}

/// The state as of a date counting every recorded expense and the verified ones only, with the
/// forecast at completion (the dashboard): the stored facts read once for all three.
pub async fn snapshots_with_forecast(
    app: &App,
    who: &Actor,
    project: ProjectId,
    as_of: Option<NaiveDate>,
) -> Result<(snapshot::Snapshot, snapshot::Snapshot, Forecast), ServiceError> {
    access::require(app, who, project, Need::Read).await?;
    let (facts, commitments) = tokio::try_join!(summary::facts(app, project), async {
        Ok(app.store.commitments(project).await?)
    })?;
    let as_of = as_of.unwrap_or_else(|| app.clock.today());
    let all = snapshot::assemble(facts.clone(), as_of, Scope::All, false);
    let verified = snapshot::assemble(facts.clone(), as_of, Scope::Verified, false);
    let f = forecast::forecast(facts, &commitments, &all);
    Ok((all, verified, f))
}

/// The forecast at completion as of a date (today by default).
pub async fn forecast(
    app: &App,
    who: &Actor,
    project: ProjectId,
    as_of: Option<NaiveDate>,
) -> Result<Forecast, ServiceError> {
    access::require(app, who, project, Need::Read).await?;
    let (facts, commitments) = tokio::try_join!(summary::facts(app, project), async {
        Ok(app.store.commitments(project).await?)
    })?;
    let as_of = as_of.unwrap_or_else(|| app.clock.today());
    let now = snapshot::figures(facts.clone(), &[], as_of);
    Ok(forecast::forecast(facts, &commitments, &now))
}
