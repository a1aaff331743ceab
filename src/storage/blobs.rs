//! Where the bytes of attachments live, addressed by their SHA-256: a local directory (the
//! default) or an S3-compatible object store for installations with several instances. The
//! database holds what a file is and whose it is; this holds the bytes, each stored once.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use object_store::{path::Path as ObjectPath, ObjectStore, PutPayload};

use super::StoreError;
use crate::domain::attachment::Digest;

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Where the files are, for logs (no credentials).
    fn describe(&self) -> String;
    /// Stores the bytes under their digest; storing the same bytes again changes nothing.
    async fn put(&self, digest: &Digest, bytes: Vec<u8>) -> Result<(), StoreError>;
    /// The bytes, checked against their digest, or `None` if they were never stored.
    async fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError>;
    /// Whether the bytes are stored, without reading them (`get` checks them).
    async fn contains(&self, digest: &Digest) -> Result<bool, StoreError>;
    /// Every file stored, with its size and when it was written (for `gc` and `restore`).
    async fn list(&self) -> Result<Vec<StoredFile>, StoreError>;
    /// Removes a file (`gc`, for files no row names); removing one already gone is no error.
    async fn delete(&self, digest: &Digest) -> Result<(), StoreError>;
    /// Stores many files (an import's batch); all are durable when it returns.
    async fn put_many(&self, files: Vec<(Digest, Vec<u8>)>) -> Result<(), StoreError> {
        for (digest, bytes) in files {
            self.put(&digest, bytes).await?;
        }
        Ok(())
    }
}

pub type DynBlobs = Arc<dyn BlobStore>;

/// A file in the store, as listing it shows.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub digest: Digest,
    pub size: u64,
    pub modified: chrono::DateTime<chrono::Utc>,
}

fn checked(digest: &Digest, bytes: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    if Digest::of(&bytes) == *digest {
        Ok(bytes)
    } else {
        Err(StoreError::Corrupt(format!(
            "il file {digest} non corrisponde più alla sua impronta"
        )))
    }
}

fn files_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Files(e.to_string())
}

/// Opens the store a location names: `s3://BUCKET[/PREFIX]` (endpoint and credentials from the
/// usual `AWS_*` variables) or a directory (created if missing).
pub fn open(location: &str) -> Result<DynBlobs, StoreError> {
    if location.starts_with("s3://") {
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_url(location)
            .build()
            .map_err(files_error)?;
        let prefix = location
            .trim_start_matches("s3://")
            .split_once('/')
            .map(|(_, p)| p.trim_matches('/').to_owned())
            .unwrap_or_default();
        Ok(Arc::new(ObjectStoreBlobs {
            store: Arc::new(store),
            prefix,
            describe: location.to_owned(),
        }))
    } else {
        let root = PathBuf::from(location.trim_start_matches("file://"));
        std::fs::create_dir_all(&root)
            .map_err(|e| files_error(format!("{}: {e}", root.display())))?;
        Ok(Arc::new(LocalDir { root }))
    }
}

/// `ROOT/ab/abcdef…`: two-level fan-out keeps directories small.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    fn path(&self, digest: &Digest) -> PathBuf {
        self.root.join(&digest.as_str()[..2]).join(digest.as_str())
    }
}

#[async_trait]
impl BlobStore for LocalDir {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    async fn put(&self, digest: &Digest, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path(digest);
        tokio::task::spawn_blocking(move || write_durably(&path, &bytes))
            .await
            .map_err(files_error)?
            .map_err(files_error)
    }

    async fn put_many(&self, files: Vec<(Digest, Vec<u8>)>) -> Result<(), StoreError> {
        let jobs: Vec<(PathBuf, Vec<u8>)> = files
            .into_iter()
            .map(|(digest, bytes)| (self.path(&digest), bytes))
            .collect();
        // Each file is synced on its own; several threads let the disk take the syncs together.
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let workers = jobs.len().clamp(1, 8);
            let share = jobs.len().div_ceil(workers).max(1);
            std::thread::scope(|scope| {
                let handles: Vec<_> = jobs
                    .chunks(share)
                    .map(|chunk| {
                        scope.spawn(move || {
                            chunk
                                .iter()
                                .try_for_each(|(path, bytes)| write_durably(path, bytes))
                        })
                    })
                    .collect();
                handles.into_iter().try_for_each(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("writer thread failed")))
                })
            })
        })
        .await
        .map_err(files_error)?
        .map_err(files_error)
    }

    async fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(digest);
        let read = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(files_error)?;
        match read {
            Ok(bytes) => checked(digest, bytes).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    async fn contains(&self, digest: &Digest) -> Result<bool, StoreError> {
        tokio::fs::try_exists(self.path(digest))
            .await
            .map_err(files_error)
    }

    async fn list(&self) -> Result<Vec<StoredFile>, StoreError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || list_dir(&root))
            .await
            .map_err(files_error)?
            .map_err(files_error)
    }

    async fn delete(&self, digest: &Digest) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.path(digest)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(files_error(e)),
            _ => Ok(()),
        }
    }
}

/// The files under `ROOT/ab/`: only names that are digests (a writer's `.tmp-…` is not a file).
fn list_dir(root: &std::path::Path) -> std::io::Result<Vec<StoredFile>> {
    let mut files = Vec::new();
    for fan in std::fs::read_dir(root)? {
        let fan = fan?;
        if !fan.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(fan.path())? {
            let entry = entry?;
            let Some(digest) = entry.file_name().to_str().and_then(Digest::parse) else {
                continue;
            };
            let meta = entry.metadata()?;
            files.push(StoredFile {
                digest,
                size: meta.len(),
                modified: meta.modified()?.into(),
            });
        }
    }
    files.sort_by(|a, b| a.digest.cmp(&b.digest));
    Ok(files)
}

/// Written aside, synced, then renamed: a reader never sees half a file, and a crash leaves at
/// most a stray temporary file. A file already there is the same bytes (same digest).
fn write_durably(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.exists() {
        // The same bytes stored again: the file is fresh again, so `gc` (which spares files
        // younger than an hour) does not remove it under the row about to name it.
        return std::fs::File::options()
            .append(true)
            .open(path)?
            .set_modified(std::time::SystemTime::now());
    }
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile_in(dir)?;
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// A unique temporary name in `dir` (same file system, so the rename is atomic).
fn tempfile_in(dir: &std::path::Path) -> std::io::Result<PathBuf> {
    use rand_core::RngCore as _;
    let n = rand_core::OsRng.next_u64();
    Ok(dir.join(format!(".tmp-{n:016x}")))
}

/// An S3-compatible bucket through `object_store`.
pub struct ObjectStoreBlobs {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    describe: String,
}

impl ObjectStoreBlobs {
    fn path(&self, digest: &Digest) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(digest.as_str())
        } else {
            ObjectPath::from(format!("{}/{}", self.prefix, digest.as_str()))
        }
    }
}

#[async_trait]
impl BlobStore for ObjectStoreBlobs {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    async fn put(&self, digest: &Digest, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path(digest);
        match self.store.head(&path).await {
            Ok(_) => return Ok(()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(files_error(e)),
        }
        self.store
            .put(&path, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(files_error)
    }

    async fn get(&self, digest: &Digest) -> Result<Option<Vec<u8>>, StoreError> {
        match self.store.get(&self.path(digest)).await {
            Ok(result) => {
                let bytes = result.bytes().await.map_err(files_error)?;
                checked(digest, bytes.to_vec()).map(Some)
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(files_error(e)),
        }
    }

    async fn contains(&self, digest: &Digest) -> Result<bool, StoreError> {
        match self.store.head(&self.path(digest)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(files_error(e)),
        }
    }

    async fn list(&self) -> Result<Vec<StoredFile>, StoreError> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjectPath::from(self.prefix.as_str()));
        // The keys are flat under the prefix: one listing with a delimiter holds them all.
        let listing = self
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(files_error)?;
        let mut files: Vec<StoredFile> = listing
            .objects
            .into_iter()
            .filter_map(|meta| {
                let digest = Digest::parse(meta.location.filename()?)?;
                Some(StoredFile {
                    digest,
                    size: meta.size,
                    modified: meta.last_modified,
                })
            })
            .collect();
        files.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(files)
    }

    async fn delete(&self, digest: &Digest) -> Result<(), StoreError> {
        match self.store.delete(&self.path(digest)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(files_error(e)),
        }
    }
}
