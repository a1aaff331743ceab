//! `/api/v1/projects` and their entities.

use super::auth::Who;
use crate::domain::access::Need;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch, QueryPairs};
use super::merge_patch::merged_input;
use super::pagination::{page_request, ListEnvelope};
use crate::domain::fields;
use crate::domain::{BudgetLine, CallId, Cup, Entity, NewEntity, Project, ProjectId, Violations};
use crate::services::projects::{self, ChangeAct, NewProject};
use crate::services::App;

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLineInput {
    category: Option<String>,
    #[schema(example = "105000.00")]
    amount: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    call_id: Option<String>,
    title: Option<String>,
    /// Codice Unico di Progetto (15 characters).
    cup: Option<String>,
    /// The lead beneficiary's name as it appears on documents.
    lead_entity: Option<String>,
    #[schema(example = "105000.00")]
    granted_contribution: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    /// The project's own deadlines (default: the call's); moved like the end, with an act.
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
    budget: Option<Vec<BudgetLineInput>>,
    /// Who signs the declarations: name, role ("Presidente dell'Unione") and place of signature.
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    /// The signatory's codice fiscale (16 characters), printed in the declaration.
    signatory_tax_code: Option<String>,
    /// The act that granted the contribution: number ("Determinazione n. 21452") and date.
    grant_act_number: Option<String>,
    grant_act_date: Option<String>,
    /// Write-only: the act that moves the project's dates (required when a PATCH changes them).
    change_act: Option<String>,
    /// Write-only: that act's date, from which the new end or deadline is in force (required when
    /// a PATCH moves `end_date`, `payment_deadline` or `reporting_deadline`).
    change_act_date: Option<String>,
}

impl ProjectInput {
    fn into_domain(self) -> Result<(NewProject, ChangeAct), ApiError> {
        let mut v = Violations::new();
        let call_id = v.need("call_id", self.call_id.as_deref());
        let call_id: Option<CallId> = fields::id(&mut v, "call_id", call_id);
        let title = fields::required_text(&mut v, "title", self.title.as_deref(), 500);
        let cup = fields::code(
            &mut v,
            "cup",
            "cup",
            "CUP (15 caratteri)",
            self.cup.as_deref(),
            Cup::parse,
        );
        let lead_entity =
            fields::required_text(&mut v, "lead_entity", self.lead_entity.as_deref(), 300);
        let granted = fields::required_amount(
            &mut v,
            "granted_contribution",
            self.granted_contribution.as_deref(),
        );
        let start_date = fields::date(&mut v, "start_date", self.start_date.as_deref());
        let end_date = fields::date(&mut v, "end_date", self.end_date.as_deref());
        let payment_deadline =
            fields::date(&mut v, "payment_deadline", self.payment_deadline.as_deref());
        let reporting_deadline = fields::date(
            &mut v,
            "reporting_deadline",
            self.reporting_deadline.as_deref(),
        );
        let change_act = ChangeAct {
            act: fields::text(&mut v, "change_act", self.change_act.as_deref(), 300),
            date: fields::date(&mut v, "change_act_date", self.change_act_date.as_deref()),
        };
        let signatory = fields::signatory(
            &mut v,
            self.signatory_name.as_deref(),
            self.signatory_role.as_deref(),
            self.signatory_place.as_deref(),
            self.signatory_tax_code.as_deref(),
        );
        let grant_act = fields::grant_act(
            &mut v,
            self.grant_act_number.as_deref(),
            self.grant_act_date.as_deref(),
        );
        let mut budget = Vec::new();
        match self.budget {
            None => v.required("budget"),
            Some(lines) if lines.is_empty() => v.add(
                "budget",
                "empty",
                "indicare il budget approvato per almeno una categoria",
            ),
            Some(lines) => {
                for (i, line) in lines.into_iter().enumerate() {
                    let field = format!("budget[{i}].category");
                    let category =
                        fields::required_category(&mut v, &field, line.category.as_deref());
                    let amount = fields::required_amount(
                        &mut v,
                        &format!("budget[{i}].amount"),
                        line.amount.as_deref(),
                    );
                    if let (Some(category), Some(amount)) = (category, amount) {
                        budget.push(BudgetLine { category, amount });
                    }
                }
            }
        }
        let project = v
            .finish(|| {
                Some(NewProject {
                    call_id: call_id?,
                    title: title?,
                    cup,
                    lead_entity: lead_entity?,
                    granted_contribution: granted?,
                    start_date,
                    end_date,
                    payment_deadline,
                    reporting_deadline,
                    budget,
                    signatory,
                    grant_act,
                })
            })
            .map_err(ApiError::invalid)?;
        Ok((project, change_act))
    }
}

/// One act that set one of the project's dates: a change made with an act, or an extension.
#[derive(Serialize, ToSchema)]
pub struct DateActView {
    /// `start_date`, `end_date`, `payment_deadline` or `reporting_deadline`.
    field: &'static str,
    /// The date it set.
    value: String,
    act: String,
    /// From this date the value is in force (the latest act dated on or before a date wins).
    act_date: String,
    /// `change` or `extension`.
    kind: &'static str,
    recorded_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    id: String,
    call_id: String,
    title: String,
    cup: Option<String>,
    lead_entity: String,
    granted_contribution: String,
    start_date: String,
    /// The end and the deadlines as set on the project itself; `date_history` says which act is
    /// in force on a date (an extension or a later change).
    end_date: String,
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
    budget: Vec<BudgetLineInput>,
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    signatory_tax_code: Option<String>,
    grant_act_number: Option<String>,
    grant_act_date: Option<String>,
    approved_total: String,
    /// Every act that set a date, in the order they take effect.
    date_history: Vec<DateActView>,
    version: i64,
    created_at: String,
    updated_at: String,
}

/// Fields of the view a client may not change; a merge patch that changes them is refused.
const PROJECT_READ_ONLY: &[&str] = &[
    "id",
    "approved_total",
    "date_history",
    "version",
    "created_at",
    "updated_at",
];

impl From<&Project> for ProjectView {
    fn from(p: &Project) -> ProjectView {
        let d = &p.data;
        ProjectView {
            id: p.id.to_string(),
            call_id: d.call_id.to_string(),
            title: d.title.clone(),
            cup: d.cup.as_ref().map(ToString::to_string),
            lead_entity: d.lead_entity.clone(),
            granted_contribution: d.granted_contribution.to_string(),
            start_date: d.start_date.to_string(),
            end_date: d.end_date.to_string(),
            payment_deadline: d.payment_deadline.map(|x| x.to_string()),
            reporting_deadline: d.reporting_deadline.map(|x| x.to_string()),
            budget: d
                .budget
                .iter()
                .map(|l| BudgetLineInput {
                    category: Some(l.category.as_str().to_owned()),
                    amount: Some(l.amount.to_string()),
                })
                .collect(),
            signatory_name: d.signatory.name.clone(),
            signatory_role: d.signatory.role.clone(),
            signatory_place: d.signatory.place.clone(),
            signatory_tax_code: d.signatory.tax_code.as_ref().map(ToString::to_string),
            grant_act_number: d.grant_act.as_ref().map(|a| a.number.clone()),
            grant_act_date: d.grant_act.as_ref().map(|a| a.date.to_string()),
            approved_total: d.approved_total().to_string(),
            date_history: crate::domain::funding::date_acts(&p.date_history, &p.extensions)
                .into_iter()
                .map(|a| DateActView {
                    field: a.field.as_str(),
                    value: a.value.to_string(),
                    act: a.act,
                    act_date: a.act_date.to_string(),
                    kind: a.kind.as_str(),
                    recorded_at: a.recorded_at.to_rfc3339(),
                })
                .collect(),
            version: p.version,
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

fn project_response(status: StatusCode, project: &Project) -> Response {
    let mut response = (
        status,
        [(header::ETAG, etag(project.version))],
        Json(ProjectView::from(project)),
    )
        .into_response();
    if status == StatusCode::CREATED {
        if let Ok(location) = format!("/api/v1/projects/{}", project.id).parse() {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

pub fn parse_project_id(raw: &str) -> Result<ProjectId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("progetto"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    name: Option<String>,
    /// Codice fiscale or partita IVA of the entity.
    tax_code: Option<String>,
    /// The registered office ("Corso Alberto Pio 91, 41012 Carpi (MO)").
    address: Option<String>,
    /// The certified e-mail address (PEC).
    pec: Option<String>,
}

impl TryFrom<EntityInput> for NewEntity {
    type Error = ApiError;

    fn try_from(input: EntityInput) -> Result<NewEntity, ApiError> {
        let mut v = Violations::new();
        let entity = fields::entity(
            &mut v,
            input.name.as_deref(),
            input.tax_code.as_deref(),
            input.address.as_deref(),
            input.pec.as_deref(),
        );
        v.finish(|| entity).map_err(ApiError::invalid)
    }
}

/// What a merge patch of an entity may not change.
const ENTITY_READ_ONLY: &[&str] = &["id", "project_id", "created_at", "version"];

#[derive(Serialize, ToSchema)]
pub struct EntityView {
    id: String,
    project_id: String,
    name: String,
    tax_code: Option<String>,
    address: Option<String>,
    pec: Option<String>,
    created_at: String,
    version: i64,
}

impl From<&Entity> for EntityView {
    fn from(e: &Entity) -> EntityView {
        EntityView {
            id: e.id.to_string(),
            project_id: e.project_id.to_string(),
            name: e.name.clone(),
            tax_code: e.tax_code.as_ref().map(ToString::to_string),
            address: e.address.clone(),
            pec: e.pec.as_ref().map(ToString::to_string),
            created_at: e.created_at.to_rfc3339(),
            version: e.version,
        }
    }
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects", get(list).post(create))
        .route("/api/v1/projects/{id}", get(show).patch(patch))
        .route(
            "/api/v1/projects/{id}/entities",
            get(list_entities).post(create_entity),
        )
        .route(
            "/api/v1/projects/{id}/entities/{eid}",
            get(show_entity).patch(patch_entity),
        )
}

/// Records a project granted under a call.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput,
    responses((status = 201, body = ProjectView), (status = 422, body = Problem), (status = 400, body = Problem)))]
async fn create(
    State(app): State<App>,
    Who(who): Who,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<Response> {
    let (new, _) = input.into_domain()?;
    let project = projects::create(&app, &who, new).await?;
    Ok(project_response(StatusCode::CREATED, &project))
}

/// Lists the projects.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    params(("page" = Option<u32>, Query, minimum = 1), ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 422, body = Problem)))]
async fn list(
    State(app): State<App>,
    Who(who): Who,
    query: QueryPairs,
) -> ApiResult<Json<ListEnvelope<ProjectView>>> {
    let page = page_request(&query)?;
    let result = projects::list(&app, &who, page).await?;
    Ok(Json(ListEnvelope {
        items: result.items.iter().map(ProjectView::from).collect(),
        total: result.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// One project, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 404, body = Problem)))]
async fn show(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let project = projects::get(&app, &who, parse_project_id(&id)?).await?;
    Ok(project_response(StatusCode::OK, &project))
}

/// Changes a project (JSON merge patch). Requires `If-Match` with the ETag read.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = String, Path), ("If-Match" = String, Header)),
    request_body(content = ProjectInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = ProjectView), (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let id = parse_project_id(&id)?;
    let current = projects::get_for(&app, &who, id, Need::EditProject).await?;
    let version = version.ok_or(crate::services::ServiceError::VersionRequired)?;
    if current.version != version {
        return Err(crate::services::ServiceError::Stale.into());
    }
    let input: ProjectInput = merged_input(&ProjectView::from(&current), PROJECT_READ_ONLY, &body)?;
    let (new, change_act) = input.into_domain()?;
    let project = projects::update(&app, &who, id, version, new, change_act).await?;
    Ok(project_response(StatusCode::OK, &project))
}

/// Adds a partner entity to a project.
#[utoipa::path(post, path = "/api/v1/projects/{id}/entities", tag = "projects", params(("id" = String, Path)),
    request_body = EntityInput,
    responses((status = 201, body = EntityView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_entity(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EntityInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let new = NewEntity::try_from(input)?;
    let entity = projects::add_entity(&app, &who, project, new).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/projects/{}/entities/{}", project, entity.id),
        )],
        Json(EntityView::from(&entity)),
    )
        .into_response())
}

/// The partner entities of a project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/entities", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_entities(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<EntityView>>> {
    let entities = projects::entities(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        entities.iter().map(EntityView::from).collect(),
    )))
}

fn parse_entity_id(raw: &str) -> Result<crate::domain::EntityId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("ente"))
}

fn entity_response(entity: &Entity) -> Response {
    (
        [(header::ETAG, etag(entity.version))],
        Json(EntityView::from(entity)),
    )
        .into_response()
}

/// One partner entity, with its ETag.
#[utoipa::path(get, path = "/api/v1/projects/{id}/entities/{eid}", tag = "projects",
    params(("id" = String, Path), ("eid" = String, Path)),
    responses((status = 200, body = EntityView), (status = 404, body = Problem)))]
async fn show_entity(
    State(app): State<App>,
    Who(who): Who,
    Path((id, eid)): Path<(String, String)>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let entity = projects::entity(&app, &who, project, parse_entity_id(&eid)?).await?;
    Ok(entity_response(&entity))
}

/// Corrects an entity's particulars (JSON merge patch: name, codice fiscale, office, PEC), as the
/// documents' heading prints them. Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/projects/{id}/entities/{eid}", tag = "projects",
    params(("id" = String, Path), ("eid" = String, Path), ("If-Match" = String, Header)),
    request_body(content = EntityInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = EntityView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch_entity(
    State(app): State<App>,
    Who(who): Who,
    Path((id, eid)): Path<(String, String)>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let eid = parse_entity_id(&eid)?;
    projects::get_for(&app, &who, project, Need::EditProject).await?;
    let current = projects::entity(&app, &who, project, eid).await?;
    let version = version.ok_or(crate::services::ServiceError::VersionRequired)?;
    if current.version != version {
        return Err(crate::services::ServiceError::Stale.into());
    }
    let input: EntityInput = merged_input(&EntityView::from(&current), ENTITY_READ_ONLY, &body)?;
    let new = NewEntity::try_from(input)?;
    let entity = projects::update_entity(&app, &who, project, eid, version, new).await?;
    Ok(entity_response(&entity))
}
