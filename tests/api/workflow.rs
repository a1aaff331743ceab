//! The expense workflow (draft → ready → verified, or rejected back with a reason; included by a
//! submission; unlocked only with a justification) and the attacks a public service must refuse.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::{client_with_token, json_of, worked_example, TestApp, PASSWORD};

async fn member(
    app: &TestApp,
    email: &str,
    project: &str,
    role: &str,
    entities: &[&str],
) -> Client {
    app.add_member(email, project, role, entities).await;
    app.sign_in(email).await
}

async fn step(
    app: &TestApp,
    who: &Client,
    id: &str,
    step: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = who.post(app.url(&format!("/api/v1/expenses/{id}/{step}")));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("step")
}

async fn code_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = json_of(response).await;
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

async fn draft_to_verified_with_reasons_and_four_eyes(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    let manager = member(
        &app,
        "resp@prova.it",
        p,
        "project_manager",
        &[&seed.entities[0]],
    )
    .await;
    let finance = member(&app, "fin1@prova.it", p, "finance_officer", &[]).await;
    let finance2 = member(&app, "fin2@prova.it", p, "finance_officer", &[]).await;

    // The manager records an expense of their entity: a draft, recorded by them.
    let mut body = seed.expense("W1/2020", "1000.00", "220.00");
    body["entity_id"] = json!(seed.entities[0]);
    let created = json_of(
        manager
            .post(app.url(&seed.expenses_path()))
            .json(&body)
            .send()
            .await
            .expect("create"),
    )
    .await;
    assert_eq!(created["status"], "draft");
    let me = json_of(
        manager
            .get(app.url("/api/v1/auth/me"))
            .send()
            .await
            .expect("me"),
    )
    .await;
    assert_eq!(created["created_by"], me["id"]);
    let id = created["id"].as_str().expect("id").to_owned();

    // Not verifiable before it is handed over; the manager cannot verify at all.
    let (status, code) = code_of(step(&app, &finance, &id, "verify", None).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        step(&app, &manager, &id, "ready", None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        step(&app, &manager, &id, "verify", None).await.status(),
        StatusCode::FORBIDDEN
    );
    // Once handed over, the manager may no longer change it.
    let tag = app.get(&format!("/api/v1/expenses/{id}")).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let edit = manager
        .patch(app.url(&format!("/api/v1/expenses/{id}")))
        .header("if-match", &tag)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"description": "cambiata"}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);

    // A rejection needs its reason, which the author then reads.
    let (status, _) = code_of(step(&app, &finance, &id, "reject", Some(json!({}))).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = json_of(
        step(
            &app,
            &finance,
            &id,
            "reject",
            Some(json!({"reason": "manca la quietanza"})),
        )
        .await,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["rejection_reason"], "manca la quietanza");
    // Back with the author: corrected, handed over again, verified by the finance office.
    assert_eq!(
        step(&app, &manager, &id, "ready", None).await.status(),
        StatusCode::OK
    );
    let verified = json_of(step(&app, &finance, &id, "verify", None).await).await;
    assert_eq!(verified["status"], "verified");
    assert!(verified["rejection_reason"].is_null());

    // Four eyes: a finance officer cannot verify what they recorded themselves; a colleague can.
    let own = json_of(
        finance
            .post(app.url(&seed.expenses_path()))
            .json(&seed.expense("W2/2020", "10.00", "0.00"))
            .send()
            .await
            .expect("create"),
    )
    .await;
    let own = own["id"].as_str().expect("id");
    assert_eq!(
        step(&app, &finance, own, "ready", None).await.status(),
        StatusCode::OK
    );
    let refused = step(&app, &finance, own, "verify", None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(json_of(refused).await["detail"]
        .as_str()
        .is_some_and(|d| d.contains("registrato tu")));
    assert_eq!(
        step(&app, &finance2, own, "verify", None).await.status(),
        StatusCode::OK
    );

    // An edit voids a verification.
    let tag = app.get(&format!("/api/v1/expenses/{own}")).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let edited = finance2
        .patch(app.url(&format!("/api/v1/expenses/{own}")))
        .header("if-match", &tag)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"description": "importo rivisto"}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(json_of(edited).await["status"], "ready");

    // The history names who did what, in order, with the reason.
    let history = json_of(app.get(&format!("/api/v1/expenses/{id}/history")).await).await;
    let actions: Vec<(&str, &str)> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().expect("a"),
                e["actor"].as_str().expect("actor"),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("expense.create", "resp@prova.it"),
            ("expense.ready", "resp@prova.it"),
            ("expense.reject", "fin1@prova.it"),
            ("expense.ready", "resp@prova.it"),
            ("expense.verify", "fin1@prova.it"),
        ]
    );
    assert_eq!(history[2]["after"]["note"], "manca la quietanza");
    assert_eq!(history[2]["before"]["status"], "ready");

    // The project's whole list, read in one piece as summaries and documents read it, has every
    // field a single read has: states, reasons, who recorded and verified, versions, timestamps.
    let rejected = step(
        &app,
        &finance,
        own,
        "reject",
        Some(json!({"reason": "importo \"rivisto\": manca l'atto"})),
    )
    .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let store = app.services().await.store;
    let project = rendiconta::domain::ProjectId(p.parse().expect("project id"));
    let all = store.all_expenses(project).await.expect("all");
    assert!(all.len() >= 2);
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    for e in all.iter() {
        let single = store.get_expense(e.id).await.expect("read").expect("found");
        assert_eq!(e, &single);
    }
    let own_id: i64 = own.parse().expect("id");
    let own_row = all.iter().find(|e| e.id.0 == own_id).expect("own");
    assert_eq!(
        own_row.rejection_reason.as_deref(),
        Some("importo \"rivisto\": manca l'atto")
    );
}

async fn summary_warns_and_submissions_take_verified_only(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let all = json_of(app.get(&format!("{base}/summary?as_of=2021-02-15")).await).await;
    let unverified = |s: &Value| {
        s["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter(|w| w["code"] == "unverified")
            .count()
    };
    // "What if we submitted now": every expense counts, each unverified one that is not excluded
    // anyway (one is outside the period) is flagged.
    assert_eq!(all["contribution_due"], "5754.00");
    assert_eq!(unverified(&all), 3);
    let verified_only = json_of(
        app.get(&format!("{base}/summary?as_of=2021-02-15&scope=verified"))
            .await,
    )
    .await;
    assert_eq!(verified_only["contribution_due"], "0.00");

    // Verify one expense: a submission takes it alone and lists the others as pending.
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    let first = list["items"][0]["id"].as_str().expect("id").to_owned();
    let verifier = app.verifier(&seed.project_id).await;
    for (s, client) in [("ready", &app.client), ("verify", &verifier)] {
        assert_eq!(
            step(&app, client, &first, s, None).await.status(),
            StatusCode::OK
        );
    }
    let submission = app
        .create(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15"}),
        )
        .await;
    assert_eq!(submission["expense_count"], 1);
    let list = json_of(app.get(&seed.expenses_path()).await).await;
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "included").count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == "draft").count(), 3);

    // Frozen: edits and deletion are refused; an unlock needs a justification and is audited.
    let tag = app
        .get(&format!("/api/v1/expenses/{first}"))
        .await
        .headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let patch = app
        .patch(
            &format!("/api/v1/expenses/{first}"),
            Some(&tag),
            &json!({"net_amount": "1.00"}),
        )
        .await;
    assert_eq!(
        code_of(patch).await,
        (StatusCode::CONFLICT, "expense_locked".into())
    );
    let (status, _) = code_of(step(&app, &app.client, &first, "unlock", None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let unlocked = json_of(
        step(
            &app,
            &app.client,
            &first,
            "unlock",
            Some(json!({"justification": "fattura rettificata dal fornitore"})),
        )
        .await,
    )
    .await;
    assert_eq!(unlocked["status"], "ready");
    // Reopened for a correction, it still cannot disappear from the record.
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/expenses/{first}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(
        code_of(deleted).await,
        (StatusCode::CONFLICT, "expense_submitted".into())
    );
    let history = json_of(app.get(&format!("/api/v1/expenses/{first}/history")).await).await;
    let last = history.as_array().expect("h").last().expect("last").clone();
    assert_eq!(last["action"], "expense.unlock");
    assert_eq!(last["after"]["note"], "fattura rettificata dal fornitore");
    let sid = submission["id"].as_str().expect("id");
    let first_pdf = app
        .get(&format!("{base}/submissions/{sid}/rendiconto.pdf"))
        .await
        .bytes()
        .await
        .expect("pdf");

    // The correction: a lower claim, verified again, then a second submission.
    let claimed_before = unlocked["claimed_amount"]
        .as_str()
        .expect("claimed")
        .to_owned();
    let tag = format!("\"v{}\"", unlocked["version"]);
    let corrected = app
        .patch(
            &format!("/api/v1/expenses/{first}"),
            Some(&tag),
            &json!({"claimed_amount": "100.00"}),
        )
        .await;
    assert_eq!(corrected.status(), StatusCode::OK);
    assert_eq!(
        step(&app, &verifier, &first, "verify", None).await.status(),
        StatusCode::OK
    );
    let second = app
        .create(
            &format!("{base}/submissions"),
            &json!({"as_of": "2021-02-15"}),
        )
        .await;
    let second_id = second["id"].as_str().expect("id");
    // The first submission is as it was, byte for byte; the second shows the adjustment.
    let first_again = app
        .get(&format!("{base}/submissions/{sid}/rendiconto.pdf"))
        .await
        .bytes()
        .await
        .expect("pdf");
    assert!(first_again == first_pdf);
    let second_pdf = app
        .get(&format!("{base}/submissions/{second_id}/rendiconto.pdf"))
        .await
        .bytes()
        .await
        .expect("pdf");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("second.pdf");
    std::fs::write(&file, &second_pdf).expect("write");
    if let Ok(out) = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Rettifiche rispetto alle rendicontazioni precedenti"),
            "{text}"
        );
        use rendiconta::domain::Money;
        let before: Money = claimed_before.parse().expect("money");
        let delta = Money::from_cents(10_000) - before;
        let italian = |m: Money| m.italian();
        let line = text
            .lines()
            .find(|l| l.contains(&format!("n. {sid}")))
            .unwrap_or_else(|| panic!("no adjustment line in {text}"));
        assert!(line.contains(&italian(before)), "{line}");
        assert!(line.contains("100,00 €"), "{line}");
        assert!(line.contains(&italian(delta)), "{line}");
    } else {
        assert!(
            std::env::var_os("RENDICONTA_REQUIRE_POSTGRES").is_none(),
            "pdftotext is missing"
        );
    }
    // Re-made later, the second submission is still byte-identical (it compares against the
    // submissions before it, not against itself).
    let remade = app
        .get(&format!(
            "{base}/reports/rendiconto.pdf?submission={second_id}"
        ))
        .await
        .bytes()
        .await
        .expect("pdf");
    assert!(remade == second_pdf);
}

async fn injection_in_filters_and_sort_is_refused(app: TestApp) {
    let seed = worked_example(&app).await;
    let path = seed.expenses_path();
    let before = app.db.fingerprint().await;
    for query in [
        "sort=supplier_name;DROP TABLE expenses",
        "sort=(SELECT 1)",
        "entity=1 OR 1=1",
        "status=draft' OR '1'='1",
        "date_from=2020-01-01' --",
    ] {
        let response = app.get(&format!("{path}?{query}")).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
    }
    // Text search treats quotes as text: nothing matches, nothing breaks.
    let found = json_of(app.get(&format!("{path}?q=%27%20OR%201%3D1%20--")).await).await;
    assert_eq!(found["total"], 0);
    assert_eq!(app.db.fingerprint().await, before);
}

async fn script_and_formulas_in_text_stay_text(app: TestApp) {
    let seed = app.seed().await;
    let mut body = seed.expense("X1/2020", "10.00", "0.00");
    body["description"] = json!("<script>alert(1)</script>");
    body["supplier_name"] = json!("=HYPERLINK(\"http://evil.example\",\"clic\")");
    body["document_date"] = json!("2020-10-16");
    let created = app.create(&seed.expenses_path(), &body).await;
    assert_eq!(created["description"], "<script>alert(1)</script>");
    let xlsx = app
        .get(&format!(
            "/api/v1/projects/{}/reports/rendiconto.xlsx",
            seed.project_id
        ))
        .await
        .bytes()
        .await
        .expect("xlsx");
    let Some(python) = crate::common::python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("r.xlsx");
    std::fs::write(&file, &xlsx).expect("write");
    // openpyxl, independent of our writer: both values are plain strings, neither a formula.
    let script = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
found = {}
for ws in wb.worksheets:
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and ("<script>" in c.value or "HYPERLINK" in c.value):
                found[c.value] = c.data_type
print(found)
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("'<script>alert(1)</script>': 's'"), "{text}");
    assert!(
        text.contains("HYPERLINK") && !text.contains("'f'"),
        "{text}"
    );
}

/// Signs in with the session cookie; returns the cookie header and the CSRF token.
async fn session(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let response = app
        .anon
        .post(app.url("/api/v1/auth/session"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("session");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    let csrf = json_of(response).await["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    (pair, csrf)
}

async fn sessions_csrf_sign_out_and_password_change(app: TestApp) {
    let (cookie, csrf) = session(&app, crate::common::ADMIN_EMAIL, PASSWORD).await;
    let with_cookie = |method: reqwest::Method, path: &str| {
        app.anon
            .request(method, app.url(path))
            .header("cookie", &cookie)
    };
    // Reading needs no CSRF token.
    let me = with_cookie(reqwest::Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), StatusCode::OK);
    // A change without the token (as a form on another site would send it) is refused.
    let before = app.db.fingerprint().await;
    let forged = with_cookie(reqwest::Method::POST, "/api/v1/calls")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x")
        .send()
        .await
        .expect("forged");
    assert_eq!(
        code_of(forged).await,
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    let wrong = with_cookie(reqwest::Method::POST, "/api/v1/calls")
        .header("x-csrf-token", "0".repeat(64))
        .json(&crate::common::call_body())
        .send()
        .await
        .expect("wrong");
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.fingerprint().await, before);
    let good = with_cookie(reqwest::Method::POST, "/api/v1/calls")
        .header("x-csrf-token", &csrf)
        .json(&crate::common::call_body())
        .send()
        .await
        .expect("good");
    assert_eq!(good.status(), StatusCode::CREATED);

    // Sign-out ends the session on the server: a copy of the cookie is worthless.
    let out = with_cookie(reqwest::Method::DELETE, "/api/v1/auth/session")
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("out");
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let stolen = with_cookie(reqwest::Method::GET, "/api/v1/auth/me")
        .send()
        .await
        .expect("me");
    assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);

    // A password change ends every session of the user.
    let (cookie2, csrf2) = session(&app, crate::common::ADMIN_EMAIL, PASSWORD).await;
    let changed = app
        .anon
        .post(app.url("/api/v1/auth/password"))
        .header("cookie", &cookie2)
        .header("x-csrf-token", &csrf2)
        .json(&json!({"current_password": PASSWORD, "new_password": "una nuova password lunga"}))
        .send()
        .await
        .expect("password");
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let after = app
        .anon
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie2)
        .send()
        .await
        .expect("me");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    session(&app, crate::common::ADMIN_EMAIL, "una nuova password lunga").await;
}

async fn guessing_is_throttled_and_revoked_tokens_stop_working(app: TestApp) {
    app.create(
        "/api/v1/users",
        &json!({"email": "mario@prova.it", "password": PASSWORD}),
    )
    .await;
    let attempt = |password: &'static str| {
        app.anon
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"email": "Mario@Prova.it ", "password": password}))
            .send()
    };
    for _ in 0..5 {
        let (status, code) = code_of(attempt("sbagliata").await.expect("attempt")).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        );
    }
    // Now even the right password waits, and the answer says for how long.
    let throttled = attempt(PASSWORD).await.expect("attempt");
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
    // An unknown account answers like a wrong password (no way to tell which emails exist).
    let unknown = app
        .anon
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"email": "nessuno@prova.it", "password": PASSWORD}))
        .send()
        .await
        .expect("attempt");
    assert_eq!(
        code_of(unknown).await,
        (StatusCode::UNAUTHORIZED, "invalid_credentials".into())
    );

    // A token works until revoked, then never again.
    let admin = app.sign_in(crate::common::ADMIN_EMAIL).await;
    let tokens = json_of(
        admin
            .get(app.url("/api/v1/auth/tokens"))
            .send()
            .await
            .expect("list"),
    )
    .await;
    let newest = tokens["items"]
        .as_array()
        .expect("tokens")
        .last()
        .expect("token")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        tokens.to_string().find("rdc_").is_none(),
        "a secret was listed"
    );
    let revoked = admin
        .delete(app.url(&format!("/api/v1/auth/tokens/{newest}")))
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = admin
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .expect("me");
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let garbage = client_with_token("rdc_0000")
        .get(app.url("/api/v1/projects"))
        .send()
        .await
        .expect("get");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    assert!(garbage.headers().contains_key("www-authenticate"));
}

crate::on_both_backends!(
    draft_to_verified_with_reasons_and_four_eyes,
    summary_warns_and_submissions_take_verified_only,
    injection_in_filters_and_sort_is_refused,
    script_and_formulas_in_text_stay_text,
    sessions_csrf_sign_out_and_password_change,
    guessing_is_throttled_and_revoked_tokens_stop_working,
);
