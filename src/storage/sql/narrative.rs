//! Narrative sections and indicators of the final activity report.

use std::str::FromStr;

use sqlx::Executor;

use super::{Conn, Db};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::rows::corrupt;
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;
use crate::storage::StoreError;

const SECTION_COLUMNS: &str = "id, title, body, created_at, version, position";
const INDICATOR_COLUMNS: &str = "id, name, value, unit, created_at, version, target";

#[derive(sqlx::FromRow)]
struct SectionRow {
    id: i64,
    title: String,
    body: String,
    created_at: DateTime<Utc>,
    version: i64,
    position: i64,
}

/// An indicator's figures are stored as decimal text (exact, any scale).
#[derive(sqlx::FromRow)]
struct IndicatorRow {
    id: i64,
    name: String,
    value: String,
    unit: Option<String>,
    created_at: DateTime<Utc>,
    version: i64,
    target: Option<String>,
}

fn section_of(row: SectionRow) -> Section {
    Section {
        id: row.id,
        title: row.title,
        body: row.body,
        created_at: row.created_at,
        version: row.version,
        position: row.position,
    }
}

/// How many sections the project has.
async fn section_count(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<i64, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM narrative_sections WHERE project_id = $1")
            .bind(project)
            .fetch_one(db)
            .await?;
    Ok(n)
}

/// The place asked for, within 1..=last (beyond the last is last).
fn place(asked: u32, last: i64) -> i64 {
    i64::from(asked).clamp(1, last.max(1))
}

fn indicator_of(row: IndicatorRow) -> Result<Indicator, StoreError> {
    let value = Decimal::from_str(&row.value).map_err(|_| corrupt("indicator", &row.value))?;
    let target = row
        .target
        .map(|t| Decimal::from_str(&t).map_err(|_| corrupt("indicator target", &t)))
        .transpose()?;
    Ok(Indicator {
        id: row.id,
        name: row.name,
        value,
        target,
        unit: row.unit,
        created_at: row.created_at,
        version: row.version,
    })
}

pub(super) async fn insert_section(
    conn: &mut Conn,
    project: ProjectId,
    new: &NewSection,
    now: DateTime<Utc>,
) -> Result<Section, StoreError> {
    let last = section_count(&mut *conn, project).await? + 1;
    let position = new.position.map_or(last, |asked| place(asked, last));
    sqlx::query(
        "UPDATE narrative_sections SET position = position + 1 WHERE project_id = $1 AND position >= $2",
    )
    .bind(project)
    .bind(position)
    .execute(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO narrative_sections (project_id, title, body, created_at, position) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(project)
    .bind(&new.title)
    .bind(&new.body)
    .bind(now)
    .bind(position)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Section {
        id,
        title: new.title.clone(),
        body: new.body.clone(),
        created_at: now,
        version: 1,
        position,
    })
}

pub(super) async fn sections(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Section>, StoreError> {
    let rows: Vec<SectionRow> = sqlx::query_as(&format!(
        "SELECT {SECTION_COLUMNS} FROM narrative_sections WHERE project_id = $1 ORDER BY position, id"
    ))
    .bind(project)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(section_of).collect())
}

pub(super) async fn insert_indicator(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    new: &NewIndicator,
    now: DateTime<Utc>,
) -> Result<Indicator, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO indicators (project_id, name, value, unit, created_at, target) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project)
    .bind(&new.name)
    .bind(new.value.to_string())
    .bind(&new.unit)
    .bind(now)
    .bind(new.target.map(|t| t.to_string()))
    .fetch_one(db)
    .await?;
    Ok(Indicator {
        id,
        name: new.name.clone(),
        value: new.value,
        target: new.target,
        unit: new.unit.clone(),
        created_at: now,
        version: 1,
    })
}

pub(super) async fn indicators(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
) -> Result<Vec<Indicator>, StoreError> {
    let rows: Vec<IndicatorRow> = sqlx::query_as(&format!(
        "SELECT {INDICATOR_COLUMNS} FROM indicators WHERE project_id = $1 ORDER BY id"
    ))
    .bind(project)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(indicator_of).collect()
}

/// The version a change was made against must still be the stored one.
fn check_version(stored: i64, expected: Option<i64>) -> Result<(), StoreError> {
    match expected {
        Some(v) if v != stored => Err(StoreError::VersionMismatch),
        _ => Ok(()),
    }
}

/// Replaces a section's title and text, and moves it when asked, if it is still at
/// `expected_version`; returns it before and after (`NotFound` when it is not the project's).
pub(super) async fn update_section(
    conn: &mut Conn,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    new: &NewSection,
) -> Result<(Section, Section), StoreError> {
    let before = section_in(&mut *conn, project, id).await?;
    check_version(before.version, Some(expected_version))?;
    let from = before.position;
    let to = match new.position {
        Some(asked) => place(asked, section_count(&mut *conn, project).await?),
        None => from,
    };
    if to != from {
        // The sections between the old place and the new one shift by one towards the old place.
        let (shift, low, high) = if to < from {
            (1, to, from - 1)
        } else {
            (-1, from + 1, to)
        };
        sqlx::query(
            "UPDATE narrative_sections SET position = position + $1 \
             WHERE project_id = $2 AND position >= $3 AND position <= $4",
        )
        .bind(shift)
        .bind(project)
        .bind(low)
        .bind(high)
        .execute(&mut *conn)
        .await?;
    }
    let done = sqlx::query(
        "UPDATE narrative_sections SET title = $1, body = $2, position = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(&new.title)
    .bind(&new.body)
    .bind(to)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionMismatch);
    }
    let after = Section {
        title: new.title.clone(),
        body: new.body.clone(),
        version: before.version + 1,
        position: to,
        ..before.clone()
    };
    Ok((before, after))
}

/// Removes a section (if still at `expected_version`, when given); returns what it was.
pub(super) async fn delete_section(
    conn: &mut Conn,
    project: ProjectId,
    id: i64,
    expected_version: Option<i64>,
) -> Result<Section, StoreError> {
    let before = section_in(&mut *conn, project, id).await?;
    check_version(before.version, expected_version)?;
    sqlx::query("DELETE FROM narrative_sections WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE narrative_sections SET position = position - 1 WHERE project_id = $1 AND position > $2",
    )
    .bind(project)
    .bind(before.position)
    .execute(&mut *conn)
    .await?;
    Ok(before)
}

async fn section_in(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    id: i64,
) -> Result<Section, StoreError> {
    let row: SectionRow = sqlx::query_as(&format!(
        "SELECT {SECTION_COLUMNS} FROM narrative_sections WHERE id = $1 AND project_id = $2"
    ))
    .bind(id)
    .bind(project)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(section_of(row))
}

/// Replaces an indicator's name, value and unit if it is still at `expected_version`; returns it
/// before and after.
pub(super) async fn update_indicator(
    conn: &mut Conn,
    project: ProjectId,
    id: i64,
    expected_version: i64,
    new: &NewIndicator,
) -> Result<(Indicator, Indicator), StoreError> {
    let before = indicator_in(&mut *conn, project, id).await?;
    check_version(before.version, Some(expected_version))?;
    let done = sqlx::query(
        "UPDATE indicators SET name = $1, value = $2, unit = $3, target = $6, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(&new.name)
    .bind(new.value.to_string())
    .bind(&new.unit)
    .bind(id)
    .bind(expected_version)
    .bind(new.target.map(|t| t.to_string()))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionMismatch);
    }
    let after = Indicator {
        name: new.name.clone(),
        value: new.value,
        target: new.target,
        unit: new.unit.clone(),
        version: before.version + 1,
        ..before.clone()
    };
    Ok((before, after))
}

/// Removes an indicator (if still at `expected_version`, when given); returns what it was.
pub(super) async fn delete_indicator(
    conn: &mut Conn,
    project: ProjectId,
    id: i64,
    expected_version: Option<i64>,
) -> Result<Indicator, StoreError> {
    let before = indicator_in(&mut *conn, project, id).await?;
    check_version(before.version, expected_version)?;
    sqlx::query("DELETE FROM indicators WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}

async fn indicator_in(
    db: impl Executor<'_, Database = Db>,
    project: ProjectId,
    id: i64,
) -> Result<Indicator, StoreError> {
    let row: IndicatorRow = sqlx::query_as(&format!(
        "SELECT {INDICATOR_COLUMNS} FROM indicators WHERE id = $1 AND project_id = $2"
    ))
    .bind(id)
    .bind(project)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound)?;
    indicator_of(row)
}
