//! `rendiconta audit verify` against a busy database, then against the same database tampered
//! with plain SQL, as someone with database access but without rendiconta would: every change is
//! caught and named. On SQLite and on PostgreSQL.

mod common;

use common::server::run_cli;
use common::{worked_example, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn verify(app: &TestApp) -> (i32, String) {
    let out = run_cli(
        &["audit", "verify", "--database-url", &app.database_url],
        "",
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Puts the log back as it was before a tampering.
async fn restore(app: &TestApp) {
    app.db.execute("DELETE FROM audit_log").await;
    app.db
        .execute("INSERT INTO audit_log SELECT * FROM audit_backup")
        .await;
    app.db.execute("DELETE FROM audit_head").await;
    app.db
        .execute("INSERT INTO audit_head SELECT * FROM audit_head_backup")
        .await;
    let (code, text) = verify(app);
    assert_eq!(code, 0, "restored log does not verify: {text}");
}

async fn a_busy_log_verifies_and_every_tampering_is_named(app: TestApp) {
    let seed = worked_example(&app).await;
    app.verify_all(&seed.project_id).await;
    let submission: Value = app
        .create(
            &format!("/api/v1/projects/{}/submissions", seed.project_id),
            &json!({"as_of": "2021-02-15"}),
        )
        .await;
    let anchor = submission["audit_seq"].as_i64().expect("audit_seq");
    // Busy: many writers at once, through the group commit and ordinary transactions.
    let mut tasks = Vec::new();
    for i in 0..24 {
        let client = app.client.clone();
        let url = app.url(&seed.expenses_path());
        let mut body = seed.expense(&format!("B{i}/2020"), "10.00", "0.00");
        body["category"] = json!("a");
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("post")
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::CREATED);
    }
    let entries = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;
    assert!(entries > 30, "{entries} entries");
    let (code, text) = verify(&app);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("{entries} voci")), "{text}");

    app.db
        .execute("CREATE TABLE audit_backup AS SELECT * FROM audit_log")
        .await;
    app.db
        .execute("CREATE TABLE audit_head_backup AS SELECT * FROM audit_head")
        .await;

    // An entry changed in place.
    app.db
        .execute("UPDATE audit_log SET actor = 'qualcun.altro@prova.it' WHERE seq = 5")
        .await;
    let (code, text) = verify(&app);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("voce 5: contenuto alterato"), "{text}");
    restore(&app).await;

    // An entry changed and its hash overwritten with another entry's: both are named.
    app.db
        .execute("UPDATE audit_log SET after = '{}' WHERE seq = 6")
        .await;
    app.db
        .execute("UPDATE audit_log SET hash = (SELECT prev_hash FROM audit_log WHERE seq = 8) WHERE seq = 6")
        .await;
    let (code, text) = verify(&app);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("voce 6"), "{text}");
    restore(&app).await;

    // An entry deleted.
    app.db.execute("DELETE FROM audit_log WHERE seq = 7").await;
    let (code, text) = verify(&app);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("voce 7: cancellata"), "{text}");
    restore(&app).await;

    // The tail cut off.
    app.db
        .execute(&format!(
            "DELETE FROM audit_log WHERE seq > {}",
            entries - 3
        ))
        .await;
    let (code, text) = verify(&app);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("coda tagliata"), "{text}");
    restore(&app).await;

    // The tail cut off and the head rewritten to match: the submission's recorded head betrays it.
    app.db
        .execute(&format!("DELETE FROM audit_log WHERE seq >= {anchor}"))
        .await;
    app.db
        .execute(&format!(
            "UPDATE audit_head SET seq = {prev}, hash = (SELECT hash FROM audit_log WHERE seq = {prev})",
            prev = anchor - 1
        ))
        .await;
    let (code, text) = verify(&app);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!(
            "rendicontazione {}",
            submission["id"].as_str().expect("id")
        )) && text.contains(&format!("voce {anchor}")),
        "{text}"
    );
    restore(&app).await;
}

/// Every entry of the CLI is recorded as the local operator.
async fn the_cli_is_recorded_as_the_operator(app: TestApp) {
    let out = run_cli(
        &[
            "user",
            "add",
            "nuovo@prova.it",
            "--database-url",
            &app.database_url,
        ],
        "una password lunga\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_operator = app
        .db
        .scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'cli:operatore' AND action = 'user.create'")
        .await;
    assert_eq!(by_operator, 1);
    // The password never reaches the log.
    let leaked = app
        .db
        .scalar("SELECT COUNT(*) FROM audit_log WHERE after LIKE '%una password lunga%' OR after LIKE '%argon2%'")
        .await;
    assert_eq!(leaked, 0);
    // An empty standard input is refused, and nothing is created.
    let out = run_cli(
        &[
            "user",
            "add",
            "vuoto@prova.it",
            "--database-url",
            &app.database_url,
        ],
        "",
    );
    assert!(!out.status.success());
    assert_eq!(
        app.db
            .scalar("SELECT COUNT(*) FROM users WHERE email = 'vuoto@prova.it'")
            .await,
        0
    );
}

on_both_backends!(
    a_busy_log_verifies_and_every_tampering_is_named,
    the_cli_is_recorded_as_the_operator,
);
