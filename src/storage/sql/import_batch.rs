//! A batch of imported files in one writing transaction, each file all or nothing: the
//! revision mark and the audit chain's head once per batch, the audit entries written together,
//! a savepoint only for files of several documents, and each document checked again inside the
//! transaction so that concurrent imports record it once.

use super::Conn;

use super::{audit, chain_created, expenses};
use crate::domain::{Expense, ProjectId};
use crate::storage::{Change, ExpenseFile, StoreError};

/// Writes the files in `conn` (the caller commits); one outcome per file, in order. `Err` only when
/// the transaction itself failed.
pub(super) async fn insert_files(
    conn: &mut Conn,
    project: ProjectId,
    files: &[ExpenseFile],
    change: &Change,
) -> Result<Vec<Result<Vec<Expense>, StoreError>>, StoreError> {
    // Once for the batch: the revision mark and the audit chain's head (written at the end).
    expenses::bump_revision(&mut *conn, project).await?;
    let mut chain = audit::Chain::head(conn).await?;
    let by = change.actor.user_id();
    let mut outcomes = Vec::with_capacity(files.len());
    for file in files {
        // A file of one document needs no savepoint: checked first, then written whole or
        // failing the transaction. Several documents may stop half-way: a savepoint each.
        let several = file.expenses.len() > 1;
        if several {
            sqlx::query("SAVEPOINT import_file")
                .execute(&mut *conn)
                .await?;
        }
        let mark = chain.mark();
        let mut written: Result<Vec<Expense>, StoreError> = Ok(Vec::new());
        for data in &file.expenses {
            let step = async {
                // Checked again here, inside the one write transaction, so that two imports
                // of the same document at once cannot both record it.
                if expenses::already_recorded(conn, project, data).await? {
                    return Err(StoreError::Duplicate("documento già registrato".into()));
                }
                // Not recorded: no other part of it to guard against, unless this very file
                // carries it twice.
                let expense = if several {
                    expenses::insert_row(conn, project, data, by, change.now).await?
                } else {
                    expenses::insert_new_document(&mut *conn, project, data, by, change.now).await?
                };
                chain_created(
                    conn,
                    &mut chain,
                    project,
                    &expense,
                    file.evidence.as_ref(),
                    change,
                )
                .await?;
                Ok::<_, StoreError>(expense)
            }
            .await;
            match (step, &mut written) {
                (Ok(expense), Ok(created)) => created.push(expense),
                (Err(e), _) => {
                    written = Err(e);
                    break;
                }
                (Ok(_), Err(_)) => break,
            }
        }
        match written {
            Ok(created) => {
                if several {
                    sqlx::query("RELEASE SAVEPOINT import_file")
                        .execute(&mut *conn)
                        .await?;
                }
                outcomes.push(Ok(created));
            }
            // A rule broken by this file: undo only its rows. A database failure ends all.
            Err(
                e @ (StoreError::DocumentOverclaimed { .. }
                | StoreError::DocumentTotalMismatch { .. }
                | StoreError::Duplicate(_)),
            ) => {
                if several {
                    sqlx::query("ROLLBACK TO SAVEPOINT import_file")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("RELEASE SAVEPOINT import_file")
                        .execute(&mut *conn)
                        .await?;
                }
                chain.reset(mark);
                outcomes.push(Err(e));
            }
            Err(other) => return Err(other),
        }
    }
    chain.save(conn).await?;
    Ok(outcomes)
}
