//! `/api/v1/projects/{id}/variations`, `…/extensions`, `…/milestones` and `…/tranches`.

use super::auth::Who;
use crate::domain::access::Actor;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch};
use super::merge_patch::merged_input;
use super::pagination::{created, ListEnvelope};
use super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche,
    TrancheKind, Variation, VariationStatus,
};
use crate::domain::{CategoryCode, ProjectId, Violations};
use crate::services::{funding, App, ServiceError};

pub(super) fn sub_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<crate::domain::ExpenseId>()
        .map(|id| id.0)
        .map_err(|_| ApiError::not_found(what))
}

// ---- variations ------------------------------------------------------------------------------

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
    changes: Option<Vec<ChangeInput>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationStatusInput {
    status: Option<String>,
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
    date: String,
    status: String,
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
async fn create_variation(
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
async fn list_variations(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<VariationView>>> {
    let list = funding::variations(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(VariationView::from).collect(),
    )))
}

async fn variation_of(
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
async fn show_variation(
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

/// Approves or rejects a variation: `{"status":"approved"}`. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/variations/{vid}", tag = "funding",
    params(("id" = String, Path), ("vid" = String, Path), ("If-Match" = String, Header)), request_body = VariationStatusInput,
    responses((status = 200, body = VariationView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch_variation(
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
    let status = v.finish(|| status).map_err(ApiError::invalid)?;
    let variation =
        funding::set_variation_status(&app, &who, project, vid, version, status).await?;
    Ok((
        [(header::ETAG, etag(variation.version))],
        Json(VariationView::from(&variation)),
    )
        .into_response())
}

// ---- extensions ------------------------------------------------------------------------------

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
async fn create_extension(
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
async fn list_extensions(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<ExtensionView>>> {
    let list = funding::extensions(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(ExtensionView::from).collect(),
    )))
}

// ---- milestones ------------------------------------------------------------------------------

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
async fn create_milestone(
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
async fn list_milestones(
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
async fn show_milestone(
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
async fn patch_milestone(
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

// ---- tranches --------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrancheInput {
    #[schema(example = "31500.00")]
    amount: Option<String>,
    date: Option<String>,
    act: Option<String>,
    /// `advance` (default) or `balance`.
    kind: Option<String>,
}

impl TryFrom<TrancheInput> for NewTranche {
    type Error = ApiError;

    fn try_from(input: TrancheInput) -> Result<NewTranche, ApiError> {
        let mut v = Violations::new();
        let amount = fields::required_amount(&mut v, "amount", input.amount.as_deref());
        if amount.is_some_and(|a| !a.is_positive()) {
            v.add(
                "amount",
                "not_positive",
                "l'importo ricevuto deve essere maggiore di zero",
            );
        }
        let date = fields::required_date(&mut v, "date", input.date.as_deref());
        let act = fields::required_text(&mut v, "act", input.act.as_deref(), 300);
        let kind = match input.kind.as_deref() {
            None => Some(TrancheKind::Advance),
            raw => fields::choice(
                &mut v,
                "kind",
                raw,
                TrancheKind::parse,
                &TrancheKind::choices(),
            ),
        };
        v.finish(|| {
            Some(NewTranche {
                amount: amount?,
                date: date?,
                act: act?,
                kind: kind?,
            })
        })
        .map_err(ApiError::invalid)
    }
}

#[derive(Serialize, ToSchema)]
pub struct TrancheView {
    id: String,
    amount: String,
    date: String,
    act: String,
    kind: String,
}

impl From<&Tranche> for TrancheView {
    fn from(t: &Tranche) -> TrancheView {
        TrancheView {
            id: t.id.to_string(),
            amount: t.amount.to_string(),
            date: t.date.to_string(),
            act: t.act.clone(),
            kind: t.kind.as_str().into(),
        }
    }
}

/// Records a payment received from the funder (an advance or the balance).
#[utoipa::path(post, path = "/api/v1/projects/{id}/tranches", tag = "funding", params(("id" = String, Path)),
    request_body = TrancheInput,
    responses((status = 201, body = TrancheView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_tranche(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TrancheInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let new = NewTranche::try_from(input)?;
    let tranche = funding::add_tranche(&app, &who, project, new).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/tranches/{}", tranche.id),
        None,
        TrancheView::from(&tranche),
    ))
}

/// The payments received from the funder, by date.
#[utoipa::path(get, path = "/api/v1/projects/{id}/tranches", tag = "funding", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_tranches(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<TrancheView>>> {
    let list = funding::tranches(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(TrancheView::from).collect(),
    )))
}

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/variations",
            get(list_variations).post(create_variation),
        )
        .route(
            "/api/v1/projects/{id}/variations/{vid}",
            get(show_variation).patch(patch_variation),
        )
        .route(
            "/api/v1/projects/{id}/extensions",
            get(list_extensions).post(create_extension),
        )
        .route(
            "/api/v1/projects/{id}/milestones",
            get(list_milestones).post(create_milestone),
        )
        .route(
            "/api/v1/projects/{id}/milestones/{mid}",
            get(show_milestone).patch(patch_milestone),
        )
        .route(
            "/api/v1/projects/{id}/tranches",
            get(list_tranches).post(create_tranche),
        )
}
