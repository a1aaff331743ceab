//! `/api/v1/projects/{id}/narrative` and `…/indicators`: what the final activity report says.

use super::auth::Who;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::ApiJson;
use super::fields;
use super::pagination::{created, ListEnvelope};
use super::projects::parse_project_id;
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::Violations;
use crate::services::{narrative, App};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionInput {
    /// e.g. "Attività di formazione svolte".
    title: Option<String>,
    /// The text; a blank line separates paragraphs.
    body: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SectionView {
    id: String,
    title: String,
    body: String,
}

impl From<&Section> for SectionView {
    fn from(s: &Section) -> SectionView {
        SectionView {
            id: s.id.to_string(),
            title: s.title.clone(),
            body: s.body.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    /// e.g. "Dipendenti formati".
    name: Option<String>,
    /// A decimal number as a string, e.g. `"120"` or `"340.5"`.
    value: Option<String>,
    /// e.g. "persone", "ore".
    unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorView {
    id: String,
    name: String,
    value: String,
    unit: Option<String>,
}

impl From<&Indicator> for IndicatorView {
    fn from(i: &Indicator) -> IndicatorView {
        IndicatorView {
            id: i.id.to_string(),
            name: i.name.clone(),
            value: i.value.normalize().to_string(),
            unit: i.unit.clone(),
        }
    }
}

/// Adds a narrative section to the final activity report.
#[utoipa::path(post, path = "/api/v1/projects/{id}/narrative", tag = "reports", params(("id" = String, Path)),
    request_body = SectionInput,
    responses((status = 201, body = SectionView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_section(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SectionInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let mut v = Violations::new();
    let title = fields::required_text(&mut v, "title", input.title.as_deref(), 300);
    let body = fields::required_text(&mut v, "body", input.body.as_deref(), 20_000);
    let new = v
        .finish(|| {
            Some(NewSection {
                title: title?,
                body: body?,
            })
        })
        .map_err(ApiError::invalid)?;
    let section = narrative::add_section(&app, &who, project, new).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/narrative/{}", section.id),
        None,
        SectionView::from(&section),
    ))
}

/// The narrative sections, in the order they were written.
#[utoipa::path(get, path = "/api/v1/projects/{id}/narrative", tag = "reports", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_sections(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<SectionView>>> {
    let list = narrative::sections(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(SectionView::from).collect(),
    )))
}

/// Records an indicator (people trained, training hours, devices bought…).
#[utoipa::path(post, path = "/api/v1/projects/{id}/indicators", tag = "reports", params(("id" = String, Path)),
    request_body = IndicatorInput,
    responses((status = 201, body = IndicatorView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_indicator(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<IndicatorInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let mut v = Violations::new();
    let name = fields::required_text(&mut v, "name", input.name.as_deref(), 300);
    let value = match input.value.as_deref() {
        None => {
            v.required("value");
            None
        }
        Some(raw) => {
            let ok = !raw.is_empty()
                && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && raw.len() <= 20;
            let parsed = raw.parse::<Decimal>().ok().filter(|_| ok);
            if parsed.is_none() {
                v.add(
                    "value",
                    "invalid_number",
                    "valore non valido: un numero non negativo, ad esempio \"120\" o \"340.5\"",
                );
            }
            parsed
        }
    };
    let unit = fields::text(&mut v, "unit", input.unit.as_deref(), 50);
    let new = v
        .finish(|| {
            Some(NewIndicator {
                name: name?,
                value: value?,
                unit,
            })
        })
        .map_err(ApiError::invalid)?;
    let indicator = narrative::add_indicator(&app, &who, project, new).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/indicators/{}", indicator.id),
        None,
        IndicatorView::from(&indicator),
    ))
}

/// The project's indicators.
#[utoipa::path(get, path = "/api/v1/projects/{id}/indicators", tag = "reports", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_indicators(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<IndicatorView>>> {
    let list = narrative::indicators(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(IndicatorView::from).collect(),
    )))
}

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/narrative",
            get(list_sections).post(create_section),
        )
        .route(
            "/api/v1/projects/{id}/indicators",
            get(list_indicators).post(create_indicator),
        )
}
