//! `--metrics-addr` on the real binary: after a known set of requests, the scrape read by an
//! independent parser (Python's `prometheus_client`) counts each by route pattern and status,
//! times them, counts the failed sign-ins, and the metrics are not on the public address.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::server::{cli_admin_token, Server};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Every sample of the scrape as `name{label="value",…}` → value, read by prometheus_client.
fn parse(python: &str, text: &str) -> HashMap<String, f64> {
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
"#;
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("parser");
    assert!(
        out.status.success(),
        "the scrape is not valid OpenMetrics: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn scrape(python: &str, at: &str) -> (HashMap<String, f64>, String) {
    let answer = reqwest::get(format!("http://{at}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.expect("text");
    (parse(python, &text), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_counts_what_was_asked() {
    let Some(python) = common::python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let token = cli_admin_token(&url);
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = Server::start(&url, &["--demo", "--metrics-addr", &metrics_addr]);
    let base = &server.base;
    // The harness probed /healthz while the server started: counts are taken from here on.
    let before = scrape(&python, &metrics_addr).await.0;
    let client = common::client_with_token(&token);
    let anon = reqwest::Client::new();
    for _ in 0..3 {
        anon.get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
    }
    for _ in 0..4 {
        let r = client
            .get(format!("{base}/api/v1/projects"))
            .send()
            .await
            .expect("projects");
        assert_eq!(r.status(), 200);
    }
    // Three expenses through the group-commit writer.
    let (pid, entity) = common::demo_project_and_entity(&client, base).await;
    for n in 0..3 {
        let r = client
            .post(format!("{base}/api/v1/projects/{pid}/expenses"))
            .json(&serde_json::json!({"entity_id": entity,
                "category": "design_training", "supplier_name": "Fornitore",
                "supplier_vat": "01234567897", "document_type": "invoice",
                "document_number": format!("M-{n}"), "document_date": "2020-10-01",
                "net_amount": "10.00", "vat_amount": "2.20"}))
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
    }
    let missing = client
        .get(format!("{base}/api/v1/projects/999"))
        .send()
        .await
        .expect("project");
    assert_eq!(missing.status(), 404);
    for _ in 0..2 {
        let r = anon
            .post(format!("{base}/api/v1/auth/token"))
            .json(&serde_json::json!({"email": "admin@prova.it", "password": "sbagliata"}))
            .send()
            .await
            .expect("sign-in");
        assert_eq!(r.status(), 401);
    }
    let public = anon
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("public");
    assert_eq!(public.status(), 404, "metrics on the public address");

    let (samples, text) = scrape(&python, &metrics_addr).await;
    let sample = |key: &str| {
        samples
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("no sample {key} in:\n{text}"))
            - before.get(key).copied().unwrap_or(0.0)
    };
    let requests = |method: &str, route: &str, status: u16| {
        sample(&format!(
            r#"rendiconta_http_requests_total{{method="{method}",route="{route}",status="{status}"}}"#
        ))
    };
    assert_eq!(requests("GET", "/healthz", 200), 3.0);
    assert_eq!(requests("GET", "/api/v1/projects", 200), 5.0);
    assert_eq!(requests("POST", "/api/v1/projects/{id}/expenses", 201), 3.0);
    assert_eq!(requests("GET", "/api/v1/projects/{id}", 404), 1.0);
    assert_eq!(requests("POST", "/api/v1/auth/token", 401), 2.0);
    assert_eq!(
        requests("GET", "(nessuna)", 404),
        1.0,
        "unmatched paths share one label"
    );
    assert_eq!(sample("rendiconta_sign_in_failures_total{}"), 2.0);
    assert_eq!(
        sample(
            r#"rendiconta_http_request_duration_seconds_count{method="GET",route="/api/v1/projects"}"#
        ),
        5.0
    );
    assert!(samples["rendiconta_db_pool_connections{}"] >= 1.0);
    assert_eq!(
        samples["rendiconta_write_queue_depth{}"], 0.0,
        "idle: nothing queued"
    );
    assert_eq!(sample("rendiconta_write_batched_requests_total{}"), 3.0);
    let batches = sample("rendiconta_write_batches_total{}");
    assert!(
        (1.0..=3.0).contains(&batches),
        "{batches} batches for 3 inserts"
    );
    assert!(sample("rendiconta_write_commit_seconds_total{}") > 0.0);
    drop(server);
}
