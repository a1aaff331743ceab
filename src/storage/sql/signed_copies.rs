//! The signed copies of submissions and who signed each (the bytes are in the file store).

use std::collections::HashMap;

use super::rows::corrupt;
use super::{classify, Conn};
use crate::domain::attachment::Digest;
use crate::domain::signed_copy::{NewSignedCopy, SignatureFormat, SignedCopy, Signer};
use crate::domain::ProjectId;
use crate::storage::StoreError;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    project_id: ProjectId,
    submission_id: i64,
    format: String,
    size_bytes: i64,
    sha256: String,
    created_at: DateTime<Utc>,
    created_by: String,
}

#[derive(sqlx::FromRow)]
struct SignerRow {
    signed_copy_id: i64,
    name: String,
    fiscal_code: Option<String>,
}

/// Records a signed copy of a submission of `project` with its signers; `NotFound` when the
/// project has no such submission.
pub(super) async fn insert(
    conn: &mut Conn,
    project: ProjectId,
    submission: i64,
    new: &NewSignedCopy,
    now: DateTime<Utc>,
    by: &str,
) -> Result<i64, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM submissions WHERE id = $1 AND project_id = $2")
            .bind(submission)
            .bind(project)
            .fetch_optional(&mut *conn)
            .await?;
    found.ok_or(StoreError::NotFound)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO signed_copies (submission_id, format, size_bytes, sha256, created_at, \
         created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(submission)
    .bind(new.format.as_str())
    .bind(new.size)
    .bind(new.digest.as_str())
    .bind(now)
    .bind(by)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| classify(e, "questa copia firmata è già stata caricata"))?;
    for (position, signer) in new.signers.iter().enumerate() {
        sqlx::query(
            "INSERT INTO signed_copy_signers (signed_copy_id, position, name, fiscal_code) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&signer.name)
        .bind(&signer.fiscal_code)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// The project's signed copies (of one submission, or of all), oldest first, with their signers.
pub(super) async fn list(
    conn: &mut Conn,
    project: ProjectId,
    submission: Option<i64>,
) -> Result<Vec<SignedCopy>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, s.project_id, c.submission_id, c.format, c.size_bytes, c.sha256, \
         c.created_at, c.created_by FROM signed_copies c \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE s.project_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR c.submission_id = $2) ORDER BY c.id",
    )
    .bind(project)
    .bind(submission)
    .fetch_all(&mut *conn)
    .await?;
    let signers: Vec<SignerRow> = sqlx::query_as(
        "SELECT g.signed_copy_id, g.name, g.fiscal_code FROM signed_copy_signers g \
         JOIN signed_copies c ON c.id = g.signed_copy_id \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE s.project_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR c.submission_id = $2) \
         ORDER BY g.signed_copy_id, g.position",
    )
    .bind(project)
    .bind(submission)
    .fetch_all(conn)
    .await?;
    let mut by_copy: HashMap<i64, Vec<Signer>> = HashMap::new();
    for s in signers {
        by_copy.entry(s.signed_copy_id).or_default().push(Signer {
            name: s.name,
            fiscal_code: s.fiscal_code,
        });
    }
    rows.into_iter()
        .map(|row| {
            Ok(SignedCopy {
                id: row.id,
                project_id: row.project_id,
                submission_id: row.submission_id,
                format: SignatureFormat::parse(&row.format)
                    .ok_or_else(|| corrupt("signature format", &row.format))?,
                size: row.size_bytes,
                digest: Digest::parse(&row.sha256).ok_or_else(|| corrupt("sha256", &row.sha256))?,
                signers: by_copy.remove(&row.id).unwrap_or_default(),
                created_at: row.created_at,
                created_by: row.created_by,
            })
        })
        .collect()
}
