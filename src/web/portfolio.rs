//! Every project of the signed-in user at a glance, and the one calendar feed of their deadlines
//! (read with a personal token in the URL, since calendar clients cannot send headers).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{SignedIn, Who};
use super::error::{ApiError, ApiResult, Problem};
use super::extract::QueryPairs;
use super::pagination::ListEnvelope;
use crate::services::portfolio::{self, Standing};
use crate::services::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/portfolio", get(list))
        .route(
            "/api/v1/auth/calendar-token",
            post(create_token).delete(revoke_token),
        )
        .route("/api/v1/deadlines.ics", get(ics))
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioView {
    project_id: String,
    title: String,
    cup: Option<String>,
    next_deadline: Option<String>,
    next_deadline_date: Option<String>,
    /// Days from today to the next deadline.
    days_left: Option<i64>,
    granted_contribution: String,
    projected_contribution: String,
    /// What a submission made today would ask (verified expenses only).
    contribution_due_now: String,
    /// The contribution granted that the forecast does not reach.
    at_risk: String,
    /// Why: each open commitment that will not count.
    risks: Vec<String>,
    /// Expenses handed over and waiting for their verification.
    awaiting_verification: usize,
}

impl From<&Standing> for PortfolioView {
    fn from(s: &Standing) -> PortfolioView {
        PortfolioView {
            project_id: s.project.id.to_string(),
            title: s.project.data.title.clone(),
            cup: s.project.data.cup.as_ref().map(ToString::to_string),
            next_deadline: s.next_deadline.as_ref().map(|(n, _)| n.clone()),
            next_deadline_date: s.next_deadline.as_ref().map(|(_, d)| d.to_string()),
            days_left: s.days_left,
            granted_contribution: s.granted.to_string(),
            projected_contribution: s.projected.to_string(),
            contribution_due_now: s.due_now.to_string(),
            at_risk: s.at_risk.to_string(),
            risks: s.risks.clone(),
            awaiting_verification: s.awaiting_verification,
        }
    }
}

/// The orders `?sort=` takes: a field, `-` before it for the descending order.
const SORTS: &[&str] = &["next_deadline", "at_risk", "title", "awaiting_verification"];

/// Sorts the lines as `?sort=` asks (by the next deadline when it does not: soonest first,
/// projects with none last).
pub fn sort(lines: &mut [Standing], sort: Option<&str>) -> Result<(), ApiError> {
    let raw = sort.unwrap_or("next_deadline");
    let (field, descending) = match raw.strip_prefix('-') {
        Some(f) => (f, true),
        None => (raw, false),
    };
    if !SORTS.contains(&field) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_sort",
            format!("ordinamento non previsto: usare {}", SORTS.join(", ")),
        ));
    }
    lines.sort_by(|a, b| {
        let order = match field {
            "at_risk" => a.at_risk.cmp(&b.at_risk),
            "title" => a.project.data.title.cmp(&b.project.data.title),
            "awaiting_verification" => a.awaiting_verification.cmp(&b.awaiting_verification),
            _ => match (&a.next_deadline, &b.next_deadline) {
                (Some((_, x)), Some((_, y))) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
        };
        let order = if descending { order.reverse() } else { order };
        order.then_with(|| a.project.id.cmp(&b.project.id))
    });
    Ok(())
}

/// The signed-in user's projects (the admin: every project) with their next deadline,
/// contribution granted, projected and due now, money at risk and expenses awaiting verification.
#[utoipa::path(get, path = "/api/v1/portfolio", tag = "commitments",
    params(("sort" = Option<String>, Query, description = "next_deadline (default), at_risk, title, awaiting_verification; - before for descending")),
    responses((status = 200, description = "{items,total,page,per_page} of PortfolioView"), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(app): State<App>,
    Who(who): Who,
    query: QueryPairs,
) -> ApiResult<Json<ListEnvelope<PortfolioView>>> {
    let mut lines = portfolio::portfolio(&app, &who).await?;
    sort(&mut lines, query.get("sort"))?;
    Ok(Json(ListEnvelope::whole(
        lines.iter().map(PortfolioView::from).collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct CalendarTokenView {
    /// Put in the calendar's subscription URL: `/api/v1/deadlines.ics?token=…`. Shown once.
    token: String,
}

/// Makes the caller's calendar token, replacing any earlier one (which stops working).
#[utoipa::path(post, path = "/api/v1/auth/calendar-token", tag = "auth",
    responses((status = 201, body = CalendarTokenView), (status = 401, body = Problem)))]
pub(crate) async fn create_token(State(app): State<App>, who: SignedIn) -> ApiResult<Response> {
    let token = portfolio::issue_calendar_token(&app, &who.actor(), &who.user).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(CalendarTokenView { token }),
    )
        .into_response())
}

/// Revokes the caller's calendar token: the feed stops answering at once.
#[utoipa::path(delete, path = "/api/v1/auth/calendar-token", tag = "auth",
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn revoke_token(State(app): State<App>, who: SignedIn) -> ApiResult<StatusCode> {
    if portfolio::revoke_calendar_token(&app, &who.actor(), &who.user).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("token del calendario"))
    }
}

/// Every deadline of every project of the token's owner, as one iCalendar feed.
#[utoipa::path(get, path = "/api/v1/deadlines.ics", tag = "summary", security(()),
    params(("token" = String, Query, description = "the calendar token")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 403, body = Problem)))]
pub(crate) async fn ics(State(app): State<App>, query: QueryPairs) -> ApiResult<Response> {
    let token = query.get("token").unwrap_or_default();
    let body = portfolio::deadlines_ics(&app, token).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}
