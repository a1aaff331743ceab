//! Commitments (impegni). Every write bumps the project's revision (as expense writes do), so the
//! list kept in memory for the forecast is reused only while it is current.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Executor;

use super::expenses::bump_revision;
use super::projects::missing_or_stale;
use super::rows::{category_code, corrupt};
use super::{Conn, Db};
use crate::domain::commitment::{Commitment, CommitmentData};
use crate::domain::{Cig, CommitmentId, EntityId, Money, Nature, ProjectId, TaxId};
use crate::storage::StoreError;

const COLUMNS: &str = "id, project_id, entity_id, category, nature, supplier_name, supplier_vat, act, \
    act_date, cig, amount_cents, expected_invoice_date, expected_payment_date, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct CommitmentRow {
    id: i64,
    project_id: i64,
    entity_id: i64,
    category: String,
    nature: String,
    supplier_name: Option<String>,
    supplier_vat: Option<String>,
    act: String,
    act_date: NaiveDate,
    cig: Option<String>,
    amount_cents: i64,
    expected_invoice_date: Option<NaiveDate>,
    expected_payment_date: Option<NaiveDate>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl CommitmentRow {
    fn into_domain(self) -> Result<Commitment, StoreError> {
        Ok(Commitment {
            id: CommitmentId(self.id),
            project_id: ProjectId(self.project_id),
            data: CommitmentData {
                entity_id: EntityId(self.entity_id),
                category: category_code(&self.category)?,
                nature: Nature::parse(&self.nature)
                    .ok_or_else(|| corrupt("nature", &self.nature))?,
                supplier_name: self.supplier_name,
                supplier_vat: self
                    .supplier_vat
                    .map(|v| TaxId::parse(&v).map_err(|_| corrupt("supplier_vat", v)))
                    .transpose()?,
                act: self.act,
                act_date: self.act_date,
                cig: self
                    .cig
                    .map(|c| Cig::parse(&c).map_err(|_| corrupt("cig", c)))
                    .transpose()?,
                amount: Money::from_cents(self.amount_cents),
                expected_invoice_date: self.expected_invoice_date,
                expected_payment_date: self.expected_payment_date,
            },
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(super) async fn insert(
    conn: &mut Conn,
    project: ProjectId,
    d: &CommitmentData,
    now: DateTime<Utc>,
) -> Result<Commitment, StoreError> {
    bump_revision(&mut *conn, project).await?;
    let row: CommitmentRow = sqlx::query_as(&format!(
        "INSERT INTO commitments (project_id, entity_id, category, nature, supplier_name, supplier_vat, act, \
         act_date, cig, amount_cents, expected_invoice_date, expected_payment_date, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13) RETURNING {COLUMNS}"
    ))
    .bind(project)
    .bind(d.entity_id)
    .bind(d.category.as_str())
    .bind(d.nature.as_str())
    .bind(&d.supplier_name)
    .bind(d.supplier_vat.as_ref().map(|v| v.as_str()))
    .bind(&d.act)
    .bind(d.act_date)
    .bind(d.cig.as_ref().map(|c| c.as_str()))
    .bind(d.amount)
    .bind(d.expected_invoice_date)
    .bind(d.expected_payment_date)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    row.into_domain()
}

pub(super) async fn of_project(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Commitment>, StoreError> {
    let rows: Vec<CommitmentRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM commitments WHERE project_id = $1 ORDER BY act_date, id"
    ))
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(CommitmentRow::into_domain).collect()
}

pub(super) async fn get(
    db: impl Executor<'_, Database = Db>,
    id: CommitmentId,
) -> Result<Option<Commitment>, StoreError> {
    let row: Option<CommitmentRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM commitments WHERE id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(CommitmentRow::into_domain).transpose()
}

pub(super) async fn update(
    conn: &mut Conn,
    project: ProjectId,
    id: CommitmentId,
    expected_version: i64,
    d: &CommitmentData,
    now: DateTime<Utc>,
) -> Result<Commitment, StoreError> {
    bump_revision(&mut *conn, project).await?;
    let row: Option<CommitmentRow> = sqlx::query_as(&format!(
        "UPDATE commitments SET entity_id = $1, category = $2, nature = $3, supplier_name = $4, \
         supplier_vat = $5, act = $6, act_date = $7, cig = $8, amount_cents = $9, expected_invoice_date = $10, \
         expected_payment_date = $11, version = version + 1, updated_at = $12 \
         WHERE id = $13 AND version = $14 RETURNING {COLUMNS}"
    ))
    .bind(d.entity_id)
    .bind(d.category.as_str())
    .bind(d.nature.as_str())
    .bind(&d.supplier_name)
    .bind(d.supplier_vat.as_ref().map(|v| v.as_str()))
    .bind(&d.act)
    .bind(d.act_date)
    .bind(d.cig.as_ref().map(|c| c.as_str()))
    .bind(d.amount)
    .bind(d.expected_invoice_date)
    .bind(d.expected_payment_date)
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => row.into_domain(),
        None => Err(missing_or_stale(&mut *conn, "commitments", id.0).await),
    }
}

/// Deletes the commitment unless expenses draw on it.
pub(super) async fn delete(
    conn: &mut Conn,
    project: ProjectId,
    id: CommitmentId,
    expected_version: i64,
) -> Result<(), StoreError> {
    bump_revision(&mut *conn, project).await?;
    let drawing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM expenses WHERE commitment_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if drawing > 0 {
        return Err(StoreError::InUse(
            usize::try_from(drawing).unwrap_or(usize::MAX),
        ));
    }
    let deleted = sqlx::query("DELETE FROM commitments WHERE id = $1 AND version = $2")
        .bind(id)
        .bind(expected_version)
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(missing_or_stale(&mut *conn, "commitments", id.0).await);
    }
    Ok(())
}
