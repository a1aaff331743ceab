//! Calls and their categories.

use super::Conn;
use chrono::{DateTime, NaiveDate, Utc};

use super::rows::{opt_rate, rate, CategoryRow};
use crate::domain::{Call, CallId, Ceiling, Money, NewCall};
use crate::storage::{Page, PageRequest, StoreError};

pub(super) async fn insert(
    conn: &mut Conn,
    call: &NewCall,
    now: DateTime<Utc>,
) -> Result<CallId, StoreError> {
    let r = &call.rules;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO calls (name, funder, act, contribution_rate_bp, max_contribution_cents, \
         eligibility_start, eligibility_end, payment_deadline, reporting_deadline, current_spending_only, \
         vat_eligible_if_not_recoverable, min_realisation_share_bp, drift_tolerance_bp, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(&call.name)
    .bind(&call.funder)
    .bind(&call.act)
    .bind(r.contribution_rate.basis_points())
    .bind(r.max_contribution.map(Money::cents))
    .bind(r.eligibility_start)
    .bind(r.eligibility_end)
    .bind(r.payment_deadline)
    .bind(r.reporting_deadline)
    .bind(r.current_spending_only)
    .bind(r.vat_eligible_if_not_recoverable)
    .bind(r.min_realisation_share.map(|x| x.basis_points()))
    .bind(r.drift_tolerance.map(|x| x.basis_points()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for (position, category) in call.categories.iter().enumerate() {
        let (share, amount) = match category.ceiling {
            Some(Ceiling::Share(s)) => (Some(s.basis_points()), None),
            Some(Ceiling::Amount(a)) => (None, Some(a.cents())),
            None => (None, None),
        };
        sqlx::query(
            "INSERT INTO call_categories (call_id, position, code, name, ceiling_share_bp, ceiling_amount_cents) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(category.code.as_str())
        .bind(&category.name)
        .bind(share)
        .bind(amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(CallId(id))
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    name: String,
    funder: String,
    act: String,
    contribution_rate_bp: i64,
    max_contribution_cents: Option<i64>,
    eligibility_start: NaiveDate,
    eligibility_end: NaiveDate,
    payment_deadline: Option<NaiveDate>,
    reporting_deadline: Option<NaiveDate>,
    current_spending_only: bool,
    vat_eligible_if_not_recoverable: bool,
    min_realisation_share_bp: Option<i64>,
    drift_tolerance_bp: Option<i64>,
    created_at: DateTime<Utc>,
}

const CALL_COLUMNS: &str = "id, name, funder, act, contribution_rate_bp, max_contribution_cents, \
    eligibility_start, eligibility_end, payment_deadline, reporting_deadline, current_spending_only, \
    vat_eligible_if_not_recoverable, min_realisation_share_bp, drift_tolerance_bp, created_at";

async fn assemble(conn: &mut Conn, rows: Vec<CallRow>) -> Result<Vec<Call>, StoreError> {
    let mut calls = Vec::with_capacity(rows.len());
    for row in rows {
        let categories: Vec<CategoryRow> = sqlx::query_as(
            "SELECT code, name, ceiling_share_bp, ceiling_amount_cents FROM call_categories \
             WHERE call_id = $1 ORDER BY position",
        )
        .bind(row.id)
        .fetch_all(&mut *conn)
        .await?;
        calls.push(Call {
            id: CallId(row.id),
            name: row.name,
            funder: row.funder,
            act: row.act,
            rules: crate::domain::CallRules {
                contribution_rate: rate(row.contribution_rate_bp)?,
                max_contribution: row.max_contribution_cents.map(Money::from_cents),
                eligibility_start: row.eligibility_start,
                eligibility_end: row.eligibility_end,
                payment_deadline: row.payment_deadline,
                reporting_deadline: row.reporting_deadline,
                current_spending_only: row.current_spending_only,
                vat_eligible_if_not_recoverable: row.vat_eligible_if_not_recoverable,
                min_realisation_share: opt_rate(row.min_realisation_share_bp)?,
                drift_tolerance: opt_rate(row.drift_tolerance_bp)?,
            },
            categories: categories
                .into_iter()
                .map(CategoryRow::into_domain)
                .collect::<Result<_, _>>()?,
            created_at: row.created_at,
        });
    }
    Ok(calls)
}

pub(super) async fn get(conn: &mut Conn, id: CallId) -> Result<Option<Call>, StoreError> {
    let rows: Vec<CallRow> =
        sqlx::query_as(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1"))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(assemble(conn, rows).await?.pop())
}

pub(super) async fn list(conn: &mut Conn, page: PageRequest) -> Result<Page<Call>, StoreError> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls")
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<CallRow> = sqlx::query_as(&format!(
        "SELECT {CALL_COLUMNS} FROM calls ORDER BY id LIMIT $1 OFFSET $2"
    ))
    .bind(i64::from(page.per_page))
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    Ok(Page {
        items: assemble(conn, rows).await?,
        total,
    })
}
