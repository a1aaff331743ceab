//! Accounts and roles: the admin creates users and gives them roles on projects; the project's
//! audit trail for those who may read it.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::expenses::AuditEntryView;
use super::extract::{ApiJson, QueryPairs};
use super::pagination::{page_request, ListEnvelope};
use super::projects::parse_project_id;
use crate::domain::access::{Membership, Role, User};
use crate::domain::{EntityId, UserId, Violations};
use crate::services::{accounts, audit, App};

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(show))
        .route("/api/v1/projects/{id}/members", get(members))
        .route(
            "/api/v1/projects/{id}/members/{user_id}",
            put(set_member).delete(remove_member),
        )
        .route("/api/v1/projects/{id}/audit", get(project_audit))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    email: String,
    password: String,
    #[serde(default)]
    is_admin: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    id: String,
    email: String,
    is_admin: bool,
    created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            id: u.id.to_string(),
            email: u.email.clone(),
            is_admin: u.is_admin,
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

/// Creates an account (admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserInput,
    responses((status = 201, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(app): State<App>,
    Who(who): Who,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<Response> {
    let user =
        accounts::add_user(&app, &who, &input.email, &input.password, input.is_admin).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/users/{}", user.id))],
        Json(UserView::from(&user)),
    )
        .into_response())
}

/// One account (admin only): where a new account's `Location` points.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
async fn show(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    let id = id
        .parse()
        .map(crate::domain::UserId)
        .map_err(|_| ApiError::not_found("utente"))?;
    let user = accounts::user(&app, &who, id).await?;
    Ok(Json(UserView::from(&user)))
}

/// Every account (admin only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list(State(app): State<App>, Who(who): Who) -> ApiResult<Json<ListEnvelope<UserView>>> {
    let users = accounts::users(&app, &who).await?;
    Ok(Json(ListEnvelope::whole(
        users.iter().map(UserView::from).collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// `project_manager`, `finance_officer` or `viewer`.
    role: String,
    /// For a project manager: the entities whose expenses they record.
    #[serde(default)]
    entities: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    user_id: String,
    email: String,
    role: String,
    entities: Vec<String>,
}

impl From<&Membership> for MemberView {
    fn from(m: &Membership) -> MemberView {
        MemberView {
            user_id: m.user_id.to_string(),
            email: m.email.clone(),
            role: m.role.to_string(),
            entities: m.entities.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Who has which role on the project.
#[utoipa::path(get, path = "/api/v1/projects/{id}/members", tag = "users", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn members(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<ListEnvelope<MemberView>>> {
    let list = accounts::members(&app, &who, parse_project_id(&id)?).await?;
    Ok(Json(ListEnvelope::whole(
        list.iter().map(MemberView::from).collect(),
    )))
}

fn parse_user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("utente"))
}

/// Gives a user a role on the project, replacing the one they had (admin only).
#[utoipa::path(put, path = "/api/v1/projects/{id}/members/{user_id}", tag = "users",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberInput,
    responses((status = 200, body = MemberView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_member(
    State(app): State<App>,
    Who(who): Who,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<Json<MemberView>> {
    let project = parse_project_id(&id)?;
    let user = parse_user_id(&user_id)?;
    let mut v = Violations::new();
    let role = Role::parse(&input.role);
    if role.is_none() {
        v.add(
            "role",
            "invalid_choice",
            format!("ruolo sconosciuto: valori ammessi {}", Role::choices()),
        );
    }
    let mut entities = Vec::new();
    for (i, raw) in input.entities.iter().enumerate() {
        match raw.parse::<EntityId>() {
            Ok(e) => entities.push(e),
            Err(()) => v.add(
                format!("entities[{i}]"),
                "invalid_id",
                "identificativo di ente non valido",
            ),
        }
    }
    let role = v.finish(|| role).map_err(ApiError::invalid)?;
    let m = accounts::set_member(&app, &who, project, user, role, entities).await?;
    Ok(Json(MemberView::from(&m)))
}

/// Takes a user's role on the project away (admin only).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/members/{user_id}", tag = "users",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_member(
    State(app): State<App>,
    Who(who): Who,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let project = parse_project_id(&id)?;
    let user = parse_user_id(&user_id)?;
    accounts::remove_member(&app, &who, project, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The project's audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/audit", tag = "users",
    params(("id" = String, Path), ("page" = Option<u32>, Query, minimum = 1), ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn project_audit(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<ListEnvelope<AuditEntryView>>> {
    let page = page_request(&query)?;
    let result = audit::project_log(&app, &who, parse_project_id(&id)?, page).await?;
    Ok(Json(ListEnvelope {
        items: result.items.iter().map(AuditEntryView::from).collect(),
        total: result.total,
        page: page.page,
        per_page: page.per_page,
    }))
}
