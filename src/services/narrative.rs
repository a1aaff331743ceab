//! The sections and indicators of the final activity report.

use super::{projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;

pub async fn add_section(
    app: &App,
    who: &Actor,
    project: ProjectId,
    new: NewSection,
) -> Result<Section, ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    Ok(app
        .store
        .insert_section(project, &new, &app.change(who))
        .await?)
}

pub async fn sections(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Section>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.sections(project).await?)
}

pub async fn add_indicator(
    app: &App,
    who: &Actor,
    project: ProjectId,
    new: NewIndicator,
) -> Result<Indicator, ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    Ok(app
        .store
        .insert_indicator(project, &new, &app.change(who))
        .await?)
}

pub async fn indicators(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Indicator>, ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.indicators(project).await?)
}
