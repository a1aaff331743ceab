//! Narrative sections and indicators of the final activity report.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Pool, Transaction};

use super::rows::corrupt;
use super::Db;
use crate::domain::narrative::{Indicator, NewIndicator, NewSection, Section};
use crate::domain::ProjectId;
use crate::storage::StoreError;

pub(super) async fn insert_section(
    tx: &mut Transaction<'static, Db>,
    project: ProjectId,
    new: &NewSection,
    now: DateTime<Utc>,
) -> Result<Section, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO narrative_sections (project_id, title, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(project.0)
    .bind(&new.title)
    .bind(&new.body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Section {
        id,
        title: new.title.clone(),
        body: new.body.clone(),
        created_at: now,
    })
}

pub(super) async fn sections(
    pool: &Pool<Db>,
    project: ProjectId,
) -> Result<Vec<Section>, StoreError> {
    let rows: Vec<(i64, String, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT id, title, body, created_at FROM narrative_sections WHERE project_id = $1 ORDER BY id")
            .bind(project.0)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, body, created_at)| Section {
            id,
            title,
            body,
            created_at,
        })
        .collect())
}

pub(super) async fn insert_indicator(
    tx: &mut Transaction<'static, Db>,
    project: ProjectId,
    new: &NewIndicator,
    now: DateTime<Utc>,
) -> Result<Indicator, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO indicators (project_id, name, value, unit, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(project.0)
    .bind(&new.name)
    .bind(new.value.to_string())
    .bind(&new.unit)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Indicator {
        id,
        name: new.name.clone(),
        value: new.value,
        unit: new.unit.clone(),
        created_at: now,
    })
}

type IndicatorRow = (i64, String, String, Option<String>, DateTime<Utc>);

pub(super) async fn indicators(
    pool: &Pool<Db>,
    project: ProjectId,
) -> Result<Vec<Indicator>, StoreError> {
    let rows: Vec<IndicatorRow> =
        sqlx::query_as("SELECT id, name, value, unit, created_at FROM indicators WHERE project_id = $1 ORDER BY id")
            .bind(project.0)
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(id, name, value, unit, created_at)| {
            let value = Decimal::from_str(&value).map_err(|_| corrupt("indicator", &value))?;
            Ok(Indicator {
                id,
                name,
                value,
                unit,
                created_at,
            })
        })
        .collect()
}
