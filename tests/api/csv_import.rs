//! Expenses from an Italian spreadsheet: a dry run lists every row's errors and writes nothing;
//! a file with any wrong row creates nothing; a good one creates every row, with the amounts,
//! dates, entities and categories read the Italian way; a mapping names other headers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{json_of, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/csv")
            .join(name),
    )
    .expect("fixture")
}

async fn import(app: &TestApp, project: &str, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = app
        .post_raw(
            &format!("/api/v1/projects/{project}/imports/expenses.csv?{query}"),
            "text/csv",
            body,
        )
        .await;
    let status = r.status();
    (status, json_of(r).await)
}

async fn a_dry_run_lists_every_rows_errors_and_writes_nothing(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let before = app.db.fingerprint().await;
    let audit = app.db.scalar("SELECT COUNT(*) FROM audit_log").await;

    let (status, report) = import(&app, p, "dry_run=true", fixture("errori.csv")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 4);
    let errors: Vec<(u64, String, String)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
                e["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect();
    let found = |row: u64, field: &str| {
        errors
            .iter()
            .find(|(r, f, _)| *r == row && f == field)
            .unwrap_or_else(|| panic!("no error for row {row} {field}: {errors:?}"))
            .2
            .clone()
    };
    assert!(found(2, "document_date").contains("31/02/2020"));
    assert!(found(2, "document_date").contains("colonna «Data fattura»"));
    assert!(found(3, "entity_id").contains("Comune Inesistente"));
    assert!(found(3, "net_amount").contains("1.00.0"));
    assert!(found(4, "category").contains("catering"));
    assert!(found(4, "supplier_name").contains("obbligatorio"));
    assert!(found(4, "nature").contains("mista"));
    assert!(
        errors.iter().all(|(row, _, _)| *row != 5),
        "row 5 is right: {errors:?}"
    );
    assert_eq!(
        report["expenses"].as_array().expect("planned").len(),
        1,
        "only row 5 would be created"
    );
    assert_eq!(report["expenses"][0]["row"], 5);

    // Committing the same file: refused as a whole, every row's errors named.
    let (status, problem) = import(&app, p, "", fixture("errori.csv")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert!(fields.contains(&"rows[2].document_date"), "{fields:?}");
    assert!(fields.contains(&"rows[4].category"), "{fields:?}");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .expect("message")
        .starts_with("riga 2: "));

    assert_eq!(app.db.fingerprint().await, before, "nothing written");
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM audit_log").await, audit);
}

async fn a_good_file_creates_every_row(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let (status, preview) = import(&app, p, "dry_run=true", fixture("spese.csv")).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["errors"], serde_json::json!([]));
    assert_eq!(preview["ignored_columns"][0], "Note interne");
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 0);

    let (status, report) = import(&app, p, "", fixture("spese.csv")).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["outcome"], "created");
    let ids: Vec<&str> = report["created"]
        .as_array()
        .expect("created")
        .iter()
        .map(|v| v.as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2);
    let first = json_of(app.get(&format!("/api/v1/expenses/{}", ids[0])).await).await;
    assert_eq!(
        first["entity_id"],
        seed.entities[0].as_str(),
        "entity by name"
    );
    assert_eq!(first["category"], "design_training", "category by name");
    assert_eq!(first["net_amount"], "1234.56");
    assert_eq!(first["vat_amount"], "271.60");
    assert_eq!(first["document_date"], "2020-10-15");
    assert_eq!(first["payment_date"], "2020-11-05");
    assert_eq!(first["description"], "Corso \"lavoro agile\", 2a edizione");
    let second = json_of(app.get(&format!("/api/v1/expenses/{}", ids[1])).await).await;
    assert_eq!(second["net_amount"], "10000.00");
    assert_eq!(second["category"], "technology");
    assert_eq!(second["document_date"], "2020-11-03");
    assert_eq!(second["document_type"], "invoice", "the default");

    // The totals the project reports are the file's.
    let list = json_of(app.get(&format!("/api/v1/projects/{p}/expenses")).await).await;
    assert_eq!(list["totals"]["net"], "11234.56", "{}", list["totals"]);

    // One audit entry per row, chained (the batch writes them together).
    let creates = app
        .db
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'expense.create'")
        .await;
    assert_eq!(creates, 2);
    let check = rendiconta::services::audit::verify(&app.services().await)
        .await
        .expect("verify");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

async fn a_mapping_names_other_headers(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let csv = "Ragione sociale;Doc;Del;Netto;Imposta\n\
               Gamma S.p.A.;G/1;20/10/2020;500;110\n"
        .as_bytes()
        .to_vec();
    let (status, problem) = import(&app, p, "entity=Comune%20di%20Carpi", csv.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let query = format!(
        "entity={}&map.supplier_name=Ragione%20sociale&map.document_number=Doc&map.document_date=Del\
         &map.net_amount=Netto&map.vat_amount=Imposta",
        seed.entities[1]
    );
    let (status, report) = import(&app, p, &query, csv.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let id = report["created"][0].as_str().expect("id");
    let e = json_of(app.get(&format!("/api/v1/expenses/{id}")).await).await;
    assert_eq!(e["supplier_name"], "Gamma S.p.A.");
    assert_eq!(e["entity_id"], seed.entities[1].as_str());
    assert_eq!(e["net_amount"], "500.00");

    let (status, problem) = import(&app, p, "map.net_amount=Assente", csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "map.net_amount");
}

async fn a_manager_s_rows_for_other_entities_are_row_errors(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    app.add_member(
        "responsabile@prova.it",
        p,
        "project_manager",
        &[seed.entities[0].as_str()],
    )
    .await;
    let token = app.token_of("responsabile@prova.it").await;
    let manager = crate::common::client_with_token(token["token"].as_str().expect("token"));
    let csv = "Ente;Fornitore;Numero fattura;Data fattura;Imponibile;IVA\n\
               Unione delle Terre d'Argine;Alfa;1;01/10/2020;100,00;22,00\n\
               Comune di Carpi;Beta;2;01/10/2020;100,00;22,00\n";
    let r = manager
        .post(app.url(&format!(
            "/api/v1/projects/{p}/imports/expenses.csv?dry_run=true"
        )))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let report = json_of(r).await;
    assert_eq!(
        report["errors"].as_array().expect("errors").len(),
        1,
        "{report}"
    );
    assert_eq!(report["errors"][0]["row"], 3);
    assert_eq!(report["errors"][0]["code"], "forbidden_entity");
    assert_eq!(report["expenses"][0]["row"], 2);
}

crate::on_both_backends!(
    a_manager_s_rows_for_other_entities_are_row_errors,
    a_dry_run_lists_every_rows_errors_and_writes_nothing,
    a_good_file_creates_every_row,
    a_mapping_names_other_headers,
);
