//! The final activity report in the workspace: the project manager writes its sections (and puts
//! them in order) and records its indicators, corrects or removes them, and downloads the PDF. Edits carry the
//! version they were made on, so two people editing one section do not overwrite each other.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{outcome, refusal, render, UiError, UiResult};
use super::session::{CsrfForm, UiSession};
use crate::domain::access::Need;
use crate::domain::narrative::{italian_value, NewIndicator, NewSection};
use crate::domain::ProjectId;
use crate::services::{access, narrative, projects, App};
use crate::web::narrative::{IndicatorInput, SectionInput};

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti/{id}/relazione", get(page))
        .route("/progetti/{id}/relazione/sezioni", post(add_section))
        .route("/progetti/{id}/relazione/sezioni/{sid}", post(edit_section))
        .route("/progetti/{id}/relazione/indicatori", post(add_indicator))
        .route(
            "/progetti/{id}/relazione/indicatori/{iid}",
            post(edit_indicator),
        )
}

#[derive(Serialize)]
struct SectionRow {
    id: i64,
    version: i64,
    position: i64,
    title: String,
    body: String,
}

#[derive(Serialize)]
struct IndicatorRow {
    id: i64,
    version: i64,
    name: String,
    value: String,
    target: String,
    unit: String,
}

/// A section's text as the user sent it, shown again in its form when it was not saved: a
/// refused edit never throws away what someone wrote.
#[derive(Serialize)]
struct Kept {
    /// The section it was meant for; `None` for a new one.
    section: Option<i64>,
    title: String,
    body: String,
}

impl Kept {
    fn of(form: &CsrfForm, section: Option<i64>) -> Kept {
        Kept {
            section,
            title: field(form, "title").unwrap_or_default(),
            body: field(form, "body").unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct NarrativePage {
    frame: Frame,
    nav: ProjectNav,
    /// Whether the user may write the report (project managers and finance officers).
    editable: bool,
    sections: Vec<SectionRow>,
    indicators: Vec<IndicatorRow>,
    message: Option<String>,
    kept: Option<Kept>,
    /// Said once the last form succeeded.
    done: bool,
}

async fn narrative_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    message: Option<String>,
    kept: Option<Kept>,
    done: bool,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let project = projects::get(app, &who, id).await?;
    let editable = access::require(app, &who, id, Need::Narrative)
        .await
        .is_ok();
    let sections = narrative::sections(app, &who, id).await?;
    let indicators = narrative::indicators(app, &who, id).await?;
    render(
        "narrative.html",
        NarrativePage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &project.data.title, "relazione"),
            editable,
            sections: sections
                .into_iter()
                .map(|s| SectionRow {
                    id: s.id,
                    version: s.version,
                    position: s.position,
                    title: s.title,
                    body: s.body,
                })
                .collect(),
            indicators: indicators
                .into_iter()
                .map(|i| IndicatorRow {
                    id: i.id,
                    version: i.version,
                    name: i.name,
                    value: italian_value(i.value),
                    target: i.target.map(italian_value).unwrap_or_default(),
                    unit: i.unit.unwrap_or_default(),
                })
                .collect(),
            message,
            kept,
            done,
        },
    )
}

async fn page(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: crate::web::extract::QueryPairs,
) -> UiResult<Html<String>> {
    let done = query.get("fatto") == Some("1");
    narrative_page(&app, &session, project_id(&id)?, None, None, done).await
}

/// A form's text field as typed (the API's checks decide what is missing or too long).
fn field(form: &CsrfForm, key: &str) -> Option<String> {
    form.fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.replace("\r\n", "\n"))
}

/// The section as the form has it; the move buttons send its new place as `sposta`.
fn section_of(form: &CsrfForm) -> Result<NewSection, String> {
    NewSection::try_from(SectionInput {
        title: field(form, "title"),
        body: field(form, "body"),
        position: form.get("sposta").and_then(|p| p.parse().ok()),
    })
    .map_err(|e| refusal(&e))
}

fn indicator_of(form: &CsrfForm) -> Result<NewIndicator, String> {
    NewIndicator::try_from(IndicatorInput {
        name: field(form, "name"),
        value: field(form, "value").map(|v| api_number(&v)),
        target: field(form, "target").map(|v| api_number(&v)),
        unit: field(form, "unit").filter(|u| !u.trim().is_empty()),
    })
    .map_err(|e| refusal(&e))
}

/// A number typed the Italian way (`1.860`, `340,5`) in the API's form (`1860`, `340.5`).
fn api_number(raw: &str) -> String {
    let raw = raw.trim();
    if raw.contains(',') {
        return raw.replace('.', "").replace(',', ".");
    }
    // Dots alone are thousands separators when they group digits by three: `1.860`, `12.000`.
    let groups: Vec<&str> = raw.split('.').collect();
    let thousands = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3);
    if thousands {
        raw.replace('.', "")
    } else {
        raw.to_owned()
    }
}

fn version_of(form: &CsrfForm) -> i64 {
    form.get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn done(
    app: &App,
    form: &CsrfForm,
    id: ProjectId,
    result: Result<(), String>,
    kept: Option<Kept>,
) -> UiResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/progetti/{id}/relazione?fatto=1")).into_response()),
        Err(message) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            narrative_page(app, &form.session, id, Some(message), kept, false).await?,
        )
            .into_response()),
    }
}

async fn add_section(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let result = match section_of(&form) {
        Ok(new) => outcome(narrative::add_section(&app, &form.session.actor(), id, new).await)?,
        Err(message) => Err(message),
    };
    done(&app, &form, id, result, Some(Kept::of(&form, None))).await
}

async fn edit_section(
    State(app): State<App>,
    Path((id, sid)): Path<(String, String)>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let sid: i64 = sid
        .parse()
        .map_err(|_| UiError::not_found(narrative::SECTION))?;
    let who = form.session.actor();
    let version = version_of(&form);
    let result = if form.get("elimina").is_some() {
        if !super::confirm::confirmed(&form) {
            return super::confirm::ask(
                &form,
                "Eliminare la sezione?",
                format!(
                    "La sezione «{}» sarà tolta dalla relazione finale con il suo testo.",
                    form.get("title").unwrap_or("senza titolo")
                ),
                "Elimina la sezione",
                format!("/progetti/{id}/relazione/sezioni/{sid}"),
                format!("/progetti/{id}/relazione"),
            );
        }
        outcome(narrative::delete_section(&app, &who, id, sid, Some(version)).await)?
    } else {
        match section_of(&form) {
            Ok(new) => outcome(narrative::update_section(&app, &who, id, sid, version, new).await)?,
            Err(message) => Err(message),
        }
    };
    done(&app, &form, id, result, Some(Kept::of(&form, Some(sid)))).await
}

async fn add_indicator(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let result = match indicator_of(&form) {
        Ok(new) => outcome(narrative::add_indicator(&app, &form.session.actor(), id, new).await)?,
        Err(message) => Err(message),
    };
    done(&app, &form, id, result, None).await
}

async fn edit_indicator(
    State(app): State<App>,
    Path((id, iid)): Path<(String, String)>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id = project_id(&id)?;
    let iid: i64 = iid
        .parse()
        .map_err(|_| UiError::not_found(narrative::INDICATOR))?;
    let who = form.session.actor();
    let version = version_of(&form);
    let result = if form.get("elimina").is_some() {
        if !super::confirm::confirmed(&form) {
            return super::confirm::ask(
                &form,
                "Eliminare l'indicatore?",
                format!(
                    "L'indicatore «{}» sarà tolto dalla relazione finale.",
                    form.get("name").unwrap_or("senza nome")
                ),
                "Elimina l'indicatore",
                format!("/progetti/{id}/relazione/indicatori/{iid}"),
                format!("/progetti/{id}/relazione"),
            );
        }
        outcome(narrative::delete_indicator(&app, &who, id, iid, Some(version)).await)?
    } else {
        match indicator_of(&form) {
            Ok(new) => {
                outcome(narrative::update_indicator(&app, &who, id, iid, version, new).await)?
            }
            Err(message) => Err(message),
        }
    };
    done(&app, &form, id, result, None).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_typed_the_italian_way() {
        for (typed, api) in [
            ("1.860", "1860"),
            ("12.000", "12000"),
            ("340,5", "340.5"),
            ("1.234,5", "1234.5"),
            ("340.5", "340.5"),
            ("120", "120"),
            (" 7 ", "7"),
        ] {
            assert_eq!(super::api_number(typed), api, "{typed}");
        }
    }
}
