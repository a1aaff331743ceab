//! The files of an expense in the workspace: listed on its page with a download link, added
//! through a small upload form, removed while the expense may still be edited.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;

use super::frame::{choices, Choice};
use super::page::{UiError, UiResult};
use super::session::{CsrfForm, UiSession};
use super::upload;
use crate::domain::access::Actor;
use crate::domain::attachment::{AttachmentKind, DEFAULT_MAX_BYTES};
use crate::domain::ExpenseId;
use crate::services::{attachments, App};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/spese/{id}/allegati",
            post(add).layer(DefaultBodyLimit::max(upload::hard_limit(DEFAULT_MAX_BYTES))),
        )
        .route("/allegati/{id}/elimina", post(remove))
}

#[derive(Serialize)]
pub struct AttachmentRow {
    id: String,
    file_name: String,
    kind: &'static str,
    size: String,
    sha256: String,
    added: String,
    url: String,
}

pub fn kind_choices() -> Vec<Choice> {
    choices(
        AttachmentKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), k.italian().to_owned()))
            .collect(),
        None,
    )
}

/// `1,2 MB`, `35 kB`: sizes as people read them.
fn size_words(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = bytes * 10 / (1024 * 1024);
        format!("{},{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

pub async fn rows(app: &App, who: &Actor, expense: ExpenseId) -> UiResult<Vec<AttachmentRow>> {
    Ok(attachments::list(app, who, expense)
        .await?
        .iter()
        .map(|a| AttachmentRow {
            id: a.id.to_string(),
            file_name: a.file_name.as_str().to_owned(),
            kind: a.kind.italian(),
            size: size_words(a.size),
            sha256: a.digest.as_str()[..12].to_owned(),
            added: crate::domain::text::italian_date(a.created_at.date_naive()),
            url: format!("/api/v1/attachments/{}", a.id),
        })
        .collect())
}

async fn add(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    form: Multipart,
) -> UiResult<Response> {
    let id: ExpenseId = id.parse().map_err(|_| UiError::not_found("spesa"))?;
    let form = upload::read(&session, form, app.max_file_bytes).await?;
    let kind = form
        .parsed("kind", "Tipo di documento", AttachmentKind::parse)?
        .unwrap_or(AttachmentKind::Other);
    let Some((_, name, bytes)) = form.files.into_iter().find(|(f, _, _)| f == "file") else {
        return Err(UiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Scegliere il file da allegare.",
        ));
    };
    attachments::upload(&app, &session.actor(), id, kind, &name, bytes).await?;
    Ok(Redirect::to(&format!("/spese/{id}#allegati")).into_response())
}

async fn remove(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> UiResult<Response> {
    let id: i64 = id
        .parse::<ExpenseId>()
        .map_err(|_| UiError::not_found("allegato"))?
        .0;
    let who = form.session.actor();
    let attachment = attachments::get(&app, &who, id).await?;
    if !super::confirm::confirmed(&form) {
        return super::confirm::ask(
            &form,
            "Eliminare il documento?",
            format!(
                "Il file «{}» ({}) sarà tolto dalla spesa {}. L'operazione resta nel registro.",
                attachment.file_name.as_str(),
                attachment.kind.italian(),
                attachment.expense_id
            ),
            "Elimina il documento",
            format!("/allegati/{id}/elimina"),
            format!("/spese/{}#allegati", attachment.expense_id),
        );
    }
    attachments::delete(&app, &who, id).await?;
    Ok(Redirect::to(&format!("/spese/{}#allegati", attachment.expense_id)).into_response())
}
