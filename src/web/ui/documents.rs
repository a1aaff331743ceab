//! The documents page: today's documents, the submission (rendicontazione) with who signs it,
//! and each submission made with its files, its signed copies (uploaded here, checked against
//! the submitted PDF) and its integrazioni.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{render, UiError, UiResult};
use super::session::{CsrfForm, UiSession};
use super::upload;
use crate::domain::access::Need;
use crate::domain::attachment::DEFAULT_MAX_BYTES;
use crate::domain::fields;
use crate::domain::signed_copy::{SignatureFormat, SignedCopy};
use crate::domain::submission::Submission;
use crate::domain::text::italian_date;
use crate::domain::ProjectId;
use crate::services::{projects, reports, signed_copies, App};

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti/{id}/documenti", get(documents))
        .route("/progetti/{id}/documenti/presenta", post(submit))
        .route(
            "/progetti/{id}/documenti/{sid}/firmata",
            post(upload_signed).layer(DefaultBodyLimit::max(upload::hard_limit(DEFAULT_MAX_BYTES))),
        )
}

#[derive(Serialize)]
struct SubmissionRow {
    id: String,
    as_of: String,
    due: String,
    expenses: i64,
    fingerprint: String,
    audit: Option<String>,
    /// Files added since to the expenses it counted, outside its frozen pack.
    integrazioni: Vec<IntegrazioneRow>,
    /// The rendiconto as signed, each copy checked against the submitted PDF.
    signed: Vec<SignedRow>,
    /// Who the submission names as signatory, for the warning beside a copy signed by another.
    signatory: String,
}

#[derive(Serialize)]
struct SignedRow {
    file_name: String,
    format: &'static str,
    signers: String,
    other_signer: bool,
    added_by: String,
    added_on: String,
    url: String,
}

impl SignedRow {
    fn new(copy: &SignedCopy, submission: &Submission) -> SignedRow {
        SignedRow {
            file_name: copy.file_name(),
            format: match copy.format {
                SignatureFormat::Cades => "CAdES (.p7m)",
                SignatureFormat::Pades => "PAdES (PDF firmato)",
            },
            signers: copy
                .signers
                .iter()
                .map(|s| match &s.fiscal_code {
                    Some(cf) => format!("{} ({cf})", s.name),
                    None => s.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other_signer: copy.signed_by_other_than(&submission.signatory),
            added_by: copy.created_by.clone(),
            added_on: italian_date(copy.created_at.date_naive()),
            url: format!(
                "/api/v1/projects/{}/submissions/{}/signed/{}",
                copy.project_id, copy.submission_id, copy.id
            ),
        }
    }
}

/// The submission's signatory as the page names them: name and codice fiscale, as known.
fn signatory_words(submission: &Submission) -> String {
    let s = &submission.signatory;
    match (&s.name, &s.tax_code) {
        (Some(name), Some(cf)) => format!("{name} ({cf})"),
        (Some(name), None) => name.clone(),
        (None, Some(cf)) => cf.to_string(),
        (None, None) => "nessun firmatario indicato".into(),
    }
}

#[derive(Serialize)]
struct IntegrazioneRow {
    file_name: String,
    kind: &'static str,
    expense: String,
    added_by: String,
    added_on: String,
    url: String,
}

/// Who signs, as the project's settings say: the submission form starts from it.
#[derive(Serialize)]
struct SignatoryFields {
    name: String,
    role: String,
    place: String,
    tax_code: String,
}

#[derive(Serialize)]
struct DocumentsPage {
    frame: Frame,
    nav: ProjectNav,
    /// Whether the form to submit is shown: only to those who may submit.
    can_submit: bool,
    signatory: SignatoryFields,
    submissions: Vec<SubmissionRow>,
    message: Option<String>,
}

async fn documents_page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    message: Option<String>,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let project = projects::get(app, &who, id).await?;
    let list = crate::services::evidence::submissions_with_integrazioni(app, &who, id).await?;
    let copies = signed_copies::of_project(app, &who, id).await?;
    let can_submit = crate::services::access::require(app, &who, id, Need::Submit)
        .await
        .is_ok();
    let mut submissions = Vec::with_capacity(list.len());
    for (s, added) in &list {
        submissions.push(SubmissionRow {
            id: s.id.to_string(),
            as_of: italian_date(s.as_of),
            due: s.contribution_due.italian(),
            expenses: s.expense_count,
            fingerprint: s.fingerprint.clone(),
            audit: s.audit_seq.map(|seq| format!("voce {seq}")),
            integrazioni: added
                .iter()
                .map(|a| IntegrazioneRow {
                    file_name: a.file_name.as_str().to_owned(),
                    kind: a.kind.italian(),
                    expense: a.expense_id.to_string(),
                    added_by: a.created_by.clone(),
                    added_on: italian_date(a.created_at.date_naive()),
                    url: format!("/api/v1/attachments/{}", a.id),
                })
                .collect(),
            signed: copies
                .iter()
                .filter(|c| c.submission_id == s.id)
                .map(|c| SignedRow::new(c, s))
                .collect(),
            signatory: signatory_words(s),
        });
    }
    render(
        "documents.html",
        DocumentsPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &project.data.title, "documenti"),
            can_submit,
            signatory: {
                let sg = &project.data.signatory;
                SignatoryFields {
                    name: sg.name.clone().unwrap_or_default(),
                    role: sg.role.clone().unwrap_or_default(),
                    place: sg.place.clone().unwrap_or_default(),
                    tax_code: sg
                        .tax_code
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                }
            },
            submissions,
            message,
        },
    )
}

async fn documents(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
) -> UiResult<Html<String>> {
    documents_page(&app, &session, project_id(&id)?, None).await
}

async fn submit(State(app): State<App>, Path(id): Path<String>, form: CsrfForm) -> Response {
    let id = match project_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let who = form.session.actor();
    // What cannot be read is said, not dropped: the form comes back with the reason.
    let mut v = crate::domain::Violations::new();
    let signatory = fields::signatory(
        &mut v,
        form.get("signatory_name"),
        form.get("signatory_role"),
        form.get("signatory_place"),
        form.get("signatory_tax_code"),
    );
    let confirmed = form.get("conferma") == Some("1");
    let submitted = match v.finish(|| Some(())) {
        // Nothing is frozen on the first click: the preview says what will be, and confirms.
        Ok(()) if !confirmed => {
            return match super::preview::page(&app, &form.session, id, &signatory).await {
                Ok(html) => html.into_response(),
                Err(e) => e.into_response(),
            };
        }
        Ok(()) => reports::submit(&app, &who, id, None, None, &signatory).await,
        Err(violations) => Err(crate::services::ServiceError::Invalid(violations)),
    };
    match submitted {
        Ok(_) => Redirect::to(&format!("/progetti/{id}/documenti")).into_response(),
        Err(e) => {
            let e = UiError::from(e);
            match documents_page(&app, &form.session, id, Some(e.message().to_owned())).await {
                Ok(html) => (e.status(), html).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}

/// Keeps the signed rendiconto of a submission; refused with the reason on the page.
async fn upload_signed(
    State(app): State<App>,
    session: UiSession,
    Path((id, sid)): Path<(String, String)>,
    form: Multipart,
) -> Response {
    let id = match project_id(&id) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let kept = async {
        let sid: i64 = sid
            .parse::<crate::domain::ExpenseId>()
            .map_err(|_| UiError::not_found("rendicontazione"))?
            .0;
        let form = upload::read(&session, form, app.max_file_bytes).await?;
        let Some((_, _, bytes)) = form.files.into_iter().find(|(f, _, _)| f == "file") else {
            return Err(UiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Scegliere il file firmato da caricare (PDF firmato o .p7m).",
            ));
        };
        signed_copies::upload(&app, &session.actor(), id, sid, bytes).await?;
        Ok(sid)
    };
    match kept.await {
        Ok(sid) => {
            Redirect::to(&format!("/progetti/{id}/documenti#rendicontazione-{sid}")).into_response()
        }
        Err(e) => match documents_page(&app, &session, id, Some(e.message().to_owned())).await {
            Ok(html) => (e.status(), html).into_response(),
            Err(e) => e.into_response(),
        },
    }
}
