//! Expenses: the guarded insert and update (split documents may not be overclaimed), filtered and
//! sorted pages with their totals, and deletion.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use sqlx::Executor;

use super::{Conn, Db};

use super::projects::missing_or_stale;
use super::rows::{ExpenseRow, EXPENSE_COLUMNS};
use super::DIALECT;
use crate::domain::expense::{check_document_parts, supplier_identity, Part, PartsError};
use crate::domain::text::fold;
use crate::domain::{
    Expense, ExpenseData, ExpenseId, ExpenseStatus, Money, ProjectId, Step, UserId,
};
use crate::storage::{
    ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort, StoreError,
};

/// What text search looks into, folded once on write.
fn search_text(data: &ExpenseData) -> String {
    fold(&format!(
        "{} {} {} {}",
        data.document.supplier_name,
        data.document.number,
        data.description,
        data.document
            .supplier_vat
            .as_ref()
            .map(|v| v.as_str())
            .unwrap_or("")
    ))
}

/// A row with the same document number and date: a part of the same document when its supplier
/// is the same one.
#[derive(sqlx::FromRow)]
struct PartRow {
    id: ExpenseId,
    supplier_vat: Option<String>,
    supplier_name: String,
    net_cents: Money,
    vat_cents: Money,
    claimed_cents: Money,
}

/// Serialises writers of one project's expenses until commit (PostgreSQL; SQLite's write lock
/// already does), then checks the other parts of the same document, whoever its supplier (with or
/// without a VAT id).
async fn guard_document(
    conn: &mut Conn,
    project: ProjectId,
    data: &ExpenseData,
    exclude: Option<ExpenseId>,
) -> Result<(), StoreError> {
    // SQLite's write lock already serialises writers: no row to lock there.
    if !DIALECT.for_update.is_empty() {
        sqlx::query(&format!(
            "SELECT id FROM projects WHERE id = $1{}",
            DIALECT.for_update
        ))
        .bind(project)
        .fetch_optional(&mut *conn)
        .await?;
    }
    let rows: Vec<PartRow> = sqlx::query_as(
        "SELECT id, supplier_vat, supplier_name, net_cents, vat_cents, claimed_cents FROM expenses \
         WHERE project_id = $1 AND document_date = $2 AND document_number = $3 AND id <> $4 \
         ORDER BY id",
    )
    .bind(project)
    .bind(data.document.date)
    .bind(&data.document.number)
    .bind(exclude.unwrap_or(ExpenseId(0)))
    .fetch_all(&mut *conn)
    .await?;
    let supplier = data.supplier_identity();
    let parts: Vec<Part> = rows
        .into_iter()
        .filter(|r| supplier_identity(r.supplier_vat.as_deref(), &r.supplier_name) == supplier)
        .map(|r| Part {
            id: r.id,
            total: r.net_cents + r.vat_cents,
            claimed: r.claimed_cents,
        })
        .collect();
    check_document_parts(&data.amounts, &parts).map_err(|e| match e {
        PartsError::TotalMismatch { first, total } => {
            StoreError::DocumentTotalMismatch { first, total }
        }
        PartsError::Overclaim {
            others,
            already_claimed,
        } => StoreError::DocumentOverclaimed {
            others,
            already_claimed,
        },
    })
}

/// Is this supplier document already recorded in the project? By VAT number, or by supplier name
/// when the document has none (as an import's preview judges it).
pub(super) async fn already_recorded(
    conn: &mut Conn,
    project: ProjectId,
    data: &ExpenseData,
) -> Result<bool, StoreError> {
    let d = &data.document;
    let found: Option<i64> = match &d.supplier_vat {
        Some(vat) => {
            sqlx::query_scalar(
                "SELECT id FROM expenses WHERE project_id = $1 AND supplier_vat = $2 \
                 AND document_number = $3 AND document_date = $4 LIMIT 1",
            )
            .bind(project)
            .bind(vat.as_str())
            .bind(&d.number)
            .bind(d.date)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_scalar(
                "SELECT id FROM expenses WHERE project_id = $1 AND supplier_vat IS NULL \
                 AND supplier_name = $2 AND document_number = $3 AND document_date = $4 LIMIT 1",
            )
            .bind(project)
            .bind(&d.supplier_name)
            .bind(&d.number)
            .bind(d.date)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    Ok(found.is_some())
}

/// Marks the project's expenses as changed, in the writer's transaction (see `expense_cache`).
pub(super) async fn bump_revision(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE projects SET expenses_revision = expenses_revision + 1 WHERE id = $1")
        .bind(project)
        .execute(db)
        .await?;
    Ok(())
}

pub(super) async fn insert(
    conn: &mut Conn,
    project: ProjectId,
    data: &ExpenseData,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Expense, StoreError> {
    bump_revision(&mut *conn, project).await?;
    insert_row(conn, project, data, created_by, now).await
}

/// The guarded insert without marking the project's expenses changed: for a batch whose
/// transaction marks them once.
pub(super) async fn insert_row(
    conn: &mut Conn,
    project: ProjectId,
    data: &ExpenseData,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Expense, StoreError> {
    guard_document(conn, project, data, None).await?;
    insert_new_document(&mut *conn, project, data, created_by, now).await
}

/// The insert of a document the transaction has just found unrecorded ([`already_recorded`]):
/// with no other part of it, there is nothing to guard.
pub(super) async fn insert_new_document(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    data: &ExpenseData,
    created_by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Expense, StoreError> {
    let d = &data.document;
    let p = &data.payment;
    let row: ExpenseRow = sqlx::query_as(&format!(
        "INSERT INTO expenses (project_id, entity_id, category, nature, supplier_name, supplier_vat, \
         document_type, document_number, document_date, description, net_cents, vat_cents, claimed_cents, \
         vat_recoverable, cig, cup, commitment_act, liquidation_act, payment_order_number, payment_order_date, \
         payment_date, status, search_text, created_by, changed_by, version, created_at, updated_at, \
         corrects_expense_id, commitment_id) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
         $23, $24, $24, 1, $25, $25, $26, $27) \
         RETURNING {EXPENSE_COLUMNS}"
    ))
    .bind(project)
    .bind(data.entity_id)
    .bind(data.category.as_ref().map(|c| c.as_str()))
    .bind(data.nature.as_str())
    .bind(&d.supplier_name)
    .bind(d.supplier_vat.as_ref().map(|v| v.as_str()))
    .bind(d.kind.as_str())
    .bind(&d.number)
    .bind(d.date)
    .bind(&data.description)
    .bind(data.amounts.net().cents())
    .bind(data.amounts.vat().cents())
    .bind(data.amounts.claimed().cents())
    .bind(data.vat_recoverable)
    .bind(data.cig.as_ref().map(|c| c.as_str()))
    .bind(data.cup.as_ref().map(|c| c.as_str()))
    .bind(&p.commitment_act)
    .bind(&p.liquidation_act)
    .bind(&p.order_number)
    .bind(p.order_date)
    .bind(p.paid_on)
    .bind(ExpenseStatus::Draft.as_str())
    .bind(search_text(data))
    .bind(created_by)
    .bind(now)
    .bind(data.corrects)
    .bind(p.commitment_id)
    .fetch_one(db)
    .await?;
    row.into_domain()
}

/// Replaces the expense's data if its version is still `expected_version`; an edit voids a
/// verification, and one to its amounts, supplier or document makes `by` its last changer.
/// Returns the expense before and after.
pub(super) async fn update(
    conn: &mut Conn,
    id: ExpenseId,
    expected_version: i64,
    data: &ExpenseData,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(Expense, Expense), StoreError> {
    let before = locked(&mut *conn, id).await?;
    if before.version != expected_version {
        return Err(StoreError::VersionMismatch);
    }
    let project = before.project_id;
    guard_document(conn, project, data, Some(id)).await?;
    bump_revision(&mut *conn, project).await?;
    let d = &data.document;
    let p = &data.payment;
    let row: Option<ExpenseRow> = sqlx::query_as(&format!(
        "UPDATE expenses SET entity_id = $1, category = $2, nature = $3, supplier_name = $4, supplier_vat = $5, \
         document_type = $6, document_number = $7, document_date = $8, description = $9, net_cents = $10, \
         vat_cents = $11, claimed_cents = $12, vat_recoverable = $13, cig = $14, cup = $15, commitment_act = $16, \
         liquidation_act = $17, payment_order_number = $18, payment_order_date = $19, payment_date = $20, \
         search_text = $21, version = version + 1, updated_at = $22, status = $25, \
         verified_by = CASE WHEN $25 = 'verified' THEN verified_by ELSE NULL END, changed_by = $26, \
         corrects_expense_id = $27, commitment_id = $28 \
         WHERE id = $23 AND version = $24 RETURNING {EXPENSE_COLUMNS}"
    ))
    .bind(data.entity_id)
    .bind(data.category.as_ref().map(|c| c.as_str()))
    .bind(data.nature.as_str())
    .bind(&d.supplier_name)
    .bind(d.supplier_vat.as_ref().map(|v| v.as_str()))
    .bind(d.kind.as_str())
    .bind(&d.number)
    .bind(d.date)
    .bind(&data.description)
    .bind(data.amounts.net().cents())
    .bind(data.amounts.vat().cents())
    .bind(data.amounts.claimed().cents())
    .bind(data.vat_recoverable)
    .bind(data.cig.as_ref().map(|c| c.as_str()))
    .bind(data.cup.as_ref().map(|c| c.as_str()))
    .bind(&p.commitment_act)
    .bind(&p.liquidation_act)
    .bind(&p.order_number)
    .bind(p.order_date)
    .bind(p.paid_on)
    .bind(search_text(data))
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .bind(before.status.after_edit().as_str())
    .bind(if before.data.same_substance(data) {
        before.changed_by.map(|u| u.0)
    } else {
        by.map(|u| u.0)
    })
    .bind(data.corrects)
    .bind(p.commitment_id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok((before, row.into_domain()?)),
        None => Err(missing_or_stale(&mut *conn, "expenses", id.0).await),
    }
}

/// The expense as it is inside `conn`, its row locked until commit (PostgreSQL).
pub(super) async fn locked(
    db: impl Executor<'_, Database = Db>,
    id: ExpenseId,
) -> Result<Expense, StoreError> {
    let row: Option<ExpenseRow> = sqlx::query_as(&format!(
        "SELECT {EXPENSE_COLUMNS} FROM expenses WHERE id = $1{}",
        DIALECT.for_update
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.ok_or(StoreError::NotFound)?.into_domain()
}

/// Takes a workflow step (see [`ExpenseStatus::after`]); returns the expense before and after.
pub(super) async fn step(
    conn: &mut Conn,
    id: ExpenseId,
    expected_version: Option<i64>,
    step: Step,
    note: Option<&str>,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(Expense, Expense), StoreError> {
    let before = locked(&mut *conn, id).await?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(StoreError::VersionMismatch);
    }
    let next = before.status.after(step).map_err(StoreError::Refused)?;
    let verified_by = (step == Step::Verify).then_some(by).flatten();
    let reason = (step == Step::Reject).then_some(note).flatten();
    let row: ExpenseRow = sqlx::query_as(&format!(
        "UPDATE expenses SET status = $1, verified_by = $2, verified_at = CASE WHEN $2 IS NULL THEN NULL ELSE $3 END, \
         rejection_reason = $4, version = version + 1, updated_at = $3 WHERE id = $5 RETURNING {EXPENSE_COLUMNS}"
    ))
    .bind(next.as_str())
    .bind(verified_by)
    .bind(now)
    .bind(reason)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    bump_revision(&mut *conn, before.project_id).await?;
    Ok((before, row.into_domain()?))
}

/// Deletes the expense; returns it as it was.
pub(super) async fn delete(
    conn: &mut Conn,
    id: ExpenseId,
    expected_version: Option<i64>,
) -> Result<Expense, StoreError> {
    let before = locked(&mut *conn, id).await?;
    let submitted: Option<i64> = sqlx::query_scalar(
        "SELECT submission_id FROM submission_expenses WHERE expense_id = $1 ORDER BY submission_id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(submission) = submitted {
        return Err(StoreError::Submitted(submission));
    }
    let deleted: Option<i64> = sqlx::query_scalar(
        "DELETE FROM expenses WHERE id = $1 AND ($2 IS NULL OR version = $2) RETURNING project_id",
    )
    .bind(id)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await?;
    match deleted {
        Some(project) => bump_revision(&mut *conn, ProjectId(project)).await?,
        None => return Err(missing_or_stale(&mut *conn, "expenses", id.0).await),
    }
    Ok(before)
}

pub(super) async fn get(
    db: impl Executor<'_, Database = Db>,
    id: ExpenseId,
) -> Result<Option<Expense>, StoreError> {
    let row: Option<ExpenseRow> = sqlx::query_as(&format!(
        "SELECT {EXPENSE_COLUMNS} FROM expenses WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(ExpenseRow::into_domain).transpose()
}

/// Every expense of a project, in the order of their ids.
///
/// On SQLite the rows come as one JSON array built by the engine: sqlx's SQLite driver copies every
/// value of every row out of the statement and decodes it through several checks, ~10 µs a row —
/// a second for 100,000 expenses, where reading and parsing one array takes a third of that.
/// `ExpenseRow` reads the array's items by position, in the order of `EXPENSE_COLUMNS`. The rows
/// are fed to the aggregate in index order, but SQL does not promise that order (and `ORDER BY`
/// inside the aggregate costs five times as much), so they are sorted again: linear when sorted.
pub(super) async fn all(conn: &mut Conn, project: ProjectId) -> Result<Vec<Expense>, StoreError> {
    if DIALECT.name == "sqlite" {
        let json: String = sqlx::query_scalar(&format!(
            "SELECT json_group_array(json_array({EXPENSE_COLUMNS})) \
             FROM (SELECT {EXPENSE_COLUMNS} FROM expenses WHERE project_id = $1 ORDER BY id)"
        ))
        .bind(project)
        .fetch_one(&mut *conn)
        .await?;
        let mut rows: Vec<ExpenseRow> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("expenses of project {}: {e}", project.0)))?;
        drop(json);
        rows.sort_by_key(|r| r.id);
        return rows.into_iter().map(ExpenseRow::into_domain).collect();
    }
    let rows: Vec<ExpenseRow> = sqlx::query_as(&format!(
        "SELECT {EXPENSE_COLUMNS} FROM expenses WHERE project_id = $1 ORDER BY id"
    ))
    .bind(project)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(ExpenseRow::into_domain).collect()
}

/// Appends the `WHERE` of a filter; every value is bound, never spliced.
fn push_filter(q: &mut QueryBuilder<'_, Db>, project: ProjectId, filter: &ExpenseFilter) {
    q.push(" WHERE project_id = ").push_bind(project);
    if let Some(entity) = filter.entity {
        q.push(" AND entity_id = ").push_bind(entity);
    }
    if let Some(category) = &filter.category {
        q.push(" AND category = ").push_bind(category.clone());
    }
    if let Some(status) = filter.status {
        q.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(from) = filter.date_from {
        q.push(" AND document_date >= ").push_bind(from);
    }
    if let Some(to) = filter.date_to {
        q.push(" AND document_date <= ").push_bind(to);
    }
    if let Some(text) = &filter.text {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q.push(" AND search_text LIKE ")
            .push_bind(format!("%{escaped}%"))
            .push(" ESCAPE '\\'");
    }
}

pub(super) async fn list(
    conn: &mut Conn,
    project: ProjectId,
    filter: &ExpenseFilter,
    sort: Sort<ExpenseSortField>,
    page: PageRequest,
) -> Result<(Page<Expense>, ExpenseTotals), StoreError> {
    // Credit notes are stored positive and reduce every total.
    let signed_sum = |column: &str| {
        format!("CAST(COALESCE(SUM(CASE WHEN document_type = 'credit_note' THEN -{column} ELSE {column} END), 0) AS BIGINT)")
    };
    // Every row of the project is read: in their stored order (see `Dialect::project_scan`).
    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT COUNT(*) AS count, {} AS net, {} AS vat, {} AS claimed FROM expenses{}",
        signed_sum("net_cents"),
        signed_sum("vat_cents"),
        signed_sum("claimed_cents"),
        DIALECT.project_scan
    ));
    push_filter(&mut q, project, filter);
    let sums: SumsRow = q.build_query_as().fetch_one(&mut *conn).await?;

    let mut q = QueryBuilder::<Db>::new(format!("SELECT {EXPENSE_COLUMNS} FROM expenses"));
    push_filter(&mut q, project, filter);
    let direction = if sort.descending { "DESC" } else { "ASC" };
    // The column comes from a closed enum; `id` breaks ties so pages never overlap.
    q.push(format!(
        " ORDER BY {} {direction} NULLS LAST, id {direction}",
        sort_column(sort.field)
    ));
    q.push(" LIMIT ").push_bind(i64::from(page.per_page));
    q.push(" OFFSET ").push_bind(page.offset());
    let rows: Vec<ExpenseRow> = q.build_query_as().fetch_all(&mut *conn).await?;
    let items = rows
        .into_iter()
        .map(ExpenseRow::into_domain)
        .collect::<Result<_, _>>()?;
    let totals = ExpenseTotals {
        net: sums.net,
        vat: sums.vat,
        claimed: sums.claimed,
    };
    let total = sums.count;
    Ok((Page { items, total }, totals))
}

/// How many expenses match a filter, and their totals (credit notes subtracted).
#[derive(sqlx::FromRow)]
struct SumsRow {
    count: i64,
    net: Money,
    vat: Money,
    claimed: Money,
}

/// The column a sort field orders by: the only way a `sort` parameter reaches SQL.
fn sort_column(field: ExpenseSortField) -> &'static str {
    match field {
        ExpenseSortField::Id => "id",
        ExpenseSortField::DocumentDate => "document_date",
        ExpenseSortField::PaymentDate => "payment_date",
        ExpenseSortField::SupplierName => "supplier_name",
        ExpenseSortField::NetAmount => "net_cents",
        ExpenseSortField::ClaimedAmount => "claimed_cents",
        ExpenseSortField::Category => "category",
        ExpenseSortField::Status => "status",
    }
}
