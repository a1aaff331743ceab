//! `rendiconta restore`: checks the whole archive against its manifest before touching anything,
//! goes only into an empty database and an empty file store, then verifies what it restored: the
//! audit trail's chain and every file the restored rows name, read back against its digest.

use std::io::{Read, Seek};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{copy_hashing, file_entry, read_manifest, ArchivedFile, Manifest};
use crate::domain::attachment::Digest;
use crate::services::{audit, App, ServiceError};
use crate::storage::backup::{self as engine, Engine};
use crate::storage::{self, blobs};

/// What a restore put back, verified.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub audit_entries: i64,
    pub files: usize,
    pub file_bytes: u64,
}

fn refused(code: &'static str, message: String) -> ServiceError {
    ServiceError::Unprocessable { code, message }
}

fn damaged(message: impl std::fmt::Display) -> ServiceError {
    refused(
        "archive_damaged",
        format!("archivio danneggiato: {message}"),
    )
}

/// Restores the archive at `archive` into the empty database `url` names and the empty file store
/// at `files`; refuses, changing nothing, when either holds data or the archive is not whole.
pub async fn restore(
    archive: &Path,
    url: &str,
    files: &str,
    now: DateTime<Utc>,
) -> Result<Restored, ServiceError> {
    let file = std::fs::File::open(archive)
        .map_err(|e| refused("archive_unreadable", format!("{}: {e}", archive.display())))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(damaged)?;
    let manifest = read_manifest(&mut zip).map_err(damaged)?;
    if manifest.engine != Engine::of(url) {
        return Err(refused(
            "engine_mismatch",
            format!(
                "l'archivio contiene un database {}: va ripristinato in un database {}",
                manifest.engine.label(),
                manifest.engine.label()
            ),
        ));
    }
    let work = tempfile::tempdir().map_err(|e| damaged(format!("cartella temporanea: {e}")))?;
    let copy = work.path().join(manifest.engine.file_name());
    verify_entries(&mut zip, &manifest, &copy)?;

    if engine::holds_data(url).await? {
        return Err(refused(
            "target_not_empty",
            "il database di destinazione contiene già dati: il ripristino va fatto in un \
             database vuoto (nulla è stato modificato)"
                .into(),
        ));
    }
    let blobs = blobs::open(files)?;
    if !blobs.list().await?.is_empty() {
        return Err(refused(
            "target_not_empty",
            format!(
                "l'archivio degli allegati {} contiene già dei file: il ripristino va fatto in \
                 uno vuoto (nulla è stato modificato)",
                blobs.describe()
            ),
        ));
    }
    engine::restore_database(url, &copy).await?;
    let store = storage::open(url).await?;
    let mut file_bytes = 0;
    for entry in &manifest.files {
        let bytes = read_entry(&mut zip, entry)?;
        file_bytes += bytes.len() as u64;
        blobs.put(&expected_digest(entry)?, bytes).await?;
    }
    let app = App::new(store, blobs);
    let audit_entries = verify_restored(&app, url, now).await?;
    Ok(Restored {
        files: manifest.files.len(),
        manifest,
        audit_entries,
        file_bytes,
    })
}

/// Reads every entry the manifest names, checking size and digest; extracts the database copy.
fn verify_entries<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    manifest: &Manifest,
    copy: &Path,
) -> Result<(), ServiceError> {
    {
        let mut entry = zip
            .by_name(&manifest.database.name)
            .map_err(|e| damaged(format!("{}: {e}", manifest.database.name)))?;
        let mut out = std::fs::File::create(copy).map_err(damaged)?;
        let read = copy_hashing(&mut entry, &mut out)
            .map_err(|e| damaged(format!("{}: {e}", manifest.database.name)))?;
        same(&manifest.database, &read)?;
        out.sync_all().map_err(damaged)?;
    }
    for expected in &manifest.files {
        if expected.name != file_entry(&expected_digest(expected)?) {
            return Err(damaged(format!(
                "la voce {} non corrisponde alla sua impronta",
                expected.name
            )));
        }
        let mut entry = zip
            .by_name(&expected.name)
            .map_err(|e| damaged(format!("{}: {e}", expected.name)))?;
        let read = copy_hashing(&mut entry, &mut std::io::sink())
            .map_err(|e| damaged(format!("{}: {e}", expected.name)))?;
        same(expected, &read)?;
    }
    Ok(())
}

fn same(expected: &ArchivedFile, read: &ArchivedFile) -> Result<(), ServiceError> {
    if expected.size != read.size || expected.sha256 != read.sha256 {
        return Err(damaged(format!(
            "{} non corrisponde al manifesto ({} byte, impronta {}; attesi {} byte, impronta {})",
            expected.name, read.size, read.sha256, expected.size, expected.sha256
        )));
    }
    Ok(())
}

fn expected_digest(entry: &ArchivedFile) -> Result<Digest, ServiceError> {
    Digest::parse(&entry.sha256)
        .ok_or_else(|| damaged(format!("impronta non valida per {}", entry.name)))
}

fn read_entry<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    entry: &ArchivedFile,
) -> Result<Vec<u8>, ServiceError> {
    let mut bytes = Vec::new();
    zip.by_name(&entry.name)
        .and_then(|mut e| e.read_to_end(&mut bytes).map_err(Into::into))
        .map_err(|e| damaged(format!("{}: {e}", entry.name)))?;
    if Digest::of(&bytes).as_str() != entry.sha256 {
        return Err(damaged(format!(
            "{} è cambiato durante la lettura",
            entry.name
        )));
    }
    Ok(bytes)
}

/// The restored audit chain must verify, and every file a restored row names must be there with
/// its bytes intact. The number of audit entries walked.
async fn verify_restored(app: &App, url: &str, now: DateTime<Utc>) -> Result<i64, ServiceError> {
    let chain = audit::verify(app).await?;
    if !chain.problems.is_empty() {
        let problems: Vec<String> = chain.problems.iter().map(ToString::to_string).collect();
        return Err(refused(
            "audit_broken",
            format!(
                "ripristinato, ma il registro delle modifiche non è integro: {}",
                problems.join("; ")
            ),
        ));
    }
    for digest in engine::files_in_use(url, now).await?.named {
        if app.blobs.get(&digest).await?.is_none() {
            return Err(refused(
                "file_missing",
                format!("ripristinato, ma manca il file {digest} che il database nomina"),
            ));
        }
    }
    Ok(chain.entries)
}
