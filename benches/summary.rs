//! Benchmark of the project summary (run with `cargo bench --bench summary`): a project with 10,000
//! and 100,000 expenses from `../shared/bench/gen.py`, the summary computed through the service
//! (storage + rules engine) and over HTTP, beside `hledger balance --budget` on the same data in the
//! same run (`to_ledger.py` makes its journal). Rounds are interleaved; medians. Results go to
//! `benches/RESULTS.md`.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use common::{date, median, prepare, time_command, write_section};
use rendiconta::domain::rules::Scope;
use rendiconta::services::summary;

const SIZES: [usize; 2] = [10_000, 100_000];
/// Commitments beside each size: one for every ten expenses.
const COMMITMENTS_PER_EXPENSE: usize = 10;
const ROUNDS: usize = 3;

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peer = std::env::var("PEERBENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/bench"));
    let work = root.join("target/bench-summary");
    std::fs::create_dir_all(&work).expect("work dir");
    let hledger = Command::new("hledger")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .ok();
    let mut rows = String::new();
    // `RENDICONTA_BENCH_SIZES=10000` measures one size only (while tuning).
    let sizes: Vec<usize> = std::env::var("RENDICONTA_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| SIZES.to_vec());
    for n in sizes {
        let (data, db_url, app, project, load_s) = prepare(&peer, &work, n).await;
        let commitments = n / COMMITMENTS_PER_EXPENSE;
        add_commitments(&app, project, commitments).await;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server_app = app.clone();
        tokio::spawn(async move {
            let _ = rendiconta::web::serve(listener, server_app, std::future::pending()).await;
        });
        let client = common::client_with_token(&common::admin_token(&app).await);
        let url = format!("http://{addr}/api/v1/projects/{project}/summary?as_of=2021-02-15");

        // Cold: the first summary after any change to the project's expenses re-reads every row (a
        // change is simulated by bumping the revision every write bumps).
        let raw = sqlx::SqlitePool::connect(&db_url).await.expect("raw pool");
        let mut cold = Vec::new();
        let (mut service, mut http, mut ledger) = (Vec::new(), Vec::new(), Vec::new());
        let mut forecast = Vec::new();
        let mut due = String::new();
        for _ in 0..ROUNDS {
            if hledger.is_some() {
                if let Some(s) = time_command(
                    Command::new("hledger")
                        .arg("-f")
                        .arg(data.join("ledger.journal"))
                        .args([
                            "bal",
                            "--budget",
                            "-b",
                            "2020-09-01",
                            "-e",
                            "2021-01-01",
                            "expenses",
                        ]),
                ) {
                    ledger.push(s);
                }
            }
            sqlx::query("UPDATE projects SET expenses_revision = expenses_revision + 1")
                .execute(&raw)
                .await
                .expect("bump");
            let t = Instant::now();
            summary::snapshot(
                &app,
                &common::operator(),
                project,
                Some(date("2021-02-15")),
                Scope::All,
            )
            .await
            .expect("summary");
            cold.push(t.elapsed().as_secs_f64());
            for _ in 0..3 {
                let t = Instant::now();
                let snap = summary::snapshot(
                    &app,
                    &common::operator(),
                    project,
                    Some(date("2021-02-15")),
                    Scope::All,
                )
                .await
                .expect("summary");
                service.push(t.elapsed().as_secs_f64());
                due = snap.summary.contribution_due.italian();
                let t = Instant::now();
                let body = client
                    .get(&url)
                    .send()
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("body");
                http.push(t.elapsed().as_secs_f64());
                assert!(!body.is_empty());
                let t = Instant::now();
                let f = rendiconta::services::commitments::forecast(
                    &app,
                    &common::operator(),
                    project,
                    Some(date("2021-02-15")),
                )
                .await
                .expect("forecast");
                forecast.push(t.elapsed().as_secs_f64());
                assert!(f.projected_recognised >= f.recognised_now);
            }
        }
        let (svc, web, cold_ms, fc) = (
            median(service) * 1000.0,
            median(http) * 1000.0,
            median(cold) * 1000.0,
            median(forecast) * 1000.0,
        );
        let ledger_text = if ledger.is_empty() {
            "not run (hledger missing)".to_owned()
        } else {
            let l = median(ledger) * 1000.0;
            format!("{l:.0} ms | {:.0}× | {:.0}×", l / svc, l / web)
        };
        eprintln!("{n}: cold {cold_ms:.1} ms, service {svc:.1} ms, HTTP {web:.1} ms, forecast {fc:.1} ms, hledger {ledger_text}");
        rows.push_str(&format!(
            "| {n} | {load_s:.1} s | {cold_ms:.1} ms | {svc:.1} ms | {web:.1} ms | {commitments} | {fc:.1} ms | {:.2}× | {ledger_text} | {due} |\n",
            fc / svc
        ));
    }
    let body = format!(
        "## Project summary (`cargo bench --bench summary`)\n\n\
         Measured {date} on this machine ({cores} cores), release build, SQLite. Data from `gen.py N` (same seed as the\n\
         peers); hledger ({hv}) runs `bal --budget` on the journal of `to_ledger.py` for the same rows, in the same run,\n\
         {ROUNDS} interleaved rounds, medians. \"service\" is the whole summary use case (all expenses read from SQLite,\n\
         rules engine, riparto, warnings) with the project's expenses in memory, as every summary after the first one\n\
         while they are unchanged; \"cold\" is the first summary after a change, which re-reads every row from SQLite;\n\
         \"HTTP\" adds the request and the JSON (one warning per unverified expense). \"forecast\" is the forecast at\n\
         completion through the service with one commitment for every ten expenses (each residual a planned expense\n\
         through the same engine, beside the summary as of the date). Targets: under 200 ms and at least 20× faster\n\
         than hledger at 100,000 expenses; the forecast within 1.5× of the summary.\n\n\
         | expenses | load (batched inserts) | summary, cold | summary, service | summary, HTTP | commitments | forecast, service | forecast ÷ summary | hledger budget report | hledger ÷ service | hledger ÷ HTTP | contribution due |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n{rows}",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        hv = hledger.unwrap_or_else(|| "missing".into()),
    );
    println!("{body}");
    write_section("summary", &body);
}

/// `n` commitments spread over the project's entities and budget lines, one in ten expected to be
/// paid after the deadline, written in one unit of work.
async fn add_commitments(
    app: &rendiconta::services::App,
    project: rendiconta::domain::ProjectId,
    n: usize,
) {
    use rendiconta::domain::commitment::CommitmentData;
    use rendiconta::domain::{Money, Nature};
    let unit = app.store.unit_of_work().await.expect("unit");
    let store = unit.store();
    let entities = store.list_entities(project).await.expect("entities");
    let budget = store
        .get_project(project)
        .await
        .expect("project")
        .expect("project")
        .data
        .budget;
    let change = rendiconta::storage::Change {
        actor: common::operator(),
        now: chrono::Utc::now(),
    };
    for i in 0..n {
        let data = CommitmentData {
            entity_id: entities[i % entities.len()].id,
            category: budget[i % budget.len()].category.clone(),
            nature: Nature::Current,
            supplier_name: None,
            supplier_vat: None,
            act: format!("Determina n. {i} del 01/10/2020"),
            act_date: date("2020-10-01"),
            cig: None,
            amount: Money::from_cents(100_000 + i64::try_from(i % 997).unwrap_or(0) * 100),
            expected_invoice_date: Some(date("2020-11-15")),
            expected_payment_date: Some(date(if i % 10 == 0 {
                "2021-03-01"
            } else {
                "2021-01-10"
            })),
        };
        store
            .insert_commitment(project, &data, &change)
            .await
            .expect("commitment");
    }
    drop(store);
    unit.commit().await.expect("commit");
}
