//! The web workspace: server-rendered pages in Italian for project managers and finance officers.
//! Templates are minijinja, compiled into the binary and HTML-escaped automatically, so user text
//! (a description `<script>`) is shown, never run. Forms post with the session's CSRF token; pages
//! work without JavaScript, which only adds small helps (the VAT from a rate).

mod attachments;
mod commitments;
mod confirm;
mod dashboard;
mod documents;
mod entities;
mod expenses;
mod frame;
mod funding;
mod imports;
mod narrative;
mod page;
mod preview;
mod reconciliation;
mod session;
mod svg;
mod upload;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::services::App;

const CSS: &str = include_str!("../../../assets/ui/app.css");
const JS: &str = include_str!("../../../assets/ui/app.js");

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/progetti") }))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .merge(session::router())
        .merge(dashboard::router())
        .merge(documents::router())
        .merge(entities::router())
        .merge(expenses::router())
        .merge(funding::router())
        .merge(commitments::router())
        .merge(imports::router())
        .merge(attachments::router())
        .merge(reconciliation::router())
        .merge(narrative::router())
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
