//! The two file stores behind one contract — a local directory and an S3 bucket (moto's server,
//! a real S3 API on loopback) — and two instances of the service sharing one bucket: a file
//! uploaded through one is downloaded through the other.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rendiconta::domain::access::Actor;
use rendiconta::domain::attachment::{AttachmentKind, Digest};
use rendiconta::storage::blobs::{self, DynBlobs};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts moto's S3 server on a free port; `None` when the Python environment is not set up.
async fn moto() -> Option<(Moto, String)> {
    let python = common::python()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto.server (pip install 'moto[server]')");
    let guard = Moto(child);
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&endpoint).send().await.is_ok() {
            // CreateBucket: moto does not check signatures.
            let r = client
                .put(format!("{endpoint}/evidenze"))
                .send()
                .await
                .expect("create bucket");
            assert!(r.status().is_success(), "{}", r.status());
            return Some((guard, endpoint));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto's S3 server did not start");
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
}
