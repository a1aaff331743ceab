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

/// Decision 2 of domain.md: a document is its supplier (VAT id, else the name however written), its
/// number and its date. Sixteen clients race to record parts of one document of a supplier without
/// a VAT id, stating two different totals: the first part recorded fixes the total, parts stating
/// another are refused (`document_total_mismatch`), and together the parts never claim more.
async fn racing_parts_of_a_document_without_vat_id_state_one_total(app: TestApp) {
    let seed = app.seed().await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let app = app.clone();
        let (net, name) = if i % 2 == 0 {
            ("1000.00", "Studio Rossi & C. s.r.l.")
        } else {
            ("1200.00", "STUDIO ROSSI & C SRL")
        };
        let mut body = seed.expense("PARTI/2020", net, "0.00");
        body["supplier_vat"] = serde_json::Value::Null;
        body["supplier_name"] = json!(name);
        body["claimed_amount"] = json!("300.00");
        let path = seed.expenses_path();
        tasks.push(tokio::spawn(async move {
            let r = app.post(&path, &body).await;
            let status = r.status();
            let problem: serde_json::Value = r.json().await.unwrap_or_default();
            (status, problem["code"].as_str().unwrap_or("").to_owned())
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, code)
                if code == "document_total_mismatch" || code == "document_overclaimed" => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let totals = app
        .db
        .scalar("SELECT COUNT(DISTINCT net_cents + vat_cents) FROM expenses")
        .await;
    assert_eq!(totals, 1, "every part kept states the same total");
    let total = app
        .db
        .scalar("SELECT MIN(net_cents + vat_cents) FROM expenses")
        .await;
    let claimed = app
        .db
        .scalar("SELECT CAST(SUM(claimed_cents) AS BIGINT) FROM expenses")
        .await;
    assert!(claimed <= total, "{claimed} claimed of {total}");
    // As many 300 € parts as fit in the total the first part fixed.
    assert_eq!(created, total / 30_000);
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

/// Concurrent creates share a commit. One of them fails in the database for a reason that is not a
/// refusal (a trigger stands in for a fault) and others are refused by the document rule: each gets
/// its own answer, every other one lands, and the audit trail holds one entry per expense created,
/// its chain intact.
async fn one_failing_create_does_not_fail_the_others(app: TestApp) {
    let seed = app.seed().await;
    match app.backend {
        crate::common::Backend::Sqlite => {
            app.db
                .execute(
                    "CREATE TRIGGER fault BEFORE INSERT ON expenses \
                     WHEN NEW.document_number = 'GUASTO/2020' \
                     BEGIN SELECT RAISE(ABORT, 'guasto simulato'); END",
                )
                .await
        }
        crate::common::Backend::Postgres => {
            app.db
                .execute(
                    "CREATE FUNCTION fault() RETURNS trigger AS $$ BEGIN \
                     IF NEW.document_number = 'GUASTO/2020' THEN RAISE EXCEPTION 'guasto simulato'; \
                     END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                )
                .await;
            app.db
                .execute(
                    "CREATE TRIGGER fault BEFORE INSERT ON expenses \
                     FOR EACH ROW EXECUTE FUNCTION fault()",
                )
                .await
        }
    }
    let app = std::sync::Arc::new(app);
    let path = seed.expenses_path();
    // 12 ordinary documents, the faulty one, and three parts of one 100 € invoice claiming 40 €
    // each (the third would overclaim it).
    let mut bodies: Vec<_> = (0..12)
        .map(|i| seed.expense(&format!("G{i}/2020"), "10.00", "2.20"))
        .collect();
    bodies.push(seed.expense("GUASTO/2020", "10.00", "2.20"));
    for _ in 0..3 {
        let mut part = seed.expense("PARTI/2020", "100.00", "0.00");
        part["claimed_amount"] = json!("40.00");
        bodies.push(part);
    }
    let mut tasks = Vec::new();
    for body in bodies {
        let (app, path) = (app.clone(), path.clone());
        let number = body["document_number"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        tasks.push(tokio::spawn(async move {
            (number, app.post(&path, &body).await.status())
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        let (number, status) = t.await.expect("task");
        match number.as_str() {
            "GUASTO/2020" => assert!(status.is_server_error(), "{number}: {status}"),
            "PARTI/2020" if status == StatusCode::CONFLICT => refused += 1,
            _ => {
                assert_eq!(status, StatusCode::CREATED, "{number}");
                created += 1;
            }
        }
    }
    assert_eq!((created, refused), (14, 1));
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 14);
    let entries = app
        .db
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'expense.create'")
        .await;
    assert_eq!(entries, 14);
    let services = app.services().await;
    let verification = rendiconta::services::audit::verify(&services)
        .await
        .expect("verify");
    assert!(
        verification.problems.is_empty(),
        "{:?}",
        verification.problems
    );
}

crate::on_both_backends!(
    racing_parts_never_overclaim,
    racing_parts_of_a_document_without_vat_id_state_one_total,
    concurrent_creates_all_land,
    one_failing_create_does_not_fail_the_others
);
