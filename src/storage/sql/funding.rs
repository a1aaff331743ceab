//! Variations, extensions, milestones and tranches of a project, and the claims other projects make
//! on the same supplier documents.

use super::Conn;
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
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO budget_variations (project_id, act, date, status, version, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(project.0)
    .bind(&new.act)
    .bind(new.date)
    .bind(new.status.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for (i, (category, amount)) in new.changes.iter().enumerate() {
        sqlx::query(
            "INSERT INTO budget_variation_changes (variation_id, position, category_code, amount_cents) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position(i))
        .bind(category.as_str())
        .bind(amount.cents())
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
) -> Result<(), StoreError> {
    let updated = sqlx::query("UPDATE budget_variations SET status = $1, version = version + 1 WHERE id = $2 AND version = $3")
        .bind(status.as_str())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(missing_or_stale(conn, "budget_variations", id).await);
    }
    Ok(())
}

type VariationRow = (i64, String, NaiveDate, String, i64, DateTime<Utc>);

pub(super) async fn variations(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Variation>, StoreError> {
    let rows: Vec<VariationRow> = sqlx::query_as(
        "SELECT id, act, date, status, version, created_at FROM budget_variations WHERE project_id = $1 ORDER BY id",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    let changes: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT c.variation_id, c.category_code, c.amount_cents FROM budget_variation_changes c \
         JOIN budget_variations v ON v.id = c.variation_id WHERE v.project_id = $1 ORDER BY c.variation_id, c.position",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, act, date, status, version, created_at)| {
            Ok(Variation {
                id,
                act,
                date,
                status: VariationStatus::parse(&status)
                    .ok_or_else(|| corrupt("variation status", &status))?,
                changes: changes
                    .iter()
                    .filter(|(v, _, _)| *v == id)
                    .map(|(_, code, cents)| Ok((category_code(code)?, Money::from_cents(*cents))))
                    .collect::<Result<_, StoreError>>()?,
                version,
                created_at,
            })
        })
        .collect()
}

pub(super) async fn insert_extension(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewExtension,
    now: DateTime<Utc>,
) -> Result<Extension, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO project_extensions (project_id, act, date, end_date, payment_deadline, reporting_deadline, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(project.0)
    .bind(&new.act)
    .bind(new.date)
    .bind(new.end_date)
    .bind(new.payment_deadline)
    .bind(new.reporting_deadline)
    .bind(now)
    .fetch_one(&mut *conn)
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

type ExtensionRow = (
    i64,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<NaiveDate>,
    DateTime<Utc>,
);

pub(super) async fn extensions(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Extension>, StoreError> {
    let rows: Vec<ExtensionRow> = sqlx::query_as(
        "SELECT id, act, date, end_date, payment_deadline, reporting_deadline, created_at FROM project_extensions \
         WHERE project_id = $1 ORDER BY id",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, act, date, end_date, payment_deadline, reporting_deadline, created_at)| {
                Extension {
                    id,
                    act,
                    date,
                    end_date,
                    payment_deadline,
                    reporting_deadline,
                    created_at,
                }
            },
        )
        .collect())
}

type MilestoneRow = (i64, String, NaiveDate, bool, i64, DateTime<Utc>);

fn milestone(row: MilestoneRow) -> Milestone {
    let (id, name, due_date, done, version, created_at) = row;
    Milestone {
        id,
        name,
        due_date,
        done,
        version,
        created_at,
    }
}

pub(super) async fn insert_milestone(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewMilestone,
    now: DateTime<Utc>,
) -> Result<Milestone, StoreError> {
    let row: MilestoneRow = sqlx::query_as(
        "INSERT INTO milestones (project_id, name, due_date, done, version, created_at) VALUES ($1, $2, $3, $4, 1, $5) \
         RETURNING id, name, due_date, done, version, created_at",
    )
    .bind(project.0)
    .bind(&new.name)
    .bind(new.due_date)
    .bind(new.done)
    .bind(now)
    .fetch_one(&mut *conn)
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
        return Err(missing_or_stale(conn, "milestones", id).await);
    }
    Ok(())
}

pub(super) async fn milestones(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Milestone>, StoreError> {
    let rows: Vec<MilestoneRow> = sqlx::query_as(
        "SELECT id, name, due_date, done, version, created_at FROM milestones WHERE project_id = $1 ORDER BY due_date, id",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(milestone).collect())
}

pub(super) async fn insert_tranche(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewTranche,
    now: DateTime<Utc>,
) -> Result<Tranche, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO tranches (project_id, amount_cents, date, act, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project.0)
    .bind(new.amount.cents())
    .bind(new.date)
    .bind(&new.act)
    .bind(new.kind.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
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

pub(super) async fn tranches(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<Tranche>, StoreError> {
    let rows: Vec<(i64, i64, NaiveDate, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, amount_cents, date, act, kind, created_at FROM tranches WHERE project_id = $1 ORDER BY date, id",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, cents, date, act, kind, created_at)| {
            Ok(Tranche {
                id,
                amount: Money::from_cents(cents),
                date,
                act,
                kind: TrancheKind::parse(&kind).ok_or_else(|| corrupt("tranche kind", &kind))?,
                created_at,
            })
        })
        .collect()
}

/// For each supplier document of `project`, what the other projects claim of it (credit notes aside).
pub(super) async fn claims_elsewhere(
    conn: &mut Conn,
    project: ProjectId,
) -> Result<Vec<(DocumentKey, Money)>, StoreError> {
    let rows: Vec<(String, String, NaiveDate, i64)> = sqlx::query_as(
        "SELECT o.supplier_vat, o.document_number, o.document_date, CAST(SUM(o.claimed_cents) AS BIGINT) \
         FROM expenses o WHERE o.project_id <> $1 AND o.document_type <> 'credit_note' AND o.supplier_vat IS NOT NULL \
         AND EXISTS (SELECT 1 FROM expenses e WHERE e.project_id = $1 AND e.supplier_vat = o.supplier_vat \
             AND e.document_number = o.document_number AND e.document_date = o.document_date) \
         GROUP BY o.supplier_vat, o.document_number, o.document_date",
    )
    .bind(project.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(supplier_vat, number, date, cents)| {
            (
                DocumentKey {
                    supplier_vat,
                    number,
                    date,
                },
                Money::from_cents(cents),
            )
        })
        .collect())
}
