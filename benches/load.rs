//! Mixed traffic through the real binary (`cargo bench --bench load`), two measures for operators:
//!
//! 1. **Memory that comes back**: one instance on SQLite with the demo project; 20 users, six
//!    rounds of mixed traffic (sign-in with a password, lists, summary, creates, e-invoice imports,
//!    both documents); the server's RSS before, after each round and over 60 s idle. Target: after
//!    the idle minute, within 1.5× of the figure before the load.
//! 2. **Two instances under load**: 50 users for a bounded time through one instance, then through
//!    two instances on one PostgreSQL with the evidence on one S3-compatible store (moto's server):
//!    throughput, p50/p99 per kind of request, errors (target: 0), each instance's memory.
//!
//! Part 2 needs PostgreSQL (`RENDICONTA_BENCH_POSTGRES_URL`, or `scripts/pg-throwaway` is started)
//! and moto (`RENDICONTA_PYTHON`, as `scripts/python-env` sets up); it is skipped, and says so,
//! without them. Results go to `benches/RESULTS.md`.

#[path = "common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::traffic::{self, memory_mib, Instance, Plan, Sample};
use common::write_section;

const MEMORY_USERS: usize = 20;
const MEMORY_ROUNDS: usize = 6;
const SESSIONS_PER_ROUND: usize = 2;
const IDLE: Duration = Duration::from_secs(60);
const LOAD_USERS: usize = 50;
const LOAD_TIME: Duration = Duration::from_secs(30);

const EMAIL: &str = "admin@demo.rendiconta.it";
const PASSWORD: &str = "demo-rendiconta";
/// The password of the load's own accounts, one per user.
const USER_PASSWORD: &str = "una password per il carico";

fn fixture(root: &Path) -> String {
    std::fs::read_to_string(root.join("tests/fixtures/fatturapa/IT01234567890_FPA01.xml"))
        .expect("fixture")
}

/// The demo's project and its first entity, as an admin sees them.
async fn demo_ids(base: &str) -> (String, String) {
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    let client = common::client_with_token(token["token"].as_str().expect("token"));
    let get = |path: String| {
        let client = client.clone();
        async move {
            let r = client.get(format!("{base}{path}")).send().await;
            r.expect("get")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let projects = get("/api/v1/projects".into()).await;
    let project = projects["items"][0]["id"].as_str().expect("id").to_owned();
    let entities = get(format!("/api/v1/projects/{project}/entities")).await;
    let entity = entities["items"][0]["id"]
        .as_str()
        .expect("entity")
        .to_owned();
    (project, entity)
}

/// `VmRSS` with its anonymous and file-backed parts, for the table.
fn rss(pid: u32) -> String {
    format!(
        "{:.1} MiB ({:.1} + {:.1})",
        memory_mib(pid, "VmRSS:"),
        memory_mib(pid, "RssAnon:"),
        memory_mib(pid, "RssFile:")
    )
}

/// The process's threads by name (`sqlx-sqlite-worker-…` is one per open SQLite connection).
fn threads(pid: u32) -> String {
    let mut names: std::collections::BTreeMap<String, usize> = Default::default();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let name = comm
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned();
        *names.entry(name).or_default() += 1;
    }
    names
        .iter()
        .map(|(n, c)| format!("{n}×{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn errors(samples: &[Sample]) -> usize {
    samples.iter().filter(|s| !s.ok()).count()
}

/// Part 1: RSS before, after each round and during the idle minute.
async fn memory(root: &Path, work: &Path) -> String {
    let dir = work.join("memory");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let db = format!("sqlite://{}", dir.join("load.db").display());
    let args = vec!["--database-url".into(), db, "--demo".into()];
    let server = Instance::start(&args, &[], &dir.join("server.log")).await;
    let pid = server.pid();
    let (project, entity) = demo_ids(&server.base).await;
    let accounts = traffic::add_accounts(&args[1], MEMORY_USERS, USER_PASSWORD);
    // Loading the demo and the first sign-in hash passwords; their memory goes back after the
    // password gate's idle release (10 s) and the allocator's decay: the figure before is taken then.
    tokio::time::sleep(Duration::from_secs(25)).await;
    let cold = memory_mib(pid, "VmRSS:");
    let cold_row = rss(pid);
    let plan = Arc::new(Plan {
        bases: vec![server.base.clone()],
        project,
        entity,
        accounts,
        password: USER_PASSWORD.into(),
        fixture: fixture(root),
    });
    // A server in service has answered every kind of request before: one user's session (each
    // kind once) reads in the code and the fonts, then the same wait.
    let warm_up = traffic::run(&plan, 1, MEMORY_ROUNDS, 1, None).await;
    assert_eq!(
        errors(&warm_up),
        0,
        "warm-up: {}",
        traffic::failures(&warm_up)
    );
    tokio::time::sleep(Duration::from_secs(25)).await;
    let before = memory_mib(pid, "VmRSS:");
    let before_row = rss(pid);
    let mut rows = String::new();
    let mut all = Vec::new();
    for round in 0..MEMORY_ROUNDS {
        let started = Instant::now();
        let samples = traffic::run(&plan, MEMORY_USERS, round, SESSIONS_PER_ROUND, None).await;
        let secs = started.elapsed().as_secs_f64();
        let now = rss(pid);
        eprintln!(
            "memory round {round}: {} requests in {secs:.1} s, {now}",
            samples.len()
        );
        let _ = writeln!(
            rows,
            "| after round {} ({} requests, {} errors, {secs:.1} s) | {now} |",
            round + 1,
            samples.len(),
            errors(&samples)
        );
        all.extend(samples);
    }
    let peak = memory_mib(pid, "VmHWM:");
    let mut idle_rss = f64::NAN;
    for step in 1..=IDLE.as_secs() / 10 {
        tokio::time::sleep(Duration::from_secs(10)).await;
        idle_rss = memory_mib(pid, "VmRSS:");
        eprintln!("idle {} s: {}", step * 10, rss(pid));
        let _ = writeln!(rows, "| idle {} s | {} |", step * 10, rss(pid));
    }
    eprintln!("threads after idle: {}", threads(pid));
    if let Ok(path) = std::env::var("RENDICONTA_BENCH_SMAPS") {
        let _ = std::fs::copy(format!("/proc/{pid}/smaps"), path);
    }
    format!(
        "### Memory after mixed traffic (one instance, SQLite)\n\n\
         {MEMORY_USERS} users (an account each), {MEMORY_ROUNDS} rounds; in each round every user signs in with a password \
         {SESSIONS_PER_ROUND} times and after each sign-in sends 20 requests (lists, summary, creates, \
         e-invoice imports, the XLSX and the PDF). The demo project grows by the creates and imports \
         (~{creates} new expenses). Failures: {failures}.\n\n\
         | moment | server RSS (heap and stacks + the binary's pages read) |\n| --- | --- |\n\
         | started (demo loaded, one sign-in, then 25 s idle) | {cold_row} |\n\
         | **before the load**: after one session of each kind of request, then 25 s idle | {before_row} |\n\
         {rows}\
         | peak (VmHWM) | {peak:.1} MiB |\n\n\
         After {idle} s idle: **{ratio:.2}×** the figure before the load (target ≤ 1.5×); \
         {cold_ratio:.2}× the figure at start, before the first documents read the code that makes them \
         (the second figure in each cell: file-backed pages of the binary, not memory held).\n",
        creates = all
            .iter()
            .filter(|s| s.ok() && matches!(s.kind, traffic::Kind::Create | traffic::Kind::Import))
            .count(),
        failures = traffic::failures(&all),
        idle = IDLE.as_secs(),
        ratio = idle_rss / before,
        cold_ratio = idle_rss / cold,
    )
}

#[path = "../tests/common/moto.rs"]
mod moto;

/// A PostgreSQL server: the one named by the environment, or a throwaway one (stopped on drop).
struct Postgres {
    url: String,
    throwaway: Option<String>,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(dir) = &self.throwaway {
            let _ = Command::new("scripts/pg-throwaway")
                .args(["stop", dir])
                .status();
        }
    }
}

fn postgres(root: &Path) -> Option<Postgres> {
    if let Ok(url) = std::env::var("RENDICONTA_BENCH_POSTGRES_URL") {
        return Some(Postgres {
            url,
            throwaway: None,
        });
    }
    let out = Command::new(root.join("scripts/pg-throwaway"))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let (dir, url) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    Some(Postgres {
        url,
        throwaway: Some(dir),
    })
}

/// A new, empty database on the server; its URL.
async fn fresh_database(server: &str, name: &str) -> String {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(server).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut conn)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create");
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    format!("{base}/{name}")
}

/// One configuration of part 2: `count` instances on a fresh database; the table's rows.
async fn instances(
    root: &Path,
    work: &Path,
    pg: &str,
    s3: &str,
    count: usize,
) -> (String, usize, f64) {
    let url = fresh_database(pg, &format!("bench_load_{count}")).await;
    let prefix = format!("s3://evidenze/load{count}");
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT", s3),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "prova"),
        ("AWS_SECRET_ACCESS_KEY", "prova"),
        ("AWS_REGION", "eu-south-1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut servers = Vec::new();
    for i in 0..count {
        let mut args = vec![
            "--database-url".into(),
            url.clone(),
            "--file-store".into(),
            prefix.clone(),
        ];
        if i == 0 {
            // The first one loads the demo; the others start on a database that holds it.
            args.push("--demo".into());
        }
        let log = work.join(format!("instance-{count}-{i}.log"));
        servers.push(Instance::start(&args, &env, &log).await);
    }
    let (project, entity) = demo_ids(&servers[0].base).await;
    let accounts = traffic::add_accounts(&url, LOAD_USERS, USER_PASSWORD);
    let plan = Arc::new(Plan {
        bases: servers.iter().map(|s| s.base.clone()).collect(),
        project,
        entity,
        accounts,
        password: USER_PASSWORD.into(),
        fixture: fixture(root),
    });
    let started = Instant::now();
    let samples = traffic::run(&plan, LOAD_USERS, 0, 0, Some(started + LOAD_TIME)).await;
    let secs = started.elapsed().as_secs_f64();
    let throughput = samples.len() as f64 / secs;
    let memory: Vec<String> = servers
        .iter()
        .map(|s| {
            format!(
                "{:.0} MiB (peak {:.0})",
                memory_mib(s.pid(), "VmRSS:"),
                memory_mib(s.pid(), "VmHWM:")
            )
        })
        .collect();
    let mut rows = String::new();
    for (kind, k) in traffic::by_kind(&samples) {
        let _ = writeln!(
            rows,
            "| {count} | {} | {} | {:.1} ms | {:.1} ms | {} | {} |",
            kind.label(),
            k.count,
            k.p50,
            k.p99,
            k.errors,
            k.retries
        );
    }
    let _ = writeln!(
        rows,
        "| {count} | **all** ({secs:.0} s; memory: {}) | {} | {throughput:.0}/s | | {} | |",
        memory.join(", "),
        samples.len(),
        errors(&samples)
    );
    eprintln!(
        "{count} instance(s): {throughput:.0} requests/s, {} errors ({})",
        errors(&samples),
        traffic::failures(&samples)
    );
    (rows, errors(&samples), throughput)
}

async fn two_instances(root: &Path, work: &Path) -> String {
    let Some(python) = std::env::var("RENDICONTA_PYTHON").ok() else {
        return "### Two instances under load\n\nNot measured: `RENDICONTA_PYTHON` (moto) is not set.\n".into();
    };
    let Some(pg) = postgres(root) else {
        return "### Two instances under load\n\nNot measured: no PostgreSQL server.\n".into();
    };
    let Some((_moto, s3)) = moto::start(&python).await else {
        return "### Two instances under load\n\nNot measured: moto's S3 server did not start.\n"
            .into();
    };
    let (one, one_errors, one_rate) = instances(root, work, &pg.url, &s3, 1).await;
    let (two, two_errors, two_rate) = instances(root, work, &pg.url, &s3, 2).await;
    format!(
        "### Two instances under load (PostgreSQL, evidence on S3)\n\n\
         {LOAD_USERS} users for {load} s each time, the same mixed sessions as above (a sign-in, then 20 \
         requests), first through one instance, then split over two instances sharing one PostgreSQL \
         database (a throwaway server on this machine, `fsync=off`) and one S3 bucket (moto). \
         Load generator, database, S3 server and instances share the machine's cores. \
         \"busy retries\": answers `503` + `Retry-After` of the bounded password hashing, waited out \
         as a client should (the request then counted once, with its full time).\n\n\
         | instances | request | count | p50 | p99 | errors | busy retries |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         {one}{two}\n\
         Throughput: {one_rate:.0} requests/s on one instance, {two_rate:.0} on two \
         ({ratio:.2}×); errors {one_errors} and {two_errors} (target 0). On one machine the instances \
         share its cores with the database, the S3 server and the 50 clients, so a second instance \
         cannot add throughput here; what this measures is that the work splits across instances \
         without an error, with one database and one bucket, and what each instance holds.\n",
        load = LOAD_TIME.as_secs(),
        ratio = two_rate / one_rate,
    )
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target/bench-load");
    std::fs::create_dir_all(&work).expect("work dir");
    // `RENDICONTA_BENCH_LOAD=memory` or `=instances` runs one part; each has its own section.
    let only = std::env::var("RENDICONTA_BENCH_LOAD").unwrap_or_default();
    let heading = |part: &str| {
        format!(
            "## Operations: {part} (`cargo bench --bench load`)\n\n\
             Measured {date} on this machine ({cores} cores), release build.\n\n",
            date = chrono::Utc::now().format("%Y-%m-%d"),
            cores = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
        )
    };
    if only != "instances" {
        let body = heading("memory under mixed traffic") + &memory(&root, &work).await;
        println!("{body}");
        write_section("load-memory", &body);
    }
    if only != "memory" {
        let body = heading("instances under mixed traffic") + &two_instances(&root, &work).await;
        println!("{body}");
        write_section("load-instances", &body);
    }
}
