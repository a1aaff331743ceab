//! Importing FatturaPA files over the API: created, previewed, skipped the second time, refused
//! when tampered, and nothing written but what a successful import creates.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fatturapa")
            .join(name),
    )
    .expect("fixture")
}

async fn import(app: &TestApp, project: &str, query: &str, file: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/projects/{project}/imports/fatturapa?{query}&file={file}"
        )))
        .header("content-type", "application/octet-stream")
        .body(fixture(file))
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn e_invoices_become_expenses_once(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let entity = format!("entity={}&category=design_training", seed.entities[1]);
    let before = app.db.fingerprint().await;

    let (status, preview) = import(
        &app,
        p,
        &format!("{entity}&dry_run=true"),
        "invoice-credit-note.xml",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["outcome"], "preview");
    assert_eq!(
        preview["expenses"][0]["supplier_name"],
        "M\u{aa}F. Services"
    );
    assert_eq!(
        app.db.fingerprint().await,
        before,
        "a preview writes nothing"
    );

    let (status, created) = import(&app, p, &entity, "invoice-credit-note.xml").await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["created"][0].as_str().expect("id");
    let expense: Value = app
        .get(&format!("/api/v1/expenses/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(expense["document_type"], "credit_note");
    assert_eq!(expense["net_amount"], "1720.00");
    assert_eq!(expense["vat_amount"], "356.40");
    assert_eq!(
        expense["supplier_name"], "M\u{aa}F. Services",
        "the ª survives the round trip"
    );
    assert_eq!(
        expense["supplier_vat"], "12345678903",
        "a partita IVA, stored without IT"
    );
    assert_eq!(expense["status"], "draft");
    let warnings = created["expenses"][0]["warnings"].to_string();
    assert!(warnings.contains("totale dichiarato"), "{warnings}");

    let (status, again) = import(&app, p, &entity, "invoice-credit-note.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["outcome"], "skipped");
    assert!(again["message"]
        .as_str()
        .is_some_and(|m| m.contains("già importata")));

    let after_one = app.db.fingerprint().await;
    let (status, refused) = import(&app, p, &entity, "IT02182030391_31_tampered.xml.p7m").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["code"], "file_refused");
    assert_eq!(
        app.db.fingerprint().await,
        after_one,
        "a refused file writes nothing"
    );

    // A batch file: one expense per body, in one go.
    let (status, batch) = import(&app, p, &entity, "IT01234567890_FPA03.xml").await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["created"].as_array().map(Vec::len), Some(2));

    let (status, bad) = import(&app, p, "category=design_training", "invoice-b2g.xml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["errors"][0]["field"], "entity");
}

/// The same e-invoice imported by two requests at once, in batches with other files: the document
/// is created once (the other request skips it, or has that file refused by the overclaim guard
/// and rolled back to its savepoint), the other files of both batches are kept, and the audit
/// chain stays whole.
async fn concurrent_batches_keep_each_file_whole(app: TestApp) {
    let seed = app.seed().await;
    let services = app.services().await;
    let target = rendiconta::services::imports::Target {
        project: seed.project_id.parse().expect("project"),
        entity: seed.entities[0].parse().expect("entity"),
        category: None,
        nature: rendiconta::domain::Nature::Current,
        dry_run: false,
    };
    let operator = rendiconta::domain::access::Actor::Operator("cli:test".into());
    let batch = |other: &str| {
        vec![
            ("comune.xml".to_owned(), fixture("IT01234567890_FPA01.xml")),
            (other.to_owned(), fixture(other)),
        ]
    };
    let (a, b) = tokio::join!(
        rendiconta::services::imports::fatturapa_batch(
            &services,
            &operator,
            &target,
            batch("invoice-credit-note.xml")
        ),
        rendiconta::services::imports::fatturapa_batch(
            &services,
            &operator,
            &target,
            batch("IT01234567890_FPA03.xml")
        ),
    );
    let (a, b) = (a.expect("batch a"), b.expect("batch b"));
    use rendiconta::services::imports::Outcome;
    let shared: Vec<Outcome> = vec![a[0].outcome, b[0].outcome];
    assert_eq!(
        shared.iter().filter(|o| **o == Outcome::Created).count(),
        1,
        "the shared file is created once: {a:?} {b:?}"
    );
    assert_eq!(a[1].outcome, Outcome::Created, "{a:?}");
    assert_eq!(b[1].outcome, Outcome::Created, "{b:?}");
    // FPA01 has one body, the credit note one, FPA03 two.
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 4);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM attachments").await, 4);
    let check = rendiconta::services::audit::verify(&services)
        .await
        .expect("verify");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

crate::on_both_backends!(
    e_invoices_become_expenses_once,
    concurrent_batches_keep_each_file_whole
);
