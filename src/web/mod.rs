//! The web layer: the JSON API under `/api/v1`, its OpenAPI description, and the server.

mod attachments;
pub mod auth;
mod calls;
mod commitments;
mod csv_import;
pub mod error;
pub(crate) mod expenses;
pub(crate) mod extract;
pub(crate) mod funding;
mod imports;
mod membership_gate;
mod merge_patch;
mod metrics;
mod narrative;
mod openapi_contract;
pub(crate) mod pagination;
mod portfolio;
mod projects;
mod reconciliation;
pub(crate) mod reports;
pub mod request_id;
mod security_headers;
mod signed_copies;
mod summary;
mod ui;
mod users;

use std::future::{Future, IntoFuture as _};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

use crate::services::{health, App};
use error::ApiError;

/// Bodies above this are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "rendiconta", description = "Rendicontazione dei progetti cofinanziati: bandi, progetti, enti e spese."),
    paths(
        calls::create, calls::list, calls::show,
        projects::create, projects::list, projects::show, projects::patch, projects::create_entity, projects::list_entities, projects::show_entity, projects::patch_entity,
        expenses::create, expenses::list, expenses::show, expenses::patch, expenses::remove,
        summary::summary, summary::ics, reports::xlsx, reports::pdf, reports::create_submission, reports::list_submissions, reports::list_integrazioni, reports::submission_document, reports::relazione,
        signed_copies::upload, signed_copies::list, signed_copies::download,
        narrative::create_section, narrative::list_sections, narrative::show_section, narrative::patch_section, narrative::delete_section,
        narrative::create_indicator, narrative::list_indicators, narrative::show_indicator, narrative::patch_indicator, narrative::delete_indicator,
        funding::create_variation, funding::list_variations, funding::show_variation, funding::patch_variation,
        funding::create_extension, funding::list_extensions,
        funding::create_milestone, funding::list_milestones, funding::show_milestone, funding::patch_milestone,
        funding::create_tranche, funding::list_tranches,
        expenses::mark_ready, expenses::verify, expenses::reject, expenses::unlock, expenses::history,
        auth::create_token, auth::list_tokens, auth::revoke_token, auth::sign_in, auth::sign_out, auth::me, auth::change_password,
        imports::fatturapa, csv_import::import, csv_import::import_commitments, reconciliation::reconcile,
        attachments::upload, attachments::list, attachments::download, attachments::remove,
        commitments::create, commitments::list, commitments::show, commitments::patch, commitments::remove, commitments::forecast,
        portfolio::list, portfolio::create_token, portfolio::revoke_token, portfolio::ics,
        users::create, users::list, users::show, users::members, users::set_member, users::remove_member, users::project_audit,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "calls"), (name = "projects"), (name = "expenses"), (name = "summary"), (name = "funding"), (name = "reports"), (name = "auth"), (name = "users"), (name = "imports"), (name = "attachments"), (name = "commitments"))
)]
pub struct ApiDoc;

/// Declares the two ways to sign in: a bearer token, or the session cookie.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// The API's description: utoipa's, made exact by [`openapi_contract`]; built once.
async fn openapi() -> impl IntoResponse {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    Json(
        DOCUMENT
            .get_or_init(|| {
                let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
                openapi_contract::apply(&mut doc);
                doc
            })
            .clone(),
    )
}

/// Whether the service can do its work: the database answers and takes a write. A load balancer
/// sees 503 (with the reason) while writes would fail, a full disk included, and 200 again as soon
/// as they would succeed.
async fn healthz(State(app): State<App>) -> Response {
    let health = health::check(&app).await;
    let body = Json(serde_json::json!({
        "status": if health.is_ok() { "ok" } else { "unavailable" },
        "database": health.backend,
        "reads": health.reads.code(),
        "writes": health.writes.code(),
    }));
    if health.is_ok() {
        return body.into_response();
    }
    tracing::error!(
        cause = health.cause.as_deref().unwrap_or(""),
        "health check failed"
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(10u64));
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("risorsa")
}

/// The whole application as a router, ready to serve or to test.
pub fn router(app: App) -> Router {
    routes(app, None)
}

/// The service's routes; with `metrics`, every request is counted and timed under its route.
fn routes(app: App, metrics: Option<Arc<metrics::Metrics>>) -> Router {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi))
        .merge(ui::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(imports::router())
        .merge(csv_import::router())
        .merge(reconciliation::router())
        .merge(attachments::router())
        .merge(calls::router())
        .merge(projects::router())
        .merge(expenses::router())
        .merge(summary::router())
        .merge(funding::router())
        .merge(reports::router())
        .merge(signed_copies::router())
        .merge(narrative::router())
        .merge(commitments::router())
        .merge(portfolio::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            membership_gate::check,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(security_headers::add))
        .layer(TraceLayer::new_for_http())
        // Outermost: every answer, the gate's refusals included, carries the request's id.
        .layer(axum::middleware::from_fn(request_id::assign));
    match metrics {
        // Outside even the request id: what the gate and the body limit refuse is counted too.
        Some(metrics) => router
            .layer(axum::middleware::from_fn_with_state(
                metrics,
                metrics::record,
            ))
            .with_state(app),
        None => router.with_state(app),
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_metrics(listener, None, app, shutdown).await
}

/// As [`serve`], and with `metrics` bound, Prometheus metrics on that listener alone.
pub async fn serve_with_metrics(
    listener: TcpListener,
    metrics: Option<TcpListener>,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Some(metrics_listener) = metrics else {
        return axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown)
            .await;
    };
    let registry = metrics::Metrics::new(app.clone());
    let scrapes = tokio::spawn(
        axum::serve(metrics_listener, metrics::router(registry.clone())).into_future(),
    );
    let served = axum::serve(listener, routes(app, Some(registry)))
        .with_graceful_shutdown(shutdown)
        .await;
    scrapes.abort();
    served
}
