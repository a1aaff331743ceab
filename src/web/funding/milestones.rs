//! The project's own milestones, with their due dates.

use super::super::auth::Who;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::error::{ApiError, ApiResult, Problem};
use super::super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch};
use super::super::merge_patch::merged_input;
use super::super::pagination::{created, ListEnvelope};
use super::super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::funding::{Milestone, NewMilestone};
use crate::domain::Violations;
use crate::services::{funding, App, ServiceError};

use super::sub_id;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    name: Option<String>,
    due_date: Option<String>,
    done: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct MilestoneView {
    id: String,
    name: String,
    due_date: String,
    done: bool,
    version: i64,
}

const MILESTONE_READ_ONLY: &[&str] = &["id", "version"];

impl From<&Milestone> for MilestoneView {
    fn from(m: &Milestone) -> MilestoneView {
        MilestoneView {
            id: m.id.to_string(),
            name: m.name.clone(),
            due_date: m.due_date.to_string(),
            done: m.done,
            version: m.version,
        }
    }
}

impl TryFrom<MilestoneInput> for NewMilestone {
    type Error = ApiError;

    fn try_from(input: MilestoneInput) -> Result<NewMilestone, ApiError> {
        let mut v = Violations::new();
        let name = fields::required_text(&mut v, "name", input.name.as_deref(), 300);
        let due_date = fields::required_date(&mut v, "due_date", input.due_date.as_deref());
        v.finish(|| {
            Some(NewMilestone {
                name: name?,
                due_date: due_date?,
                done: input.done.unwrap_or(false),
            })
        })
        .map_err(ApiError::invalid)
    }
}

/// Adds a project milestone with its due date.
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones", tag = "funding", params(("id" = String, Path)),
    request_body = MilestoneInput,
    responses((status = 201, body = MilestoneView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_milestone(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MilestoneInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let milestone =
        funding::add_milestone(&app, &who, project, NewMilestone::try_from(input)?).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/milestones/{}", milestone.id),
        Some(milestone.version),
        MilestoneView::from(&milestone),
    ))
}

/// The milestones of a project, by due date.
#[utoipa::path(get, path = "/api/v1/projects/{id}/milestones", tag = "funding", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
pub(crate) async fn list_milestones(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<MilestoneView>>> {
    let list = funding::milestones(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(MilestoneView::from).collect(),
    )))
}

/// One milestone, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}/milestones/{mid}", tag = "funding", params(("id" = String, Path), ("mid" = String, Path)),
    responses((status = 200, body = MilestoneView), (status = 404, body = Problem)))]
pub(crate) async fn show_milestone(
    State(app): State<App>,
    Who(who): Who,
    Path((id, mid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let m = funding::milestone(
        &app,
        &who,
        parse_project_id(&id)?,
        sub_id(&mid, "scadenza")?,
    )
    .await?;
    Ok((
        [(header::ETAG, etag(m.version))],
        Json(MilestoneView::from(&m)),
    )
        .into_response())
}

/// Changes a milestone (JSON merge patch, e.g. `{"done":true}`). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/milestones/{mid}", tag = "funding",
    params(("id" = String, Path), ("mid" = String, Path), ("If-Match" = String, Header)),
    request_body(content = MilestoneInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = MilestoneView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn patch_milestone(
    State(app): State<App>,
    Who(who): Who,
    Path((id, mid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let mid = sub_id(&mid, "scadenza")?;
    crate::services::projects::get_for(&app, &who, project, crate::domain::access::Need::Funding)
        .await?;
    let current = funding::milestone(&app, &who, project, mid).await?;
    let version = version.ok_or(ServiceError::VersionRequired)?;
    if current.version != version {
        return Err(ServiceError::Stale.into());
    }
    let input: MilestoneInput =
        merged_input(&MilestoneView::from(&current), MILESTONE_READ_ONLY, &body)?;
    let m = funding::update_milestone(
        &app,
        &who,
        project,
        mid,
        version,
        NewMilestone::try_from(input)?,
    )
    .await?;
    Ok((
        [(header::ETAG, etag(m.version))],
        Json(MilestoneView::from(&m)),
    )
        .into_response())
}
