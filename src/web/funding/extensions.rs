//! Extensions of the project's period or deadlines, each with its act.

use super::super::auth::Who;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::error::{ApiError, ApiResult, Problem};
use super::super::extract::ApiJson;
use super::super::pagination::{created, ListEnvelope};
use super::super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::funding::{Extension, NewExtension};
use crate::domain::Violations;
use crate::services::{funding, App};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    act: Option<String>,
    date: Option<String>,
    end_date: Option<String>,
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
}

impl TryFrom<ExtensionInput> for NewExtension {
    type Error = ApiError;

    fn try_from(input: ExtensionInput) -> Result<NewExtension, ApiError> {
        let mut v = Violations::new();
        let act = fields::required_text(&mut v, "act", input.act.as_deref(), 300);
        let date = fields::required_date(&mut v, "date", input.date.as_deref());
        let end_date = fields::date(&mut v, "end_date", input.end_date.as_deref());
        let payment_deadline = fields::date(
            &mut v,
            "payment_deadline",
            input.payment_deadline.as_deref(),
        );
        let reporting_deadline = fields::date(
            &mut v,
            "reporting_deadline",
            input.reporting_deadline.as_deref(),
        );
        if input.end_date.is_none()
            && input.payment_deadline.is_none()
            && input.reporting_deadline.is_none()
        {
            v.add(
                "end_date",
                "nothing_to_extend",
                "indicare almeno una data prorogata: end_date, payment_deadline o reporting_deadline",
            );
        }
        v.finish(|| {
            Some(NewExtension {
                act: act?,
                date: date?,
                end_date,
                payment_deadline,
                reporting_deadline,
            })
        })
        .map_err(ApiError::invalid)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExtensionView {
    id: String,
    act: String,
    date: String,
    end_date: Option<String>,
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
}

impl From<&Extension> for ExtensionView {
    fn from(e: &Extension) -> ExtensionView {
        ExtensionView {
            id: e.id.to_string(),
            act: e.act.clone(),
            date: e.date.to_string(),
            end_date: e.end_date.map(|d| d.to_string()),
            payment_deadline: e.payment_deadline.map(|d| d.to_string()),
            reporting_deadline: e.reporting_deadline.map(|d| d.to_string()),
        }
    }
}

/// Records an extension (proroga) of the project end, payment or reporting deadline, with its act.
#[utoipa::path(post, path = "/api/v1/projects/{id}/extensions", tag = "funding", params(("id" = String, Path)),
    request_body = ExtensionInput,
    responses((status = 201, body = ExtensionView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_extension(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ExtensionInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let new = NewExtension::try_from(input)?;
    let extension = funding::add_extension(&app, &who, project, new).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/extensions/{}", extension.id),
        None,
        ExtensionView::from(&extension),
    ))
}

/// The extensions of a project, in the order they were recorded.
#[utoipa::path(get, path = "/api/v1/projects/{id}/extensions", tag = "funding", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
pub(crate) async fn list_extensions(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<ExtensionView>>> {
    let list = funding::extensions(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(ExtensionView::from).collect(),
    )))
}
