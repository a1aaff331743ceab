//! Commitments (impegni), the forecast at completion and the portfolio over the API, on both
//! databases: the resource's conventions, expenses drawing on commitments, roles by entity; the
//! forecast counting only what arrives in time, and equal to the final summary once the plan is
//! carried out (over random commitments); the portfolio and the combined calendar, read by an
//! independent iCalendar parser.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{json_of, worked_example, Seed, TestApp};

fn commitment(seed: &Seed, entity: usize, category: &str, amount: &str) -> Value {
    json!({"entity_id": seed.entities[entity], "category": category, "act": "Determina n. 303 del 12/10/2020",
        "act_date": "2020-10-12", "amount": amount, "expected_invoice_date": "2020-11-20",
        "expected_payment_date": "2021-01-15"})
}

fn commitments_path(seed: &Seed) -> String {
    format!("/api/v1/projects/{}/commitments", seed.project_id)
}

/// An expense drawing `claimed` on a commitment, invoiced and paid on the given dates.
fn drawing(
    seed: &Seed,
    n: &str,
    entity: usize,
    category: &str,
    claimed: &str,
    dates: (&str, Option<&str>),
) -> Value {
    let mut body = seed.expense(n, claimed, "0.00");
    body["entity_id"] = json!(seed.entities[entity]);
    body["category"] = json!(category);
    body["document_date"] = json!(dates.0);
    body["payment_order_date"] = Value::Null;
    body["payment_date"] = json!(dates.1);
    body
}

fn names(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn commitments_follow_the_conventions(app: TestApp) {
    let seed = app.seed().await;
    let path = commitments_path(&seed);
    let response = app
        .post(&path, &commitment(&seed, 0, "technology", "12000.00"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(response.headers().contains_key("etag"));
    let created = json_of(response).await;
    assert_eq!(
        location,
        format!(
            "/api/v1/commitments/{}",
            created["id"].as_str().expect("id")
        )
    );
    assert_eq!(created["amount"], "12000.00");
    assert_eq!(created["residual"], "12000.00");
    assert_eq!(created["invoiced"], "0.00");
    assert_eq!(created["nature"], "current");

    let list = json_of(app.get(&path).await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], created["id"]);

    // Every error at once, each on its field; nothing written.
    let mut bad = commitment(&seed, 0, "technology", "0.00");
    bad["act"] = Value::Null;
    bad["expected_payment_date"] = json!("2020-11-01");
    let refused = app.post(&path, &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        names(&json_of(refused).await),
        ["act", "amount", "expected_payment_date"]
    );
    let mut stranger = commitment(&seed, 0, "catering", "10.00");
    stranger["entity_id"] = json!("999999");
    let refused = json_of(app.post(&path, &stranger).await).await;
    assert_eq!(names(&refused), ["entity_id", "category"], "{refused}");
    assert_eq!(json_of(app.get(&path).await).await["total"], 1);

    // Merge patch with If-Match: required, checked, applied.
    let one = location.as_str();
    let patch = json!({"amount": "12500.00", "cig": "Z1A2B3C4D5"});
    assert_eq!(
        app.patch(one, None, &patch).await.status(),
        StatusCode::PRECONDITION_REQUIRED
    );
    assert_eq!(
        app.patch(one, Some("\"v9\""), &patch).await.status(),
        StatusCode::PRECONDITION_FAILED
    );
    let etag = app.get(one).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let changed = app.patch(one, Some(&etag), &patch).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed = json_of(changed).await;
    assert_eq!(
        (
            changed["amount"].as_str(),
            changed["cig"].as_str(),
            changed["version"].as_i64()
        ),
        (Some("12500.00"), Some("Z1A2B3C4D5"), Some(2))
    );
    assert_eq!(
        changed["act"], created["act"],
        "a merge patch keeps the rest"
    );

    // Audited: created and changed.
    let audit = json_of(
        app.get(&format!("/api/v1/projects/{}/audit", seed.project_id))
            .await,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"commitment.create") && actions.contains(&"commitment.update"),
        "{actions:?}"
    );

    let gone = app
        .client
        .delete(app.url(one))
        .send()
        .await
        .expect("delete");
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(one).await.status(), StatusCode::NOT_FOUND);
}

async fn expenses_draw_on_commitments(app: TestApp) {
    let seed = app.seed().await;
    let c = app
        .create(
            &commitments_path(&seed),
            &commitment(&seed, 0, "technology", "1000.00"),
        )
        .await;
    let cid = c["id"].as_str().expect("id");
    let one = format!("/api/v1/commitments/{cid}");

    let mut paid = drawing(
        &seed,
        "T-1",
        0,
        "technology",
        "600.00",
        ("2020-11-20", Some("2020-12-10")),
    );
    paid["commitment_id"] = json!(cid);
    let paid = app.create(&seed.expenses_path(), &paid).await;
    assert_eq!(paid["commitment_id"], cid);
    let mut unpaid = drawing(
        &seed,
        "T-2",
        0,
        "technology",
        "300.00",
        ("2020-11-25", None),
    );
    unpaid["commitment_id"] = json!(cid);
    app.create(&seed.expenses_path(), &unpaid).await;
    let shown = json_of(app.get(&one).await).await;
    assert_eq!(
        (
            shown["invoiced"].as_str(),
            shown["paid"].as_str(),
            shown["residual"].as_str()
        ),
        (Some("900.00"), Some("600.00"), Some("100.00"))
    );
    assert_eq!(shown["overdrawn"], false);

    // Drawn above: a warning on the commitment, not a refusal of the expense.
    let mut above = drawing(
        &seed,
        "T-3",
        0,
        "technology",
        "250.00",
        ("2020-11-26", Some("2020-12-11")),
    );
    above["commitment_id"] = json!(cid);
    app.create(&seed.expenses_path(), &above).await;
    let shown = json_of(app.get(&one).await).await;
    assert_eq!(
        (shown["residual"].as_str(), shown["overdrawn"].as_bool()),
        (Some("-150.00"), Some(true))
    );

    // Another entity's, or another category's commitment: refused on the field.
    let mut other = drawing(&seed, "T-4", 1, "technology", "10.00", ("2020-11-26", None));
    other["commitment_id"] = json!(cid);
    let refused = json_of(app.post(&seed.expenses_path(), &other).await).await;
    assert_eq!(
        refused["errors"][0]["code"], "commitment_other_entity",
        "{refused}"
    );
    let mut other = drawing(
        &seed,
        "T-5",
        0,
        "design_training",
        "10.00",
        ("2020-11-26", None),
    );
    other["commitment_id"] = json!(cid);
    let refused = json_of(app.post(&seed.expenses_path(), &other).await).await;
    assert_eq!(
        refused["errors"][0]["code"], "commitment_other_category",
        "{refused}"
    );
    other["commitment_id"] = json!("424242");
    let refused = json_of(app.post(&seed.expenses_path(), &other).await).await;
    assert_eq!(
        refused["errors"][0]["code"], "unknown_commitment",
        "{refused}"
    );

    // Not removed while expenses draw on it: 409 with the reason, nothing changed.
    let before = app.db.fingerprint().await;
    let kept = app
        .client
        .delete(app.url(&one))
        .send()
        .await
        .expect("delete");
    assert_eq!(kept.status(), StatusCode::CONFLICT);
    let problem = json_of(kept).await;
    assert_eq!(problem["code"], "commitment_in_use");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("3 spese"),
        "{problem}"
    );
    assert_eq!(app.db.fingerprint().await, before);
}

async fn a_project_manager_commits_for_his_entities(app: TestApp) {
    let seed = app.seed().await;
    app.add_member(
        "resp@prova.it",
        &seed.project_id,
        "project_manager",
        &[&seed.entities[0]],
    )
    .await;
    app.add_member("lettore@prova.it", &seed.project_id, "viewer", &[])
        .await;
    let manager = app.sign_in("resp@prova.it").await;
    let viewer = app.sign_in("lettore@prova.it").await;
    let path = app.url(&commitments_path(&seed));
    let own = manager
        .post(&path)
        .json(&commitment(&seed, 0, "technology", "500.00"))
        .send()
        .await
        .expect("post");
    assert_eq!(own.status(), StatusCode::CREATED);
    let own = json_of(own).await;
    let theirs = manager
        .post(&path)
        .json(&commitment(&seed, 1, "technology", "500.00"))
        .send()
        .await
        .expect("post");
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    // Moving his commitment to another entity is refused too.
    let one = app.url(&format!(
        "/api/v1/commitments/{}",
        own["id"].as_str().expect("id")
    ));
    let moved = manager
        .patch(&one)
        .header("if-match", "\"v1\"")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"entity_id": seed.entities[1]}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(moved.status(), StatusCode::FORBIDDEN);
    let read = viewer.get(&path).send().await.expect("get");
    assert_eq!(read.status(), StatusCode::OK);
    let write = viewer
        .post(&path)
        .json(&commitment(&seed, 0, "technology", "1.00"))
        .send()
        .await
        .expect("post");
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(app.get(&commitments_path(&seed)).await).await["total"],
        1
    );
}

/// The worked example (contribution 7.000 € granted, 70 %, window Sept–Dec 2020, payments by
/// 31/01/2021) with commitments in time, late, undated and invoiced after the window.
async fn the_forecast_counts_what_arrives_in_time(app: TestApp) {
    let seed = worked_example(&app).await;
    let base = format!("/api/v1/projects/{}", seed.project_id);
    let path = commitments_path(&seed);
    let dated = |entity, category, amount: &str, invoice: Option<&str>, paid: Option<&str>| {
        let mut c = commitment(&seed, entity, category, amount);
        c["expected_invoice_date"] = json!(invoice);
        c["expected_payment_date"] = json!(paid);
        c
    };
    let in_time = app
        .create(
            &path,
            &dated(0, "a", "800.00", Some("2020-12-10"), Some("2021-01-20")),
        )
        .await;
    let late = app
        .create(
            &path,
            &dated(1, "a", "300.00", Some("2020-12-10"), Some("2021-02-05")),
        )
        .await;
    let undated = app
        .create(&path, &dated(0, "a", "200.00", None, None))
        .await;
    let outside = app
        .create(
            &path,
            &dated(1, "b", "100.00", Some("2021-01-05"), Some("2021-01-10")),
        )
        .await;

    let f = json_of(app.get(&format!("{base}/forecast?as_of=2020-12-01")).await).await;
    assert_eq!(f["as_of"], "2020-12-01");
    assert_eq!(f["horizon"], "2021-01-31");
    let risks: Vec<(String, String, String)> = f["at_risk"]
        .as_array()
        .expect("at_risk")
        .iter()
        .map(|r| {
            (
                r["commitment_id"].as_str().unwrap_or("").to_owned(),
                r["reason"].as_str().unwrap_or("").to_owned(),
                r["amount"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let id = |c: &Value| c["id"].as_str().expect("id").to_owned();
    assert_eq!(
        risks,
        [
            (
                id(&late),
                "payment_after_deadline".to_owned(),
                "300.00".to_owned()
            ),
            (
                id(&undated),
                "no_expected_dates".to_owned(),
                "200.00".to_owned()
            ),
            (
                id(&outside),
                "invoice_outside_window".to_owned(),
                "100.00".to_owned()
            ),
        ]
    );
    let a = &f["categories"][0];
    assert_eq!(
        (a["code"].as_str(), a["residual_commitments"].as_str()),
        (Some("a"), Some("800.00"))
    );

    // Carried out as planned, the in-time commitment makes the forecast the final summary.
    let mut done = drawing(
        &seed,
        "IMP-1",
        0,
        "a",
        "800.00",
        ("2020-12-10", Some("2021-01-20")),
    );
    done["commitment_id"] = in_time["id"].clone();
    app.create(&seed.expenses_path(), &done).await;
    let summary = json_of(app.get(&format!("{base}/summary?as_of=2021-01-31")).await).await;
    assert_eq!(summary["contribution_due"], f["projected_contribution"]);
    assert_eq!(summary["recognised_total"], f["projected_recognised"]);
    let again = json_of(app.get(&format!("{base}/forecast?as_of=2020-12-01")).await).await;
    assert_eq!(again["projected_contribution"], f["projected_contribution"]);
    assert_eq!(again["categories"][0]["residual_commitments"], "0.00");
    assert_eq!(again["gap"], f["gap"]);

    // What the forecast says is still needed, spent in time, reaches the contribution granted.
    let mut k = 0;
    for c in again["categories"].as_array().expect("categories") {
        let needed = c["needed"].as_str().expect("needed");
        if needed == "0.00" {
            continue;
        }
        k += 1;
        let e = drawing(
            &seed,
            &format!("N-{k}"),
            0,
            c["code"].as_str().expect("code"),
            needed,
            ("2020-12-15", Some("2021-01-25")),
        );
        app.create(&seed.expenses_path(), &e).await;
    }
    assert!(k > 0, "a gap with nothing needed: {again}");
    let closed = json_of(app.get(&format!("{base}/forecast?as_of=2020-12-01")).await).await;
    assert_eq!(closed["gap"], "0.00", "{closed}");
    assert_eq!(
        closed["projected_contribution"],
        closed["granted_contribution"]
    );
}

/// A small deterministic generator: the property test's cases are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Over random commitments (amounts, entities, categories, expected dates in time or not): the
/// forecast's projected contribution is the contribution computed once every commitment counted
/// is invoiced and paid as planned.
async fn the_forecast_is_the_final_summary_of_the_plan(app: TestApp) {
    let mut rng = Lcg(20_201_231);
    let invoices = ["2020-10-05", "2020-12-30", "2021-01-04", "2020-09-01"];
    let payments = ["2020-12-31", "2021-01-31", "2021-02-01", "2021-01-05"];
    let (mut counted, mut risked) = (0, 0);
    for round in 0..5 {
        let seed = worked_example(&app).await;
        let base = format!("/api/v1/projects/{}", seed.project_id);
        let mut made = Vec::new();
        for i in 0..1 + rng.next(4) {
            let category = if rng.next(2) == 0 { "a" } else { "b" };
            let amount = format!("{}.{:02}", 50 + rng.next(3000), rng.next(100));
            let entity = usize::try_from(rng.next(2)).unwrap_or(0);
            let invoice = invoices[usize::try_from(rng.next(4)).unwrap_or(0)];
            let paid = payments[usize::try_from(rng.next(4)).unwrap_or(0)].max(invoice);
            let mut c = commitment(&seed, entity, category, &amount);
            c["act"] = json!(format!("Determina n. {round}{i} del 01/10/2020"));
            c["expected_invoice_date"] = json!(invoice);
            c["expected_payment_date"] = json!(paid);
            made.push((
                app.create(&commitments_path(&seed), &c).await,
                entity,
                category,
                invoice,
                paid,
            ));
        }
        let f = json_of(app.get(&format!("{base}/forecast?as_of=2020-10-01")).await).await;
        let at_risk: Vec<&str> = f["at_risk"]
            .as_array()
            .expect("at_risk")
            .iter()
            .filter_map(|r| r["commitment_id"].as_str())
            .collect();
        for (k, (c, entity, category, invoice, paid)) in made.iter().enumerate() {
            let cid = c["id"].as_str().expect("id");
            if at_risk.contains(&cid) {
                risked += 1;
                continue;
            }
            counted += 1;
            let mut e = drawing(
                &seed,
                &format!("P{round}-{k}"),
                *entity,
                category,
                c["amount"].as_str().expect("amount"),
                (invoice, Some(paid)),
            );
            e["commitment_id"] = json!(cid);
            app.create(&seed.expenses_path(), &e).await;
        }
        let horizon = f["horizon"].as_str().expect("horizon");
        let summary = json_of(app.get(&format!("{base}/summary?as_of={horizon}")).await).await;
        assert_eq!(
            summary["contribution_due"], f["projected_contribution"],
            "round {round}: {f}"
        );
        assert_eq!(
            summary["recognised_total"], f["projected_recognised"],
            "round {round}: {f}"
        );
    }
    // The cases cover both sides of the property.
    assert!(
        counted > 0 && risked > 0,
        "counted {counted}, at risk {risked}"
    );
}

async fn the_portfolio_and_the_calendar(app: TestApp) {
    let mine = app.seed().await;
    let other = worked_example(&app).await;
    app.add_member("uno@prova.it", &mine.project_id, "finance_officer", &[])
        .await;
    let user = app.sign_in("uno@prova.it").await;
    let list: Value = user
        .get(app.url("/api/v1/portfolio"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(
        list["items"][0]["project_id"].as_str(),
        Some(mine.project_id.as_str())
    );
    let all = json_of(app.get("/api/v1/portfolio?sort=-at_risk").await).await;
    assert_eq!(all["total"], 2, "the admin sees every project");
    let risks: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["at_risk"].as_str())
        .collect();
    let mut sorted = risks.clone();
    sorted.sort_by(|x, y| {
        y.parse::<f64>()
            .unwrap_or(0.0)
            .total_cmp(&x.parse::<f64>().unwrap_or(0.0))
    });
    assert_eq!(risks, sorted);
    let bad = app.get("/api/v1/portfolio?sort=colour").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The calendar: the user's projects' deadlines only, read by an independent parser.
    let made = user
        .post(app.url("/api/v1/auth/calendar-token"))
        .send()
        .await
        .expect("post");
    assert_eq!(made.status(), StatusCode::CREATED);
    let token = json_of(made).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let feed = app
        .anon
        .get(app.url(&format!("/api/v1/deadlines.ics?token={token}")))
        .send()
        .await
        .expect("ics");
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/calendar"));
    let body = feed.text().await.expect("text");
    let own = json_of(
        app.get(&format!("/api/v1/projects/{}/summary", mine.project_id))
            .await,
    )
    .await;
    let expected = own["deadlines"].as_array().expect("deadlines").len();
    if let Some(python) = crate::common::python() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("all.ics");
        std::fs::write(&file, &body).expect("write");
        let out = std::process::Command::new(python)
            .args(["-c", "import sys, icalendar\ncal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\nfor e in cal.walk('VEVENT'):\n    print(e.get('UID'), e.decoded('DTSTART').isoformat(), sep='|')"])
            .arg(&file)
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf8");
        let uids: Vec<&str> = text.lines().collect();
        assert_eq!(uids.len(), expected, "{text}");
        assert!(
            uids.iter()
                .all(|u| u.starts_with(&format!("progetto-{}-", mine.project_id))),
            "{text}"
        );
        assert!(!text.contains(&format!("progetto-{}-", other.project_id)));
    }
    // A new token replaces the old; a revoked one stops at once.
    let old = token;
    let newer = json_of(
        user.post(app.url("/api/v1/auth/calendar-token"))
            .send()
            .await
            .expect("post"),
    )
    .await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let refused = app
        .anon
        .get(app.url(&format!("/api/v1/deadlines.ics?token={old}")))
        .send()
        .await
        .expect("ics");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let revoked = user
        .delete(app.url("/api/v1/auth/calendar-token"))
        .send()
        .await
        .expect("delete");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let refused = app
        .anon
        .get(app.url(&format!("/api/v1/deadlines.ics?token={newer}")))
        .send()
        .await
        .expect("ics");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let again = user
        .delete(app.url("/api/v1/auth/calendar-token"))
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

/// The accounting system's export of commitments: Italian headers and cells, a dry run that
/// writes nothing, a wrong row that refuses the whole file with every error named, then all rows.
async fn commitments_from_the_accounts_export(app: TestApp) {
    let seed = app.seed().await;
    let csv = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv/impegni.csv"),
    )
    .expect("fixture");
    let path = format!(
        "/api/v1/projects/{}/imports/commitments.csv",
        seed.project_id
    );
    let send = |query: &str, body: Vec<u8>| {
        app.client
            .post(app.url(&format!("{path}{query}")))
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let preview = send("?dry_run=true", csv.clone()).await.expect("post");
    assert_eq!(preview.status(), StatusCode::OK);
    let preview = json_of(preview).await;
    assert_eq!(preview["outcome"], "preview");
    assert_eq!(preview["commitments"][1]["amount"], "3500.50");
    assert_eq!(preview["commitments"][0]["category"], "technology");
    assert_eq!(preview["columns"]["act_date"], "Data atto");
    assert_eq!(
        json_of(app.get(&commitments_path(&seed)).await).await["total"],
        0
    );

    let mut wrong = String::from_utf8(csv.clone()).expect("utf8");
    wrong.push_str(
        "Comune di Carpi;Adeguamento tecnologico;Determina n. 412;31/02/2020;12,3x;;;;\n",
    );
    let refused = send("", wrong.into_bytes()).await.expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = json_of(refused).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["rows[4].act_date", "rows[4].amount"], "{problem}");
    assert_eq!(
        json_of(app.get(&commitments_path(&seed)).await).await["total"],
        0,
        "nothing written"
    );

    let created = send("", csv).await.expect("post");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        json_of(created).await["created"].as_array().map(Vec::len),
        Some(2)
    );
    let list = json_of(app.get(&commitments_path(&seed)).await).await;
    assert_eq!(list["items"][0]["amount"], "12000.00");
    assert_eq!(list["items"][0]["supplier_name"], "Rete Sicura S.r.l.");
    assert_eq!(list["items"][1]["expected_payment_date"], "2021-01-20");
}

crate::on_both_backends!(
    commitments_follow_the_conventions,
    expenses_draw_on_commitments,
    a_project_manager_commits_for_his_entities,
    the_forecast_counts_what_arrives_in_time,
    the_forecast_is_the_final_summary_of_the_plan,
    the_portfolio_and_the_calendar,
    commitments_from_the_accounts_export
);
