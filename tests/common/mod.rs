//! Test harness: the real server on a random port over a fresh database, SQLite or PostgreSQL.
//! PostgreSQL tests use `RENDICONTA_TEST_POSTGRES_URL` (a superuser URL: each test creates its own
//! database); when it is missing they are skipped, unless `RENDICONTA_REQUIRE_POSTGRES` is set
//! (as `scripts/test` and CI do), where they fail: a skipped backend is not a pass.
#![allow(dead_code)]

pub mod browser;
pub mod moto;
pub mod pdf;
pub mod server;
pub mod signing;

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::{PgPool, SqlitePool};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub async fn scalar(&self, sql: &str) -> i64 {
        let result: Result<(i64,), sqlx::Error> = match self {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await,
            Db::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await,
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    }

    pub async fn scalar_text(&self, sql: &str) -> String {
        let result: Result<(String,), sqlx::Error> = match self {
            Db::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await,
            Db::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await,
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}")).0
    }

    pub async fn execute(&self, sql: &str) {
        let result = match self {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Row counts and version sums of every table: equal fingerprints mean nothing was written.
    pub async fn fingerprint(&self) -> Vec<i64> {
        let mut f = Vec::new();
        for table in [
            "calls",
            "call_categories",
            "projects",
            "budget_lines",
            "project_date_changes",
            "entities",
            "expenses",
        ] {
            f.push(self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await);
        }
        for table in ["projects", "expenses"] {
            f.push(
                self.scalar(&format!(
                    "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM {table}"
                ))
                .await,
            );
        }
        f.push(
            self.scalar(
                "SELECT CAST(COALESCE(SUM(claimed_cents + net_cents), 0) AS BIGINT) FROM expenses",
            )
            .await,
        );
        f
    }
}

pub struct TestApp {
    pub base: String,
    /// Signed in as the admin (bearer token): may do everything.
    pub client: Client,
    /// Sends no credentials.
    pub anon: Client,
    pub admin_token: String,
    pub db: Db,
    pub backend: Backend,
    pub database_url: String,
    /// Where the attachments' bytes are (shared by a second instance).
    pub files_dir: std::path::PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
    _files: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh database URL for one test, or `None` when PostgreSQL is not configured (and not required).
pub async fn fresh_database(backend: Backend) -> Option<(String, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            Some((url, Some(dir)))
        }
        Backend::Postgres => {
            let Ok(admin) = std::env::var("RENDICONTA_TEST_POSTGRES_URL") else {
                assert!(
                    std::env::var_os("RENDICONTA_REQUIRE_POSTGRES").is_none(),
                    "RENDICONTA_REQUIRE_POSTGRES is set but RENDICONTA_TEST_POSTGRES_URL is not: the PostgreSQL tests cannot run"
                );
                eprintln!("PostgreSQL not configured: skipped");
                return None;
            };
            let name = format!(
                "rt_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                chrono::Utc::now().timestamp_subsec_nanos()
            );
            let pool = PgPool::connect(&admin)
                .await
                .expect("connect to the PostgreSQL test server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create database");
            pool.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin);
            Some((format!("{base}/{name}"), None))
        }
    }
}

pub const ADMIN_EMAIL: &str = "admin@prova.it";
pub const PASSWORD: &str = "una password lunga";

/// The test admin's API token, creating the admin on a fresh database (as the CLI would).
async fn admin_token(app: &rendiconta::services::App) -> String {
    use rendiconta::domain::access::Actor;
    use rendiconta::services::accounts;
    let operator = Actor::Operator("cli:test".into());
    let admin = match app.store.user_by_email(ADMIN_EMAIL).await.expect("lookup") {
        Some((user, _)) => user,
        None => accounts::add_user(app, &operator, ADMIN_EMAIL, PASSWORD, true)
            .await
            .expect("admin"),
    };
    accounts::issue_token(app, &operator, &admin, "test")
        .await
        .expect("token")
        .1
}

/// The demo project's id and its first entity's, read over the API of a server started with
/// `--demo`.
pub async fn demo_project_and_entity(client: &Client, base: &str) -> (String, Value) {
    let get = |path: String| async move {
        client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("get")
            .json::<Value>()
            .await
            .expect("json")
    };
    let projects = get("/api/v1/projects".into()).await;
    let pid = projects["items"][0]["id"].as_str().expect("id").to_owned();
    let entities = get(format!("/api/v1/projects/{pid}/entities")).await;
    (pid, entities["items"][0]["id"].clone())
}

/// A client that sends `Authorization: Bearer TOKEN` with every request.
pub fn client_with_token(token: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (url, dir) = fresh_database(backend).await?;
        let files = tempfile::tempdir().expect("files dir");
        let path = files.path().to_owned();
        Some(TestApp::start(backend, url, dir, path, Some(files)).await)
    }

    /// Another server on the same database and files, as a second instance behind a load balancer.
    pub async fn second_instance(&self) -> TestApp {
        TestApp::start(
            self.backend,
            self.database_url.clone(),
            None,
            self.files_dir.clone(),
            None,
        )
        .await
    }

    /// The application on the same database and files, for loading data without HTTP.
    pub async fn services(&self) -> rendiconta::services::App {
        let store = rendiconta::storage::open(&self.database_url)
            .await
            .expect("open store");
        let blobs =
            rendiconta::storage::blobs::open(&self.files_dir.display().to_string()).expect("files");
        rendiconta::services::App::new(store, blobs)
    }

    async fn start(
        backend: Backend,
        url: String,
        dir: Option<tempfile::TempDir>,
        files_dir: std::path::PathBuf,
        files: Option<tempfile::TempDir>,
    ) -> TestApp {
        let store = rendiconta::storage::open(&url).await.expect("open store");
        let blobs =
            rendiconta::storage::blobs::open(&files_dir.display().to_string()).expect("files");
        let app = rendiconta::services::App::new(store, blobs);
        let admin_token = admin_token(&app).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            rendiconta::web::serve(listener, app, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let db = match backend {
            Backend::Sqlite => Db::Sqlite(SqlitePool::connect(&url).await.expect("sqlite")),
            Backend::Postgres => Db::Postgres(PgPool::connect(&url).await.expect("postgres")),
        };
        TestApp {
            base: format!("http://{addr}"),
            client: client_with_token(&admin_token),
            anon: Client::new(),
            admin_token,
            db,
            backend,
            database_url: url,
            files_dir,
            shutdown: Some(tx),
            _dir: dir,
            _files: files,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs and expects 200; returns the JSON body.
    pub async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("json")
    }

    /// GETs and expects 200; returns the body.
    pub async fn bytes(&self, path: &str) -> Vec<u8> {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.bytes().await.expect("body").to_vec()
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(&self, path: &str, etag: Option<&str>, body: &Value) -> Response {
        let mut request = self
            .client
            .patch(self.url(path))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
        if let Some(tag) = etag {
            request = request.header("if-match", tag);
        }
        request.send().await.expect("PATCH")
    }

    /// POSTs and expects 201; returns the created resource.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {text}");
        serde_json::from_str(&text).expect("json")
    }

    /// A call, a project and its six entities as in the domain's example.
    pub async fn seed(&self) -> Seed {
        let call = self.create("/api/v1/calls", &call_body()).await;
        let call_id = call["id"].as_str().expect("id").to_owned();
        let project = self
            .create(
                "/api/v1/projects",
                &json!({
                    "call_id": call_id, "title": "Terre d'Argine Smart", "cup": "E91B20000580002",
                    "lead_entity": "Unione delle Terre d'Argine", "granted_contribution": "105000.00",
                    "budget": [{"category": "design_training", "amount": "105000.00"}, {"category": "technology", "amount": "45000.00"}]
                }),
            )
            .await;
        let project_id = project["id"].as_str().expect("id").to_owned();
        let mut entities = Vec::new();
        for name in [
            "Unione delle Terre d'Argine",
            "Comune di Carpi",
            "Comune di Soliera",
        ] {
            let e = self
                .create(
                    &format!("/api/v1/projects/{project_id}/entities"),
                    &json!({"name": name}),
                )
                .await;
            entities.push(e["id"].as_str().expect("id").to_owned());
        }
        Seed {
            call_id,
            project_id,
            entities,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // The first instance owns the database; a second instance only shares it.
        if self.backend == Backend::Postgres && self._files.is_some() {
            drop_database(&self.database_url);
        }
    }
}

/// Drops a test's PostgreSQL database (on a server the user may have supplied, they would pile
/// up). From a thread of its own: `Drop` cannot wait, and a runtime cannot start inside another.
pub fn drop_database(url: &str) {
    let (Ok(admin), Some((_, name))) = (
        std::env::var("RENDICONTA_TEST_POSTGRES_URL"),
        url.rsplit_once('/'),
    ) else {
        return;
    };
    // Only the names this harness makes (`rt_…`), never anything else.
    if !name.starts_with("rt_") || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return;
    }
    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            if let Ok(pool) = PgPool::connect(&admin).await {
                let _ = sqlx::query(&statement).execute(&pool).await;
                pool.close().await;
            }
        });
    })
    .join();
}

pub struct Seed {
    pub call_id: String,
    pub project_id: String,
    pub entities: Vec<String>,
}

impl Seed {
    pub fn expenses_path(&self) -> String {
        format!("/api/v1/projects/{}/expenses", self.project_id)
    }

    /// A valid expense body; tests change what they need.
    pub fn expense(&self, number: &str, net: &str, vat: &str) -> Value {
        json!({
            "entity_id": self.entities[0], "category": "design_training", "nature": "current",
            "supplier_name": "Formazione Emilia S.r.l.", "supplier_vat": "IT01234567897",
            "document_type": "invoice", "document_number": number, "document_date": "2020-10-15",
            "description": "Formazione sul lavoro agile", "net_amount": net, "vat_amount": vat,
            "cig": "Z1A2B3C4D5", "cup": "E91B20000580002", "payment_order_number": "4021",
            "payment_order_date": "2020-11-02", "payment_date": "2020-11-05"
        })
    }
}

pub fn call_body() -> Value {
    json!({
        "name": "Bando smart working 2020", "funder": "Regione Emilia-Romagna", "act": "DGR 261/2020",
        "contribution_rate": "0.70", "max_contribution": "105000.00",
        "eligibility_start": "2020-09-01", "eligibility_end": "2020-12-31",
        "payment_deadline": "2021-01-31", "reporting_deadline": "2021-01-31",
        "current_spending_only": true, "vat_eligible_if_not_recoverable": true,
        "min_realisation_share": "0.50", "drift_tolerance": "0.20",
        "categories": [
            {"code": "design_training", "name": "Progettazione e formazione", "ceiling_share": null},
            {"code": "technology", "name": "Adeguamento tecnologico", "ceiling_share": "0.30"}
        ]
    })
}

/// Runs each listed `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.expect("sqlite");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// The Python with the independent readers (see `scripts/python-env`), or `None` when it is not
/// set up; under `RENDICONTA_REQUIRE_POSTGRES` (set by `scripts/test` and CI) its absence fails.
pub fn python() -> Option<String> {
    match std::env::var("RENDICONTA_PYTHON") {
        Ok(p) => Some(p),
        Err(_) => {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_POSTGRES").is_none(),
                "RENDICONTA_PYTHON is not set: run the suite through scripts/test"
            );
            eprintln!("RENDICONTA_PYTHON not set: independent reader skipped");
            None
        }
    }
}

/// The worked example of `domain.md`: call, project, entities and the four expenses.
impl TestApp {
    /// Takes every draft expense of the project through `ready` and `verify` (as the admin).
    pub async fn verify_all(&self, project_id: &str) {
        let verifier = self.verifier(project_id).await;
        let list: Value = self
            .get(&format!(
                "/api/v1/projects/{project_id}/expenses?per_page=500"
            ))
            .await
            .json()
            .await
            .expect("json");
        for e in list["items"].as_array().expect("items") {
            let id = e["id"].as_str().expect("id");
            for (step, client) in [("ready", &self.client), ("verify", &verifier)] {
                let r = client
                    .post(self.url(&format!("/api/v1/expenses/{id}/{step}")))
                    .send()
                    .await
                    .expect("step");
                assert_eq!(r.status(), StatusCode::OK, "{step} {id}");
            }
        }
    }
}

/// A JSON body, or a panic that shows the status and the text.
pub async fn json_of(response: Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
}

impl TestApp {
    /// Signs in as `email` (password [`PASSWORD`]) and returns the new token's JSON.
    pub async fn token_of(&self, email: &str) -> Value {
        let response = self
            .anon
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("token");
        assert_eq!(response.status(), StatusCode::CREATED, "sign-in of {email}");
        json_of(response).await
    }

    /// A client signed in as `email`.
    pub async fn sign_in(&self, email: &str) -> Client {
        client_with_token(self.token_of(email).await["token"].as_str().expect("token"))
    }

    /// A finance officer of the project who recorded and changed nothing: segregation of duties
    /// keeps whoever recorded or changed an expense (the admin included) from verifying it.
    pub async fn verifier(&self, project: &str) -> Client {
        static VERIFIERS: AtomicU32 = AtomicU32::new(0);
        let email = format!(
            "verifica{}@prova.it",
            VERIFIERS.fetch_add(1, Ordering::SeqCst)
        );
        self.add_member(&email, project, "finance_officer", &[])
            .await;
        self.sign_in(&email).await
    }

    /// Creates a user (as the admin) with a role on a project; returns their id.
    pub async fn add_member(
        &self,
        email: &str,
        project: &str,
        role: &str,
        entities: &[&str],
    ) -> String {
        let user = self
            .create(
                "/api/v1/users",
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        let id = user["id"].as_str().expect("id").to_owned();
        let response = self
            .client
            .put(self.url(&format!("/api/v1/projects/{project}/members/{id}")))
            .json(&json!({"role": role, "entities": entities}))
            .send()
            .await
            .expect("member");
        assert_eq!(response.status(), StatusCode::OK);
        id
    }
}

pub async fn worked_example(app: &TestApp) -> Seed {
    let call = app
        .create(
            "/api/v1/calls",
            &json!({"name": "Esempio", "funder": "Regione", "act": "DGR 1/2020", "contribution_rate": "0.70",
                "max_contribution": "7000.00", "eligibility_start": "2020-09-01", "eligibility_end": "2020-12-31",
                "payment_deadline": "2021-01-31", "reporting_deadline": "2021-02-28", "min_realisation_share": "0.50",
                "categories": [{"code": "a", "name": "Categoria A"}, {"code": "b", "name": "Categoria B", "ceiling_share": "0.30"}]}),
        )
        .await;
    let project = app
        .create(
            "/api/v1/projects",
            &json!({"call_id": call["id"], "title": "Esempio", "lead_entity": "Unione", "granted_contribution": "7000.00",
                "budget": [{"category": "a", "amount": "7000.00"}, {"category": "b", "amount": "3000.00"}]}),
        )
        .await;
    let project_id = project["id"].as_str().expect("id").to_owned();
    let mut entities = Vec::new();
    for name in ["Unione", "Comune di Carpi"] {
        let e = app
            .create(
                &format!("/api/v1/projects/{project_id}/entities"),
                &json!({"name": name}),
            )
            .await;
        entities.push(e["id"].as_str().expect("id").to_owned());
    }
    let seed = Seed {
        call_id: call["id"].as_str().expect("id").to_owned(),
        project_id,
        entities,
    };
    for (entity, category, net, vat, date) in [
        (0, "a", "4000.00", "0.00", "2020-10-01"),
        (0, "a", "1000.00", "220.00", "2020-10-02"),
        (1, "b", "3000.00", "660.00", "2020-11-03"),
        (1, "a", "500.00", "0.00", "2021-01-15"),
    ] {
        let mut body = seed.expense(&format!("{net}-{date}"), net, vat);
        body["entity_id"] = json!(seed.entities[entity]);
        body["category"] = json!(category);
        body["document_date"] = json!(date);
        body["payment_order_date"] = json!("2021-01-18");
        body["payment_date"] = json!("2021-01-20");
        app.create(&seed.expenses_path(), &body).await;
    }
    seed
}
