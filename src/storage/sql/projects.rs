//! Projects, their budget lines, the history of their dates, and their entities.

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, NaiveDate, Utc};

use super::rows::{category_code, codice_fiscale, corrupt, cup, pec, tax_id};
use super::{classify, DIALECT};
use crate::domain::{
    BudgetLine, CallId, DateChange, Entity, EntityId, GrantAct, Money, NewEntity, Project,
    ProjectData, ProjectDate, ProjectId, Signatory, UserId,
};
use crate::storage::{Page, PageRequest, StoreError};

async fn insert_budget(conn: &mut Conn, id: i64, data: &ProjectData) -> Result<(), StoreError> {
    for (position, line) in data.budget.iter().enumerate() {
        sqlx::query(
            "INSERT INTO budget_lines (project_id, position, category_code, amount_cents) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(line.category.as_str())
        .bind(line.amount)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The settings the documents print: who signs, and the act that granted the contribution.
async fn set_signatory(
    db: impl Executor<'_, Database = Db>,
    id: i64,
    data: &ProjectData,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE projects SET signatory_name = $1, signatory_role = $2, signatory_place = $3, \
         signatory_tax_code = $4, grant_act_number = $5, grant_act_date = $6 WHERE id = $7",
    )
    .bind(&data.signatory.name)
    .bind(&data.signatory.role)
    .bind(&data.signatory.place)
    .bind(data.signatory.tax_code.as_ref().map(|c| c.as_str()))
    .bind(data.grant_act.as_ref().map(|a| a.number.as_str()))
    .bind(data.grant_act.as_ref().map(|a| a.date))
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn insert(
    conn: &mut Conn,
    data: &ProjectData,
    now: DateTime<Utc>,
) -> Result<ProjectId, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (call_id, title, cup, lead_entity, granted_contribution_cents, start_date, \
         end_date, version, created_at, updated_at, payment_deadline, reporting_deadline) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9, $10) RETURNING id",
    )
    .bind(data.call_id)
    .bind(&data.title)
    .bind(data.cup.as_ref().map(|c| c.as_str()))
    .bind(&data.lead_entity)
    .bind(data.granted_contribution)
    .bind(data.start_date)
    .bind(data.end_date)
    .bind(now)
    .bind(data.payment_deadline)
    .bind(data.reporting_deadline)
    .fetch_one(&mut *conn)
    .await?;
    insert_budget(conn, id, data).await?;
    set_signatory(&mut *conn, id, data).await?;
    Ok(ProjectId(id))
}

pub(super) async fn update(
    conn: &mut Conn,
    id: ProjectId,
    expected_version: i64,
    data: &ProjectData,
    date_changes: &[DateChange],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE projects SET title = $1, cup = $2, lead_entity = $3, granted_contribution_cents = $4, \
         start_date = $5, end_date = $6, version = version + 1, updated_at = $7, payment_deadline = $10, \
         reporting_deadline = $11 WHERE id = $8 AND version = $9",
    )
    .bind(&data.title)
    .bind(data.cup.as_ref().map(|c| c.as_str()))
    .bind(&data.lead_entity)
    .bind(data.granted_contribution)
    .bind(data.start_date)
    .bind(data.end_date)
    .bind(now)
    .bind(id)
    .bind(expected_version)
    .bind(data.payment_deadline)
    .bind(data.reporting_deadline)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(missing_or_stale(&mut *conn, "projects", id.0).await);
    }
    sqlx::query("DELETE FROM budget_lines WHERE project_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_budget(conn, id.0, data).await?;
    set_signatory(&mut *conn, id.0, data).await?;
    for change in date_changes {
        sqlx::query(
            "INSERT INTO project_date_changes (project_id, field, from_date, to_date, act, act_date, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(change.field.as_str())
        .bind(change.from)
        .bind(change.to)
        .bind(&change.act)
        .bind(change.act_date)
        .bind(change.recorded_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After a guarded `UPDATE`/`DELETE` touched no row: tells a missing row from a stale version.
pub(super) async fn missing_or_stale(
    db: impl Executor<'_, Database = Db>,
    table: &str,
    id: i64,
) -> StoreError {
    let found = sqlx::query(&format!(
        "SELECT id FROM {table} WHERE id = $1{}",
        DIALECT.for_update
    ))
    .bind(id)
    .fetch_optional(db)
    .await;
    match found {
        Ok(Some(_)) => StoreError::VersionMismatch,
        Ok(None) => StoreError::NotFound,
        Err(e) => StoreError::Database(e),
    }
}

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: ProjectId,
    call_id: CallId,
    title: String,
    cup: Option<String>,
    lead_entity: String,
    granted_contribution_cents: Money,
    start_date: NaiveDate,
    end_date: NaiveDate,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    signatory_tax_code: Option<String>,
    grant_act_number: Option<String>,
    grant_act_date: Option<NaiveDate>,
    payment_deadline: Option<NaiveDate>,
    reporting_deadline: Option<NaiveDate>,
}

const PROJECT_COLUMNS: &str = "id, call_id, title, cup, lead_entity, granted_contribution_cents, \
    start_date, end_date, version, created_at, updated_at, signatory_name, signatory_role, \
    signatory_place, signatory_tax_code, grant_act_number, grant_act_date, payment_deadline, \
    reporting_deadline";

#[derive(sqlx::FromRow)]
struct BudgetRow {
    category_code: String,
    amount_cents: Money,
}

#[derive(sqlx::FromRow)]
struct DateChangeRow {
    field: String,
    from_date: Option<NaiveDate>,
    to_date: NaiveDate,
    act: String,
    act_date: NaiveDate,
    recorded_at: DateTime<Utc>,
}

async fn assemble(conn: &mut Conn, row: ProjectRow) -> Result<Project, StoreError> {
    let lines: Vec<BudgetRow> = sqlx::query_as(
        "SELECT category_code, amount_cents FROM budget_lines WHERE project_id = $1 ORDER BY position",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    let history: Vec<DateChangeRow> = sqlx::query_as(
        "SELECT field, from_date, to_date, act, act_date, recorded_at FROM project_date_changes \
         WHERE project_id = $1 ORDER BY id",
    )
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    let extensions = super::funding::extensions(&mut *conn, row.id).await?;
    Ok(Project {
        id: row.id,
        extensions,
        data: ProjectData {
            call_id: row.call_id,
            title: row.title,
            cup: cup(row.cup)?,
            lead_entity: row.lead_entity,
            granted_contribution: row.granted_contribution_cents,
            start_date: row.start_date,
            end_date: row.end_date,
            payment_deadline: row.payment_deadline,
            reporting_deadline: row.reporting_deadline,
            budget: lines
                .into_iter()
                .map(|line| {
                    Ok(BudgetLine {
                        category: category_code(&line.category_code)?,
                        amount: line.amount_cents,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            signatory: Signatory {
                name: row.signatory_name,
                role: row.signatory_role,
                place: row.signatory_place,
                tax_code: codice_fiscale(row.signatory_tax_code)?,
            },
            grant_act: match (row.grant_act_number, row.grant_act_date) {
                (Some(number), Some(date)) => Some(GrantAct { number, date }),
                _ => None,
            },
        },
        date_history: history
            .into_iter()
            .map(|change| {
                Ok(DateChange {
                    field: ProjectDate::parse(&change.field)
                        .ok_or_else(|| corrupt("date field", &change.field))?,
                    from: change.from_date,
                    to: change.to_date,
                    act: change.act,
                    act_date: change.act_date,
                    recorded_at: change.recorded_at,
                })
            })
            .collect::<Result<_, StoreError>>()?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) async fn get(conn: &mut Conn, id: ProjectId) -> Result<Option<Project>, StoreError> {
    let row: Option<ProjectRow> = sqlx::query_as(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(assemble(conn, row).await?)),
        None => Ok(None),
    }
}

/// A page of the projects `visible_to` a user (those they have a role on), or of all.
pub(super) async fn list(
    conn: &mut Conn,
    page: PageRequest,
    visible_to: Option<UserId>,
) -> Result<Page<Project>, StoreError> {
    const VISIBLE: &str =
        "($1 IS NULL OR id IN (SELECT project_id FROM memberships WHERE user_id = $1))";
    let user = visible_to.map(|u| u.0);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM projects WHERE {VISIBLE}"))
        .bind(user)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<ProjectRow> = sqlx::query_as(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE {VISIBLE} ORDER BY id LIMIT $2 OFFSET $3"
    ))
    .bind(user)
    .bind(i64::from(page.per_page))
    .bind(page.offset())
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(assemble(conn, row).await?);
    }
    Ok(Page { items, total })
}

#[derive(sqlx::FromRow)]
struct EntityRow {
    id: EntityId,
    project_id: ProjectId,
    name: String,
    tax_code: Option<String>,
    address: Option<String>,
    pec: Option<String>,
    created_at: DateTime<Utc>,
    version: i64,
}

const ENTITY_COLUMNS: &str = "id, project_id, name, tax_code, address, pec, created_at, version";

fn entity(row: EntityRow) -> Result<Entity, StoreError> {
    Ok(Entity {
        id: row.id,
        project_id: row.project_id,
        name: row.name,
        tax_code: tax_id(row.tax_code)?,
        address: row.address,
        pec: pec(row.pec)?,
        created_at: row.created_at,
        version: row.version,
    })
}

/// Replaces an entity's particulars if its version is still `expected_version`; the entity
/// before and after.
pub(super) async fn update_entity(
    conn: &mut Conn,
    project: ProjectId,
    id: EntityId,
    expected_version: i64,
    new: &NewEntity,
) -> Result<(Entity, Entity), StoreError> {
    let before = get_entity(&mut *conn, id)
        .await?
        .filter(|e| e.project_id == project)
        .ok_or(StoreError::NotFound)?;
    let row: Option<EntityRow> = sqlx::query_as(&format!(
        "UPDATE entities SET name = $1, tax_code = $2, address = $3, pec = $4, \
         version = version + 1 WHERE id = $5 AND project_id = $6 AND version = $7 \
         RETURNING {ENTITY_COLUMNS}"
    ))
    .bind(&new.name)
    .bind(new.tax_code.as_ref().map(|t| t.as_str()))
    .bind(&new.address)
    .bind(new.pec.as_ref().map(|p| p.as_str()))
    .bind(id)
    .bind(project)
    .bind(expected_version)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| classify(e, "name"))?;
    let after = row.ok_or(StoreError::VersionMismatch)?;
    Ok((before, entity(after)?))
}

pub(super) async fn insert_entity(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    new: &NewEntity,
    now: DateTime<Utc>,
) -> Result<Entity, StoreError> {
    let row: EntityRow = sqlx::query_as(&format!(
        "INSERT INTO entities (project_id, name, tax_code, address, pec, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENTITY_COLUMNS}"
    ))
    .bind(project)
    .bind(&new.name)
    .bind(new.tax_code.as_ref().map(|t| t.as_str()))
    .bind(&new.address)
    .bind(new.pec.as_ref().map(|p| p.as_str()))
    .bind(now)
    .fetch_one(db)
    .await
    .map_err(|e| classify(e, "entity name"))?;
    entity(row)
}

pub(super) async fn get_entity(
    db: impl Executor<'_, Database = Db>,
    id: EntityId,
) -> Result<Option<Entity>, StoreError> {
    let row: Option<EntityRow> = sqlx::query_as(&format!(
        "SELECT {ENTITY_COLUMNS} FROM entities WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.map(entity).transpose()
}

pub(super) async fn list_entities(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Entity>, StoreError> {
    let rows: Vec<EntityRow> = sqlx::query_as(&format!(
        "SELECT {ENTITY_COLUMNS} FROM entities WHERE project_id = $1 ORDER BY id"
    ))
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(entity).collect()
}
