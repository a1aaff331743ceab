//! Mixed traffic against running instances of the real binary: users who sign in with a password,
//! then list, read the summary, record expenses, import e-invoices and download the documents, as
//! the people in the workspace do. Every request's kind, latency and outcome is kept.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What one request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    SignIn,
    Projects,
    List,
    Summary,
    Create,
    Import,
    Xlsx,
    Pdf,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::SignIn => "sign-in (password → token)",
            Kind::Projects => "project list",
            Kind::List => "expense list, one page of 50",
            Kind::Summary => "summary",
            Kind::Create => "create expense",
            Kind::Import => "FatturaPA import",
            Kind::Xlsx => "rendiconto.xlsx",
            Kind::Pdf => "rendiconto.pdf",
        }
    }
}

/// A session's work after signing in: 20 requests, reads first among them as in the workspace.
const SESSION: [Kind; 20] = [
    Kind::Projects,
    Kind::List,
    Kind::Summary,
    Kind::Create,
    Kind::List,
    Kind::Create,
    Kind::Summary,
    Kind::Import,
    Kind::List,
    Kind::Create,
    Kind::Xlsx,
    Kind::List,
    Kind::Summary,
    Kind::Create,
    Kind::List,
    Kind::Import,
    Kind::Pdf,
    Kind::List,
    Kind::Create,
    Kind::Summary,
];

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub kind: Kind,
    pub ms: f64,
    /// The final status (after any "busy, retry after" answers were waited out), 0 if no answer.
    pub status: u16,
    /// How many times the server said it was busy (503 + Retry-After) before answering.
    pub retries: u32,
}

impl Sample {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A running `rendiconta serve`, killed when dropped.
pub struct Instance {
    pub child: Child,
    pub base: String,
}

impl Drop for Instance {
    /// Stops it as systemd would (SIGTERM, so that it shuts down cleanly), killing it if it is
    /// still there after five seconds.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    /// Starts the binary with `args` after `serve --addr`, and waits until it answers.
    pub async fn start(args: &[String], env: &[(String, String)], log: &Path) -> Instance {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_rendiconta"));
        command
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"));
        for (k, v) in env {
            command.env(k, v);
        }
        let instance = Instance {
            child: command.spawn().expect("start rendiconta"),
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            let health = client.get(format!("{}/healthz", instance.base)).send();
            if health.await.is_ok_and(|r| r.status().is_success()) {
                return instance;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("rendiconta did not start: see {}", log.display());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// A field of `/proc/PID/status` in MiB (`VmRSS`, `VmHWM`).
pub fn memory_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// What every user shares: where to go and what to send.
pub struct Plan {
    /// One base URL per instance; user `u` goes to instance `u % len`.
    pub bases: Vec<String>,
    pub project: String,
    pub entity: String,
    /// User `u` signs in as `accounts[u % len]` (each person has an account of their own).
    pub accounts: Vec<String>,
    pub password: String,
    /// The e-invoice every import varies.
    pub fixture: String,
}

/// One user's sessions: sign in, then the 20 requests of [`SESSION`]; `sessions` times, or until
/// `until` when given. Numbers of new documents are unique per user, session and request.
pub async fn user(
    plan: Arc<Plan>,
    u: usize,
    round: usize,
    sessions: usize,
    until: Option<Instant>,
) -> Vec<Sample> {
    let base = &plan.bases[u % plan.bases.len()];
    let client = reqwest::Client::new();
    let mut samples = Vec::new();
    for s in 0.. {
        let done = match until {
            Some(t) => Instant::now() >= t,
            None => s >= sessions,
        };
        if done {
            break;
        }
        let email = &plan.accounts[u % plan.accounts.len()];
        let (sample, token) = sign_in(&client, base, email, &plan.password).await;
        samples.push(sample);
        let Some(token) = token else { continue };
        for (i, kind) in SESSION.iter().enumerate() {
            let id = ((round * 100 + u) * 1000 + s) * SESSION.len() + i;
            samples.push(request(&client, base, &plan, &token, *kind, id).await);
        }
    }
    samples
}

/// Adds `count` admin accounts (`carico{i}@prova.it`, password `password`) through the CLI, on the
/// database at `url`; returns their emails.
pub fn add_accounts(url: &str, count: usize, password: &str) -> Vec<String> {
    use std::io::Write as _;
    (0..count)
        .map(|i| {
            let email = format!("carico{i}@prova.it");
            let mut child = Command::new(env!("CARGO_BIN_EXE_rendiconta"))
                .args([
                    "user",
                    "add",
                    &email,
                    "--role",
                    "admin",
                    "--database-url",
                    url,
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("rendiconta user add");
            if let Some(mut stdin) = child.stdin.take() {
                let _ = writeln!(stdin, "{password}");
            }
            assert!(
                child.wait().expect("user add").success(),
                "user add {email}"
            );
            email
        })
        .collect()
}

/// Sends the request `make` builds, waiting out "busy, retry after" answers as a client should.
async fn send(make: impl Fn() -> reqwest::RequestBuilder) -> (u16, u32, Option<Value>) {
    let mut retries = 0;
    loop {
        let Ok(answer) = make().send().await else {
            return (0, retries, None);
        };
        let status = answer.status().as_u16();
        if status == 503 && retries < 20 {
            let wait = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            retries += 1;
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let is_json = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let body = answer.bytes().await.ok();
        let json = body
            .filter(|_| is_json)
            .and_then(|b| serde_json::from_slice(&b).ok());
        return (status, retries, json);
    }
}

async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> (Sample, Option<String>) {
    let started = Instant::now();
    let body = json!({"email": email, "password": password});
    let url = format!("{base}/api/v1/auth/token");
    let (status, retries, json) = send(|| client.post(&url).json(&body)).await;
    let token = json.and_then(|j| j["token"].as_str().map(str::to_owned));
    let sample = Sample {
        kind: Kind::SignIn,
        ms: started.elapsed().as_secs_f64() * 1000.0,
        status,
        retries,
    };
    (sample, token)
}

async fn request(
    client: &reqwest::Client,
    base: &str,
    plan: &Plan,
    token: &str,
    kind: Kind,
    id: usize,
) -> Sample {
    let project = format!("{base}/api/v1/projects/{}", plan.project);
    let auth = format!("Bearer {token}");
    let get = |url: String| {
        let auth = auth.clone();
        move || client.get(&url).header("authorization", &auth)
    };
    let started = Instant::now();
    let (status, retries, _) = match kind {
        Kind::SignIn => unreachable!("signed in by sign_in"),
        Kind::Projects => send(get(format!("{base}/api/v1/projects"))).await,
        Kind::List => {
            send(get(format!(
                "{project}/expenses?per_page=50&sort=-document_date"
            )))
            .await
        }
        Kind::Summary => send(get(format!("{project}/summary"))).await,
        Kind::Xlsx => send(get(format!("{project}/reports/rendiconto.xlsx"))).await,
        Kind::Pdf => send(get(format!("{project}/reports/rendiconto.pdf"))).await,
        Kind::Create => {
            let body = expense(&plan.entity, &format!("M{id}/2020"));
            let url = format!("{project}/expenses");
            send(|| client.post(&url).header("authorization", &auth).json(&body)).await
        }
        Kind::Import => {
            let (_, text) = super::einvoice::variant(&plan.fixture, "L", id);
            let url = format!(
                "{project}/imports/fatturapa?entity={}&category=design_training&file=L{id}.xml",
                plan.entity
            );
            send(|| {
                client
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/xml")
                    .body(text.clone())
            })
            .await
        }
    };
    Sample {
        kind,
        ms: started.elapsed().as_secs_f64() * 1000.0,
        status,
        retries,
    }
}

/// A paid invoice of 1.220,00 € for `entity`, numbered `number`, as the API takes it.
pub fn expense(entity: &str, number: &str) -> Value {
    json!({"entity_id": entity, "category": "design_training", "supplier_name": "Formazione Emilia S.r.l.",
        "supplier_vat": "01234567897", "document_type": "invoice", "document_number": number,
        "document_date": "2020-10-15", "description": "Formazione sul lavoro agile – modulo", "net_amount": "1000.00",
        "vat_amount": "220.00", "cig": "Z1A2B3C4D5", "payment_order_number": "4021",
        "payment_order_date": "2020-11-02", "payment_date": "2020-11-05"})
}

/// `users` users at once, each running `sessions` sessions (or until `until`); every sample.
pub async fn run(
    plan: &Arc<Plan>,
    users: usize,
    round: usize,
    sessions: usize,
    until: Option<Instant>,
) -> Vec<Sample> {
    let mut tasks = Vec::new();
    for u in 0..users {
        let plan = plan.clone();
        tasks.push(tokio::spawn(async move {
            // Users arrive over the first second, not in one instant.
            tokio::time::sleep(Duration::from_millis((u as u64 * 1000) / users as u64)).await;
            user(plan, u, round, sessions, until).await
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("user"));
    }
    all
}

/// Per kind: count, p50, p99 (ms), errors, busy retries.
pub struct KindStats {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub errors: usize,
    pub retries: u32,
}

pub fn by_kind(samples: &[Sample]) -> BTreeMap<Kind, KindStats> {
    let mut groups: BTreeMap<Kind, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        groups.entry(s.kind).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|(kind, list)| {
            let mut ms: Vec<f64> = list.iter().map(|s| s.ms).collect();
            ms.sort_by(|a, b| a.total_cmp(b));
            let at = |p: f64| ms[(((ms.len() - 1) as f64) * p).round() as usize];
            let stats = KindStats {
                count: list.len(),
                p50: at(0.5),
                p99: at(0.99),
                errors: list.iter().filter(|s| !s.ok()).count(),
                retries: list.iter().map(|s| s.retries).sum(),
            };
            (kind, stats)
        })
        .collect()
}

/// The statuses of failed requests, for the report: `status×count`.
pub fn failures(samples: &[Sample]) -> String {
    let mut counts: BTreeMap<(Kind, u16), usize> = BTreeMap::new();
    for s in samples.iter().filter(|s| !s.ok()) {
        *counts.entry((s.kind, s.status)).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|((k, st), n)| format!("{} {st}×{n}", k.label()))
        .collect::<Vec<_>>()
        .join(", ")
}
