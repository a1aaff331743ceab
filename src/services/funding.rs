//! Budget variations, extensions, milestones and tranches: recorded with the checks that need the
//! project and its call.

use super::{projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::funding::{
    self, Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche,
    Variation, VariationStatus,
};
use crate::domain::{Project, ProjectId, Violations};

/// Records a variation. One recorded already decided counts from its decision date (by default
/// the date of its act); one requested, from when it is approved.
pub async fn add_variation(
    app: &App,
    who: &Actor,
    project: ProjectId,
    mut new: NewVariation,
) -> Result<Variation, ServiceError> {
    let p = projects::get_for(app, who, project, Need::Funding).await?;
    new.decision_date = match new.status {
        VariationStatus::Requested => None,
        _ => Some(new.decision_date.unwrap_or(new.date)),
    };
    check_decision_date(new.date, new.decision_date)?;
    let call = app
        .store
        .get_call(p.data.call_id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))?;
    let mut v = Violations::new();
    for (i, (category, _)) in new.changes.iter().enumerate() {
        if call.category(category.as_str()).is_none() {
            v.add(
                format!("changes[{i}].category"),
                "unknown_category",
                "categoria non prevista dal bando",
            );
        }
    }
    v.finish(|| Some(())).map_err(ServiceError::Invalid)?;
    if new.status == VariationStatus::Approved {
        check_budget_stays_positive(app, project, &p, Some(&new)).await?;
    }
    Ok(app
        .store
        .insert_variation(project, &new, &app.change(who))
        .await?)
}

/// No category may go below zero once the approved variations (and `extra`) apply.
async fn check_budget_stays_positive(
    app: &App,
    project: ProjectId,
    p: &crate::domain::Project,
    extra: Option<&NewVariation>,
) -> Result<(), ServiceError> {
    let mut variations = app.store.variations(project).await?;
    if let Some(new) = extra {
        variations.push(Variation {
            id: i64::MAX,
            act: new.act.clone(),
            date: chrono::NaiveDate::MIN,
            status: VariationStatus::Approved,
            decision_date: Some(chrono::NaiveDate::MIN),
            changes: new.changes.clone(),
            version: 0,
            created_at: app.clock.now(),
        });
    }
    let original: Vec<_> = p
        .data
        .budget
        .iter()
        .map(|l| (l.category.clone(), l.amount))
        .collect();
    let budget = funding::current_budget(&original, &variations, chrono::NaiveDate::MAX);
    let mut v = Violations::new();
    for (category, amount) in budget.iter().filter(|(_, a)| a.is_negative()) {
        v.add(
            "changes",
            "negative_budget",
            format!(
                "con questa variazione il budget di «{}» diventerebbe negativo ({})",
                category.as_str(),
                amount.italian()
            ),
        );
    }
    v.finish(|| Some(())).map_err(ServiceError::Invalid)
}

pub async fn variations(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Variation>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.variations(project).await?)
}

/// The project and its variation, if `who` may decide on it (finance officers).
pub async fn variation_to_decide(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<(Project, Variation), ServiceError> {
    let p = projects::get_for(app, who, project, Need::Funding).await?;
    let variation = app
        .store
        .variations(project)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(ServiceError::NotFound("variazione"))?;
    Ok((p, variation))
}

/// A decision is taken on or after the request it answers.
fn check_decision_date(
    requested: chrono::NaiveDate,
    decided: Option<chrono::NaiveDate>,
) -> Result<(), ServiceError> {
    match decided {
        Some(d) if d < requested => Err(ServiceError::field(
            "decision_date",
            "decision_before_request",
            "la data della decisione precede la data della richiesta di variazione",
        )),
        _ => Ok(()),
    }
}

/// Approves or rejects a variation (or brings it back to requested), decided on `decision_date`
/// (today in Italy when not given): it counts from that date, not from its request's.
pub async fn set_variation_status(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    status: VariationStatus,
    decision_date: Option<chrono::NaiveDate>,
) -> Result<Variation, ServiceError> {
    let (p, current) = variation_to_decide(app, who, project, id).await?;
    if current.version != expected_version {
        return Err(ServiceError::Stale);
    }
    let decision_date = match status {
        VariationStatus::Requested => None,
        _ => Some(decision_date.unwrap_or_else(|| app.clock.today())),
    };
    check_decision_date(current.date, decision_date)?;
    if status == VariationStatus::Approved && current.status != VariationStatus::Approved {
        let pending = NewVariation {
            act: current.act.clone(),
            date: current.date,
            status,
            decision_date,
            changes: current.changes.clone(),
        };
        check_budget_stays_positive(app, project, &p, Some(&pending)).await?;
    }
    Ok(app
        .store
        .set_variation_status(
            project,
            id,
            expected_version,
            status,
            decision_date,
            &app.change(who),
        )
        .await?)
}

pub async fn add_extension(
    app: &App,
    who: &Actor,
    project: ProjectId,
    new: NewExtension,
) -> Result<Extension, ServiceError> {
    let p = projects::get_for(app, who, project, Need::Funding).await?;
    if new.end_date.is_some_and(|end| end < p.data.start_date) {
        return Err(ServiceError::field(
            "end_date",
            "end_before_start",
            "la nuova fine precede l'inizio del progetto",
        ));
    }
    Ok(app
        .store
        .insert_extension(project, &new, &app.change(who))
        .await?)
}

pub async fn extensions(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Extension>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.extensions(project).await?)
}

pub async fn add_milestone(
    app: &App,
    who: &Actor,
    project: ProjectId,
    new: NewMilestone,
) -> Result<Milestone, ServiceError> {
    projects::get_for(app, who, project, Need::Funding).await?;
    Ok(app
        .store
        .insert_milestone(project, &new, &app.change(who))
        .await?)
}

pub async fn milestones(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Milestone>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.milestones(project).await?)
}

pub async fn milestone(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<Milestone, ServiceError> {
    milestones(app, who, project)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(ServiceError::NotFound("scadenza"))
}

pub async fn update_milestone(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    new: NewMilestone,
) -> Result<Milestone, ServiceError> {
    projects::get_for(app, who, project, Need::Funding).await?;
    let current = milestone(app, who, project, id).await?;
    if current.version != expected_version {
        return Err(ServiceError::Stale);
    }
    Ok(app
        .store
        .update_milestone(project, id, expected_version, &new, &app.change(who))
        .await?)
}

pub async fn add_tranche(
    app: &App,
    who: &Actor,
    project: ProjectId,
    new: NewTranche,
) -> Result<Tranche, ServiceError> {
    projects::get_for(app, who, project, Need::Funding).await?;
    Ok(app
        .store
        .insert_tranche(project, &new, &app.change(who))
        .await?)
}

pub async fn tranches(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Tranche>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.tranches(project).await?)
}
