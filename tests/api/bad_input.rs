//! Bad input gets a clear error and loses nothing: every case is a 4xx that names the field, in
//! Italian, with a stable code, and the database is as it was.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, TestApp};

struct Case {
    what: &'static str,
    body: Body,
    status: StatusCode,
    field: Option<&'static str>,
    code: &'static str,
}

enum Body {
    /// The valid expense with these fields replaced (a `null` removes the field).
    Change(Value),
    Raw(&'static str, Vec<u8>),
}

fn cases() -> Vec<Case> {
    use Body::{Change, Raw};
    let c = |what, body, status, field, code| Case {
        what,
        body,
        status,
        field,
        code,
    };
    vec![
        c(
            "malformed JSON",
            Raw("application/json", b"{\"net_amount\": ".to_vec()),
            StatusCode::BAD_REQUEST,
            None,
            "malformed_json",
        ),
        c(
            "trailing garbage",
            Raw("application/json", b"{} {}".to_vec()),
            StatusCode::BAD_REQUEST,
            None,
            "malformed_json",
        ),
        c(
            "not JSON at all",
            Raw("text/plain", b"net=1".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "unsupported_media_type",
        ),
        c(
            "body over 1 MiB",
            Raw(
                "application/json",
                format!("{{\"description\": \"{}\"}}", "a".repeat(1_100_000)).into_bytes(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            "payload_too_large",
        ),
        c(
            "amount as a number",
            Change(json!({"net_amount": 1000.5})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("net_amount"),
            "invalid_type",
        ),
        c(
            "amount with three decimals",
            Change(json!({"net_amount": "1000.123"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("net_amount"),
            "too_many_decimals",
        ),
        c(
            "amount with a comma",
            Change(json!({"vat_amount": "220,00"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("vat_amount"),
            "invalid_amount",
        ),
        c(
            "negative amount",
            Change(json!({"net_amount": "-10.00"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("net_amount"),
            "negative_amount",
        ),
        c(
            "claimed above the total",
            Change(json!({"claimed_amount": "1220.01"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("claimed_amount"),
            "claimed_above_total",
        ),
        c(
            "zero claimed",
            Change(json!({"claimed_amount": "0.00"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("claimed_amount"),
            "claimed_not_positive",
        ),
        c(
            "wrong type of a flag",
            Change(json!({"vat_recoverable": "no"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("vat_recoverable"),
            "invalid_type",
        ),
        c(
            "unknown field",
            Change(json!({"importo": "10.00"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("importo"),
            "unknown_field",
        ),
        c(
            "missing required field",
            Change(json!({"document_number": null})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("document_number"),
            "required",
        ),
        c(
            "impossible date",
            Change(json!({"document_date": "2021-02-30"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("document_date"),
            "impossible_date",
        ),
        c(
            "date in another format",
            Change(json!({"document_date": "15/10/2020"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("document_date"),
            "invalid_date",
        ),
        c(
            "paid before the document",
            Change(json!({"payment_date": "2020-10-01", "payment_order_date": null})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("payment_date"),
            "paid_before_document",
        ),
        c(
            "unknown entity",
            Change(json!({"entity_id": "99999"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("entity_id"),
            "unknown_entity",
        ),
        c(
            "malformed entity id",
            Change(json!({"entity_id": "abc"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("entity_id"),
            "invalid_id",
        ),
        c(
            "category not in the call",
            Change(json!({"category": "travel"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("category"),
            "unknown_category",
        ),
        c(
            "bad partita IVA check digit",
            Change(json!({"supplier_vat": "01234567890"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("supplier_vat"),
            "supplier_vat_check_digit",
        ),
        c(
            "CUP of the wrong length",
            Change(json!({"cup": "E91B2000058000"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cup"),
            "cup_length",
        ),
        c(
            "CIG of the wrong length",
            Change(json!({"cig": "Z1A2B3C4D"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cig"),
            "cig_length",
        ),
        c(
            "unknown document type",
            Change(json!({"document_type": "fattura"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("document_type"),
            "invalid_choice",
        ),
        c(
            "an array instead of an object",
            Raw("application/json", b"[1,2]".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            "validation_failed",
        ),
    ]
}

async fn every_bad_expense_is_refused_and_nothing_changes(app: TestApp) {
    let seed = app.seed().await;
    let valid = seed.expense("1/2020", "1000.00", "220.00");
    let path = seed.expenses_path();
    let before = app.db.fingerprint().await;
    for case in cases() {
        let response = match case.body {
            Body::Change(changes) => {
                let mut body = valid.clone();
                for (k, v) in changes.as_object().expect("object") {
                    if v.is_null() {
                        body.as_object_mut().expect("object").remove(k);
                    } else {
                        body[k] = v.clone();
                    }
                }
                app.post(&path, &body).await
            }
            Body::Raw(content_type, bytes) => app.post_raw(&path, content_type, bytes).await,
        };
        assert_eq!(response.status(), case.status, "{}", case.what);
        assert_eq!(
            response.headers()["content-type"]
                .to_str()
                .expect("content type"),
            "application/problem+json",
            "{}",
            case.what
        );
        let problem: Value = response.json().await.expect("problem json");
        let detail = problem["detail"].as_str().unwrap_or("");
        assert!(!detail.is_empty(), "{}: an Italian detail", case.what);
        match case.field {
            Some(field) => {
                let error = problem["errors"]
                    .as_array()
                    .and_then(|errors| errors.iter().find(|e| e["field"] == field))
                    .unwrap_or_else(|| panic!("{}: no error for {field} in {problem}", case.what));
                assert_eq!(error["code"], case.code, "{}: {problem}", case.what);
                assert!(
                    error["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{}",
                    case.what
                );
            }
            None if case.status == StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(problem["code"], case.code, "{}", case.what)
            }
            None => assert_eq!(problem["code"], case.code, "{}", case.what),
        }
        assert_eq!(
            app.db.fingerprint().await,
            before,
            "{} changed the database",
            case.what
        );
    }
    // And the valid body is accepted, so the cases above failed for their own reason.
    app.create(&path, &valid).await;
}

async fn several_errors_are_reported_together(app: TestApp) {
    let seed = app.seed().await;
    let body = json!({"entity_id": seed.entities[0], "net_amount": "1.234", "document_date": "2020-13-01"});
    let response = app.post(&seed.expenses_path(), &body).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or(""))
        .collect();
    for f in [
        "net_amount",
        "document_date",
        "supplier_name",
        "document_type",
        "document_number",
        "vat_amount",
    ] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("controllare")));
}

async fn unknown_ids_are_404(app: TestApp) {
    let seed = app.seed().await;
    for path in [
        "/api/v1/expenses/424242",
        "/api/v1/expenses/abc",
        "/api/v1/projects/99/expenses",
        "/api/v1/calls/0",
        "/api/v1/projects/1x",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["code"], "not_found");
    }
    let before = app.db.fingerprint().await;
    let response = app
        .post(
            "/api/v1/projects/999/expenses",
            &seed.expense("1/2020", "1.00", "0.00"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.db.fingerprint().await, before);
}

async fn bad_calls_and_projects(app: TestApp) {
    let before = app.db.fingerprint().await;
    let mut call = crate::common::call_body();
    call["contribution_rate"] = json!("1.5");
    call["eligibility_end"] = json!("2020-08-01");
    call["categories"][1]["ceiling_amount"] = json!("45000.00");
    let response = app.post("/api/v1/calls", &call).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.expect("json");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or(""))
        .collect();
    assert!(fields.contains(&"contribution_rate"));
    assert!(fields.contains(&"eligibility_end"));
    assert!(fields.contains(&"categories[1].ceiling_amount"));
    assert_eq!(app.db.fingerprint().await, before);

    let seed = app.seed().await;
    let before = app.db.fingerprint().await;
    let project = json!({"call_id": seed.call_id, "title": "X", "lead_entity": "Y", "granted_contribution": "10.00",
        "cup": "SHORT", "budget": [{"category": "catering", "amount": "10.00"}]});
    let response = app.post("/api/v1/projects", &project).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "cup");
    let response = app
        .post(
            "/api/v1/projects",
            &json!({"call_id": seed.call_id, "title": "X", "lead_entity": "Y",
        "granted_contribution": "10.00", "budget": [{"category": "catering", "amount": "10.00"}]}),
        )
        .await;
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "budget[0].category");
    assert_eq!(problem["errors"][0]["code"], "unknown_category");
    assert_eq!(app.db.fingerprint().await, before);
}

async fn bad_list_parameters(app: TestApp) {
    let seed = app.seed().await;
    let path = seed.expenses_path();
    for (query, field) in [
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        ("sort=net_cents;DROP TABLE expenses", "sort"),
        ("status=paid", "status"),
        ("date_from=2020-02-30", "date_from"),
        ("entity=1%20OR%201=1", "entity"),
    ] {
        let response = app.get(&format!("{path}?{query}")).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field, "{query}");
    }
    // Injection attempts in the text filter are plain text.
    let response = app.get(&format!("{path}?q=%27%20OR%201%3D1%20--")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM expenses").await, 0);
}

async fn bad_patches_change_nothing(app: TestApp) {
    let seed = app.seed().await;
    let created = app
        .create(
            &seed.expenses_path(),
            &seed.expense("3/2020", "100.00", "22.00"),
        )
        .await;
    let path = format!("/api/v1/expenses/{}", created["id"].as_str().expect("id"));
    let before = app.db.fingerprint().await;
    for patch in [
        json!({"net_amount": "1.001"}),
        json!({"claimed_amount": "500.00"}),
        json!({"payment_date": "2019-01-01"}),
        json!([1]),
        json!({"id": "77"}),
    ] {
        let response = app.patch(&path, Some("\"v1\""), &patch).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{patch}"
        );
        assert_eq!(app.db.fingerprint().await, before, "{patch}");
    }
    let garbage = app.patch(&path, Some("\"v1\""), &json!("x")).await;
    assert_eq!(garbage.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_tag = app
        .patch(&path, Some("nonsense"), &json!({"description": "x"}))
        .await;
    assert_eq!(bad_tag.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.db.fingerprint().await, before);
}

/// Decision 6 of `domain.md`: a project starts within its call's window, and ends after it only
/// by an act — refused at creation (nothing written), allowed by a dated change.
async fn a_project_keeps_to_its_call_s_window(app: TestApp) {
    let seed = app.seed().await;
    let before = app.db.scalar("SELECT COUNT(*) FROM projects").await;
    let body = |start: &str, end: &str| {
        json!({"call_id": seed.call_id, "title": "Fuori periodo", "lead_entity": "Ente",
               "granted_contribution": "1000.00", "start_date": start, "end_date": end,
               "budget": [{"category": "design_training", "amount": "1000.00"}]})
    };
    for (start, end, field, code) in [
        (
            "2020-08-31",
            "2020-12-31",
            "start_date",
            "start_before_call",
        ),
        ("2020-09-01", "2021-01-01", "end_date", "end_after_call"),
    ] {
        let r = app.post("/api/v1/projects", &body(start, end)).await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{start} {end}"
        );
        let problem = json_of(r).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    assert_eq!(app.db.scalar("SELECT COUNT(*) FROM projects").await, before);
    // Within the window it is made; an act moves its end past the call's.
    let made = app
        .create("/api/v1/projects", &body("2020-09-01", "2020-12-31"))
        .await;
    let path = format!("/api/v1/projects/{}", made["id"].as_str().expect("id"));
    let tag = app.get(&path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let moved = app
        .patch(
            &path,
            Some(&tag),
            &json!({"end_date": "2021-03-31", "change_act": "Determina n. 40 del 15/12/2020",
                    "change_act_date": "2020-12-15"}),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::OK);
}

crate::on_both_backends!(
    a_project_keeps_to_its_call_s_window,
    every_bad_expense_is_refused_and_nothing_changes,
    several_errors_are_reported_together,
    unknown_ids_are_404,
    bad_calls_and_projects,
    bad_list_parameters,
    bad_patches_change_nothing,
);
