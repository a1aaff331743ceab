//! Importing e-invoices from the browser: pick the entity (and category), choose the files, see
//! what each one would create or created, with its warnings.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::frame::{choices, Choice};
use super::frame::{project_id, Frame, ProjectNav};
use super::page::{render, UiResult};
use super::session::UiSession;
use super::upload;
use crate::domain::{CategoryCode, EntityId, FieldError, Nature, ProjectId};
use crate::services::csv_import::{self, CsvReport, Options};
use crate::services::imports::FATTURAPA_MAX_BYTES as MAX_BYTES;
use crate::services::imports::{self, FileReport, Outcome, Target};
use crate::services::{calls, projects, App};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/progetti/{id}/importa",
            get(page)
                .post(upload)
                .layer(DefaultBodyLimit::max(upload::hard_limit(MAX_BYTES))),
        )
        .route(
            "/progetti/{id}/importa/csv",
            post(upload_csv).layer(DefaultBodyLimit::max(upload::hard_limit(MAX_BYTES))),
        )
}

#[derive(Serialize)]
struct ReportView {
    file: String,
    outcome: &'static str,
    class: &'static str,
    message: Option<String>,
    expenses: Vec<imports::PlannedExpense>,
}

#[derive(Serialize)]
struct ImportPage {
    frame: Frame,
    nav: ProjectNav,
    entities: Vec<Choice>,
    categories: Vec<Choice>,
    reports: Vec<ReportView>,
    csv: Option<CsvView>,
    error: Option<String>,
}

/// The outcome of a spreadsheet import, as the page shows it.
#[derive(Serialize)]
struct CsvView {
    outcome: String,
    class: &'static str,
    report: CsvReport,
}

/// The entity and category chosen for the last upload: the next one starts from them.
#[derive(Default)]
struct Chosen {
    entity: Option<String>,
    category: Option<String>,
}

async fn render_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    reports: Vec<FileReport>,
    csv: Option<CsvView>,
    error: Option<String>,
    chosen: Chosen,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let project = projects::get(app, &who, id).await?;
    let call = calls::get(app, &who, project.data.call_id).await?;
    let entities = projects::entities(app, &who, id).await?;
    render(
        "import.html",
        ImportPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &project.data.title, "spese"),
            entities: choices(
                entities
                    .iter()
                    .map(|e| (e.id.to_string(), e.name.clone()))
                    .collect(),
                chosen.entity.as_deref(),
            ),
            categories: choices(
                call.categories
                    .iter()
                    .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                    .collect(),
                chosen.category.as_deref(),
            ),
            reports: reports
                .into_iter()
                .map(|r| {
                    let (outcome, class) = match r.outcome {
                        Outcome::Preview => ("anteprima: nulla è stato scritto", "info"),
                        Outcome::Created => ("importato", "ok"),
                        Outcome::Skipped => ("saltato", "warn"),
                        Outcome::Refused => ("rifiutato", "alert"),
                    };
                    ReportView {
                        file: r.file,
                        outcome,
                        class,
                        message: r.message,
                        expenses: r.expenses,
                    }
                })
                .collect(),
            csv,
            error,
        },
    )
}

/// The page again with the form's problem, as a 422.
async fn refused(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    message: impl Into<String>,
) -> UiResult<Response> {
    let html = render_page(
        app,
        session,
        id,
        Vec::new(),
        None,
        Some(message.into()),
        Chosen::default(),
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    let id = project_id(&id)?;
    render_page(
        &app,
        &session,
        id,
        Vec::new(),
        None,
        None,
        Chosen::default(),
    )
    .await
}

/// The upload form (see [`upload::read`]: the CSRF token is checked before any file is read).
async fn upload(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    form: Multipart,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let form = upload::read(&session, form, MAX_BYTES).await?;
    let entity = form.parsed("entity_id", "Ente", |t| t.parse::<EntityId>().ok())?;
    let category = form.parsed("category", "Categoria", CategoryCode::parse)?;
    let nature = form
        .parsed("nature", "Natura della spesa", Nature::parse)?
        .unwrap_or(Nature::Current);
    let dry_run = form.checked("dry_run");
    let files: Vec<(String, Vec<u8>)> = form
        .files
        .into_iter()
        .filter(|(field, _, _)| field == "files")
        .map(|(_, name, bytes)| (name, bytes))
        .collect();
    let Some(entity) = entity else {
        return refused(
            &app,
            &session,
            id,
            "Scegliere l'ente che ha sostenuto le spese.",
        )
        .await;
    };
    if files.is_empty() {
        return refused(&app, &session, id, "Scegliere almeno un file.").await;
    }
    let target = Target {
        project: id,
        entity,
        category,
        nature,
        dry_run,
    };
    // One batch: one transaction, each file all or nothing within it.
    let reports = imports::fatturapa_batch(&app, &session.actor(), &target, files).await?;
    let chosen = Chosen {
        entity: Some(target.entity.to_string()),
        category: target.category.as_ref().map(|c| c.as_str().to_owned()),
    };
    Ok(render_page(&app, &session, id, reports, None, None, chosen)
        .await?
        .into_response())
}

/// A spreadsheet of expenses: checked (dry run, the default) or imported all together.
async fn upload_csv(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    form: Multipart,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let form = upload::read(&session, form, MAX_BYTES).await?;
    let Some((_, _, bytes)) = form.files.iter().find(|(field, _, _)| field == "csv") else {
        return refused(&app, &session, id, "Scegliere il file CSV.").await;
    };
    let options = Options {
        mapping: Default::default(),
        entity: form.field("entity_id").map(str::to_owned),
        dry_run: form.checked("dry_run"),
    };
    let who = session.actor();
    let report = match csv_import::run(&app, &who, id, bytes, &options).await {
        Ok(report) => report,
        Err(crate::services::ServiceError::Invalid(errors)) => {
            return refused(&app, &session, id, FieldError::joined(&errors)).await;
        }
        Err(e) => return Err(e.into()),
    };
    let (outcome, class, status) = super::upload::csv_outcome(
        report.outcome,
        report.errors.is_empty(),
        "spese create",
        "nessuna spesa creata",
    );
    let csv = CsvView {
        outcome,
        class,
        report,
    };
    let chosen = Chosen {
        entity: form.field("entity_id").map(str::to_owned),
        category: None,
    };
    let html = render_page(&app, &session, id, Vec::new(), Some(csv), None, chosen).await?;
    Ok((status, html).into_response())
}
