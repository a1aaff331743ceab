//! The *Enti* page: the split among the partners (riparto) and, for those who may edit the
//! project, each partner's particulars as the documents' heading prints them (codice fiscale,
//! registered office, PEC), and the act that granted the contribution.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{render, UiError, UiResult};
use super::session::{CsrfForm, UiSession};
use crate::domain::access::Need;
use crate::domain::rules::Scope;
use crate::domain::text::italian_date;
use crate::domain::{fields, EntityId, Money, ProjectId, Violations};
use crate::services::summary::snapshot;
use crate::services::{access, projects, App, ServiceError};

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti/{id}/enti", get(entities))
        .route("/progetti/{id}/enti/{eid}", post(update_entity))
        .route("/progetti/{id}/atto", post(set_grant_act))
}

#[derive(Serialize)]
struct EntityRow {
    name: String,
    /// Codice fiscale, registered office and PEC, as the documents' heading prints them.
    details: String,
    eligible: String,
    recognised: String,
    share: String,
}

/// One partner's particulars in a form.
#[derive(Serialize)]
struct EntityForm {
    id: String,
    version: i64,
    name: String,
    tax_code: String,
    address: String,
    pec: String,
}

#[derive(Serialize)]
struct GrantActForm {
    version: i64,
    number: String,
    date: String,
}

#[derive(Serialize)]
struct EntitiesPage {
    frame: Frame,
    nav: ProjectNav,
    as_of: String,
    rows: Vec<EntityRow>,
    total_eligible: String,
    total_recognised: String,
    total_share: String,
    /// The forms, for those who may edit the project.
    can_edit: bool,
    forms: Vec<EntityForm>,
    grant_act: GrantActForm,
    message: Option<String>,
}

async fn entities(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    page(&app, &session, project_id(&id)?, None).await
}

async fn page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    message: Option<String>,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let snap = snapshot(app, &who, id, None, Scope::All).await?;
    let can_edit = access::require(app, &who, id, Need::EditProject)
        .await
        .is_ok();
    let s = &snap.summary;
    let project = &snap.project;
    let rows = s
        .entities
        .iter()
        .map(|e| EntityRow {
            name: e.name.clone(),
            details: snap
                .entities
                .iter()
                .find(|x| x.id == e.entity_id)
                .map(|x| x.particulars().join(" · "))
                .unwrap_or_default(),
            eligible: e.eligible.italian(),
            recognised: e.recognised.italian(),
            share: e.contribution_share.italian(),
        })
        .collect();
    let forms = snap
        .entities
        .iter()
        .map(|e| EntityForm {
            id: e.id.to_string(),
            version: e.version,
            name: e.name.clone(),
            tax_code: e
                .tax_code
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            address: e.address.clone().unwrap_or_default(),
            pec: e.pec.as_ref().map(ToString::to_string).unwrap_or_default(),
        })
        .collect();
    let grant = project.data.grant_act.as_ref();
    render(
        "entities.html",
        EntitiesPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &project.data.title, "enti"),
            as_of: italian_date(s.as_of),
            rows,
            total_eligible: s.eligible_total.italian(),
            total_recognised: s.recognised_total.italian(),
            total_share: s
                .entities
                .iter()
                .map(|e| e.contribution_share)
                .sum::<Money>()
                .italian(),
            can_edit,
            forms,
            grant_act: GrantActForm {
                version: project.version,
                number: grant.map(|g| g.number.clone()).unwrap_or_default(),
                date: grant.map(|g| g.date.to_string()).unwrap_or_default(),
            },
            message,
        },
    )
}

/// The page again with what went wrong (nothing was saved), or back to it when saved.
async fn answer(
    app: &App,
    form: &CsrfForm,
    id: ProjectId,
    done: Result<(), ServiceError>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/progetti/{id}/enti")).into_response(),
        Err(e) => {
            let e = UiError::from(e);
            match page(app, &form.session, id, Some(e.message().to_owned())).await {
                Ok(html) => (e.status(), html).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

fn version(form: &CsrfForm, v: &mut Violations) -> Option<i64> {
    let parsed = form.get("version").and_then(|n| n.parse().ok());
    if parsed.is_none() {
        v.add(
            "version",
            "required",
            "versione mancante: ricaricare la pagina",
        );
    }
    parsed
}

async fn update_entity(
    State(app): State<App>,
    Path((id, eid)): Path<(String, String)>,
    form: CsrfForm,
) -> Response {
    let (id, entity) = match (project_id(&id), eid.parse::<EntityId>()) {
        (Ok(id), Ok(entity)) => (id, entity),
        (Err(e), _) => return e.into_response(),
        (_, Err(_)) => return UiError::from(ServiceError::NotFound("ente")).into_response(),
    };
    // What cannot be read is said, not dropped: nothing is saved and the page says why.
    let mut v = Violations::new();
    let version = version(&form, &mut v);
    let new = fields::entity(
        &mut v,
        form.get("name"),
        form.get("tax_code"),
        form.get("address"),
        form.get("pec"),
    );
    let done = match v.finish(|| Some((version?, new?))) {
        Ok((version, new)) => {
            let who = form.session.actor();
            projects::update_entity(&app, &who, id, entity, version, new)
                .await
                .map(|_| ())
        }
        Err(violations) => Err(ServiceError::Invalid(violations)),
    };
    answer(&app, &form, id, done).await
}

async fn set_grant_act(State(app): State<App>, Path(id): Path<String>, form: CsrfForm) -> Response {
    let id = match project_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let mut v = Violations::new();
    let version = version(&form, &mut v);
    let grant_act = fields::grant_act(&mut v, form.get("number"), form.get("date"));
    let done = match v.finish(|| version) {
        Ok(version) => {
            let who = form.session.actor();
            projects::set_grant_act(&app, &who, id, version, grant_act)
                .await
                .map(|_| ())
        }
        Err(violations) => Err(ServiceError::Invalid(violations)),
    };
    answer(&app, &form, id, done).await
}
