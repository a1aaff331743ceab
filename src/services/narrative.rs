//! The sections and indicators of the final activity report.

use super::{projects, App, ServiceError};
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;

pub async fn add_section(
    app: &App,
    project: ProjectId,
    new: NewSection,
) -> Result<Section, ServiceError> {
    projects::get(app, project).await?;
    Ok(app
        .store
        .insert_section(project, &new, app.clock.now())
        .await?)
}

pub async fn sections(app: &App, project: ProjectId) -> Result<Vec<Section>, ServiceError> {
    projects::get(app, project).await?;
    Ok(app.store.sections(project).await?)
}

pub async fn add_indicator(
    app: &App,
    project: ProjectId,
    new: NewIndicator,
) -> Result<Indicator, ServiceError> {
    projects::get(app, project).await?;
    Ok(app
        .store
        .insert_indicator(project, &new, app.clock.now())
        .await?)
}

pub async fn indicators(app: &App, project: ProjectId) -> Result<Vec<Indicator>, ServiceError> {
    projects::get(app, project).await?;
    Ok(app.store.indicators(project).await?)
}
