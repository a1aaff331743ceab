//! `/api/v1/projects/{id}/narrative` and `…/indicators`: what the final activity report says,
//! written, corrected and removed by the project's editors. Edits are JSON merge patches against
//! the ETag read, as elsewhere in the API.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch};
use super::funding::sub_id;
use super::merge_patch::merged_input;
use super::pagination::{created, ListEnvelope};
use super::projects::parse_project_id;
use crate::domain::access::Need;
use crate::domain::fields;
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::Violations;
use crate::services::{narrative, App};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionInput {
    /// e.g. "Attività di formazione svolte".
    pub title: Option<String>,
    /// The text; a blank line separates paragraphs.
    pub body: Option<String>,
    /// Its place in the report, 1 for first (default: last for a new section, unchanged for an
    /// edited one); beyond the last means last.
    pub position: Option<i64>,
}

impl TryFrom<SectionInput> for NewSection {
    type Error = ApiError;

    fn try_from(input: SectionInput) -> Result<NewSection, ApiError> {
        let mut v = Violations::new();
        let title = fields::required_text(&mut v, "title", input.title.as_deref(), 300);
        let body = fields::required_text(&mut v, "body", input.body.as_deref(), 20_000);
        let position = match input.position {
            None => Some(None),
            Some(p) => match u32::try_from(p) {
                Ok(p) if p >= 1 => Some(Some(p)),
                _ => {
                    v.add(
                        "position",
                        "invalid_position",
                        "posizione non valida: 1 per la prima sezione, 2 per la seconda…",
                    );
                    None
                }
            },
        };
        v.finish(|| {
            Some(NewSection {
                title: title?,
                body: body?,
                position: position?,
            })
        })
        .map_err(ApiError::invalid)
    }
}

#[derive(Serialize, ToSchema)]
pub struct SectionView {
    id: String,
    title: String,
    body: String,
    /// Its place in the report, 1 for first.
    position: i64,
    version: i64,
}

const READ_ONLY: &[&str] = &["id", "version"];

impl From<&Section> for SectionView {
    fn from(s: &Section) -> SectionView {
        SectionView {
            id: s.id.to_string(),
            title: s.title.clone(),
            body: s.body.clone(),
            position: s.position,
            version: s.version,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    /// e.g. "Dipendenti formati".
    pub name: Option<String>,
    /// The value achieved: a decimal number as a string, e.g. `"120"` or `"340.5"`.
    pub value: Option<String>,
    /// The value the project set out to reach (optional), in the same form.
    pub target: Option<String>,
    /// e.g. "persone", "ore".
    pub unit: Option<String>,
}

impl TryFrom<IndicatorInput> for NewIndicator {
    type Error = ApiError;

    fn try_from(input: IndicatorInput) -> Result<NewIndicator, ApiError> {
        let mut v = Violations::new();
        let name = fields::required_text(&mut v, "name", input.name.as_deref(), 300);
        let value = match input.value.as_deref() {
            None => {
                v.required("value");
                None
            }
            Some(raw) => indicator_number(&mut v, "value", raw),
        };
        let target = match input.target.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => indicator_number(&mut v, "target", raw),
        };
        let unit = fields::text(&mut v, "unit", input.unit.as_deref(), 50);
        v.finish(|| {
            Some(NewIndicator {
                name: name?,
                value: value?,
                target,
                unit,
            })
        })
        .map_err(ApiError::invalid)
    }
}

/// A non-negative decimal number as the API writes it ("120", "340.5"), or a field error.
fn indicator_number(v: &mut Violations, field: &str, raw: &str) -> Option<Decimal> {
    let ok =
        !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') && raw.len() <= 20;
    let parsed = raw.parse::<Decimal>().ok().filter(|_| ok);
    if parsed.is_none() {
        v.add(
            field,
            "invalid_number",
            "valore non valido: un numero non negativo, ad esempio \"120\" o \"340.5\"",
        );
    }
    parsed
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorView {
    id: String,
    name: String,
    value: String,
    target: Option<String>,
    unit: Option<String>,
    version: i64,
}

impl From<&Indicator> for IndicatorView {
    fn from(i: &Indicator) -> IndicatorView {
        IndicatorView {
            id: i.id.to_string(),
            name: i.name.clone(),
            value: i.value.normalize().to_string(),
            target: i.target.map(|t| t.normalize().to_string()),
            unit: i.unit.clone(),
            version: i.version,
        }
    }
}

/// A view with its version as the ETag.
fn tagged(version: i64, view: impl Serialize) -> Response {
    ([(header::ETAG, etag(version))], Json(view)).into_response()
}

// ---- sections --------------------------------------------------------------------------------

/// Adds a narrative section to the final activity report (after the others, or at `position`).
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
    let section = narrative::add_section(&app, &who, project, input.try_into()?).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/narrative/{}", section.id),
        Some(section.version),
        SectionView::from(&section),
    ))
}

/// The narrative sections, in their order in the report.
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

/// One section, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}/narrative/{sid}", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 200, body = SectionView), (status = 404, body = Problem)))]
async fn show_section(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let s = narrative::section(&app, &who, project, sub_id(&sid, narrative::SECTION)?).await?;
    Ok(tagged(s.version, SectionView::from(&s)))
}

/// Corrects or moves a section (JSON merge patch, e.g. `{"body":"…"}` or `{"position":1}`).
/// Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/narrative/{sid}", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path), ("If-Match" = String, Header)),
    request_body(content = SectionInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = SectionView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch_section(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let sid = sub_id(&sid, narrative::SECTION)?;
    // Refused before the body is read: a reader gets 403 whatever they sent.
    crate::services::projects::get_for(&app, &who, project, Need::Narrative).await?;
    let current = narrative::section(&app, &who, project, sid).await?;
    let version = version.ok_or(crate::services::ServiceError::VersionRequired)?;
    let input: SectionInput = merged_input(&SectionView::from(&current), READ_ONLY, &body)?;
    let s = narrative::update_section(&app, &who, project, sid, version, input.try_into()?).await?;
    Ok(tagged(s.version, SectionView::from(&s)))
}

/// Removes a section (honouring `If-Match` when sent).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/narrative/{sid}", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn delete_section(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> ApiResult<StatusCode> {
    let project = parse_project_id(&id)?;
    let sid = sub_id(&sid, narrative::SECTION)?;
    narrative::delete_section(&app, &who, project, sid, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- indicators ------------------------------------------------------------------------------

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
    let indicator = narrative::add_indicator(&app, &who, project, input.try_into()?).await?;
    Ok(created(
        format!("/api/v1/projects/{project}/indicators/{}", indicator.id),
        Some(indicator.version),
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

/// One indicator, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}/indicators/{iid}", tag = "reports",
    params(("id" = String, Path), ("iid" = String, Path)),
    responses((status = 200, body = IndicatorView), (status = 404, body = Problem)))]
async fn show_indicator(
    State(app): State<App>,
    Who(who): Who,
    Path((id, iid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let i = narrative::indicator(&app, &who, project, sub_id(&iid, narrative::INDICATOR)?).await?;
    Ok(tagged(i.version, IndicatorView::from(&i)))
}

/// Corrects an indicator (JSON merge patch, e.g. `{"value":"130"}`). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/indicators/{iid}", tag = "reports",
    params(("id" = String, Path), ("iid" = String, Path), ("If-Match" = String, Header)),
    request_body(content = IndicatorInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = IndicatorView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch_indicator(
    State(app): State<App>,
    Who(who): Who,
    Path((id, iid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let iid = sub_id(&iid, narrative::INDICATOR)?;
    // Refused before the body is read: a reader gets 403 whatever they sent.
    crate::services::projects::get_for(&app, &who, project, Need::Narrative).await?;
    let current = narrative::indicator(&app, &who, project, iid).await?;
    let version = version.ok_or(crate::services::ServiceError::VersionRequired)?;
    let input: IndicatorInput = merged_input(&IndicatorView::from(&current), READ_ONLY, &body)?;
    let i =
        narrative::update_indicator(&app, &who, project, iid, version, input.try_into()?).await?;
    Ok(tagged(i.version, IndicatorView::from(&i)))
}

/// Removes an indicator (honouring `If-Match` when sent).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/indicators/{iid}", tag = "reports",
    params(("id" = String, Path), ("iid" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem)))]
async fn delete_indicator(
    State(app): State<App>,
    Who(who): Who,
    Path((id, iid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> ApiResult<StatusCode> {
    let project = parse_project_id(&id)?;
    let iid = sub_id(&iid, narrative::INDICATOR)?;
    narrative::delete_indicator(&app, &who, project, iid, version).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/narrative",
            get(list_sections).post(create_section),
        )
        .route(
            "/api/v1/projects/{id}/narrative/{sid}",
            get(show_section)
                .patch(patch_section)
                .delete(delete_section),
        )
        .route(
            "/api/v1/projects/{id}/indicators",
            get(list_indicators).post(create_indicator),
        )
        .route(
            "/api/v1/projects/{id}/indicators/{iid}",
            get(show_indicator)
                .patch(patch_indicator)
                .delete(delete_indicator),
        )
}
