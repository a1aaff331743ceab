//! What the benchmarks share: loading `gen.py`'s expenses into a project, timing, medians, and
//! writing a section of `benches/RESULTS.md`.
#![allow(dead_code)]

pub mod einvoice;
pub mod traffic;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use rendiconta::domain::{
    Amounts, BudgetLine, CallCategory, CallRules, CategoryCode, Ceiling, Document, DocumentType,
    ExpenseData, Money, NewCall, NewEntity, Payment, ProjectId, TaxId,
};
use rendiconta::services::projects::NewProject;
use rendiconta::services::{calls, expenses, projects, App};

/// The loader acts as the local operator, as `rendiconta` commands do.
pub fn operator() -> rendiconta::domain::access::Actor {
    rendiconta::domain::access::Actor::Operator("cli:bench".into())
}

/// An admin's API token on the database behind `app`, creating the admin if needed.
pub async fn admin_token(app: &App) -> String {
    use rendiconta::services::accounts;
    let email = "bench@prova.it";
    let user = match app.store.user_by_email(email).await.expect("lookup") {
        Some((user, _)) => user,
        None => accounts::add_user(app, &operator(), email, "una password lunga", true)
            .await
            .expect("admin"),
    };
    accounts::issue_token(app, &operator(), &user, "bench")
        .await
        .expect("token")
        .1
}

/// A client that sends the token with every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub fn code(s: &str) -> CategoryCode {
    CategoryCode::parse(s).expect("code")
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Loads `expenses.csv` of gen.py into a fresh SQLite project; returns the project id.
pub async fn load(app: &App, csv_path: &Path) -> ProjectId {
    let call = calls::create(
        app,
        &operator(),
        NewCall {
            name: "Bando smart working 2020".into(),
            funder: "Regione Emilia-Romagna".into(),
            act: "DGR 261/2020".into(),
            rules: CallRules {
                contribution_rate: "0.70".parse().expect("rate"),
                max_contribution: Some("105000.00".parse().expect("money")),
                eligibility_start: date("2020-09-01"),
                eligibility_end: date("2020-12-31"),
                payment_deadline: Some(date("2021-01-31")),
                reporting_deadline: Some(date("2021-01-31")),
                current_spending_only: true,
                vat_eligible_if_not_recoverable: true,
                min_realisation_share: Some("0.50".parse().expect("rate")),
                drift_tolerance: Some("0.20".parse().expect("rate")),
            },
            categories: vec![
                CallCategory {
                    code: code("design_training"),
                    name: "Progettazione e formazione".into(),
                    ceiling: None,
                },
                CallCategory {
                    code: code("technology"),
                    name: "Adeguamento tecnologico".into(),
                    ceiling: Some(Ceiling::Share("0.30".parse().expect("rate"))),
                },
            ],
        },
    )
    .await
    .expect("call");
    let project = projects::create(
        app,
        &operator(),
        NewProject {
            call_id: call.id,
            title: "Terre d'Argine Smart".into(),
            cup: None,
            lead_entity: "Unione Terre d'Argine".into(),
            granted_contribution: "105000.00".parse().expect("money"),
            start_date: None,
            end_date: None,
            payment_deadline: None,
            reporting_deadline: None,
            budget: vec![
                BudgetLine {
                    category: code("design_training"),
                    amount: "105000.00".parse().expect("money"),
                },
                BudgetLine {
                    category: code("technology"),
                    amount: "45000.00".parse().expect("money"),
                },
            ],
            signatory: rendiconta::domain::Signatory::default(),
            grant_act: None,
        },
    )
    .await
    .expect("project");
    let mut entities = std::collections::HashMap::new();
    let mut reader = csv_reader(csv_path);
    let header = reader.next().expect("header");
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (c_date, c_sup, c_vat, c_num, c_desc, c_cat, c_ent, c_net, c_vatamt, c_cig) = (
        col("date"),
        col("supplier"),
        col("supplier_vat"),
        col("invoice_number"),
        col("description"),
        col("category"),
        col("entity"),
        col("net_amount"),
        col("vat_amount"),
        col("cig"),
    );
    let mut batch = Vec::new();
    for row in reader {
        let entity = match entities.get(&row[c_ent]) {
            Some(id) => *id,
            None => {
                let e = projects::add_entity(
                    app,
                    &operator(),
                    project.id,
                    NewEntity {
                        name: row[c_ent].clone(),
                        tax_code: None,
                        address: None,
                        pec: None,
                    },
                )
                .await
                .expect("entity");
                entities.insert(row[c_ent].clone(), e.id);
                e.id
            }
        };
        let doc_date = date(&row[c_date]);
        batch.push(ExpenseData {
            entity_id: entity,
            category: Some(code(&row[c_cat])),
            nature: rendiconta::domain::Nature::Current,
            document: Document {
                supplier_name: row[c_sup].clone(),
                // gen.py's VAT numbers are random digits: most fail the check digit, so they stay out.
                supplier_vat: TaxId::parse(&row[c_vat]).ok(),
                kind: DocumentType::Invoice,
                number: row[c_num].clone(),
                date: doc_date,
            },
            description: row[c_desc].clone(),
            amounts: Amounts::new(
                row[c_net].parse::<Money>().expect("net"),
                row[c_vatamt].parse::<Money>().expect("vat"),
                None,
            )
            .expect("amounts"),
            vat_recoverable: false,
            cig: rendiconta::domain::Cig::parse(&row[c_cig]).ok(),
            cup: None,
            payment: Payment {
                commitment_act: None,
                commitment_id: None,
                liquidation_act: None,
                order_number: Some("1".into()),
                order_date: Some(doc_date),
                paid_on: Some(doc_date + chrono::Duration::days(10)),
            },
            corrects: None,
        });
        if batch.len() == 10_000 {
            expenses::create_many(
                app,
                &operator(),
                project.id,
                std::mem::take(&mut batch),
                None,
            )
            .await
            .expect("load");
        }
    }
    if !batch.is_empty() {
        expenses::create_many(app, &operator(), project.id, batch, None)
            .await
            .expect("load");
    }
    project.id
}

pub fn csv_reader(path: &Path) -> impl Iterator<Item = Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("csv");
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    rows.into_iter()
}

pub fn time_command(cmd: &mut Command) -> Option<f64> {
    let t = Instant::now();
    let out = cmd.output().ok()?;
    out.status.success().then(|| t.elapsed().as_secs_f64())
}

pub fn write_section(name: &str, body: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/RESULTS.md");
    let existing =
        std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmark results\n".into());
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->");
    let section = format!("{start}\n{body}\n{end}");
    let updated = match (existing.find(&start), existing.find(&end)) {
        (Some(s), Some(e)) => format!(
            "{}{}{}",
            &existing[..s],
            section,
            &existing[e + end.len()..]
        ),
        _ => format!("{}\n\n{}\n", existing.trim_end(), section),
    };
    std::fs::write(&path, updated).expect("write RESULTS.md");
}

/// Generates `gen.py N` data and its hledger journal under `work/N`, and loads it into a fresh
/// SQLite database there; returns the data folder, the database URL and the project.
pub async fn prepare(peer: &Path, work: &Path, n: usize) -> (PathBuf, String, App, ProjectId, f64) {
    let data = work.join(n.to_string());
    let ok = Command::new("python3")
        .arg(peer.join("gen.py"))
        .arg(n.to_string())
        .arg(&data)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && Command::new("python3")
            .arg(peer.join("to_ledger.py"))
            .arg(data.join("expenses.csv"))
            .arg(data.join("ledger.journal"))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    assert!(
        ok,
        "gen.py/to_ledger.py failed: is ../shared/bench there (or PEERBENCH set)?"
    );
    let db = data.join("rendiconta.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let url = format!("sqlite://{}", db.display());
    let store = rendiconta::storage::open(&url).await.expect("store");
    let blobs = rendiconta::storage::blobs::open(&data.join("allegati").display().to_string())
        .expect("files");
    let app = App::new(store, blobs);
    let t = Instant::now();
    let project = load(&app, &data.join("expenses.csv")).await;
    (data, url, app, project, t.elapsed().as_secs_f64())
}

/// The PostgreSQL server the benchmarks may also measure (a superuser URL: a database is made
/// per size), from `RENDICONTA_BENCH_POSTGRES_URL`; `None` measures SQLite only.
pub fn postgres_server() -> Option<String> {
    std::env::var("RENDICONTA_BENCH_POSTGRES_URL").ok()
}

/// Loads the same `expenses.csv` as `prepare` into a fresh PostgreSQL database
/// `rendiconta_bench_{n}` on `server`; returns its URL and the project.
pub async fn prepare_postgres(server: &str, data: &Path, n: usize) -> (String, ProjectId) {
    use sqlx::{Connection, Executor};
    let name = format!("rendiconta_bench_{n}");
    let mut admin = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to the benchmark PostgreSQL server");
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .expect("drop database");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create database");
    admin.close().await.expect("close");
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    let url = format!("{base}/{name}");
    let store = rendiconta::storage::open(&url).await.expect("store");
    let blobs = rendiconta::storage::blobs::open(&data.join("allegati-pg").display().to_string())
        .expect("files");
    let app = App::new(store, blobs);
    let project = load(&app, &data.join("expenses.csv")).await;
    (url, project)
}
