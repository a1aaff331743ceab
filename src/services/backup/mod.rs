//! `rendiconta backup` and `restore`: one zip archive holding a consistent copy of the database,
//! every file its rows name, and a manifest of their SHA-256 digests. Zip, rather than tar, so that
//! a restore reads the manifest first (the central directory) and catches a damaged entry twice
//! over (the entry's CRC-32, then the manifest's digest) before it touches the target.

mod restore;

pub use restore::{restore, Restored};

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tracing::Instrument as _;
use zip::write::SimpleFileOptions;

use super::ServiceError;
use crate::domain::attachment::Digest;
use crate::storage::backup::{self as engine, Engine};
use crate::storage::blobs::DynBlobs;
use crate::storage::StoreError;

/// What the archive says of itself; a restore trusts nothing it has not checked against this.
const FORMAT: &str = "rendiconta-backup/1";
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub created_at: DateTime<Utc>,
    /// The version of rendiconta that wrote it.
    pub rendiconta: String,
    pub engine: Engine,
    /// The last migration the copied database had.
    pub schema_version: i64,
    pub database: ArchivedFile,
    pub files: Vec<ArchivedFile>,
}

/// An entry of the archive: its name, its size and the SHA-256 of its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// What a backup wrote.
#[derive(Debug)]
pub struct BackedUp {
    pub out: PathBuf,
    pub manifest: Manifest,
    pub bytes: u64,
}

/// The name of an attachment's bytes inside an archive.
fn file_entry(digest: &Digest) -> String {
    format!("allegati/{}/{}", &digest.as_str()[..2], digest.as_str())
}

fn archive_error(out: &Path, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(StoreError::Backup(format!("{}: {e}", out.display())))
}

/// Writes an archive of the database `url` names and of the files its rows name, read from
/// `blobs`, while the service may be running. The archive is written beside `out` and renamed
/// when whole; a backup that fails leaves nothing under `out`.
pub async fn backup(
    url: &str,
    blobs: &DynBlobs,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<BackedUp, ServiceError> {
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::tempdir_in(&dir).map_err(|e| archive_error(&dir, e))?;
    // While the lease is held, `gc` removes nothing: the snapshot may name a file whose row is
    // deleted before the file is copied.
    let lease = engine::lease(url, now).await?;
    let written = write_archive(url, blobs, out, work.path(), now)
        .instrument(tracing::info_span!("backup"))
        .await;
    let released = engine::release(url, lease).await;
    let backed_up = written?;
    released?;
    Ok(backed_up)
}

async fn write_archive(
    url: &str,
    blobs: &DynBlobs,
    out: &Path,
    work: &Path,
    now: DateTime<Utc>,
) -> Result<BackedUp, ServiceError> {
    let engine = Engine::of(url);
    let copy_path = work.join(engine.file_name());
    let copy = engine::copy_database(url, &copy_path).await?;
    tracing::info!(files = copy.files.len(), "copia del database pronta");

    let mut partial = out.as_os_str().to_owned();
    partial.push(".parziale");
    let partial = PathBuf::from(partial);
    let file = std::fs::File::create(&partial).map_err(|e| archive_error(&partial, e))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let stamp = zip_time(now);
    let deflated = SimpleFileOptions::default()
        .last_modified_time(stamp)
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    // Attachments are PDFs and signed files, already compressed: stored as they are.
    let stored = SimpleFileOptions::default()
        .last_modified_time(stamp)
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);

    let zip_error = |e: zip::result::ZipError| archive_error(out, e);
    let io_error = |e: std::io::Error| archive_error(out, e);
    zip.start_file(engine.file_name(), deflated)
        .map_err(zip_error)?;
    let database = copy_hashing(
        &mut std::fs::File::open(&copy_path).map_err(io_error)?,
        &mut zip,
    )
    .map_err(io_error)?;
    let database = ArchivedFile {
        name: engine.file_name().into(),
        ..database
    };
    let mut files = Vec::with_capacity(copy.files.len());
    for digest in &copy.files {
        let bytes = blobs.get(digest).await?.ok_or_else(|| {
            ServiceError::Store(StoreError::Backup(format!(
                "il file {digest}, che il database nomina, manca nell'archivio degli allegati \
                 ({}): il backup non sarebbe completo",
                blobs.describe()
            )))
        })?;
        let name = file_entry(digest);
        zip.start_file(name.as_str(), stored).map_err(zip_error)?;
        zip.write_all(&bytes).map_err(io_error)?;
        files.push(ArchivedFile {
            name,
            size: bytes.len() as u64,
            sha256: digest.as_str().to_owned(),
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: now,
        rendiconta: env!("CARGO_PKG_VERSION").into(),
        engine,
        schema_version: copy.schema_version,
        database,
        files,
    };
    zip.start_file(MANIFEST, deflated).map_err(zip_error)?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(|e| archive_error(out, e))?;
    let writer = zip.finish().map_err(zip_error)?;
    let file = writer.into_inner().map_err(|e| io_error(e.into_error()))?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    std::fs::rename(&partial, out).map_err(io_error)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error)?;
    }
    let bytes = std::fs::metadata(out).map_err(io_error)?.len();
    Ok(BackedUp {
        out: out.to_path_buf(),
        manifest,
        bytes,
    })
}

/// The entries' time: the backup's, in Italian time (zip has no time zone).
fn zip_time(now: DateTime<Utc>) -> zip::DateTime {
    use chrono::{Datelike as _, Timelike as _};
    let local = now.with_timezone(&chrono_tz::Europe::Rome);
    let part = |n: u32| u8::try_from(n).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(local.year()).unwrap_or(1980),
        part(local.month()),
        part(local.day()),
        part(local.hour()),
        part(local.minute()),
        part(local.second()),
    )
    .unwrap_or_default()
}

/// Copies `from` into `to`, returning the size and SHA-256 of what went through.
fn copy_hashing(from: &mut impl Read, to: &mut impl Write) -> std::io::Result<ArchivedFile> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        to.write_all(&buffer[..n])?;
        size += n as u64;
    }
    Ok(ArchivedFile {
        name: String::new(),
        size,
        sha256: hex(&hasher.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the manifest of an archive, checking its format.
fn read_manifest<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<Manifest, String> {
    let entry = zip
        .by_name(MANIFEST)
        .map_err(|_| format!("manca {MANIFEST}: non è un archivio di rendiconta"))?;
    let manifest: Manifest =
        serde_json::from_reader(entry).map_err(|e| format!("{MANIFEST} illeggibile ({e})"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "formato «{}» non riconosciuto (questa versione legge {FORMAT})",
            manifest.format
        ));
    }
    Ok(manifest)
}
