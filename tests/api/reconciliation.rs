//! Reconciliation with the accounts: the payments export matched to the expenses by supplier,
//! invoice number and amount; a dry run writes nothing; applying records the payment orders in
//! one go; what matches nothing is listed on both sides; a second run changes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, TestApp};

fn payments() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv/pagamenti.csv"),
    )
    .expect("fixture")
}

async fn reconcile(app: &TestApp, project: &str, query: &str) -> (StatusCode, Value) {
    let r = app
        .post_raw(
            &format!("/api/v1/projects/{project}/reconciliation?{query}"),
            "text/csv",
            payments(),
        )
        .await;
    let status = r.status();
    (status, json_of(r).await)
}

fn outcomes(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|d| {
            (
                d["document_number"].as_str().expect("number").to_owned(),
                d["outcome"].as_str().expect("outcome").to_owned(),
            )
        })
        .collect()
}

async fn payments_are_matched_and_the_rest_listed(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let mut ids = Vec::new();
    for (number, net, vat) in [
        ("R1/2020", "1000.00", "220.00"),
        ("R2/2020", "500.00", "110.00"),
        ("R3/2020", "100.00", "22.00"),
    ] {
        let mut body = seed.expense(number, net, vat);
        for field in ["payment_order_number", "payment_order_date", "payment_date"] {
            body[field] = Value::Null;
        }
        ids.push(
            app.create(&seed.expenses_path(), &body).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let before = app.db.fingerprint().await;

    let (status, dry) = reconcile(&app, p, "dry_run=true").await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["lines"], 5);
    assert_eq!(
        outcomes(&dry["matched"]),
        vec![
            ("r1/2020".to_owned(), "matched".to_owned()),
            ("R2/2020".to_owned(), "matched".to_owned())
        ]
    );
    assert!(dry["matched"][1]["message"]
        .as_str()
        .expect("message")
        .contains("scissione"));
    assert_eq!(
        outcomes(&dry["unmatched_payments"]),
        vec![
            ("X9".to_owned(), "no_document".to_owned()),
            ("R3/2020".to_owned(), "amount_differs".to_owned())
        ]
    );
    assert!(dry["unmatched_payments"][1]["message"]
        .as_str()
        .expect("message")
        .contains("122,00 €"));
    let unpaid: Vec<&str> = dry["unpaid_expenses"]
        .as_array()
        .expect("unpaid")
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(unpaid, vec![ids[2].as_str()]);
    let bad: Vec<&str> = dry["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert!(bad.contains(&"payment_order_date"), "{bad:?}");
    assert!(bad.contains(&"amount"), "{bad:?}");
    assert!(bad.contains(&"supplier_vat"), "{bad:?}");
    assert!(dry["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .all(|e| e["row"] == 6));
    assert_eq!(dry["updated"], json!([]));
    assert_eq!(
        app.db.fingerprint().await,
        before,
        "a dry run writes nothing"
    );

    let (status, applied) = reconcile(&app, p, "").await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(applied["updated"], json!([ids[0], ids[1]]));
    let first = json_of(app.get(&format!("/api/v1/expenses/{}", ids[0])).await).await;
    assert_eq!(first["payment_order_number"], "4101");
    assert_eq!(first["payment_order_date"], "2020-11-02");
    assert_eq!(first["payment_date"], "2020-11-05");
    let history = json_of(
        app.get(&format!("/api/v1/expenses/{}/history", ids[1]))
            .await,
    )
    .await;
    assert!(
        history.to_string().contains("expense.reconcile"),
        "{history}"
    );

    let (_, again) = reconcile(&app, p, "").await;
    assert_eq!(again["updated"], json!([]));
    assert_eq!(
        outcomes(&again["unmatched_payments"])[..2],
        [
            ("r1/2020".to_owned(), "already_reconciled".to_owned()),
            ("R2/2020".to_owned(), "already_reconciled".to_owned())
        ]
    );

    // An export without the columns it needs is refused as a whole.
    let r = app
        .post_raw(
            &format!("/api/v1/projects/{p}/reconciliation"),
            "text/csv",
            b"Mandato;Importo\n1;2,00\n".to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(r).await;
    assert_eq!(
        problem["errors"][0]["field"], "map.payment_order_date",
        "{problem}"
    );
}

crate::on_both_backends!(payments_are_matched_and_the_rest_listed);
