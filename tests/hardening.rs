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
