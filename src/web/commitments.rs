//! Commitments (impegni) and the forecast at completion, as JSON: the same conventions as every
//! resource (list envelope, ETag, merge patch with If-Match, problem+json).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch, QueryPairs};
use super::merge_patch::merged_input;
use super::pagination::{created, ListEnvelope};
use super::projects::parse_project_id;
use crate::domain::commitment::{CommitmentData, CommitmentFields};
use crate::domain::fields;
use crate::domain::forecast::Forecast;
use crate::domain::{CommitmentId, Violations};
use crate::services::commitments::{self, Standing};
use crate::services::{App, ServiceError};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects/{id}/commitments", get(list).post(create))
        .route(
            "/api/v1/commitments/{cid}",
            get(show).patch(patch).delete(remove),
        )
        .route("/api/v1/projects/{id}/forecast", get(forecast))
}

/// A commitment as sent: amounts as strings (`"12000.00"`), dates ISO.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentInput {
    entity_id: Option<String>,
    category: Option<String>,
    /// `current` (default) or `capital`.
    nature: Option<String>,
    supplier_name: Option<String>,
    supplier_vat: Option<String>,
    /// The act that commits: "Determina n. 303 del 12/10/2020".
    act: Option<String>,
    act_date: Option<String>,
    cig: Option<String>,
    #[schema(example = "12000.00")]
    amount: Option<String>,
    expected_invoice_date: Option<String>,
    expected_payment_date: Option<String>,
}

impl TryFrom<CommitmentInput> for CommitmentData {
    type Error = ApiError;

    fn try_from(i: CommitmentInput) -> Result<CommitmentData, ApiError> {
        CommitmentFields {
            entity_id: i.entity_id,
            category: i.category,
            nature: i.nature,
            supplier_name: i.supplier_name,
            supplier_vat: i.supplier_vat,
            act: i.act,
            act_date: i.act_date,
            cig: i.cig,
            amount: i.amount,
            expected_invoice_date: i.expected_invoice_date,
            expected_payment_date: i.expected_payment_date,
        }
        .parse()
        .map_err(ApiError::invalid)
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommitmentView {
    id: String,
    project_id: String,
    entity_id: String,
    category: String,
    nature: String,
    supplier_name: Option<String>,
    supplier_vat: Option<String>,
    act: String,
    act_date: String,
    cig: Option<String>,
    amount: String,
    expected_invoice_date: Option<String>,
    expected_payment_date: Option<String>,
    /// What the expenses drawing on it claim (credit notes subtract).
    invoiced: String,
    /// The part of that already paid.
    paid: String,
    /// Committed minus invoiced; negative when drawn above the commitment.
    residual: String,
    /// Drawn above what was committed (a warning: the accounts may hold a later increase).
    overdrawn: bool,
    version: i64,
}

const READ_ONLY: &[&str] = &[
    "id",
    "project_id",
    "invoiced",
    "paid",
    "residual",
    "overdrawn",
    "version",
];

impl From<&Standing> for CommitmentView {
    fn from(s: &Standing) -> CommitmentView {
        let c = &s.commitment;
        let f = CommitmentFields::of(&c.data);
        CommitmentView {
            id: c.id.to_string(),
            project_id: c.project_id.to_string(),
            entity_id: f.entity_id.unwrap_or_default(),
            category: f.category.unwrap_or_default(),
            nature: f.nature.unwrap_or_default(),
            supplier_name: f.supplier_name,
            supplier_vat: f.supplier_vat,
            act: f.act.unwrap_or_default(),
            act_date: f.act_date.unwrap_or_default(),
            cig: f.cig,
            amount: f.amount.unwrap_or_default(),
            expected_invoice_date: f.expected_invoice_date,
            expected_payment_date: f.expected_payment_date,
            invoiced: s.drawn.invoiced.to_string(),
            paid: s.drawn.paid.to_string(),
            residual: s.residual().to_string(),
            overdrawn: s.overdrawn(),
            version: c.version,
        }
    }
}

fn one(status: StatusCode, s: &Standing) -> Response {
    (
        status,
        [(header::ETAG, etag(s.commitment.version))],
        Json(CommitmentView::from(s)),
    )
        .into_response()
}

fn commitment_id(raw: &str) -> Result<CommitmentId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("impegno"))
}

/// Records a commitment (finance officers; project managers for their entities).
#[utoipa::path(post, path = "/api/v1/projects/{id}/commitments", tag = "commitments", params(("id" = String, Path)),
    request_body = CommitmentInput,
    responses((status = 201, body = CommitmentView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommitmentInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let s = commitments::create(&app, &who, project, CommitmentData::try_from(input)?).await?;
    Ok(created(
        format!("/api/v1/commitments/{}", s.commitment.id),
        Some(s.commitment.version),
        CommitmentView::from(&s),
    ))
}

/// A project's commitments by act date, each with what was invoiced and paid against it.
#[utoipa::path(get, path = "/api/v1/projects/{id}/commitments", tag = "commitments", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
pub(crate) async fn list(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<CommitmentView>>> {
    let list = commitments::list(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(CommitmentView::from).collect(),
    )))
}

/// One commitment, with its ETag.
#[utoipa::path(get, path = "/api/v1/commitments/{cid}", tag = "commitments", params(("cid" = String, Path)),
    responses((status = 200, body = CommitmentView), (status = 404, body = Problem)))]
pub(crate) async fn show(
    State(app): State<App>,
    Who(who): Who,
    Path(cid): Path<String>,
) -> ApiResult<Response> {
    let s = commitments::get(&app, &who, commitment_id(&cid)?).await?;
    Ok(one(StatusCode::OK, &s))
}

/// Changes a commitment (JSON merge patch). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/commitments/{cid}", tag = "commitments",
    params(("cid" = String, Path), ("If-Match" = String, Header)),
    request_body(content = CommitmentInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CommitmentView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn patch(
    State(app): State<App>,
    Who(who): Who,
    Path(cid): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let id = commitment_id(&cid)?;
    let current = commitments::get(&app, &who, id).await?;
    let version = version.ok_or(ServiceError::VersionRequired)?;
    if current.commitment.version != version {
        return Err(ServiceError::Stale.into());
    }
    let input: CommitmentInput = merged_input(&CommitmentView::from(&current), READ_ONLY, &body)?;
    let s = commitments::update(&app, &who, id, version, CommitmentData::try_from(input)?).await?;
    Ok(one(StatusCode::OK, &s))
}

/// Deletes a commitment no expense draws on (honours `If-Match` when sent).
#[utoipa::path(delete, path = "/api/v1/commitments/{cid}", tag = "commitments", params(("cid" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem)))]
pub(crate) async fn remove(
    State(app): State<App>,
    Who(who): Who,
    Path(cid): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> ApiResult<StatusCode> {
    let id = commitment_id(&cid)?;
    let version = match version {
        Some(v) => v,
        None => commitments::get(&app, &who, id).await?.commitment.version,
    };
    commitments::delete(&app, &who, id, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ForecastCategoryView {
    code: String,
    name: String,
    recognised: String,
    residual_commitments: String,
    projected_recognised: String,
    ceiling: Option<String>,
    needed: String,
}

#[derive(Serialize, ToSchema)]
pub struct AtRiskView {
    commitment_id: String,
    act: String,
    amount: String,
    /// `no_expected_dates`, `invoice_outside_window`, `payment_after_deadline` or `not_eligible`.
    reason: String,
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ForecastView {
    as_of: String,
    /// The date the projection is computed as of: the latest of `as_of`, the project's end and
    /// the payment deadline.
    horizon: String,
    recognised_now: String,
    projected_recognised: String,
    contribution_due_now: String,
    projected_contribution: String,
    granted_contribution: String,
    gap: String,
    /// Part of the gap no category can close (all at their ceilings).
    unclosable: String,
    invoice_by: String,
    pay_by: Option<String>,
    categories: Vec<ForecastCategoryView>,
    at_risk: Vec<AtRiskView>,
}

impl From<&Forecast> for ForecastView {
    fn from(f: &Forecast) -> ForecastView {
        ForecastView {
            as_of: f.as_of.to_string(),
            horizon: f.horizon.to_string(),
            recognised_now: f.recognised_now.to_string(),
            projected_recognised: f.projected_recognised.to_string(),
            contribution_due_now: f.contribution_due_now.to_string(),
            projected_contribution: f.projected_contribution.to_string(),
            granted_contribution: f.granted_contribution.to_string(),
            gap: f.gap.to_string(),
            unclosable: f.unclosable.to_string(),
            invoice_by: f.invoice_by.to_string(),
            pay_by: f.pay_by.map(|d| d.to_string()),
            categories: f
                .categories
                .iter()
                .map(|c| ForecastCategoryView {
                    code: c.code.as_str().to_owned(),
                    name: c.name.clone(),
                    recognised: c.recognised.to_string(),
                    residual_commitments: c.residual_commitments.to_string(),
                    projected_recognised: c.projected_recognised.to_string(),
                    ceiling: c.ceiling.map(|m| m.to_string()),
                    needed: c.needed.to_string(),
                })
                .collect(),
            at_risk: f
                .at_risk
                .iter()
                .map(|r| AtRiskView {
                    commitment_id: r.commitment_id.to_string(),
                    act: r.act.clone(),
                    amount: r.amount.to_string(),
                    reason: r.reason.as_str().to_owned(),
                    message: r.message.clone(),
                })
                .collect(),
        }
    }
}

/// The forecast at completion: what the Region will pay if every open commitment is invoiced and
/// paid as expected, the gap to the contribution granted and what closes it.
#[utoipa::path(get, path = "/api/v1/projects/{id}/forecast", tag = "commitments",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = ForecastView), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn forecast(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<ForecastView>> {
    let id = parse_project_id(&id)?;
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", query.get("as_of"));
    v.finish(|| Some(())).map_err(ApiError::invalid)?;
    let f = commitments::forecast(&app, &who, id, as_of).await?;
    Ok(Json(ForecastView::from(&f)))
}
