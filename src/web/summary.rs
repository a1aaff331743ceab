//! `GET /api/v1/projects/{id}/summary` — what the funder would recognise and pay as of a date — and
//! the deadlines as an iCalendar feed.

use super::auth::Who;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::QueryPairs;
use super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::rules::{Scope, Summary};
use crate::domain::Violations;
use crate::services::summary::{deadlines_ics, snapshot};
use crate::services::App;

#[derive(Serialize, ToSchema)]
pub struct CategorySummary {
    code: String,
    name: String,
    approved_original: String,
    approved: String,
    eligible: String,
    recognised: String,
    /// The ceiling in euro, or null when the category has none.
    ceiling: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EntitySummary {
    entity_id: String,
    name: String,
    eligible: String,
    recognised: String,
    contribution_share: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExcludedView {
    expense_id: String,
    reason: String,
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct WarningView {
    code: String,
    message: String,
    expense_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeadlineView {
    name: String,
    date: String,
    /// `done`, `upcoming`, `due_soon` (within 30 days) or `overdue`.
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    as_of: String,
    /// `all` (every expense not excluded) or `verified`.
    scope: String,
    approved_original_total: String,
    approved_total: String,
    categories: Vec<CategorySummary>,
    eligible_total: String,
    recognised_total: String,
    contribution_rate: String,
    /// rate × recognised, rounded half-up to the cent, before the cap.
    contribution_computed: String,
    cap: String,
    revocation_threshold: Option<String>,
    revoked: bool,
    contribution_due: String,
    advances_received: String,
    /// Negative when money must be given back.
    balance_due: String,
    /// `da_ricevere`, `da_restituire` or `saldato`.
    balance_status: String,
    balance_message: String,
    realisation_share: String,
    entities: Vec<EntitySummary>,
    excluded: Vec<ExcludedView>,
    warnings: Vec<WarningView>,
    deadlines: Vec<DeadlineView>,
    /// Expenses left out because the scope is `verified` and they are not.
    pending: Vec<String>,
}

impl SummaryView {
    pub fn new(s: &Summary, scope: Scope) -> SummaryView {
        let (balance_status, balance_message) = s.balance_words();
        SummaryView {
            as_of: s.as_of.to_string(),
            scope: match scope {
                Scope::All => "all",
                Scope::Verified => "verified",
            }
            .into(),
            approved_original_total: s.approved_original_total.to_string(),
            approved_total: s.approved_total.to_string(),
            categories: s
                .categories
                .iter()
                .map(|c| CategorySummary {
                    code: c.code.as_str().to_owned(),
                    name: c.name.clone(),
                    approved_original: c.approved_original.to_string(),
                    approved: c.approved.to_string(),
                    eligible: c.eligible.to_string(),
                    recognised: c.recognised.to_string(),
                    ceiling: c.ceiling.map(|x| x.to_string()),
                })
                .collect(),
            eligible_total: s.eligible_total.to_string(),
            recognised_total: s.recognised_total.to_string(),
            contribution_rate: s.contribution_rate.to_string(),
            contribution_computed: s.contribution_computed.to_string(),
            cap: s.cap.to_string(),
            revocation_threshold: s.revocation_threshold.map(|x| x.to_string()),
            revoked: s.revoked,
            contribution_due: s.contribution_due.to_string(),
            advances_received: s.advances_received.to_string(),
            balance_due: s.balance_due.to_string(),
            balance_status: balance_status.into(),
            balance_message,
            realisation_share: format!("{:.4}", s.realisation_share),
            entities: s
                .entities
                .iter()
                .map(|e| EntitySummary {
                    entity_id: e.entity_id.to_string(),
                    name: e.name.clone(),
                    eligible: e.eligible.to_string(),
                    recognised: e.recognised.to_string(),
                    contribution_share: e.contribution_share.to_string(),
                })
                .collect(),
            excluded: s
                .excluded
                .iter()
                .map(|x| ExcludedView {
                    expense_id: x.expense_id.to_string(),
                    reason: x.reason.code().into(),
                    message: x.message.clone(),
                })
                .collect(),
            warnings: s
                .warnings
                .iter()
                .map(|w| WarningView {
                    code: w.code.code().into(),
                    message: w.message.clone(),
                    expense_id: w.expense_id.map(|i| i.to_string()),
                })
                .collect(),
            deadlines: s
                .deadlines
                .iter()
                .map(|d| DeadlineView {
                    name: d.name.clone(),
                    date: d.date.to_string(),
                    status: d.status.code().into(),
                })
                .collect(),
            pending: s.pending.iter().map(ToString::to_string).collect(),
        }
    }
}

/// `as_of` and `scope` from the query string.
pub fn summary_params(q: &QueryPairs) -> Result<(Option<chrono::NaiveDate>, Scope), ApiError> {
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", q.get("as_of"));
    let scope = match q.get("scope") {
        None | Some("all") => Some(Scope::All),
        Some("verified") => Some(Scope::Verified),
        Some(_) => {
            v.add(
                "scope",
                "invalid_choice",
                "valore non previsto: usare all oppure verified",
            );
            None
        }
    };
    v.finish(|| Some((as_of, scope?)))
        .map_err(ApiError::invalid)
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects/{id}/summary", get(summary))
        .route("/api/v1/projects/{id}/deadlines.ics", get(ics))
}

/// What the funder would recognise and pay if the project were submitted as of `as_of` (today by
/// default): per category, per entity, exclusions, warnings and deadlines.
#[utoipa::path(get, path = "/api/v1/projects/{id}/summary", tag = "summary",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"),
        ("scope" = Option<String>, Query, description = "all (default) or verified")),
    responses((status = 200, body = SummaryView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn summary(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<SummaryView>> {
    let id = parse_project_id(&id)?;
    let (as_of, scope) = summary_params(&query)?;
    let snap = snapshot(&app, &who, id, as_of, scope).await?;
    Ok(Json(SummaryView::new(&snap.summary, scope)))
}

/// Every deadline of the project as an iCalendar feed.
#[utoipa::path(get, path = "/api/v1/projects/{id}/deadlines.ics", tag = "summary", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem)))]
async fn ics(State(app): State<App>, Who(who): Who, Path(id): Path<String>) -> ApiResult<Response> {
    let body = deadlines_ics(&app, &who, parse_project_id(&id)?).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}
