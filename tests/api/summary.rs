//! The summary over HTTP agrees to the cent with the worked example; variations, extensions,
//! milestones and tranches move it as the rules say; the .ics feed reads back in an independent
//! parser.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{worked_example, TestApp};

async fn get_json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.expect("json")
}

async fn the_worked_example_to_the_cent(app: TestApp) {
    let seed = worked_example(&app).await;
    let s = get_json(
        &app,
        &format!(
            "/api/v1/projects/{}/summary?as_of=2021-02-15",
            seed.project_id
        ),
    )
    .await;
    assert_eq!(s["as_of"], "2021-02-15");
    assert_eq!(s["approved_total"], "10000.00");
    assert_eq!(s["categories"][0]["eligible"], "5220.00");
    assert_eq!(s["categories"][0]["ceiling"], Value::Null);
    assert_eq!(s["categories"][1]["eligible"], "3660.00");
    assert_eq!(s["categories"][1]["ceiling"], "3000.00");
    assert_eq!(s["categories"][1]["recognised"], "3000.00");
    assert_eq!(s["eligible_total"], "8880.00");
    assert_eq!(s["recognised_total"], "8220.00");
    assert_eq!(s["contribution_rate"], "0.70");
    assert_eq!(s["cap"], "7000.00");
    assert_eq!(s["contribution_due"], "5754.00");
    assert_eq!(s["revoked"], false);
    assert_eq!(s["realisation_share"], "0.8220");
    assert_eq!(s["balance_due"], "5754.00");
    assert_eq!(s["balance_status"], "da_ricevere");
    assert_eq!(s["excluded"].as_array().expect("excluded").len(), 1);
    assert_eq!(s["excluded"][0]["reason"], "outside_period");
    let shares: Vec<&str> = s["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|e| e["contribution_share"].as_str().expect("share"))
        .collect();
    assert_eq!(shares, ["3654.00", "2100.00"]);
    // Every expense is a draft: each counted one carries an `unverified` warning.
    let unverified = s["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["code"] == "unverified")
        .count();
    assert_eq!(unverified, 3);
    // Verified scope: nothing is verified yet, so nothing counts and all four are pending.
    let v = get_json(
        &app,
        &format!(
            "/api/v1/projects/{}/summary?as_of=2021-02-15&scope=verified",
            seed.project_id
        ),
    )
    .await;
    assert_eq!(v["recognised_total"], "0.00");
    assert_eq!(v["pending"].as_array().expect("pending").len(), 4);
    assert_eq!(v["revoked"], true);
    // As of the day before the payments, everything is unpaid.
    let early = get_json(
        &app,
        &format!(
            "/api/v1/projects/{}/summary?as_of=2021-01-19",
            seed.project_id
        ),
    )
    .await;
    let reasons: Vec<&str> = early["excluded"]
        .as_array()
        .expect("excluded")
        .iter()
        .map(|e| e["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons, ["unpaid", "unpaid", "unpaid", "outside_period"]);
    assert_eq!(early["contribution_due"], "0.00");
}

async fn variations_extensions_and_tranches_move_the_figures(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    // A requested variation does not count until approved.
    let variation = app
        .create(&format!("{base}/variations"), &json!({"act": "Det. 12/2021", "date": "2021-01-10",
            "changes": [{"category": "a", "amount": "-1000.00"}, {"category": "b", "amount": "1000.00"}]}))
        .await;
    assert_eq!(variation["status"], "requested");
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    assert_eq!(s["categories"][1]["approved"], "3000.00");
    let vpath = format!(
        "{base}/variations/{}",
        variation["id"].as_str().expect("id")
    );
    let no_tag = app
        .client
        .patch(app.url(&vpath))
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(no_tag.status(), StatusCode::PRECONDITION_REQUIRED);
    // Decision 5: it counts from the date it was approved.
    let approved = app
        .client
        .patch(app.url(&vpath))
        .header("if-match", "\"v1\"")
        .json(&json!({"status": "approved", "decision_date": "2021-01-20"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(approved.status(), StatusCode::OK);
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    assert_eq!(s["categories"][0]["approved_original"], "7000.00");
    assert_eq!(s["categories"][0]["approved"], "6000.00");
    assert_eq!(s["categories"][1]["approved"], "4000.00");
    // The ceiling is a share of the approved total, which did not change: still 3.000,00.
    assert_eq!(s["categories"][1]["recognised"], "3000.00");
    // A variation that would make a line negative is refused.
    let negative = app
        .post(
            &format!("{base}/variations"),
            &json!({"act": "Det. 13/2021", "date": "2021-01-11", "status": "approved",
            "changes": [{"category": "a", "amount": "-9000.00"}]}),
        )
        .await;
    assert_eq!(negative.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Extending the end to 31/01/2021 brings the expense of 15/01/2021 inside the period.
    let ext = app
        .create(
            &format!("{base}/extensions"),
            &json!({"act": "DGR 2143/2020", "date": "2020-12-20", "end_date": "2021-01-31"}),
        )
        .await;
    assert_eq!(ext["end_date"], "2021-01-31");
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    assert!(s["excluded"].as_array().expect("excluded").is_empty());
    assert_eq!(s["recognised_total"], "8720.00");
    assert_eq!(s["contribution_due"], "6104.00");
    // As of a date before the act, the extension is not in force.
    let before = get_json(&app, &format!("{base}/summary?as_of=2020-12-19")).await;
    assert_eq!(before["deadlines"][0]["date"], "2020-12-31");
    let empty_extension = app
        .post(
            &format!("{base}/extensions"),
            &json!({"act": "X", "date": "2021-01-01"}),
        )
        .await;
    assert_eq!(empty_extension.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Advances beyond what is due: the balance is money to give back.
    app.create(
        &format!("{base}/tranches"),
        &json!({"amount": "4000.00", "date": "2020-10-01", "act": "Det. anticipo"}),
    )
    .await;
    app.create(
        &format!("{base}/tranches"),
        &json!({"amount": "2500.00", "date": "2021-02-01", "act": "Det. saldo", "kind": "balance"}),
    )
    .await;
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    assert_eq!(s["advances_received"], "6500.00");
    assert_eq!(s["balance_due"], "-396.00");
    assert_eq!(s["balance_status"], "da_restituire");
    assert!(s["balance_message"]
        .as_str()
        .is_some_and(|m| m.contains("Da restituire") && m.contains("396,00 €")));
    let tranches = get_json(&app, &format!("{base}/tranches")).await;
    assert_eq!(tranches["total"], 2);
    assert_eq!(tranches["items"][1]["kind"], "balance");
    let bad = app
        .post(
            &format!("{base}/tranches"),
            &json!({"amount": "0.00", "date": "2021-02-01", "act": "X"}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn milestones_and_deadline_statuses(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let milestone = app
        .create(
            &format!("{base}/milestones"),
            &json!({"name": "Relazione intermedia", "due_date": "2020-11-30"}),
        )
        .await;
    assert_eq!(milestone["done"], false);
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    let status_of = |s: &Value, name: &str| -> String {
        s["deadlines"]
            .as_array()
            .expect("deadlines")
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["status"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert_eq!(status_of(&s, "Relazione intermedia"), "overdue");
    assert_eq!(status_of(&s, "Fine del progetto"), "done");
    assert_eq!(status_of(&s, "Termine per la rendicontazione"), "due_soon");
    assert!(s["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w["code"] == "deadline_overdue"));
    let path = format!(
        "{base}/milestones/{}",
        milestone["id"].as_str().expect("id")
    );
    let done = app
        .patch(&path, Some("\"v1\""), &json!({"done": true}))
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let s = get_json(&app, &format!("{base}/summary?as_of=2021-02-15")).await;
    assert_eq!(status_of(&s, "Relazione intermedia"), "done");
    let stale = app
        .patch(&path, Some("\"v1\""), &json!({"done": false}))
        .await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
}

async fn the_ics_feed_reads_back(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    app.create(
        &format!("{base}/milestones"),
        &json!({"name": "Collaudo – attività finali", "due_date": "2020-12-15"}),
    )
    .await;
    let response = app.get(&format!("{base}/deadlines.ics")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/calendar"));
    let body = response.text().await.expect("body");
    let Some(python) = crate::common::python() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, &body).expect("write");
    let script = "import sys, icalendar\n\
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        for e in sorted(cal.walk('VEVENT'), key=lambda e: (e.decoded('DTSTART'), str(e.get('SUMMARY')))):\n\
        \x20   print(e.decoded('DTSTART').isoformat(), e.get('UID'), str(e.get('SUMMARY')), sep='|')\n";
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("2020-12-15|")
            && lines[0].contains("Collaudo – attività finali – Esempio"),
        "{text}"
    );
    assert!(lines[1].starts_with("2020-12-31|") && lines[1].contains("Fine del progetto"));
    assert!(lines[2].starts_with("2021-01-31|") && lines[2].contains("Termine per i pagamenti"));
    assert!(
        lines[3].starts_with("2021-02-28|") && lines[3].contains("Termine per la rendicontazione")
    );
}

async fn bad_summary_parameters(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    for (query, field) in [("as_of=2021-02-30", "as_of"), ("scope=mine", "scope")] {
        let response = app.get(&format!("{base}/summary?{query}")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    assert_eq!(
        app.get("/api/v1/projects/9999/summary").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/projects/9999/deadlines.ics")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let before = app.db.fingerprint().await;
    let bad_variation = app.post(&format!("{base}/variations"), &json!({"act": "X", "date": "2021-01-01", "changes": [{"category": "zzz", "amount": "1.00"}]})).await;
    assert_eq!(bad_variation.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad_variation.json().await.expect("json");
    assert_eq!(problem["errors"][0]["field"], "changes[0].category");
    assert_eq!(app.db.fingerprint().await, before);
}

async fn a_change_made_by_another_instance_is_seen_at_once(app: TestApp) {
    let seed = worked_example(&app).await;
    let other = app.second_instance().await;
    let path = format!(
        "/api/v1/projects/{}/summary?as_of=2021-02-15",
        seed.project_id
    );
    // The other instance reads (and keeps in memory) the expenses.
    assert_eq!(get_json(&other, &path).await["recognised_total"], "8220.00");
    assert_eq!(get_json(&other, &path).await["recognised_total"], "8220.00");
    // A change through the first instance, then a delete: the other sees both immediately.
    let mut body = seed.expense("NEW/2020", "100.00", "0.00");
    body["category"] = json!("a");
    let created = app.create(&seed.expenses_path(), &body).await;
    assert_eq!(get_json(&other, &path).await["recognised_total"], "8320.00");
    let id = created["id"].as_str().expect("id");
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/expenses/{id}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(get_json(&other, &path).await["recognised_total"], "8220.00");
    let list: Value = app
        .get(&seed.expenses_path())
        .await
        .json()
        .await
        .expect("json");
    let first = list["items"][0]["id"].as_str().expect("id");
    let patched = app
        .patch(
            &format!("/api/v1/expenses/{first}"),
            Some("\"v1\""),
            &json!({"net_amount": "3000.00", "claimed_amount": "3000.00"}),
        )
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(get_json(&other, &path).await["recognised_total"], "7220.00");
}

crate::on_both_backends!(
    a_change_made_by_another_instance_is_seen_at_once,
    the_worked_example_to_the_cent,
    variations_extensions_and_tranches_move_the_figures,
    milestones_and_deadline_statuses,
    the_ics_feed_reads_back,
    bad_summary_parameters,
);
