//! `/api/v1/calls`: funding calls and their rules.

use super::auth::Who;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::{etag, ApiJson, QueryPairs};
use super::pagination::{page_request, ListEnvelope};
use crate::domain::fields;
use crate::domain::{Call, CallCategory, CallId, CallRules, Ceiling, NewCall, Violations};
use crate::services::{calls, App};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// Lowercase letters, digits and `_`, e.g. `design_training`.
    code: Option<String>,
    name: Option<String>,
    /// Maximum share of the project's approved total, e.g. `"0.30"`.
    ceiling_share: Option<String>,
    /// Maximum amount, e.g. `"45000.00"` (instead of a share).
    ceiling_amount: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    name: Option<String>,
    funder: Option<String>,
    /// The act that approved the call, e.g. "DGR 261/2020".
    act: Option<String>,
    #[schema(example = "0.70")]
    contribution_rate: Option<String>,
    #[schema(example = "105000.00")]
    max_contribution: Option<String>,
    #[schema(example = "2020-09-01")]
    eligibility_start: Option<String>,
    #[schema(example = "2020-12-31")]
    eligibility_end: Option<String>,
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
    current_spending_only: Option<bool>,
    vat_eligible_if_not_recoverable: Option<bool>,
    min_realisation_share: Option<String>,
    drift_tolerance: Option<String>,
    categories: Option<Vec<CategoryInput>>,
}

impl TryFrom<CallInput> for NewCall {
    type Error = ApiError;

    fn try_from(input: CallInput) -> Result<NewCall, ApiError> {
        let mut v = Violations::new();
        let name = fields::required_text(&mut v, "name", input.name.as_deref(), 300);
        let funder = fields::required_text(&mut v, "funder", input.funder.as_deref(), 300);
        let act = fields::required_text(&mut v, "act", input.act.as_deref(), 300);
        let rate = v.need("contribution_rate", input.contribution_rate.as_deref());
        let contribution_rate = fields::rate(&mut v, "contribution_rate", rate);
        let max_contribution = fields::amount(
            &mut v,
            "max_contribution",
            input.max_contribution.as_deref(),
        );
        let start = fields::required_date(
            &mut v,
            "eligibility_start",
            input.eligibility_start.as_deref(),
        );
        let end =
            fields::required_date(&mut v, "eligibility_end", input.eligibility_end.as_deref());
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
        let min_realisation_share = fields::rate(
            &mut v,
            "min_realisation_share",
            input.min_realisation_share.as_deref(),
        );
        let drift_tolerance =
            fields::rate(&mut v, "drift_tolerance", input.drift_tolerance.as_deref());
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                v.add(
                    "eligibility_end",
                    "end_before_start",
                    "la fine del periodo di ammissibilità precede l'inizio",
                );
            }
            for (field, deadline) in [
                ("payment_deadline", payment_deadline),
                ("reporting_deadline", reporting_deadline),
            ] {
                if deadline.is_some_and(|d| d < s) {
                    v.add(
                        field,
                        "before_period",
                        "la scadenza precede l'inizio del periodo di ammissibilità",
                    );
                }
            }
        }
        let mut categories = Vec::new();
        match input.categories {
            None => v.required("categories"),
            Some(list) if list.is_empty() => v.add(
                "categories",
                "empty",
                "indicare almeno una categoria di spesa",
            ),
            Some(list) => {
                for (i, c) in list.into_iter().enumerate() {
                    if let Some(category) = category(&mut v, i, c) {
                        if categories
                            .iter()
                            .any(|k: &CallCategory| k.code == category.code)
                        {
                            v.add(
                                format!("categories[{i}].code"),
                                "duplicate_category",
                                "codice di categoria ripetuto",
                            );
                        }
                        categories.push(category);
                    }
                }
            }
        }
        v.finish(|| {
            Some(NewCall {
                name: name?,
                funder: funder?,
                act: act?,
                rules: CallRules {
                    contribution_rate: contribution_rate?,
                    max_contribution,
                    eligibility_start: start?,
                    eligibility_end: end?,
                    payment_deadline,
                    reporting_deadline,
                    current_spending_only: input.current_spending_only.unwrap_or(true),
                    vat_eligible_if_not_recoverable: input
                        .vat_eligible_if_not_recoverable
                        .unwrap_or(true),
                    min_realisation_share,
                    drift_tolerance,
                },
                categories,
            })
        })
        .map_err(ApiError::invalid)
    }
}

fn category(v: &mut Violations, i: usize, c: CategoryInput) -> Option<CallCategory> {
    let at = |f: &str| format!("categories[{i}].{f}");
    let code = fields::required_category(v, &at("code"), c.code.as_deref());
    let name = fields::required_text(v, &at("name"), c.name.as_deref(), 200);
    let share = fields::rate(v, &at("ceiling_share"), c.ceiling_share.as_deref());
    let amount = fields::amount(v, &at("ceiling_amount"), c.ceiling_amount.as_deref());
    let ceiling = match (share, amount) {
        (Some(_), Some(_)) => {
            v.add(
                at("ceiling_amount"),
                "ceiling_conflict",
                "indicare il massimale come quota oppure come importo, non entrambi",
            );
            None
        }
        (Some(s), None) => Some(Ceiling::Share(s)),
        (None, Some(a)) => Some(Ceiling::Amount(a)),
        (None, None) => None,
    };
    Some(CallCategory {
        code: code?,
        name: name?,
        ceiling,
    })
}

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    code: String,
    name: String,
    ceiling_share: Option<String>,
    ceiling_amount: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CallView {
    id: String,
    name: String,
    funder: String,
    act: String,
    contribution_rate: String,
    max_contribution: Option<String>,
    eligibility_start: String,
    eligibility_end: String,
    payment_deadline: Option<String>,
    reporting_deadline: Option<String>,
    current_spending_only: bool,
    vat_eligible_if_not_recoverable: bool,
    min_realisation_share: Option<String>,
    drift_tolerance: Option<String>,
    categories: Vec<CategoryView>,
    created_at: String,
}

impl From<&Call> for CallView {
    fn from(c: &Call) -> CallView {
        let r = &c.rules;
        CallView {
            id: c.id.to_string(),
            name: c.name.clone(),
            funder: c.funder.clone(),
            act: c.act.clone(),
            contribution_rate: r.contribution_rate.to_string(),
            max_contribution: r.max_contribution.map(|m| m.to_string()),
            eligibility_start: r.eligibility_start.to_string(),
            eligibility_end: r.eligibility_end.to_string(),
            payment_deadline: r.payment_deadline.map(|d| d.to_string()),
            reporting_deadline: r.reporting_deadline.map(|d| d.to_string()),
            current_spending_only: r.current_spending_only,
            vat_eligible_if_not_recoverable: r.vat_eligible_if_not_recoverable,
            min_realisation_share: r.min_realisation_share.map(|x| x.to_string()),
            drift_tolerance: r.drift_tolerance.map(|x| x.to_string()),
            categories: c
                .categories
                .iter()
                .map(|k| CategoryView {
                    code: k.code.as_str().to_owned(),
                    name: k.name.clone(),
                    ceiling_share: match k.ceiling {
                        Some(Ceiling::Share(s)) => Some(s.to_string()),
                        _ => None,
                    },
                    ceiling_amount: match k.ceiling {
                        Some(Ceiling::Amount(a)) => Some(a.to_string()),
                        _ => None,
                    },
                })
                .collect(),
            created_at: c.created_at.to_rfc3339(),
        }
    }
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/calls", get(list).post(create))
        .route("/api/v1/calls/{id}", get(show))
}

/// Records a funding call with its rules.
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", request_body = CallInput,
    responses((status = 201, body = CallView), (status = 422, body = Problem), (status = 400, body = Problem)))]
async fn create(
    State(app): State<App>,
    Who(who): Who,
    ApiJson(input): ApiJson<CallInput>,
) -> ApiResult<Response> {
    let call = calls::create(&app, &who, NewCall::try_from(input)?).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/calls/{}", call.id))],
        Json(CallView::from(&call)),
    )
        .into_response())
}

/// Lists the calls.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls",
    params(("page" = Option<u32>, Query, minimum = 1), ("per_page" = Option<u32>, Query, minimum = 1, maximum = 500)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 422, body = Problem)))]
async fn list(
    State(app): State<App>,
    Who(who): Who,
    query: QueryPairs,
) -> ApiResult<Json<ListEnvelope<CallView>>> {
    let page = page_request(&query)?;
    let result = calls::list(&app, &who, page).await?;
    Ok(Json(ListEnvelope {
        items: result.items.iter().map(CallView::from).collect(),
        total: result.total,
        page: page.page,
        per_page: page.per_page,
    }))
}

/// One call.
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", params(("id" = String, Path)),
    responses((status = 200, body = CallView), (status = 404, body = Problem)))]
async fn show(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: CallId = id.parse().map_err(|_| ApiError::not_found("bando"))?;
    let call = calls::get(&app, &who, id).await?;
    Ok(([(header::ETAG, etag(1))], Json(CallView::from(&call))).into_response())
}
