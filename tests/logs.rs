//! `serve --log-format json`: every line a JSON object a log collector can read, and each line of a
//! request carrying the request's id in its span (here the one a proxy sent in `X-Request-Id`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address");
        lines.push(line.clone());
        if let Some(rest) = line.split("http://").nth(1) {
            break rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect::<String>();
        }
    };
    let answer = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/projects/1"))
        .header("x-request-id", "raccolta-log-1")
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status().as_u16(), 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    lines.extend(rx.try_iter());
    let parsed: Vec<Value> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!parsed.is_empty());
    let of_request: Vec<&Value> = parsed
        .iter()
        .filter(|v| {
            v["spans"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["id"] == "raccolta-log-1"))
        })
        .collect();
    assert!(
        !of_request.is_empty(),
        "no line names the request: {lines:#?}"
    );
    assert!(of_request
        .iter()
        .all(|v| v["span"]["name"].is_string() && v["level"].is_string()));
}
