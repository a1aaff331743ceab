//! Budget variations: proposed, approved or refused by the funder, each moving amounts between categories.

use super::super::auth::Who;
use crate::domain::access::Actor;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::error::{ApiError, ApiResult, Problem};
use super::super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch};
use super::super::pagination::{created, ListEnvelope};
use super::super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::funding::{NewVariation, Variation, VariationStatus};
use crate::domain::{CategoryCode, ProjectId, Violations};
use crate::services::{funding, App, ServiceError};

use super::sub_id;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    category: Option<String>,
    /// Signed change of the category's line, e.g. `"-5000.00"`.
    amount: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationInput {
    act: Option<String>,
    date: Option<String>,
    /// `requested` (default), `approved` or `rejected`.
    status: Option<String>,
    /// When it was decided, if recorded already approved or rejected (default: `date`).
    decision_date: Option<String>,
    changes: Option<Vec<ChangeInput>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationStatusInput {
    status: Option<String>,
    /// When the funder decided (default: today in Italy); the variation counts from it.
    decision_date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    category: String,
    amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct VariationView {
    id: String,
    act: String,
    /// The date of the request.
    date: String,
    status: String,
    /// When it was approved or rejected (it counts from then); null while requested.
    decision_date: Option<String>,
    changes: Vec<ChangeView>,
    version: i64,
}

impl From<&Variation> for VariationView {
    fn from(v: &Variation) -> VariationView {
        VariationView {
            id: v.id.to_string(),
            act: v.act.clone(),
            date: v.date.to_string(),
            status: v.status.as_str().into(),
            decision_date: v.decision_date.map(|d| d.to_string()),
            changes: v
                .changes
                .iter()
                .map(|(c, a)| ChangeView {
                    category: c.as_str().into(),
                    amount: a.to_string(),
                })
                .collect(),
            version: v.version,
        }
    }
}

fn variation_status(
    v: &mut Violations,
    raw: Option<&str>,
    default: Option<VariationStatus>,
) -> Option<VariationStatus> {
    match raw {
        None if default.is_some() => default,
        None => {
            v.required("status");
            None
        }
        raw => fields::choice(
            v,
            "status",
            raw,
            VariationStatus::parse,
            &VariationStatus::choices(),
        ),
    }
}

impl TryFrom<VariationInput> for NewVariation {
    type Error = ApiError;

    fn try_from(input: VariationInput) -> Result<NewVariation, ApiError> {
        let mut v = Violations::new();
        let act = fields::required_text(&mut v, "act", input.act.as_deref(), 300);
        let date = fields::required_date(&mut v, "date", input.date.as_deref());
        let status = variation_status(
            &mut v,
            input.status.as_deref(),
            Some(VariationStatus::Requested),
        );
        let decision_date = fields::date(&mut v, "decision_date", input.decision_date.as_deref());
        let mut changes = Vec::new();
        match input.changes {
            None => v.required("changes"),
            Some(list) if list.is_empty() => v.add(
                "changes",
                "empty",
                "indicare almeno una categoria da variare",
            ),
            Some(list) => {
                for (i, c) in list.into_iter().enumerate() {
                    let field = format!("changes[{i}].category");
                    let category = fields::required_category(&mut v, &field, c.category.as_deref());
                    let amount_field = format!("changes[{i}].amount");
                    if c.amount.is_none() {
                        v.required(&amount_field);
                    }
                    let amount = fields::money(&mut v, &amount_field, c.amount.as_deref());
                    if let (Some(category), Some(amount)) = (category, amount) {
                        if changes
                            .iter()
                            .any(|(k, _): &(CategoryCode, _)| *k == category)
                        {
                            v.add(&field, "duplicate_category", "categoria ripetuta");
                        }
                        changes.push((category, amount));
                    }
                }
            }
        }
        v.finish(|| {
            Some(NewVariation {
                act: act?,
                date: date?,
                status: status?,
                decision_date,
                changes,
            })
        })
        .map_err(ApiError::invalid)
    }
}

/// Records a budget variation (rimodulazione): signed changes per category, with its act.
#[utoipa::path(post, path = "/api/v1/projects/{id}/variations", tag = "funding", params(("id" = String, Path)),
    request_body = VariationInput,
    responses((status = 201, body = VariationView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_variation(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<VariationInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let variation =
        funding::add_variation(&app, &who, project, NewVariation::try_from(input)?).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/variations/{}", variation.id),
        Some(variation.version),
        VariationView::from(&variation),
    ))
}

/// The budget variations of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/variations", tag = "funding", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
pub(crate) async fn list_variations(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<VariationView>>> {
    let list = funding::variations(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(VariationView::from).collect(),
    )))
}

pub(crate) async fn variation_of(
    app: &App,
    who: &Actor,
    project: ProjectId,
    vid: i64,
) -> Result<Variation, ApiError> {
    funding::variations(app, who, project)
        .await?
        .into_iter()
        .find(|v| v.id == vid)
        .ok_or_else(|| ApiError::not_found("variazione"))
}

/// One budget variation, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}/variations/{vid}", tag = "funding", params(("id" = String, Path), ("vid" = String, Path)),
    responses((status = 200, body = VariationView), (status = 404, body = Problem)))]
pub(crate) async fn show_variation(
    State(app): State<App>,
    Who(who): Who,
    Path((id, vid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let variation = variation_of(
        &app,
        &who,
        parse_project_id(&id)?,
        sub_id(&vid, "variazione")?,
    )
    .await?;
    Ok((
        [(header::ETAG, etag(variation.version))],
        Json(VariationView::from(&variation)),
    )
        .into_response())
}

/// Approves or rejects a variation: `{"status":"approved","decision_date":"2021-03-01"}` (the date
/// defaults to today in Italy; the variation counts from it). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/variations/{vid}", tag = "funding",
    params(("id" = String, Path), ("vid" = String, Path), ("If-Match" = String, Header)), request_body = VariationStatusInput,
    responses((status = 200, body = VariationView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn patch_variation(
    State(app): State<App>,
    Who(who): Who,
    Path((id, vid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let vid = sub_id(&vid, "variazione")?;
    // A missing variation is a 404 and a missing If-Match a 428, whatever the body says.
    funding::variation_to_decide(&app, &who, project, vid).await?;
    let version = version.ok_or(ServiceError::VersionRequired)?;
    let input: VariationStatusInput = crate::web::extract::parse_json(&body)?;
    let mut v = Violations::new();
    let status = variation_status(&mut v, input.status.as_deref(), None);
    let decision_date = fields::date(&mut v, "decision_date", input.decision_date.as_deref());
    let status = v.finish(|| status).map_err(ApiError::invalid)?;
    let variation =
        funding::set_variation_status(&app, &who, project, vid, version, status, decision_date)
            .await?;
    Ok((
        [(header::ETAG, etag(variation.version))],
        Json(VariationView::from(&variation)),
    )
        .into_response())
}
