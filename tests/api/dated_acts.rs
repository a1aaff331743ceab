//! Decisions 1 and 5 of domain.md: which act moves a date (the latest act dated by then wins, a
//! change of the end made after an extension included), each project's own deadlines, and a
//! variation that counts from its decision, not its request — figures for a past date stay put.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, worked_example, TestApp};

async fn summary(app: &TestApp, base: &str, as_of: &str) -> Value {
    json_of(app.get(&format!("{base}/summary?as_of={as_of}")).await).await
}

/// The date of the deadline named `name` in a summary.
fn deadline(s: &Value, name: &str) -> String {
    s["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .find(|d| d["name"] == name)
        .and_then(|d| d["date"].as_str())
        .unwrap_or_else(|| panic!("no {name} in {s}"))
        .to_owned()
}

fn excluded(s: &Value) -> Vec<(String, String)> {
    s["excluded"]
        .as_array()
        .expect("excluded")
        .iter()
        .map(|x| {
            (
                x["expense_id"].as_str().unwrap_or("").to_owned(),
                x["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn patch_project(app: &TestApp, base: &str, body: &Value) -> reqwest::Response {
    let etag = app.get(base).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    app.patch(base, Some(&etag), body).await
}

/// The case that was wrong: after an extension to 30/11/2021, the end moved to 31/12/2021 by a
/// later act stayed ignored and an invoice of 01/12/2021 stayed outside the period. Now each date
/// is the one set by the latest act dated by then, whichever kind; extending the end leaves the
/// payment deadline alone.
async fn the_latest_act_sets_each_date(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    app.create(
        &format!("{base}/extensions"),
        &json!({"act": "Det. 1/2021", "date": "2021-01-10", "end_date": "2021-11-30"}),
    )
    .await;
    let moved = patch_project(
        &app,
        &base,
        &json!({"end_date": "2021-12-31", "payment_deadline": "2022-01-31",
                "change_act": "Det. 5/2021", "change_act_date": "2021-06-01"}),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::OK);
    let mut late = seed.expense("DIC-2021", "100.00", "0.00");
    late["entity_id"] = json!(seed.entities[0]);
    late["category"] = json!("a");
    late["document_date"] = json!("2021-12-01");
    late["payment_order_date"] = json!("2021-12-05");
    late["payment_date"] = json!("2021-12-10");
    let late = app.create(&seed.expenses_path(), &late).await;
    let late_id = late["id"].as_str().expect("id").to_owned();

    let now = summary(&app, &base, "2022-02-01").await;
    assert_eq!(deadline(&now, "Fine del progetto"), "2021-12-31");
    assert_eq!(deadline(&now, "Termine per i pagamenti"), "2022-01-31");
    assert!(
        !excluded(&now).iter().any(|(id, _)| *id == late_id),
        "{now}"
    );
    // Between the two acts the extension is in force; before both, the project's first end.
    let between = summary(&app, &base, "2021-03-01").await;
    assert_eq!(deadline(&between, "Fine del progetto"), "2021-11-30");
    assert_eq!(deadline(&between, "Termine per i pagamenti"), "2021-01-31");
    let before = summary(&app, &base, "2021-01-05").await;
    assert_eq!(deadline(&before, "Fine del progetto"), "2020-12-31");

    // The other way round: an extension dated after the change wins over it, and moves only the
    // date it names.
    app.create(
        &format!("{base}/extensions"),
        &json!({"act": "Det. 9/2021", "date": "2021-07-01", "end_date": "2021-10-31"}),
    )
    .await;
    let now = summary(&app, &base, "2022-02-01").await;
    assert_eq!(deadline(&now, "Fine del progetto"), "2021-10-31");
    assert_eq!(deadline(&now, "Termine per i pagamenti"), "2022-01-31");
    assert!(
        excluded(&now).contains(&(late_id.clone(), "outside_period".to_owned())),
        "{now}"
    );
    // The figures as of a date before that act did not move.
    assert_eq!(summary(&app, &base, "2021-03-01").await, between);

    // The project shows each date's history with its acts, in the order they take effect.
    let project = json_of(app.get(&base).await).await;
    let history: Vec<(String, String, String, String)> = project["date_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap_or("").to_owned();
            (s("field"), s("value"), s("act_date"), s("kind"))
        })
        .collect();
    let row = |f: &str, v: &str, d: &str, k: &str| {
        (f.to_owned(), v.to_owned(), d.to_owned(), k.to_owned())
    };
    assert_eq!(
        history,
        [
            row("end_date", "2021-11-30", "2021-01-10", "extension"),
            row("end_date", "2021-12-31", "2021-06-01", "change"),
            row("payment_deadline", "2022-01-31", "2021-06-01", "change"),
            row("end_date", "2021-10-31", "2021-07-01", "extension"),
        ]
    );
    assert_eq!(project["payment_deadline"], "2022-01-31");
    assert_eq!(
        project["reporting_deadline"], "2021-02-28",
        "the call's, by default"
    );
}

/// The case that was wrong: a variation counted from its request even if approved months later.
/// Now from its decision date (today in Italy unless given); as of a date before the decision the
/// budget is the one in force then, before and after the approval is recorded.
async fn a_variation_counts_from_its_decision(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let variation = app
        .create(
            &format!("{base}/variations"),
            &json!({"act": "Det. 12/2021", "date": "2021-01-10",
                    "changes": [{"category": "a", "amount": "-1000.00"},
                                {"category": "b", "amount": "1000.00"}]}),
        )
        .await;
    assert_eq!(variation["decision_date"], Value::Null);
    let before = summary(&app, &base, "2021-01-20").await;
    let path = format!(
        "{base}/variations/{}",
        variation["id"].as_str().expect("id")
    );
    let early = app
        .client
        .patch(app.url(&path))
        .header("if-match", "\"v1\"")
        .json(&json!({"status": "approved", "decision_date": "2021-01-05"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json_of(early).await["errors"][0]["code"],
        "decision_before_request"
    );
    let approved = app
        .client
        .patch(app.url(&path))
        .header("if-match", "\"v1\"")
        .json(&json!({"status": "approved", "decision_date": "2021-02-01"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(json_of(approved).await["decision_date"], "2021-02-01");
    let between = summary(&app, &base, "2021-01-20").await;
    assert_eq!(between["categories"][1]["approved"], "3000.00");
    assert_eq!(between, before, "a figure for a past date moved");
    let after = summary(&app, &base, "2021-02-15").await;
    assert_eq!(after["categories"][1]["approved"], "4000.00");
}

crate::on_both_backends!(
    the_latest_act_sets_each_date,
    a_variation_counts_from_its_decision
);
