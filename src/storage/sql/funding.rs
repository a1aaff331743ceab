//! Variations, extensions, milestones and tranches of a project, and the claims other projects make
//! on the same supplier documents.

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, NaiveDate, Utc};

use super::projects::missing_or_stale;
use super::rows::{category_code, corrupt};
use crate::domain::funding::{
    Extension, Milestone, NewExtension, NewMilestone, NewTranche, NewVariation, Tranche,
    TrancheKind, Variation, VariationStatus,
};
use crate::domain::{DocumentKey, Money, ProjectId};
use crate::storage::StoreError;

fn position(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

pub(super) async fn insert_variation(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewVariation,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO budget_variations (project_id, act, date, status, version, created_at, \
         decision_date) VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
    )
    .bind(project)
    .bind(&new.act)
    .bind(new.date)
    .bind(new.status.as_str())
    .bind(now)
    .bind(new.decision_date)
    .fetch_one(&mut *conn)
    .await?;
    for (i, (category, amount)) in new.changes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO budget_variation_changes (variation_id, position, category_code, amount_cents) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position(i))
        .bind(category.as_str())
        .bind(amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

pub(super) async fn set_variation_status(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    status: VariationStatus,
    decision_date: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE budget_variations SET status = $1, decision_date = $4, version = version + 1 \
         WHERE id = $2 AND version = $3",
    )
    .bind(status.as_str())
    .bind(id)
    .bind(expected_version)
    .bind(decision_date)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(missing_or_stale(&mut *conn, "budget_variations", id).await);
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct VariationRow {
    id: i64,
    act: String,
    date: NaiveDate,
    status: String,
    decision_date: Option<NaiveDate>,
    version: i64,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    variation_id: i64,
    category_code: String,
    amount_cents: Money,
}

pub(super) async fn variations(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Variation>, StoreError> {
    let rows: Vec<VariationRow> = sqlx::query_as(
        "SELECT id, act, date, status, decision_date, version, created_at FROM budget_variations \
         WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?;
    let changes: Vec<ChangeRow> = sqlx::query_as(
        "SELECT c.variation_id, c.category_code, c.amount_cents FROM budget_variation_changes c \
         JOIN budget_variations v ON v.id = c.variation_id WHERE v.project_id = $1 ORDER BY c.variation_id, c.position",
    )
    .bind(project)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Variation {
                id: row.id,
                status: VariationStatus::parse(&row.status)
                    .ok_or_else(|| corrupt("variation status", &row.status))?,
                changes: changes
                    .iter()
                    .filter(|c| c.variation_id == row.id)
                    .map(|c| Ok((category_code(&c.category_code)?, c.amount_cents)))
                    .collect::<Result<_, StoreError>>()?,
                act: row.act,
                date: row.date,
                decision_date: row.decision_date,
                version: row.version,
                created_at: row.created_at,
            })
        })
        .collect()
}

pub(super) async fn insert_extension(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    new: &NewExtension,
    now: DateTime<Utc>,
) -> Result<Extension, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO project_extensions (project_id, act, date, end_date, payment_deadline, reporting_deadline, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(project)
    .bind(&new.act)
    .bind(new.date)
    .bind(new.end_date)
    .bind(new.payment_deadline)
    .bind(new.reporting_deadline)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(Extension {
        id,
        act: new.act.clone(),
        date: new.date,
        end_date: new.end_date,
        payment_deadline: new.payment_deadline,
        reporting_deadline: new.reporting_deadline,
        created_at: now,
    })
}

#[derive(sqlx::FromRow)]
struct ExtensionRow {
    id: i64,
    act: String,
    date: NaiveDate,
    end_date: Option<NaiveDate>,
    payment_deadline: Option<NaiveDate>,
    reporting_deadline: Option<NaiveDate>,
    created_at: DateTime<Utc>,
}

pub(super) async fn extensions(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Extension>, StoreError> {
    let rows: Vec<ExtensionRow> = sqlx::query_as(
        "SELECT id, act, date, end_date, payment_deadline, reporting_deadline, created_at FROM project_extensions \
         WHERE project_id = $1 ORDER BY id",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Extension {
            id: row.id,
            act: row.act,
            date: row.date,
            end_date: row.end_date,
            payment_deadline: row.payment_deadline,
            reporting_deadline: row.reporting_deadline,
            created_at: row.created_at,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct MilestoneRow {
    id: i64,
    name: String,
    due_date: NaiveDate,
    done: bool,
    version: i64,
    created_at: DateTime<Utc>,
}

fn milestone(row: MilestoneRow) -> Milestone {
    Milestone {
        id: row.id,
        name: row.name,
        due_date: row.due_date,
        done: row.done,
        version: row.version,
        created_at: row.created_at,
    }
}

pub(super) async fn insert_milestone(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    new: &NewMilestone,
    now: DateTime<Utc>,
) -> Result<Milestone, StoreError> {
    let row: MilestoneRow = sqlx::query_as(
        "INSERT INTO milestones (project_id, name, due_date, done, version, created_at) VALUES ($1, $2, $3, $4, 1, $5) \
         RETURNING id, name, due_date, done, version, created_at",
    )
    .bind(project)
    .bind(&new.name)
    .bind(new.due_date)
    .bind(new.done)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(milestone(row))
}

pub(super) async fn update_milestone(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    new: &NewMilestone,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE milestones SET name = $1, due_date = $2, done = $3, version = version + 1 WHERE id = $4 AND version = $5",
    )
    .bind(&new.name)
    .bind(new.due_date)
    .bind(new.done)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(missing_or_stale(&mut *conn, "milestones", id).await);
    }
    Ok(())
}

pub(super) async fn milestones(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Milestone>, StoreError> {
    let rows: Vec<MilestoneRow> = sqlx::query_as(
        "SELECT id, name, due_date, done, version, created_at FROM milestones WHERE project_id = $1 ORDER BY due_date, id",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(milestone).collect())
}

pub(super) async fn insert_tranche(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    new: &NewTranche,
    now: DateTime<Utc>,
) -> Result<Tranche, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tranches (project_id, amount_cents, date, act, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project)
    .bind(new.amount)
    .bind(new.date)
    .bind(&new.act)
    .bind(new.kind.as_str())
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(Tranche {
        id,
        amount: new.amount,
        date: new.date,
        act: new.act.clone(),
        kind: new.kind,
        created_at: now,
    })
}

#[derive(sqlx::FromRow)]
struct TrancheRow {
    id: i64,
    amount_cents: Money,
    date: NaiveDate,
    act: String,
    kind: String,
    created_at: DateTime<Utc>,
}

pub(super) async fn tranches(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Tranche>, StoreError> {
    let rows: Vec<TrancheRow> = sqlx::query_as(
        "SELECT id, amount_cents, date, act, kind, created_at FROM tranches WHERE project_id = $1 ORDER BY date, id",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Tranche {
                id: row.id,
                amount: row.amount_cents,
                date: row.date,
                kind: TrancheKind::parse(&row.kind)
                    .ok_or_else(|| corrupt("tranche kind", &row.kind))?,
                act: row.act,
                created_at: row.created_at,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    supplier_vat: String,
    document_number: String,
    document_date: NaiveDate,
    claimed: Money,
}

/// For each supplier document of `project`, what the other projects claim of it (credit notes aside).
pub(super) async fn claims_elsewhere(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<(DocumentKey, Money)>, StoreError> {
    let rows: Vec<ClaimRow> = sqlx::query_as(
        "SELECT o.supplier_vat, o.document_number, o.document_date, \
         CAST(SUM(o.claimed_cents) AS BIGINT) AS claimed \
         FROM expenses o WHERE o.project_id <> $1 AND o.document_type <> 'credit_note' AND o.supplier_vat IS NOT NULL \
         AND EXISTS (SELECT 1 FROM expenses e WHERE e.project_id = $1 AND e.supplier_vat = o.supplier_vat \
             AND e.document_number = o.document_number AND e.document_date = o.document_date) \
         GROUP BY o.supplier_vat, o.document_number, o.document_date",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let key = DocumentKey {
                supplier_vat: row.supplier_vat,
                number: row.document_number,
                date: row.document_date,
            };
            (key, row.claimed)
        })
        .collect())
}
