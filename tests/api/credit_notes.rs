//! Decision 3 of domain.md over the API: a credit note names the invoice it corrects and follows
//! it — excluded with it, counted in its category — on both databases; the FatturaPA importer links
//! `DatiFattureCollegate` to the recorded invoice; an unlinked one warns.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, worked_example, TestApp};

fn reasons(s: &Value) -> Vec<(String, String)> {
    s["excluded"]
        .as_array()
        .expect("excluded")
        .iter()
        .map(|x| {
            let f = |k: &str| x[k].as_str().unwrap_or("").to_owned();
            (f("expense_id"), f("reason"))
        })
        .collect()
}

/// The case that was wrong: a credit note against an unpaid invoice still lowered its category.
async fn a_credit_note_follows_its_invoice(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let mut invoice = seed.expense("F-77", "1000.00", "0.00");
    invoice["entity_id"] = json!(seed.entities[1]);
    invoice["category"] = json!("a");
    invoice["document_date"] = json!("2020-11-10");
    invoice["payment_order_date"] = json!("2020-11-20");
    invoice["payment_date"] = Value::Null;
    let invoice = app.create(&seed.expenses_path(), &invoice).await;
    let invoice_id = invoice["id"].as_str().expect("id").to_owned();
    let before = json_of(app.get(&format!("{base}/summary?as_of=2021-02-15")).await).await;

    let mut note = seed.expense("NC-5", "200.00", "0.00");
    note["document_type"] = json!("credit_note");
    note["category"] = json!("b");
    note["document_date"] = json!("2021-01-05");
    note["payment_order_date"] = Value::Null;
    note["payment_order_number"] = Value::Null;
    note["payment_date"] = Value::Null;
    note["corrects_expense_id"] = json!(invoice_id);
    let note = app.create(&seed.expenses_path(), &note).await;
    let note_id = note["id"].as_str().expect("id").to_owned();
    assert_eq!(note["corrects_expense_id"], invoice_id);

    let s = json_of(app.get(&format!("{base}/summary?as_of=2021-02-15")).await).await;
    // Excluded as its invoice is (unpaid), not counted in B nor outside the period on its date.
    assert!(
        reasons(&s).contains(&(note_id.clone(), "unpaid".to_owned())),
        "{s}"
    );
    assert_eq!(s["categories"], before["categories"]);
    assert_eq!(s["contribution_due"], before["contribution_due"]);

    // Once the invoice is paid, both count, in the invoice's category A.
    let path = format!("/api/v1/expenses/{invoice_id}");
    let tag = app.get(&path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let paid = app
        .patch(&path, Some(&tag), &json!({"payment_date": "2021-01-20"}))
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    let s = json_of(app.get(&format!("{base}/summary?as_of=2021-02-15")).await).await;
    assert!(!reasons(&s).iter().any(|(id, _)| *id == note_id), "{s}");
    assert_eq!(
        s["categories"][0]["eligible"], "6020.00",
        "5.220 + 1.000 − 200"
    );
    assert_eq!(
        s["categories"][1]["eligible"],
        before["categories"][1]["eligible"]
    );
}

/// A link must name an invoice of the project and of the same supplier, from a credit note; an
/// unlinked credit note counts on its own and warns.
async fn links_are_checked_and_unlinked_notes_warn(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    let invoice_id = list["items"][0]["id"].as_str().expect("id").to_owned();
    let mut other = seed.expense("Y-1", "50.00", "0.00");
    other["supplier_name"] = json!("Altro Fornitore S.r.l.");
    other["supplier_vat"] = json!("IT00743110157");
    other["category"] = json!("a");
    let other = app.create(&seed.expenses_path(), &other).await;
    let cases = [
        (json!("credit_note"), json!(other["id"]), "other_supplier"),
        (json!("credit_note"), json!("999999"), "unknown_invoice"),
        (json!("invoice"), json!(invoice_id), "not_a_credit_note"),
    ];
    for (kind, target, code) in cases {
        let mut note = seed.expense("NC-9", "10.00", "0.00");
        note["document_type"] = kind;
        note["category"] = json!("a");
        note["corrects_expense_id"] = target;
        let refused = app.post(&seed.expenses_path(), &note).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem = json_of(refused).await;
        assert_eq!(
            problem["errors"][0]["field"], "corrects_expense_id",
            "{problem}"
        );
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    let mut unlinked = seed.expense("NC-10", "10.00", "0.00");
    unlinked["document_type"] = json!("credit_note");
    unlinked["category"] = json!("a");
    unlinked["payment_date"] = Value::Null;
    app.create(&seed.expenses_path(), &unlinked).await;
    let s = json_of(app.get(&format!("{base}/summary?as_of=2021-02-15")).await).await;
    let codes: Vec<&str> = s["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect();
    assert!(codes.contains(&"credit_note_unlinked"), "{codes:?}");
}

/// The importer links a credit note's `DatiFattureCollegate` to the invoice already recorded.
async fn the_importer_links_the_credit_note_to_its_invoice(app: TestApp) {
    let seed = app.seed().await;
    let mut invoice = seed.expense("SAMPLE-001", "3000.00", "660.00");
    invoice["supplier_name"] = json!("M\u{aa}F. Services");
    invoice["supplier_vat"] = json!("IT12345678903");
    invoice["document_date"] = json!("2023-03-02");
    invoice["payment_order_date"] = json!("2023-03-20");
    invoice["payment_date"] = json!("2023-03-25");
    let invoice = app.create(&seed.expenses_path(), &invoice).await;
    let file = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fatturapa/invoice-credit-note.xml"),
    )
    .expect("fixture");
    let r = app
        .post_raw(
            &format!(
                "/api/v1/projects/{}/imports/fatturapa?entity={}&category=design_training&file=nc.xml",
                seed.project_id, seed.entities[0]
            ),
            "application/octet-stream",
            file,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created = json_of(r).await;
    let id = created["created"][0].as_str().expect("id");
    let note = json_of(app.get(&format!("/api/v1/expenses/{id}")).await).await;
    assert_eq!(note["document_type"], "credit_note");
    assert_eq!(note["corrects_expense_id"], invoice["id"]);
}

crate::on_both_backends!(
    a_credit_note_follows_its_invoice,
    links_are_checked_and_unlinked_notes_warn,
    the_importer_links_the_credit_note_to_its_invoice
);
