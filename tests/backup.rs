//! `rendiconta backup` and `restore` on the real binary, on both engines: a backup taken while 16
//! clients write holds every write acknowledged before it began, restores into an empty database
//! and file store with its audit trail whole; a target holding data and a damaged archive are
//! refused with the reason, leaving the target as it was.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::{cli_admin_token, run_cli, Server};
use common::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backup_under_writes_restores_whole() {
    backup_under_writes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backup_under_writes_restores_whole() {
    backup_under_writes(Backend::Postgres).await;
}

fn cli(args: &[&str]) -> std::process::Output {
    run_cli(args, "")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The 16 writers: each creates expenses in the demo project until told to stop, recording the
/// document number of every one acknowledged with 201.
fn writers(
    client: &reqwest::Client,
    path: String,
    entity: Value,
    stop: &Arc<AtomicBool>,
    acknowledged: &Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..16)
        .map(|c| {
            let (client, path, entity) = (client.clone(), path.clone(), entity.clone());
            let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let number = format!("B{c}-{i}");
                    let body = json!({"entity_id": entity, "category": "design_training",
                        "supplier_name": "Fornitore", "supplier_vat": "01234567897",
                        "document_type": "invoice", "document_number": number,
                        "document_date": "2020-10-01", "net_amount": "10.00", "vat_amount": "2.20"});
                    match client.post(&path).json(&body).send().await {
                        Ok(r) if r.status() == StatusCode::CREATED => {
                            acknowledged.lock().expect("lock").push(number)
                        }
                        Ok(r) => panic!("create answered {}", r.status()),
                        Err(e) => panic!("create failed: {e}"),
                    }
                }
            })
        })
        .collect()
}

async fn document_numbers(url: &str, project: &str) -> BTreeSet<String> {
    let store = rendiconta::storage::open(url).await.expect("open restored");
    let id = project.parse().expect("project id");
    let expenses = store.all_expenses(id).await.expect("expenses");
    expenses
        .iter()
        .map(|e| e.data.document.number.clone())
        .collect()
}

async fn backup_under_writes(backend: Backend) {
    let Some((url, _dir)) = common::fresh_database(backend).await else {
        return;
    };
    let files = tempfile::tempdir().expect("files");
    let files_dir = files.path().display().to_string();
    let token = cli_admin_token(&url);
    let server = Server::start(&url, &["--demo", "--file-store", &files_dir]);
    let client = common::client_with_token(&token);
    let base = server.base.clone();
    let (pid, entity) = common::demo_project_and_entity(&client, &base).await;

    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let path = format!("{base}/api/v1/projects/{pid}/expenses");
    let tasks = writers(&client, path, entity, &stop, &acknowledged);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().expect("lock").len() < 100 {
        assert!(std::time::Instant::now() < deadline, "the writers stalled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Every write acknowledged before the backup begins must be in it.
    let before: Vec<String> = acknowledged.lock().expect("lock").clone();
    let work = tempfile::tempdir().expect("work");
    let archive = work.path().join("copia.zip");
    let (url_b, files_b, archive_b) = (url.clone(), files_dir.clone(), archive.clone());
    let backup = tokio::task::spawn_blocking(move || {
        cli(&[
            "backup",
            "--out",
            archive_b.to_str().expect("utf-8"),
            "--database-url",
            &url_b,
            "--file-store",
            &files_b,
        ])
    })
    .await
    .expect("backup ran");
    let during = acknowledged.lock().expect("lock").len() - before.len();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("writer");
    }
    assert!(backup.status.success(), "backup: {}", text(&backup));
    eprintln!(
        "{} writes before the backup, {during} during it",
        before.len()
    );

    let Some((target, _target_dir)) = common::fresh_database(backend).await else {
        return;
    };
    let target_files = tempfile::tempdir().expect("target files");
    let target_files = target_files.path().join("allegati");
    let restore_args = |archive: &Path, db: &str| {
        let archive = archive.to_str().expect("utf-8").to_owned();
        let store = target_files.to_str().expect("utf-8").to_owned();
        let db = db.to_owned();
        move || {
            cli(&[
                "restore",
                &archive,
                "--database-url",
                &db,
                "--file-store",
                &store,
            ])
        }
    };
    let restored = restore_args(&archive, &target)();
    assert!(restored.status.success(), "restore: {}", text(&restored));
    assert!(
        text(&restored).contains("registro delle modifiche integro"),
        "{}",
        text(&restored)
    );
    let numbers = document_numbers(&target, &pid).await;
    let missing: Vec<&String> = before.iter().filter(|n| !numbers.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, not restored: {missing:?}"
    );
    let audit = cli(&["audit", "verify", "--database-url", &target]);
    assert!(audit.status.success(), "{}", text(&audit));
    // Every file the live database named then is in the restored store, byte for byte.
    let restored_store =
        rendiconta::storage::blobs::open(target_files.to_str().expect("utf-8")).expect("store");
    let live_files = rendiconta::storage::blobs::open(&files_dir).expect("store");
    let listed = restored_store.list().await.expect("list");
    assert!(listed.len() > 10, "the demo's evidence came back");
    for f in &listed {
        assert_eq!(
            restored_store.get(&f.digest).await.expect("get"),
            live_files.get(&f.digest).await.expect("get")
        );
    }

    // Into a target that now holds data: refused, naming why.
    let again = restore_args(&archive, &target)();
    assert!(!again.status.success());
    assert!(
        text(&again).contains("contiene già dati"),
        "{}",
        text(&again)
    );

    refuses_damaged(&archive, backend).await;
    drop(server);
    if backend == Backend::Postgres {
        common::drop_database(&url);
        common::drop_database(&target);
    }
}

/// An archive with one byte of one file changed, and one cut short: refused with the reason, the
/// empty target left empty.
async fn refuses_damaged(archive: &Path, backend: Backend) {
    let mut bytes = std::fs::read(archive).expect("archive");
    let pdf = bytes
        .windows(5)
        .position(|w| w == b"%PDF-")
        .expect("a stored PDF");
    bytes[pdf + 100] ^= 0x5a;
    let damaged = archive.with_file_name("danneggiato.zip");
    std::fs::write(&damaged, &bytes).expect("write");
    let cut = archive.with_file_name("troncato.zip");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    for (file, why) in [(&damaged, "checksum"), (&cut, "danneggiato")] {
        let Some((target, _dir)) = common::fresh_database(backend).await else {
            return;
        };
        let store = tempfile::tempdir().expect("store");
        let out = cli(&[
            "restore",
            file.to_str().expect("utf-8"),
            "--database-url",
            &target,
            "--file-store",
            store.path().to_str().expect("utf-8"),
        ]);
        assert!(!out.status.success(), "a damaged archive was restored");
        let said = text(&out);
        assert!(
            said.contains("archivio danneggiato") && said.contains(why),
            "{said}"
        );
        assert!(
            !rendiconta::storage::backup::holds_data(&target)
                .await
                .expect("target"),
            "the refused restore wrote into the target"
        );
        assert!(std::fs::read_dir(store.path())
            .expect("store")
            .next()
            .is_none());
        if backend == Backend::Postgres {
            common::drop_database(&target);
        }
    }
}
