//! `/api/v1/projects/{id}/expenses` and `/api/v1/expenses/{id}`.

use super::auth::Who;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, JsonBytes, OptionalIfMatch, QueryPairs};
use super::merge_patch::merged_input;
use super::pagination::{page_request, sort};
use super::projects::parse_project_id;
use crate::domain::expense_fields::{ExpenseFields, Locale};
use crate::domain::fields;
use crate::domain::query::{ExpenseFilter, ExpenseSortField, ExpenseTotals};
use crate::domain::text::fold;
use crate::domain::{Expense, ExpenseData, ExpenseId, ExpenseStatus, Step, Violations};
use crate::services::{expenses, App, ServiceError};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseInput {
    /// The paying partner entity.
    entity_id: Option<String>,
    /// One of the call's category codes; an expense without one is excluded as `uncategorised`.
    category: Option<String>,
    /// `current` (default) or `capital`.
    nature: Option<String>,
    supplier_name: Option<String>,
    /// Partita IVA (check digit verified, `IT` optional), foreign VAT id with country prefix, or codice fiscale.
    supplier_vat: Option<String>,
    /// `invoice`, `credit_note`, `receipt` or `other`.
    document_type: Option<String>,
    document_number: Option<String>,
    #[schema(example = "2020-10-15")]
    document_date: Option<String>,
    description: Option<String>,
    #[schema(example = "1000.00")]
    net_amount: Option<String>,
    #[schema(example = "220.00")]
    vat_amount: Option<String>,
    vat_recoverable: Option<bool>,
    /// The part charged to the project; defaults to net + VAT.
    claimed_amount: Option<String>,
    cig: Option<String>,
    cup: Option<String>,
    commitment_act: Option<String>,
    liquidation_act: Option<String>,
    payment_order_number: Option<String>,
    payment_order_date: Option<String>,
    /// The date the treasury paid (quietanza).
    payment_date: Option<String>,
    /// For a credit note: the invoice (an expense of the same project and supplier) it corrects;
    /// it then takes that invoice's category and entity and is excluded when the invoice is.
    corrects_expense_id: Option<String>,
    /// The recorded commitment (`/commitments/{cid}`) the expense draws on: same project, entity
    /// and category.
    commitment_id: Option<String>,
}

impl From<ExpenseInput> for ExpenseFields {
    fn from(i: ExpenseInput) -> ExpenseFields {
        ExpenseFields {
            entity_id: i.entity_id,
            category: i.category,
            nature: i.nature,
            supplier_name: i.supplier_name,
            supplier_vat: i.supplier_vat,
            document_type: i.document_type,
            document_number: i.document_number,
            document_date: i.document_date,
            description: i.description,
            net_amount: i.net_amount,
            vat_amount: i.vat_amount,
            vat_recoverable: i.vat_recoverable,
            claimed_amount: i.claimed_amount,
            cig: i.cig,
            cup: i.cup,
            commitment_act: i.commitment_act,
            liquidation_act: i.liquidation_act,
            payment_order_number: i.payment_order_number,
            payment_order_date: i.payment_order_date,
            payment_date: i.payment_date,
            corrects_expense_id: i.corrects_expense_id,
            commitment_id: i.commitment_id,
        }
    }
}

impl TryFrom<ExpenseInput> for ExpenseData {
    type Error = ApiError;

    fn try_from(input: ExpenseInput) -> Result<ExpenseData, ApiError> {
        ExpenseFields::from(input)
            .parse(Locale::Api)
            .map_err(ApiError::invalid)
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExpenseView {
    id: String,
    project_id: String,
    entity_id: String,
    category: Option<String>,
    nature: String,
    supplier_name: String,
    supplier_vat: Option<String>,
    document_type: String,
    document_number: String,
    document_date: String,
    description: String,
    net_amount: String,
    vat_amount: String,
    total_amount: String,
    vat_recoverable: bool,
    claimed_amount: String,
    cig: Option<String>,
    cup: Option<String>,
    commitment_act: Option<String>,
    liquidation_act: Option<String>,
    payment_order_number: Option<String>,
    payment_order_date: Option<String>,
    payment_date: Option<String>,
    /// For a credit note, the invoice it corrects.
    corrects_expense_id: Option<String>,
    /// The recorded commitment it draws on.
    commitment_id: Option<String>,
    status: String,
    /// The user who recorded it (none when loaded by the local operator).
    created_by: Option<String>,
    /// The finance officer who verified it, while it is verified or included.
    verified_by: Option<String>,
    /// Why it was sent back, while it is `rejected`.
    rejection_reason: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
}

const EXPENSE_READ_ONLY: &[&str] = &[
    "id",
    "project_id",
    "total_amount",
    "status",
    "created_by",
    "verified_by",
    "rejection_reason",
    "version",
    "created_at",
    "updated_at",
];

impl From<&Expense> for ExpenseView {
    fn from(e: &Expense) -> ExpenseView {
        let d = &e.data;
        ExpenseView {
            id: e.id.to_string(),
            project_id: e.project_id.to_string(),
            entity_id: d.entity_id.to_string(),
            category: d.category.as_ref().map(|c| c.as_str().to_owned()),
            nature: d.nature.to_string(),
            supplier_name: d.document.supplier_name.clone(),
            supplier_vat: d.document.supplier_vat.as_ref().map(ToString::to_string),
            document_type: d.document.kind.to_string(),
            document_number: d.document.number.clone(),
            document_date: d.document.date.to_string(),
            description: d.description.clone(),
            net_amount: d.amounts.net().to_string(),
            vat_amount: d.amounts.vat().to_string(),
            total_amount: d.amounts.total().to_string(),
            vat_recoverable: d.vat_recoverable,
            claimed_amount: d.amounts.claimed().to_string(),
            cig: d.cig.as_ref().map(ToString::to_string),
            cup: d.cup.as_ref().map(ToString::to_string),
            commitment_act: d.payment.commitment_act.clone(),
            liquidation_act: d.payment.liquidation_act.clone(),
            payment_order_number: d.payment.order_number.clone(),
            payment_order_date: d.payment.order_date.map(|x| x.to_string()),
            payment_date: d.payment.paid_on.map(|x| x.to_string()),
            corrects_expense_id: d.corrects.map(|x| x.to_string()),
            commitment_id: d.payment.commitment_id.map(|x| x.to_string()),
            status: e.status.to_string(),
            created_by: e.created_by.map(|u| u.to_string()),
            verified_by: e.verified_by.map(|u| u.to_string()),
            rejection_reason: e.rejection_reason.clone(),
            version: e.version,
            created_at: e.created_at.to_rfc3339(),
            updated_at: e.updated_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TotalsView {
    net: String,
    vat: String,
    claimed: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExpenseList {
    items: Vec<ExpenseView>,
    total: i64,
    page: u32,
    per_page: u32,
    /// Sums over every row the filter selects (credit notes subtract).
    totals: TotalsView,
}

fn expense_response(status: StatusCode, expense: &Expense) -> Response {
    let mut response = (
        status,
        [(header::ETAG, etag(expense.version))],
        Json(ExpenseView::from(expense)),
    )
        .into_response();
    if status == StatusCode::CREATED {
        if let Ok(location) = format!("/api/v1/expenses/{}", expense.id).parse() {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

pub(super) fn parse_expense_id(raw: &str) -> Result<ExpenseId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("spesa"))
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects/{id}/expenses", get(list).post(create))
        .route(
            "/api/v1/expenses/{id}",
            get(show).patch(patch).delete(remove),
        )
        .route("/api/v1/expenses/{id}/ready", post(mark_ready))
        .route("/api/v1/expenses/{id}/verify", post(verify))
        .route("/api/v1/expenses/{id}/reject", post(reject))
        .route("/api/v1/expenses/{id}/unlock", post(unlock))
        .route("/api/v1/expenses/{id}/history", get(history))
}

/// The optional body of a workflow step.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Why the expense is rejected (`reject`).
    #[serde(default)]
    reason: Option<String>,
    /// Why a submitted expense is reopened (`unlock`).
    #[serde(default)]
    justification: Option<String>,
}

async fn take_step(
    app: &App,
    who: &crate::domain::access::Actor,
    id: &str,
    version: Option<i64>,
    step: Step,
    body: &[u8],
) -> ApiResult<Response> {
    let id = parse_expense_id(id)?;
    let input: StepInput = if body.iter().all(u8::is_ascii_whitespace) {
        StepInput::default()
    } else {
        super::extract::parse_json(body)?
    };
    let note = match step {
        Step::Reject => input.reason,
        Step::Unlock => input.justification,
        Step::Ready | Step::Verify => None,
    };
    let expense = expenses::step(app, who, id, version, step, note).await?;
    Ok(expense_response(StatusCode::OK, &expense))
}

/// Hands a draft (or rejected) expense to the finance office for verification.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/ready", tag = "expenses", params(("id" = String, Path)),
    request_body(content = StepInput, description = "nessun corpo richiesto"),
    responses((status = 200, body = ExpenseView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn mark_ready(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    take_step(&app, &who, &id, version, Step::Ready, &body).await
}

/// Verifies an expense (finance officer; not one they recorded themselves).
#[utoipa::path(post, path = "/api/v1/expenses/{id}/verify", tag = "expenses", params(("id" = String, Path)),
    request_body(content = StepInput, description = "nessun corpo richiesto"),
    responses((status = 200, body = ExpenseView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn verify(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    take_step(&app, &who, &id, version, Step::Verify, &body).await
}

/// Sends an expense back to its author with a reason (`{"reason": "…"}`).
#[utoipa::path(post, path = "/api/v1/expenses/{id}/reject", tag = "expenses", params(("id" = String, Path)),
    request_body = StepInput,
    responses((status = 200, body = ExpenseView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn reject(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    take_step(&app, &who, &id, version, Step::Reject, &body).await
}

/// Reopens an expense included in a submission, with a written justification
/// (`{"justification": "…"}`); the next submission shows the correction as an adjustment.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/unlock", tag = "expenses", params(("id" = String, Path)),
    request_body = StepInput,
    responses((status = 200, body = ExpenseView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
async fn unlock(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    take_step(&app, &who, &id, version, Step::Unlock, &body).await
}

/// One entry of the audit trail.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    #[schema(value_type = Option<Object>)]
    before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    after: Option<serde_json::Value>,
    hash: String,
}

impl From<&crate::domain::audit::Entry> for AuditEntryView {
    fn from(e: &crate::domain::audit::Entry) -> AuditEntryView {
        let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str(t).ok());
        AuditEntryView {
            seq: e.seq,
            at: e.at.to_rfc3339(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            before: parse(&e.before),
            after: parse(&e.after),
            hash: e.hash.clone(),
        }
    }
}

/// The expense's history: who changed what and when, oldest first.
#[utoipa::path(get, path = "/api/v1/expenses/{id}/history", tag = "expenses", params(("id" = String, Path)),
    responses((status = 200, body = Vec<AuditEntryView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn history(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AuditEntryView>>> {
    let id = parse_expense_id(&id)?;
    let entries = crate::services::audit::expense_history(&app, &who, id).await?;
    Ok(Json(entries.iter().map(AuditEntryView::from).collect()))
}

/// Records an expense of a project (status `draft`).
#[utoipa::path(post, path = "/api/v1/projects/{id}/expenses", tag = "expenses", params(("id" = String, Path)),
    request_body = ExpenseInput,
    responses((status = 201, body = ExpenseView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem), (status = 400, body = Problem)))]
async fn create(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ExpenseInput>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let data = ExpenseData::try_from(input)?;
    let expense = expenses::create(&app, &who, project, data).await?;
    Ok(expense_response(StatusCode::CREATED, &expense))
}

/// Parses the list filters; a bad one is a 422 naming the parameter.
pub(crate) fn filter(q: &QueryPairs) -> Result<ExpenseFilter, ApiError> {
    let mut v = Violations::new();
    let entity = fields::id(&mut v, "entity", q.get("entity"));
    let status = fields::choice(
        &mut v,
        "status",
        q.get("status"),
        ExpenseStatus::parse,
        &ExpenseStatus::choices(),
    );
    let date_from = fields::date(&mut v, "date_from", q.get("date_from"));
    let date_to = fields::date(&mut v, "date_to", q.get("date_to"));
    let text = fields::text(&mut v, "q", q.get("q"), 200).map(|t| fold(&t));
    v.finish(|| {
        Some(ExpenseFilter {
            entity,
            category: q.get("category").map(str::to_owned),
            status,
            date_from,
            date_to,
            text,
        })
    })
    .map_err(ApiError::invalid)
}

/// The expenses of a project: filters `entity`, `category`, `status`, `date_from`, `date_to` (document
/// date), `q` (text); `sort` one of the listed fields, `-` for descending.
#[utoipa::path(get, path = "/api/v1/projects/{id}/expenses", tag = "expenses",
    params(("id" = String, Path), ("page" = Option<u32>, Query, minimum = 1), ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500),
        ("sort" = Option<String>, Query), ("entity" = Option<String>, Query), ("category" = Option<String>, Query),
        ("status" = Option<String>, Query), ("date_from" = Option<String>, Query), ("date_to" = Option<String>, Query),
        ("q" = Option<String>, Query)),
    responses((status = 200, body = ExpenseList), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Json<ExpenseList>> {
    let project = parse_project_id(&id)?;
    let page = page_request(&query)?;
    let sort = sort(&query, ExpenseSortField::NAMES, ExpenseSortField::Id)?;
    let filter = filter(&query)?;
    let (result, totals): (_, ExpenseTotals) =
        expenses::list(&app, &who, project, &filter, sort, page).await?;
    Ok(Json(ExpenseList {
        items: result.items.iter().map(ExpenseView::from).collect(),
        total: result.total,
        page: page.page,
        per_page: page.per_page,
        totals: TotalsView {
            net: totals.net.to_string(),
            vat: totals.vat.to_string(),
            claimed: totals.claimed.to_string(),
        },
    }))
}

/// One expense, with its ETag.
#[utoipa::path(get, path = "/api/v1/expenses/{id}", tag = "expenses", params(("id" = String, Path)),
    responses((status = 200, body = ExpenseView), (status = 404, body = Problem)))]
async fn show(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let expense = expenses::get(&app, &who, parse_expense_id(&id)?).await?;
    Ok(expense_response(StatusCode::OK, &expense))
}

/// Changes an expense (JSON merge patch). Requires `If-Match` with the ETag read.
#[utoipa::path(patch, path = "/api/v1/expenses/{id}", tag = "expenses", params(("id" = String, Path), ("If-Match" = String, Header)),
    request_body(content = ExpenseInput, content_type = "application/merge-patch+json"),
    responses((status = 200, body = ExpenseView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
async fn patch(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let id = parse_expense_id(&id)?;
    let current = expenses::get_for_edit(&app, &who, id).await?;
    let version = version.ok_or(ServiceError::VersionRequired)?;
    if current.version != version {
        return Err(ServiceError::Stale.into());
    }
    let input: ExpenseInput = merged_input(&ExpenseView::from(&current), EXPENSE_READ_ONLY, &body)?;
    let data = ExpenseData::try_from(input)?;
    let expense = expenses::update(&app, &who, id, version, data).await?;
    Ok(expense_response(StatusCode::OK, &expense))
}

/// Deletes an expense (honours `If-Match` when sent).
#[utoipa::path(delete, path = "/api/v1/expenses/{id}", tag = "expenses", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
async fn remove(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    OptionalIfMatch(version): OptionalIfMatch,
) -> ApiResult<StatusCode> {
    expenses::delete(&app, &who, parse_expense_id(&id)?, version).await?;
    Ok(StatusCode::NO_CONTENT)
}
