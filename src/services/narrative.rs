//! The sections and indicators of the final activity report.

use super::{projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;
use crate::storage::StoreError;

/// What a missing section or indicator is called in messages (the API's 404, the pages).
pub const SECTION: &str = "sezione della relazione";
pub const INDICATOR: &str = "indicatore";

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

pub async fn section(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<Section, ServiceError> {
    sections(app, who, project)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ServiceError::NotFound(SECTION))
}

pub async fn update_section(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    new: NewSection,
) -> Result<Section, ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    app.store
        .update_section(project, id, expected_version, &new, &app.change(who))
        .await
        .map_err(|e| not_found_as(e, SECTION))
}

pub async fn delete_section(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    app.store
        .delete_section(project, id, expected_version, &app.change(who))
        .await
        .map_err(|e| not_found_as(e, SECTION))
}

pub async fn indicator(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
) -> Result<Indicator, ServiceError> {
    indicators(app, who, project)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(ServiceError::NotFound(INDICATOR))
}

pub async fn update_indicator(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    new: NewIndicator,
) -> Result<Indicator, ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    app.store
        .update_indicator(project, id, expected_version, &new, &app.change(who))
        .await
        .map_err(|e| not_found_as(e, INDICATOR))
}

pub async fn delete_indicator(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: i64,
    expected_version: Option<i64>,
) -> Result<(), ServiceError> {
    projects::get_for(app, who, project, Need::Narrative).await?;
    app.store
        .delete_indicator(project, id, expected_version, &app.change(who))
        .await
        .map_err(|e| not_found_as(e, INDICATOR))
}

/// The store's `NotFound` names what was looked for (the project itself was found already).
fn not_found_as(error: StoreError, what: &'static str) -> ServiceError {
    match error {
        StoreError::NotFound => ServiceError::NotFound(what),
        other => other.into(),
    }
}
