//! The Region's payments (advances and balance) received.

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
use crate::domain::funding::{NewTranche, Tranche, TrancheKind};
use crate::domain::Violations;
use crate::services::{funding, App};

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
pub(crate) async fn create_tranche(
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
pub(crate) async fn list_tranches(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<TrancheView>>> {
    let list = funding::tranches(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(TrancheView::from).collect(),
    )))
}
