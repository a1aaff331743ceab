//! The server as a process under attack: bursts of sign-ins must not exhaust its memory, and
//! writes must recover from a full disk without a restart.

mod common;

use std::time::{Duration, Instant};

use common::server::Server;
use tokio::task::JoinSet;

/// A figure of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// `n` sign-ins with unknown emails at once; returns (status, Retry-After, content type) of each.
async fn burst(base: &str, n: usize, tag: &str) -> Vec<(u16, Option<String>, String)> {
    let client = reqwest::Client::new();
    let mut attempts = JoinSet::new();
    for i in 0..n {
        let request = client.post(format!("{base}/api/v1/auth/token")).json(
            &serde_json::json!({"email": format!("{tag}{i}@prova.it"), "password": "una password lunga"}),
        );
        attempts.spawn(async move {
            let response = request.send().await.expect("sign-in");
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            (
                response.status().as_u16(),
                header("retry-after"),
                header("content-type").unwrap_or_default(),
            )
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = attempts.join_next().await {
        answers.push(answer.expect("join"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_bursts_neither_exhaust_memory_nor_keep_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("burst.db").display());
    common::server::cli_admin_token(&url);
    let server = Server::start(&url, &[]);
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = memory_kib(pid, "VmRSS");

    let answers = burst(&server.base, 200, "a").await;
    let peak = memory_kib(pid, "VmHWM");
    assert!(
        peak < 400 * 1024,
        "200 sign-ins at once took the server to {} MiB",
        peak / 1024
    );
    // Each one either verified (401: unknown account) or turned away at once, saying when to retry.
    assert!(answers.iter().any(|a| a.0 == 401), "none was verified");
    for (status, retry_after, content_type) in &answers {
        match status {
            401 => {}
            503 => {
                assert!(retry_after.is_some(), "503 without Retry-After");
                assert_eq!(content_type, "application/problem+json");
            }
            other => panic!("unexpected status {other}"),
        }
    }

    burst(&server.base, 500, "b").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut now = memory_kib(pid, "VmRSS");
    while now >= 2 * idle && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        now = memory_kib(pid, "VmRSS");
    }
    assert!(
        now < 2 * idle,
        "60 s after a burst of 500 sign-ins the server holds {} MiB (idle: {} MiB)",
        now / 1024,
        idle / 1024
    );
}

/// Asserts an outage answer: its status, `Retry-After` and the problem's code.
async fn assert_outage(answer: reqwest::Response, status: u16, code: &str) {
    assert_eq!(answer.status().as_u16(), status, "expected {code}");
    assert!(answer.headers().contains_key("retry-after"));
    let problem: serde_json::Value = answer.json().await.expect("problem");
    assert_eq!(problem["code"], code);
}

/// `/healthz`: its status and report.
async fn health(client: &reqwest::Client, base: &str) -> (u16, serde_json::Value) {
    let answer = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("health"))
}

/// A small tmpfs mounted for one test, unmounted (lazily, in case a file is still open) at the end.
struct Tmpfs(std::path::PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Tmpfs {
    /// `None` (with the reason printed) where this process may not mount: not root, or no
    /// capability in this sandbox.
    fn mount(megabytes: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Tmpfs(path, dir)),
            Ok(out) => {
                eprintln!(
                    "skipped: cannot mount a tmpfs here (run as root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: no mount command: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Fills the file system holding `dir` until a write fails; returns the filler file.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("riempitivo");
    let mut file = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    while file
        .write_all(&chunk)
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
    // Then byte by byte, so not even a page is left.
    while file.write_all(&[0]).and_then(|()| file.sync_all()).is_ok() {}
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_recover_from_a_full_disk_without_a_restart() {
    let Some(disk) = Tmpfs::mount(16) else {
        return;
    };
    let url = format!("sqlite://{}", disk.0.join("pieno.db").display());
    let token = common::server::cli_admin_token(&url);
    let files = tempfile::tempdir().expect("files");
    let files_arg = files.path().display().to_string();
    let server = Server::start(&url, &["--file-store", &files_arg]);
    let client = common::client_with_token(&token);
    let base = server.base.clone();
    let post = |path: &str, body: serde_json::Value| {
        client.post(format!("{base}{path}")).json(&body).send()
    };
    let call: serde_json::Value = post("/api/v1/calls", common::call_body())
        .await
        .expect("call")
        .json()
        .await
        .expect("json");
    let project: serde_json::Value = post(
        "/api/v1/projects",
        serde_json::json!({"call_id": call["id"], "title": "P", "lead_entity": "U",
            "granted_contribution": "1000.00",
            "budget": [{"category": "design_training", "amount": "1000.00"}]}),
    )
    .await
    .expect("project")
    .json()
    .await
    .expect("json");
    let pid = project["id"].as_str().expect("id").to_owned();
    let entity: serde_json::Value = post(
        &format!("/api/v1/projects/{pid}/entities"),
        serde_json::json!({"name": "Comune"}),
    )
    .await
    .expect("entity")
    .json()
    .await
    .expect("json");
    let seed = common::Seed {
        call_id: String::new(),
        project_id: pid.clone(),
        entities: vec![entity["id"].as_str().expect("id").to_owned()],
    };
    let expense = |n: usize| {
        let mut body = seed.expense(&format!("F{n}"), "100.00", "22.00");
        // A long description: each expense takes room.
        body["description"] = serde_json::json!("x".repeat(1900));
        post(&format!("/api/v1/projects/{pid}/expenses"), body)
    };

    let filler = fill(&disk.0);
    // Writes now fail, each with 507 and a Retry-After; none with a generic 500.
    let mut refused = None;
    for n in 0..400 {
        let answer = expense(n).await.expect("POST");
        match answer.status().as_u16() {
            201 => continue,
            507 => {
                refused = Some(answer);
                break;
            }
            other => panic!(
                "a write on a full disk answered {other}: {}",
                answer.text().await.unwrap_or_default()
            ),
        }
    }
    let refused = refused.expect("writes kept succeeding on a full disk");
    assert_outage(refused, 507, "disk_full").await;
    let (status, report) = health(&client, &base).await;
    assert_eq!(
        (status, report["writes"].as_str()),
        (503, Some("disk_full")),
        "{report}"
    );

    // Space freed: the very next write succeeds, no restart, and so does every one after it.
    std::fs::remove_file(filler).expect("free space");
    for n in 1000..1040 {
        let answer = expense(n).await.expect("POST");
        assert_eq!(
            answer.status().as_u16(),
            201,
            "write {n} after space was freed: {}",
            answer.text().await.unwrap_or_default()
        );
    }
    assert_eq!(health(&client, &base).await.0, 200);
}

/// A PostgreSQL server of this test's own (`scripts/pg-throwaway`), that it may stop and start.
struct OwnPostgres {
    dir: String,
    url: String,
}

impl OwnPostgres {
    fn start() -> Option<OwnPostgres> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        let out = std::process::Command::new(script)
            .output()
            .expect("pg-throwaway");
        if !out.status.success() {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_POSTGRES").is_none(),
                "no PostgreSQL server could be started: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            eprintln!("skipped: no PostgreSQL server here");
            return None;
        }
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let (dir, url) = line.split_once(' ').expect("dir and url");
        Some(OwnPostgres {
            dir: dir.to_owned(),
            url: url.to_owned(),
        })
    }

    fn script(&self, verb: &str) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway");
        let status = std::process::Command::new(script)
            .args([verb, &self.dir])
            .status()
            .expect("pg-throwaway");
        assert!(status.success(), "pg-throwaway {verb}");
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.script("stop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_down_answers_503_then_recovers_without_a_restart() {
    let Some(pg) = OwnPostgres::start() else {
        return;
    };
    let files = tempfile::tempdir().expect("files");
    let token = common::server::cli_admin_token(&pg.url);
    let files_arg = files.path().display().to_string();
    let server = Server::start(&pg.url, &["--file-store", &files_arg]);
    let client = common::client_with_token(&token);
    let base = server.base.clone();
    let create_call = || {
        client
            .post(format!("{base}/api/v1/calls"))
            .json(&common::call_body())
            .send()
    };
    assert_eq!(create_call().await.expect("call").status().as_u16(), 201);

    pg.script("pause");
    for _ in 0..3 {
        let answer = create_call().await.expect("POST");
        assert_outage(answer, 503, "database_unavailable").await;
    }
    assert_eq!(health(&client, &base).await.0, 503);

    pg.script("resume");
    assert_eq!(create_call().await.expect("call").status().as_u16(), 201);
    assert_eq!(health(&client, &base).await.0, 200);
}
