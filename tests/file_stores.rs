//! The two file stores behind one contract — a local directory and an S3 bucket (moto's server,
//! a real S3 API on loopback) — and two instances of the service sharing one bucket: a file
//! uploaded through one is downloaded through the other.

mod common;

use rendiconta::domain::access::Actor;
use rendiconta::domain::attachment::{AttachmentKind, Digest};
use rendiconta::storage::blobs::{self, DynBlobs};

/// moto's S3 server; `None` when the Python environment is not set up.
async fn moto() -> Option<(common::moto::Moto, String)> {
    let python = common::python()?;
    Some(
        common::moto::start(&python)
            .await
            .expect("moto's S3 server did not start (pip install 'moto[server]')"),
    )
}

/// What every file store must do; returns the digest of what it stored.
async fn contract(store: &DynBlobs) -> Digest {
    let bytes = b"%PDF-1.4 mandato di pagamento n. 77".to_vec();
    let digest = Digest::of(&bytes);
    assert_eq!(
        store.get(&digest).await.expect("get"),
        None,
        "not yet stored"
    );
    assert!(!store.contains(&digest).await.expect("contains"));
    store.put(&digest, bytes.clone()).await.expect("put");
    assert!(store.contains(&digest).await.expect("contains"));
    store
        .put(&digest, bytes.clone())
        .await
        .expect("put again is harmless");
    assert_eq!(store.get(&digest).await.expect("get"), Some(bytes));
    digest
}

/// Bytes that no longer match their digest are refused, never served.
async fn refuses_altered(store: &DynBlobs, digest: &Digest) {
    assert!(store.get(digest).await.is_err(), "altered bytes served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_directory_and_s3_keep_the_same_contract() {
    let dir = tempfile::tempdir().expect("dir");
    let local = blobs::open(&dir.path().display().to_string()).expect("local");
    let root = dir.path().to_owned();
    let d = contract(&local).await;
    std::fs::write(root.join(&d.as_str()[..2]).join(d.as_str()), b"altered").expect("alter");
    refuses_altered(&local, &d).await;
    gc_removes_only_files_no_row_names(&dir.path().join("gc").display().to_string()).await;

    let Some((_moto, endpoint)) = moto().await else {
        return;
    };
    // The only test in this binary: setting the environment cannot race another test.
    std::env::set_var("AWS_ENDPOINT", &endpoint);
    std::env::set_var("AWS_ALLOW_HTTP", "true");
    std::env::set_var("AWS_ACCESS_KEY_ID", "prova");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "prova");
    std::env::set_var("AWS_REGION", "eu-south-1");
    let s3 = blobs::open("s3://evidenze/rendiconta").expect("s3");
    let client = reqwest::Client::new();
    let d = contract(&s3).await;
    {
        use object_store::ObjectStore as _;
        let raw = object_store::aws::AmazonS3Builder::from_env()
            .with_url("s3://evidenze")
            .build()
            .expect("raw client");
        let path = object_store::path::Path::from(format!("rendiconta/{}", d.as_str()));
        raw.put(&path, b"altered".to_vec().into())
            .await
            .expect("alter");
    }
    refuses_altered(&s3, &d).await;

    // Two instances on one database and one bucket.
    let (db_url, _db_dir) = common::fresh_database(common::Backend::Sqlite)
        .await
        .expect("db");
    let open = || async {
        rendiconta::services::App::new(
            rendiconta::storage::open(&db_url).await.expect("db"),
            blobs::open("s3://evidenze/rendiconta").expect("s3"),
        )
    };
    let (one, two) = (open().await, open().await);
    let operator = Actor::Operator("cli:test".into());
    rendiconta::services::demo::load_if_empty(&one)
        .await
        .expect("demo");
    let expense = one
        .store
        .all_expenses(rendiconta::domain::ProjectId(1))
        .await
        .expect("expenses")[0]
        .id;
    let pdf = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/attachments/quietanza.pdf"),
    )
    .expect("fixture");
    let attached = rendiconta::services::attachments::upload(
        &one,
        &operator,
        expense,
        AttachmentKind::Receipt,
        "quietanza.pdf",
        pdf.clone(),
    )
    .await
    .expect("upload");
    let (_, bytes) = rendiconta::services::attachments::download(&two, &operator, attached.id)
        .await
        .expect("download from the other instance");
    assert_eq!(bytes, pdf);
    let listing = client
        .get(format!(
            "{endpoint}/evidenze?list-type=2&prefix=rendiconta/"
        ))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(listing.contains(attached.digest.as_str()), "{listing}");

    // gc on the bucket: a fresh one, so that the files altered above are not in the way.
    let r = client
        .put(format!("{endpoint}/ripulitura"))
        .send()
        .await
        .expect("create bucket");
    assert!(r.status().is_success(), "{}", r.status());
    gc_removes_only_files_no_row_names("s3://ripulitura/allegati").await;
}

/// `gc` on a store holding the demo's evidence and one file no row names: it spares the file
/// while it is young and while a backup holds its lease, lists it on a dry run, then removes it
/// and nothing else.
async fn gc_removes_only_files_no_row_names(location: &str) {
    use rendiconta::services::gc;
    let (db_url, _db_dir) = common::fresh_database(common::Backend::Sqlite)
        .await
        .expect("db");
    let store = blobs::open(location).expect("store");
    let app = rendiconta::services::App::new(
        rendiconta::storage::open(&db_url).await.expect("db"),
        store.clone(),
    );
    rendiconta::services::demo::load_if_empty(&app)
        .await
        .expect("demo");
    let named = rendiconta::storage::backup::files_in_use(&db_url, chrono::Utc::now())
        .await
        .expect("in use")
        .named;
    assert!(named.len() > 10, "the demo names its evidence");
    let orphan = b"%PDF-1.4 fattura di un'importazione respinta".to_vec();
    let orphan_digest = Digest::of(&orphan);
    store.put(&orphan_digest, orphan).await.expect("put");

    let now = chrono::Utc::now();
    let young = gc::collect(&db_url, &store, now, false).await.expect("gc");
    assert!(
        young.orphans.is_empty(),
        "a file younger than an hour stays"
    );
    assert_eq!((young.too_young, young.in_use), (1, named.len()));

    let later = now + chrono::Duration::hours(2);
    let lease = rendiconta::storage::backup::lease(&db_url, later)
        .await
        .expect("lease");
    let during_backup = gc::collect(&db_url, &store, later, false)
        .await
        .expect("gc");
    assert!(during_backup.backup_since.is_some());
    assert!(store.contains(&orphan_digest).await.expect("contains"));
    rendiconta::storage::backup::release(&db_url, lease)
        .await
        .expect("release");

    let dry = gc::collect(&db_url, &store, later, true).await.expect("gc");
    let listed: Vec<&Digest> = dry.orphans.iter().map(|f| &f.digest).collect();
    assert_eq!(listed, vec![&orphan_digest]);
    assert!(
        store.contains(&orphan_digest).await.expect("contains"),
        "dry run"
    );

    let done = gc::collect(&db_url, &store, later, false)
        .await
        .expect("gc");
    assert_eq!(done.orphans.len(), 1);
    assert!(!store.contains(&orphan_digest).await.expect("contains"));
    for digest in &named {
        assert!(
            store.get(digest).await.expect("get").is_some(),
            "gc removed {digest}, which a row names"
        );
    }
    let again = gc::collect(&db_url, &store, later, false)
        .await
        .expect("gc");
    assert!(again.orphans.is_empty());
    assert_eq!(again.in_use, named.len());
}
