//! Concurrent writers: the split-document rule holds under a race, and concurrent creates all land.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

async fn racing_parts_never_overclaim(app: TestApp) {
    let seed = app.seed().await;
    let app = std::sync::Arc::new(app);
    // Eight clients race to claim 400 € each of one 1.000 € invoice: at most two may win.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        let mut body = seed.expense("RACE/2020", "1000.00", "0.00");
        body["claimed_amount"] = json!("400.00");
        let path = seed.expenses_path();
        tasks.push(tokio::spawn(async move {
            app.post(&path, &body).await.status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 2);
    assert_eq!(
        app.db
            .scalar("SELECT CAST(SUM(claimed_cents) AS BIGINT) FROM expenses")
            .await,
        80_000
    );
}

async fn concurrent_creates_all_land(app: TestApp) {
    let seed = app.seed().await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for client in 0..16 {
        let app = app.clone();
        let path = seed.expenses_path();
        let bodies: Vec<_> = (0..5)
            .map(|i| seed.expense(&format!("C{client}-{i}"), "10.00", "2.20"))
            .collect();
        tasks.push(tokio::spawn(async move {
            for body in bodies {
                assert_eq!(app.post(&path, &body).await.status(), StatusCode::CREATED);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 80);
}

crate::on_both_backends!(racing_parts_never_overclaim, concurrent_creates_all_land);
