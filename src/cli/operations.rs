//! `backup`, `restore` and `gc`: what an operator runs around the service, while it runs.

use std::path::PathBuf;

use super::{DatabaseArg, Outcome};
use crate::services::{backup, gc, ServiceError};

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The archive to write (a zip: the database's copy, the files, a manifest of digests).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// An archive written by `rendiconta backup`.
    archive: PathBuf,
    #[command(flatten)]
    db: DatabaseArg,
}

#[derive(clap::Args)]
pub struct GcArgs {
    /// Lists the files that would be removed, removing none.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    db: DatabaseArg,
}

fn said(e: ServiceError) -> String {
    match e {
        ServiceError::Unprocessable { message, .. } => message,
        ServiceError::Store(e) => e.to_string(),
        other => super::describe(other, ""),
    }
}

pub async fn backup(args: BackupArgs) -> Result<Outcome, String> {
    let files = args.db.files();
    let blobs = super::files_at(&files)?;
    let done = backup::backup(&args.db.database_url, &blobs, &args.out, chrono::Utc::now())
        .await
        .map_err(said)?;
    let m = &done.manifest;
    println!(
        "{} scritto ({} byte): database {} (migrazione {:04}), {} allegati, impronta del \
         database {}",
        done.out.display(),
        done.bytes,
        m.engine.label(),
        m.schema_version,
        m.files.len(),
        m.database.sha256
    );
    Ok(Outcome::Ok)
}

pub async fn restore(args: RestoreArgs) -> Result<Outcome, String> {
    let files = args.db.files();
    let done = backup::restore(
        &args.archive,
        &args.db.database_url,
        &files,
        chrono::Utc::now(),
    )
    .await
    .map_err(said)?;
    let m = &done.manifest;
    println!(
        "ripristinato da {} (backup del {}): database {} alla migrazione {:04}, {} allegati \
         ({} byte) in {files}; registro delle modifiche integro ({} voci), ogni allegato \
         verificato con la sua impronta",
        args.archive.display(),
        rome_time(m.created_at),
        m.engine.label(),
        m.schema_version,
        done.files,
        done.file_bytes,
        done.audit_entries
    );
    Ok(Outcome::Ok)
}

pub async fn gc(args: GcArgs) -> Result<Outcome, String> {
    let files = args.db.files();
    let blobs = super::files_at(&files)?;
    let now = chrono::Utc::now();
    let done = gc::collect(&args.db.database_url, &blobs, now, args.dry_run)
        .await
        .map_err(said)?;
    if let Some(since) = done.backup_since {
        println!(
            "un backup è in corso dal {}: nessun file rimosso, riprovare quando è finito",
            rome_time(since)
        );
        return Ok(Outcome::Attention);
    }
    let verb = if args.dry_run {
        "da rimuovere"
    } else {
        "rimosso"
    };
    for f in &done.orphans {
        println!(
            "{verb} {} ({} byte, scritto il {})",
            f.digest,
            f.size,
            rome_time(f.modified)
        );
    }
    println!(
        "{} file senza riferimenti {} ({} byte); {} in uso; {} recenti (meno di un'ora) lasciati",
        done.orphans.len(),
        if args.dry_run {
            "da rimuovere"
        } else {
            "rimossi"
        },
        done.orphan_bytes(),
        done.in_use,
        done.too_young
    );
    Ok(Outcome::Ok)
}

/// A moment as the operator reads it: Italian time, `31/01/2021 10:15`.
fn rome_time(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&chrono_tz::Europe::Rome);
    format!(
        "{} {}",
        crate::domain::text::italian_date(local.date_naive()),
        local.format("%H:%M")
    )
}
