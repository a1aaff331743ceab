//! Importing e-invoices from the browser: pick the entity (and category), choose the files, see
//! what each one would create or created, with its warnings.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::dashboard::{project_id, Frame, ProjectNav};
use super::expenses::{choices, Choice};
use super::page::{render, UiError, UiResult};
use super::session::UiSession;
use crate::domain::{CategoryCode, EntityId, Nature, ProjectId};
use crate::imports::fatturapa::MAX_BYTES;
use crate::services::imports::{self, FileReport, Outcome, Target};
use crate::services::{calls, projects, App};

pub fn router() -> Router<App> {
    Router::new().route(
        "/progetti/{id}/importa",
        get(page)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_BYTES)),
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
    error: Option<String>,
}

async fn render_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    reports: Vec<FileReport>,
    error: Option<String>,
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
                None,
            ),
            categories: choices(
                call.categories
                    .iter()
                    .map(|c| (c.code.as_str().to_owned(), c.name.clone()))
                    .collect(),
                None,
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
            error,
        },
    )
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    render_page(&app, &session, project_id(&id)?, Vec::new(), None).await
}

/// The multipart form: the CSRF token must come first (it is the form's first field), so no file
/// is read for a forged request.
async fn upload(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    mut form: Multipart,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let bad = |what: &str| {
        UiError::new(
            StatusCode::BAD_REQUEST,
            format!("Modulo illeggibile: {what}."),
        )
    };
    let mut csrf_ok = false;
    let (mut entity, mut category, mut nature, mut dry_run) = (None, None, Nature::Current, false);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| bad("parte non valida"))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name != "_csrf" && !csrf_ok {
            break;
        }
        match name.as_str() {
            "_csrf" => {
                let sent = field.text().await.map_err(|_| bad("codice di sicurezza"))?;
                csrf_ok = crate::web::auth::same_secret(&sent, &session.csrf);
            }
            "entity_id" => {
                entity = field
                    .text()
                    .await
                    .ok()
                    .and_then(|t| t.parse::<EntityId>().ok());
            }
            "category" => {
                category = field
                    .text()
                    .await
                    .ok()
                    .and_then(|t| CategoryCode::parse(t.trim()));
            }
            "nature" => {
                nature = field
                    .text()
                    .await
                    .ok()
                    .and_then(|t| Nature::parse(&t))
                    .unwrap_or(Nature::Current);
            }
            "dry_run" => dry_run = true,
            "files" => {
                let file = field.file_name().unwrap_or("fattura.xml").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| bad("file troppo grande o interrotto"))?;
                if !bytes.is_empty() {
                    files.push((file, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Modulo rifiutato: il codice di sicurezza (CSRF) manca o è scaduto. Ricaricare la pagina e riprovare.",
        ));
    }
    let Some(entity) = entity else {
        let html = render_page(
            &app,
            &session,
            id,
            Vec::new(),
            Some("Scegliere l'ente che ha sostenuto le spese.".into()),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    if files.is_empty() {
        let html = render_page(
            &app,
            &session,
            id,
            Vec::new(),
            Some("Scegliere almeno un file.".into()),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let target = Target {
        project: id,
        entity,
        category,
        nature,
        dry_run,
    };
    let who = session.actor();
    let mut reports = Vec::with_capacity(files.len());
    for (name, bytes) in &files {
        reports.push(imports::fatturapa(&app, &who, &target, name, bytes).await?);
    }
    Ok(render_page(&app, &session, id, reports, None)
        .await?
        .into_response())
}
