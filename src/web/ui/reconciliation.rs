//! Reconciliation in the workspace: the finance officer uploads the accounting system's payments
//! export, sees what matches (and, unless it is only a check, records it), the payments that match
//! nothing and the expenses still without payment.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{render, UiResult};
use super::session::UiSession;
use super::upload;
use crate::domain::{FieldError, ProjectId};
use crate::services::reconciliation::{self, Report};
use crate::services::{projects, App, ServiceError};

pub fn router() -> Router<App> {
    Router::new().route(
        "/progetti/{id}/riconciliazione",
        get(page)
            .post(run)
            .layer(DefaultBodyLimit::max(upload::hard_limit(
                crate::domain::attachment::DEFAULT_MAX_BYTES,
            ))),
    )
}

#[derive(Serialize)]
struct ReconciliationPage {
    frame: Frame,
    nav: ProjectNav,
    report: Option<Report>,
    error: Option<String>,
    /// Why the form is not shown, for a role that may not reconcile.
    read_only: Option<String>,
}

async fn render_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    report: Option<Report>,
    error: Option<String>,
) -> UiResult<Html<String>> {
    let project = projects::get(app, &session.actor(), id).await?;
    render(
        "reconciliation.html",
        ReconciliationPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &project.data.title, "riconciliazione"),
            report,
            error,
            read_only: super::frame::read_only(
                app,
                session,
                id,
                crate::domain::access::Need::Reconcile,
            )
            .await,
        },
    )
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    render_page(&app, &session, project_id(&id)?, None, None).await
}

async fn run(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    form: Multipart,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let form = upload::read(&session, form, crate::domain::attachment::DEFAULT_MAX_BYTES).await?;
    let refuse = |message: String| async {
        let html = render_page(&app, &session, id, None, Some(message)).await?;
        UiResult::Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
    };
    let Some((_, _, bytes)) = form.files.iter().find(|(field, _, _)| field == "pagamenti") else {
        return refuse("Scegliere il file dei pagamenti esportato dalla contabilità.".into()).await;
    };
    let dry_run = form.checked("dry_run");
    match reconciliation::run(
        &app,
        &session.actor(),
        id,
        bytes,
        &Default::default(),
        dry_run,
    )
    .await
    {
        Ok(report) => Ok(render_page(&app, &session, id, Some(report), None)
            .await?
            .into_response()),
        Err(ServiceError::Invalid(errors)) => {
            refuse(format!(
                "File non utilizzabile: {}.",
                FieldError::joined(&errors)
            ))
            .await
        }
        Err(other) => Err(other.into()),
    }
}
