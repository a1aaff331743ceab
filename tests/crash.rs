//! A crash in the middle of a burst of writes: 16 clients create expenses, the server is killed
//! with SIGKILL, then restarted on the same SQLite file. Every expense acknowledged with 201 must be
//! there, whole, and SQLite's integrity check must pass.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::Server;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_expenses_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let token = common::server::cli_admin_token(&url);
    let mut server = Server::start(&url, &[]);
    let mut auth = reqwest::header::HeaderMap::new();
    auth.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    let client = reqwest::Client::builder()
        .default_headers(auth)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let post = |path: String, body: Value| {
        let client = client.clone();
        async move { client.post(path).json(&body).send().await }
    };
    let base = server.base.clone();
    let call: Value = post(format!("{base}/api/v1/calls"), common::call_body())
        .await
        .expect("call")
        .json()
        .await
        .expect("json");
    let project: Value = post(
        format!("{base}/api/v1/projects"),
        json!({"call_id": call["id"], "title": "P", "lead_entity": "U", "granted_contribution": "1000.00",
               "budget": [{"category": "design_training", "amount": "1000.00"}]}),
    )
    .await
    .expect("project")
    .json()
    .await
    .expect("json");
    let pid = project["id"].as_str().expect("id").to_owned();
    let entity: Value = post(
        format!("{base}/api/v1/projects/{pid}/entities"),
        json!({"name": "Comune"}),
    )
    .await
    .expect("entity")
    .json()
    .await
    .expect("json");

    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut clients = Vec::new();
    for c in 0..16 {
        let client = client.clone();
        let acknowledged = acknowledged.clone();
        let path = format!("{base}/api/v1/projects/{pid}/expenses");
        let entity_id = entity["id"].clone();
        clients.push(tokio::spawn(async move {
            for i in 0.. {
                let number = format!("K{c}-{i}");
                let body = json!({"entity_id": entity_id, "category": "design_training", "supplier_name": "Fornitore",
                    "supplier_vat": "01234567897", "document_type": "invoice", "document_number": number,
                    "document_date": "2020-10-01", "net_amount": "10.00", "vat_amount": "2.20"});
                match client.post(&path).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let created: Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break,
                        };
                        let id = created["id"].as_str().unwrap_or_default().to_owned();
                        acknowledged.lock().expect("lock").push((id, number));
                    }
                    _ => break,
                }
            }
        }));
    }
    // Let the burst run, then crash in the middle of it. Clients that stop early fail the test
    // (after two minutes), never hang it.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let done = acknowledged.lock().expect("lock").len();
        if done >= 150 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {done} writes acknowledged in two minutes: the clients stopped"
        );
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 150);

    let server = Server::start(&url, &[]);
    let list: Value = client
        .get(format!(
            "{}/api/v1/projects/{pid}/expenses?per_page=500",
            server.base
        ))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let stored = list["total"].as_i64().expect("total");
    assert!(
        stored >= i64::try_from(acknowledged.len()).expect("len"),
        "{stored} stored < {} acknowledged",
        acknowledged.len()
    );
    for (id, number) in &acknowledged {
        let response = client
            .get(format!("{}/api/v1/expenses/{id}", server.base))
            .send()
            .await
            .expect("get");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged expense {id} lost"
        );
        let expense: Value = response.json().await.expect("json");
        assert_eq!(expense["document_number"], number.as_str());
        assert_eq!(expense["claimed_amount"], "12.20");
    }
    drop(server);
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open");
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity_check");
    assert_eq!(check, "ok");
}
