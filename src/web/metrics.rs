//! Prometheus metrics, served on their own address (`--metrics-addr`, never the public one):
//! requests by route and status, their latency, sign-in failures and lockouts, documents and
//! imports made and how long they took, and the database pool's use. Route labels are the
//! router's patterns (`/api/v1/projects/{id}`), never the paths: a label per project id would
//! grow without bound.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::services::App;
use crate::services::StoreUsage as Usage;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// The service's metrics; one per process, shared by the router's layer and the scrape endpoint.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    sign_in_failures: Counter,
    sign_in_lockouts: Counter,
    work: Family<KindLabels, Counter>,
    work_seconds: Family<KindLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    queue_depth: Gauge,
    batches: Counter,
    batched_requests: Counter,
    commit_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    /// The store's counters at the last scrape: the metrics' counters advance by the difference.
    seen: std::sync::Mutex<Usage>,
    app: App,
}

fn seconds_histogram() -> Histogram {
    // 1 ms to ~65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

impl Metrics {
    pub fn new(app: App) -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("rendiconta");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Richieste HTTP servite, per metodo, percorso del router e stato",
            requests.clone(),
        );
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register(
            "http_request_duration_seconds",
            "Durata delle richieste HTTP, per metodo e percorso del router",
            latency.clone(),
        );
        let sign_in_failures = Counter::default();
        registry.register(
            "sign_in_failures",
            "Accessi rifiutati per credenziali errate",
            sign_in_failures.clone(),
        );
        let sign_in_lockouts = Counter::default();
        registry.register(
            "sign_in_lockouts",
            "Accessi respinti perché l'utenza è temporaneamente bloccata o il server è saturo",
            sign_in_lockouts.clone(),
        );
        let work = Family::<KindLabels, Counter>::default();
        registry.register(
            "work",
            "Documenti prodotti, importazioni e presentazioni completate, per tipo",
            work.clone(),
        );
        let work_seconds =
            Family::<KindLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        registry.register(
            "work_duration_seconds",
            "Durata di documenti, importazioni e presentazioni, per tipo",
            work_seconds.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Connessioni aperte al database",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Connessioni al database aperte e libere",
            pool_idle.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "write_queue_depth",
            "Inserimenti di spese in attesa dello scrittore a commit di gruppo",
            queue_depth.clone(),
        );
        let batches = Counter::default();
        registry.register(
            "write_batches",
            "Transazioni del commit di gruppo (una sincronizzazione su disco ciascuna)",
            batches.clone(),
        );
        let batched_requests = Counter::default();
        registry.register(
            "write_batched_requests",
            "Richieste portate dalle transazioni del commit di gruppo (diviso write_batches: la dimensione media)",
            batched_requests.clone(),
        );
        let commit_seconds = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "write_commit_seconds",
            "Tempo speso dal commit di gruppo a eseguire e confermare le transazioni",
            commit_seconds.clone(),
        );
        Arc::new(Metrics {
            queue_depth,
            batches,
            batched_requests,
            commit_seconds,
            seen: std::sync::Mutex::default(),
            registry,
            requests,
            latency,
            sign_in_failures,
            sign_in_lockouts,
            work,
            work_seconds,
            pool_connections,
            pool_idle,
            app,
        })
    }

    /// The text a scrape reads (OpenMetrics, which Prometheus reads as well).
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let now = self.app.store.usage();
        self.pool_connections.set(i64::from(now.pool_open));
        self.pool_idle
            .set(i64::try_from(now.pool_idle).unwrap_or(i64::MAX));
        self.queue_depth
            .set(i64::try_from(now.queue_depth).unwrap_or(i64::MAX));
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            self.batches
                .inc_by(now.batches.saturating_sub(seen.batches));
            self.batched_requests
                .inc_by(now.batched_requests.saturating_sub(seen.batched_requests));
            let micros = now.commit_micros.saturating_sub(seen.commit_micros);
            self.commit_seconds.inc_by(micros as f64 / 1e6);
            *seen = now;
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// What a route does, for the work metrics: the documents, imports and submissions.
fn work_kind(method: &str, route: &str) -> Option<&'static str> {
    if method != "POST" && method != "GET" {
        return None;
    }
    let kind = match route {
        r if r.ends_with("/reports/rendiconto.xlsx") => "xlsx",
        r if r.ends_with("/reports/rendiconto.pdf") => "pdf",
        r if r.ends_with("/reports/relazione.pdf") => "relazione",
        r if r.contains("/imports/") && method == "POST" => "import",
        r if r.ends_with("/submissions") && method == "POST" => "submission",
        _ => return None,
    };
    Some(kind)
}

/// The router's layer: counts and times every request under its route's pattern.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(nessuna)".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    if matches!(
        route.as_str(),
        "/api/v1/auth/token" | "/api/v1/auth/session" | "/accedi"
    ) && method == "POST"
    {
        match status {
            StatusCode::UNAUTHORIZED => metrics.sign_in_failures.inc(),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                metrics.sign_in_lockouts.inc()
            }
            _ => 0,
        };
    }
    if let Some(kind) = work_kind(&method, &route).filter(|_| status.is_success()) {
        metrics.work.get_or_create(&KindLabels { kind }).inc();
        metrics
            .work_seconds
            .get_or_create(&KindLabels { kind })
            .observe(elapsed);
    }
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(elapsed);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: status.as_u16(),
        })
        .inc();
    response
}

/// The scrape endpoint's router, for the metrics address alone.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics)
}

async fn scrape(State(metrics): State<Arc<Metrics>>) -> Response {
    match metrics.render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
