//! The happy paths of the contract: create, read, list, patch and delete.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestApp;

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

async fn health_and_openapi(app: TestApp) {
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(json_of(health).await["status"], "ok");
    let spec = json_of(app.get("/api/v1/openapi.json").await).await;
    assert!(spec["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.")));
    for path in [
        "/api/v1/calls",
        "/api/v1/projects/{id}/expenses",
        "/api/v1/expenses/{id}",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}

async fn call_round_trip(app: TestApp) {
    let response = app.post("/api/v1/calls", &crate::common::call_body()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created = json_of(response).await;
    assert_eq!(
        location,
        format!("/api/v1/calls/{}", created["id"].as_str().expect("id"))
    );
    let fetched = json_of(app.get(&location).await).await;
    assert_eq!(fetched, created);
    assert_eq!(fetched["contribution_rate"], "0.70");
    assert_eq!(fetched["max_contribution"], "105000.00");
    assert_eq!(fetched["categories"][1]["ceiling_share"], "0.30");
    assert_eq!(fetched["categories"][0]["ceiling_share"], Value::Null);
    let list = json_of(app.get("/api/v1/calls").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["per_page"], 50);
}

async fn project_defaults_and_entities(app: TestApp) {
    let seed = app.seed().await;
    let project = json_of(
        app.get(&format!("/api/v1/projects/{}", seed.project_id))
            .await,
    )
    .await;
    // Dates left out default to the call's eligibility period.
    assert_eq!(project["start_date"], "2020-09-01");
    assert_eq!(project["end_date"], "2020-12-31");
    assert_eq!(project["approved_total"], "150000.00");
    let entities = json_of(
        app.get(&format!("/api/v1/projects/{}/entities", seed.project_id))
            .await,
    )
    .await;
    assert_eq!(entities["total"], 3);
    assert_eq!(entities["items"][1]["name"], "Comune di Carpi");
    // The same entity name twice in a project is a conflict.
    let again = app
        .post(
            &format!("/api/v1/projects/{}/entities", seed.project_id),
            &json!({"name": "Comune di Carpi"}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(json_of(again).await["code"], "duplicate_entity");
}

async fn expense_create_defaults_and_location(app: TestApp) {
    let seed = app.seed().await;
    let response = app
        .post(
            &seed.expenses_path(),
            &seed.expense("101/2020", "1000.00", "220.00"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let etag = response.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let created = json_of(response).await;
    assert_eq!(
        created["claimed_amount"], "1220.00",
        "claimed defaults to net + VAT"
    );
    assert_eq!(created["total_amount"], "1220.00");
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["supplier_vat"], "01234567897",
        "the IT prefix is dropped"
    );
    let fetched = app.get(&location).await;
    assert_eq!(fetched.headers()["etag"].to_str().expect("etag"), etag);
    assert_eq!(json_of(fetched).await, created);
}

async fn patch_requires_if_match_and_detects_stale_versions(app: TestApp) {
    let seed = app.seed().await;
    let created = app
        .create(
            &seed.expenses_path(),
            &seed.expense("7/2020", "500.00", "110.00"),
        )
        .await;
    let path = format!("/api/v1/expenses/{}", created["id"].as_str().expect("id"));
    let etag = app.get(&path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();

    let before = app.db.fingerprint().await;
    let missing = app.patch(&path, None, &json!({"description": "x"})).await;
    assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(json_of(missing).await["code"], "precondition_required");

    // First officer edits: only the field sent changes.
    let first = app
        .patch(
            &path,
            Some(&etag),
            &json!({"description": "Formazione – modulo 2"}),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let new_etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    assert_ne!(new_etag, etag);
    let updated = json_of(first).await;
    assert_eq!(updated["description"], "Formazione – modulo 2");
    assert_eq!(updated["net_amount"], "500.00");
    assert_eq!(updated["document_number"], "7/2020");

    // Second officer still holds the old ETag: refused, nothing overwritten.
    let after_first = app.db.fingerprint().await;
    assert_ne!(before, after_first);
    let stale = app
        .patch(
            &path,
            Some(&etag),
            &json!({"description": "sovrascrittura"}),
        )
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.db.fingerprint().await, after_first);
    assert_eq!(
        json_of(app.get(&path).await).await["description"],
        "Formazione – modulo 2"
    );

    // null removes an optional field (merge-patch), and read-only fields cannot change.
    let cleared = json_of(
        app.patch(&path, Some(&new_etag), &json!({"cig": null}))
            .await,
    )
    .await;
    assert_eq!(cleared["cig"], Value::Null);
    let tag = app.get(&path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let read_only = app
        .patch(&path, Some(&tag), &json!({"status": "verified"}))
        .await;
    assert_eq!(read_only.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(read_only).await["errors"][0]["field"], "status");
}

async fn project_date_change_needs_an_act(app: TestApp) {
    let seed = app.seed().await;
    let path = format!("/api/v1/projects/{}", seed.project_id);
    let etag = app.get(&path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let without_act = app
        .patch(&path, Some(&etag), &json!({"end_date": "2021-03-31"}))
        .await;
    assert_eq!(without_act.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json_of(without_act).await["errors"][0]["field"],
        "change_act"
    );
    // The end is in force from the act's date: without it the change is refused too.
    let without_date = app
        .patch(
            &path,
            Some(&etag),
            &json!({"end_date": "2021-03-31", "change_act": "DGR 2143/2020"}),
        )
        .await;
    assert_eq!(without_date.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json_of(without_date).await["errors"][0]["code"],
        "act_date_required"
    );
    let moved = app
        .patch(
            &path,
            Some(&etag),
            &json!({"end_date": "2021-03-31", "change_act": "DGR 2143/2020",
                    "change_act_date": "2020-12-21"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let project = json_of(moved).await;
    assert_eq!(project["end_date"], "2021-03-31");
    assert_eq!(
        project["date_history"],
        json!([{"field": "end_date", "value": "2021-03-31", "act": "DGR 2143/2020",
                "act_date": "2020-12-21", "kind": "change",
                "recorded_at": project["date_history"][0]["recorded_at"]}])
    );
    assert_eq!(project["version"], 2);
}

async fn split_document_cannot_be_overclaimed(app: TestApp) {
    let seed = app.seed().await;
    // One invoice of 1.220,00 € split between training (800) and technology (420).
    let mut training = seed.expense("55/2020", "1000.00", "220.00");
    training["claimed_amount"] = json!("800.00");
    let first = app.create(&seed.expenses_path(), &training).await;
    let mut technology = seed.expense("55/2020", "1000.00", "220.00");
    technology["category"] = json!("technology");
    technology["entity_id"] = json!(seed.entities[1]);
    technology["claimed_amount"] = json!("420.00");
    app.create(&seed.expenses_path(), &technology).await;

    let before = app.db.fingerprint().await;
    let mut third = seed.expense("55/2020", "1000.00", "220.00");
    third["claimed_amount"] = json!("0.01");
    let refused = app.post(&seed.expenses_path(), &third).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let problem = json_of(refused).await;
    assert_eq!(problem["code"], "document_overclaimed");
    assert!(problem["related"]
        .as_array()
        .is_some_and(|r| r.contains(&first["id"])));
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("1.220,00 €")));
    assert_eq!(app.db.fingerprint().await, before);

    // The same number from another supplier is another document.
    let mut other_supplier = seed.expense("55/2020", "1000.00", "220.00");
    other_supplier["supplier_vat"] = json!("00484960588");
    app.create(&seed.expenses_path(), &other_supplier).await;
}

async fn list_filters_sorts_and_pages(app: TestApp) {
    let seed = app.seed().await;
    for (i, (entity, category, date, net)) in [
        (0, "design_training", "2020-09-10", "100.00"),
        (1, "design_training", "2020-10-10", "300.00"),
        (1, "technology", "2020-11-10", "200.00"),
        (2, "technology", "2020-12-10", "400.00"),
        (0, "design_training", "2020-12-20", "500.00"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = seed.expense(&format!("{i}/2020"), net, "0.00");
        body["entity_id"] = json!(seed.entities[entity]);
        body["category"] = json!(category);
        body["document_date"] = json!(date);
        body["payment_order_date"] = json!("2020-12-28");
        body["payment_date"] = json!("2020-12-30");
        if i == 3 {
            body["description"] = json!("Licenze per l'attività da remoto");
        }
        app.create(&seed.expenses_path(), &body).await;
    }
    let path = seed.expenses_path();
    let all = json_of(
        app.get(&format!("{path}?sort=-net_amount&per_page=2"))
            .await,
    )
    .await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["per_page"], 2);
    let nets: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["net_amount"].as_str().expect("net"))
        .collect();
    assert_eq!(nets, ["500.00", "400.00"]);
    assert_eq!(all["totals"]["net"], "1500.00");
    let page3 = json_of(
        app.get(&format!("{path}?sort=-net_amount&per_page=2&page=3"))
            .await,
    )
    .await;
    assert_eq!(page3["items"][0]["net_amount"], "100.00");

    let tech = json_of(app.get(&format!("{path}?category=technology")).await).await;
    assert_eq!(tech["total"], 2);
    assert_eq!(tech["totals"]["claimed"], "600.00");
    let entity = json_of(
        app.get(&format!("{path}?entity={}", seed.entities[1]))
            .await,
    )
    .await;
    assert_eq!(entity["total"], 2);
    let period = json_of(
        app.get(&format!("{path}?date_from=2020-10-01&date_to=2020-11-30"))
            .await,
    )
    .await;
    assert_eq!(period["total"], 2);
    // Text search ignores case and accents.
    let text = json_of(app.get(&format!("{path}?q=ATTIVITA")).await).await;
    assert_eq!(text["total"], 1);
    assert_eq!(text["items"][0]["document_number"], "3/2020");
    let none = json_of(app.get(&format!("{path}?q=%25")).await).await;
    assert_eq!(none["total"], 0, "% is searched literally");
    let drafts = json_of(app.get(&format!("{path}?status=draft")).await).await;
    assert_eq!(drafts["total"], 5);
}

async fn credit_notes_reduce_totals(app: TestApp) {
    let seed = app.seed().await;
    app.create(
        &seed.expenses_path(),
        &seed.expense("1/2020", "1000.00", "220.00"),
    )
    .await;
    let mut credit = seed.expense("NC 1/2020", "100.00", "22.00");
    credit["document_type"] = json!("credit_note");
    let note = app.create(&seed.expenses_path(), &credit).await;
    assert_eq!(
        note["claimed_amount"], "122.00",
        "credit notes are stored with positive amounts"
    );
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    assert_eq!(list["totals"]["claimed"], "1098.00");
    assert_eq!(list["totals"]["net"], "900.00");
}

async fn delete_removes_and_honours_if_match(app: TestApp) {
    let seed = app.seed().await;
    let created = app
        .create(
            &seed.expenses_path(),
            &seed.expense("9/2020", "10.00", "2.20"),
        )
        .await;
    let path = format!("/api/v1/expenses/{}", created["id"].as_str().expect("id"));
    let stale = app
        .client
        .delete(app.url(&path))
        .header("if-match", "\"v9\"")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let gone = app
        .client
        .delete(app.url(&path))
        .header("if-match", "\"v1\"")
        .send()
        .await
        .expect("DELETE");
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
}

crate::on_both_backends!(
    health_and_openapi,
    call_round_trip,
    project_defaults_and_entities,
    expense_create_defaults_and_location,
    patch_requires_if_match_and_detects_stale_versions,
    project_date_change_needs_an_act,
    split_document_cannot_be_overclaimed,
    list_filters_sorts_and_pages,
    credit_notes_reduce_totals,
    delete_removes_and_honours_if_match,
);
