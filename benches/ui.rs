//! The web workspace under load, with 10,000 expenses: the server time of the dashboard and of the
//! first page of the expense table, then requests per second from `wrk` on the HTML table beside
//! a minimal axum handler that runs the same queries and answers JSON, same machine, same run.
//!
//!     cargo bench --bench ui        (needs python3 and the peers' generator in ../shared/bench;
//!                                   wrk from Debian for the load part)

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rendiconta::domain::rules::Scope;
use rendiconta::domain::ProjectId;
use rendiconta::services::{accounts, expenses, projects, summary, App};
use rendiconta::storage::{ExpenseFilter, ExpenseSortField, PageRequest, Sort};
use serde_json::{json, Value};

const N: usize = 10_000;
const ROUNDS: usize = 30;

/// The minimal handler: the expense page's queries, answered as JSON.
async fn minimal_list(State((app, project)): State<(App, ProjectId)>) -> Json<Value> {
    let who = common::operator();
    let p = projects::get(&app, &who, project).await.expect("project");
    let entities = projects::entities(&app, &who, project)
        .await
        .expect("entities");
    let (page, totals) = expenses::list(
        &app,
        &who,
        project,
        &ExpenseFilter::default(),
        Sort {
            field: ExpenseSortField::Id,
            descending: false,
        },
        PageRequest {
            page: 1,
            per_page: 50,
        },
    )
    .await
    .expect("list");
    Json(json!({
        "title": p.data.title,
        "entities": entities.iter().map(|e| json!({"id": e.id.to_string(), "name": e.name})).collect::<Vec<_>>(),
        "total": page.total,
        "claimed": totals.claimed.to_string(),
        "items": page.items.iter().map(|e| json!({
            "id": e.id.to_string(), "supplier": e.data.document.supplier_name,
            "number": e.data.document.number, "date": e.data.document.date.to_string(),
            "claimed": e.data.amounts.claimed().to_string(), "status": e.status.as_str(),
        })).collect::<Vec<_>>(),
    }))
}

async fn minimal_summary(State((app, project)): State<(App, ProjectId)>) -> Json<Value> {
    let snap = summary::snapshot(&app, &common::operator(), project, None, Scope::All)
        .await
        .expect("snapshot");
    Json(
        json!({"due": snap.summary.contribution_due.to_string(), "warnings": snap.summary.warnings.len()}),
    )
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// Median and 95th percentile, in milliseconds, of sequential GETs.
async fn latency(client: &reqwest::Client, url: &str, cookie: &str) -> (f64, f64) {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = client
            .get(url)
            .header("cookie", cookie)
            .send()
            .await
            .expect("get");
        assert!(r.status().is_success(), "{url}: {}", r.status());
        let _ = r.bytes().await.expect("body");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

/// Requests per second from wrk (2 threads, 16 connections, 5 s), or `None` without wrk.
fn wrk(url: &str, cookie: &str) -> Option<f64> {
    let out = Command::new("wrk")
        .args(["-t2", "-c16", "-d5s", "-H"])
        .arg(format!("Cookie: {cookie}"))
        .arg(url)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peer = std::env::var("PEERBENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/bench"));
    let work = tempfile::Builder::new()
        .prefix("bench-ui")
        .tempdir_in(root.join("target"))
        .expect("tmp");
    let (_, _, app, project, load_s) = common::prepare(&peer, work.path(), N).await;
    common::admin_token(&app).await;
    let (admin, _) = app
        .store
        .user_by_email("bench@prova.it")
        .await
        .expect("lookup")
        .expect("admin");
    let keys = accounts::start_session(&app, &admin)
        .await
        .expect("session");
    let cookie = format!("rendiconta_session={}", keys.token);

    let ui = serve(rendiconta::web::router(app.clone())).await;
    let minimal = serve(
        Router::new()
            .route("/list", get(minimal_list))
            .route("/summary", get(minimal_summary))
            .with_state((app.clone(), project)),
    )
    .await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let dashboard_url = format!("{ui}/progetti/{project}");
    let list_url = format!("{ui}/progetti/{project}/spese");
    // Warm: the first read of a project's expenses fills the cache every later request shares.
    latency(&client, &dashboard_url, &cookie).await;
    let (dash_p50, dash_p95) = latency(&client, &dashboard_url, &cookie).await;
    let (list_p50, list_p95) = latency(&client, &list_url, &cookie).await;
    let (json_list_p50, _) = latency(&client, &format!("{minimal}/list"), &cookie).await;
    let (json_sum_p50, _) = latency(&client, &format!("{minimal}/summary"), &cookie).await;

    let html_rps = wrk(&list_url, &cookie);
    let json_rps = wrk(&format!("{minimal}/list"), &cookie);
    let dash_rps = wrk(&dashboard_url, &cookie);
    let fmt = |v: Option<f64>| v.map_or_else(|| "— (wrk missing)".into(), |r| format!("{r:.0}"));
    let ratio = match (html_rps, json_rps) {
        (Some(h), Some(j)) if j > 0.0 => format!("{:.2}", h / j),
        _ => "—".into(),
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let body = format!(
        "## Web workspace (`cargo bench --bench ui`)\n\n\
         {N} expenses loaded in {load_s:.1} s (SQLite, release build, {cpu}, 2 cores). Latency is the median \
         (and 95th percentile) of {ROUNDS} sequential requests over loopback after one warm-up; \
         throughput is `wrk -t2 -c16 -d5s` on the same machine in the same run, the server sharing \
         its 2 cores with wrk.\n\n\
         | page | median | p95 | requests/s |\n| --- | --- | --- | --- |\n\
         | dashboard `/progetti/{{id}}` (HTML + SVG) | {dash_p50:.1} ms | {dash_p95:.1} ms | {} |\n\
         | expense table, first page `/progetti/{{id}}/spese` (HTML) | {list_p50:.1} ms | {list_p95:.1} ms | {} |\n\
         | minimal axum handler, same queries as the table, JSON | {json_list_p50:.1} ms | | {} |\n\
         | minimal axum handler, the dashboard's summary, JSON | {json_sum_p50:.1} ms | | |\n\n\
         HTML table ÷ minimal JSON handler: **{ratio}** (target ≥ 0.5). Dashboard target: under 50 ms.\n",
        fmt(dash_rps),
        fmt(html_rps),
        fmt(json_rps),
    );
    println!("{body}");
    common::write_section("ui", &body);
}
