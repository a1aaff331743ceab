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
    for n in SIZES {
        let (data, db_url, app, project, load_s) = prepare(&peer, &work, n).await;

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
            }
        }
        let (svc, web, cold_ms) = (
            median(service) * 1000.0,
            median(http) * 1000.0,
            median(cold) * 1000.0,
        );
        let ledger_text = if ledger.is_empty() {
            "not run (hledger missing)".to_owned()
        } else {
            let l = median(ledger) * 1000.0;
            format!("{l:.0} ms | {:.0}× | {:.0}×", l / svc, l / web)
        };
        eprintln!("{n}: cold {cold_ms:.1} ms, service {svc:.1} ms, HTTP {web:.1} ms, hledger {ledger_text}");
        rows.push_str(&format!(
            "| {n} | {load_s:.1} s | {cold_ms:.1} ms | {svc:.1} ms | {web:.1} ms | {ledger_text} | {due} |\n"
        ));
    }
    let body = format!(
        "## Project summary (`cargo bench --bench summary`)\n\n\
         Measured {date} on this machine ({cores} cores), release build, SQLite. Data from `gen.py N` (same seed as the\n\
         peers); hledger ({hv}) runs `bal --budget` on the journal of `to_ledger.py` for the same rows, in the same run,\n\
         {ROUNDS} interleaved rounds, medians. \"service\" is the whole summary use case (all expenses read from SQLite,\n\
         rules engine, riparto, warnings) with the project's expenses in memory, as every summary after the first one\n\
         while they are unchanged; \"cold\" is the first summary after a change, which re-reads every row from SQLite;\n\
         \"HTTP\" adds the request and the JSON (one warning per unverified expense). Targets: under 200 ms and at\n\
         least 20× faster than hledger at 100,000 expenses.\n\n\
         | expenses | load (batched inserts) | summary, cold | summary, service | summary, HTTP | hledger budget report | hledger ÷ service | hledger ÷ HTTP | contribution due |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n{rows}",
        date = chrono::Utc::now().format("%Y-%m-%d"),
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        hv = hledger.unwrap_or_else(|| "missing".into()),
    );
    println!("{body}");
    write_section("summary", &body);
}
