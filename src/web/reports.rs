//! `GET /api/v1/projects/{id}/reports/rendiconto.xlsx` — the documents for download.

use super::auth::Who;
use crate::domain::access::Actor;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::{ApiError, ApiResult, Problem};
use super::extract::QueryPairs;
use super::projects::parse_project_id;
use crate::domain::fields;
use crate::domain::submission::Submission;
use crate::domain::Violations;
use crate::services::evidence::{evidence_pack, integrazioni, integrazioni_pack, SpooledDocument};
use crate::services::reports::{rendiconto, submission_file, submissions, submit, Document, Kind};
use crate::services::App;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/projects/{id}/reports/rendiconto.xlsx", get(xlsx))
        .route("/api/v1/projects/{id}/reports/rendiconto.pdf", get(pdf))
        .route(
            "/api/v1/projects/{id}/reports/relazione.pdf",
            get(relazione),
        )
        .route(
            "/api/v1/projects/{id}/submissions",
            get(list_submissions).post(create_submission),
        )
        .route(
            "/api/v1/projects/{id}/submissions/{sid}/integrazioni",
            get(list_integrazioni),
        )
        .route(
            "/api/v1/projects/{id}/submissions/{sid}/{file}",
            get(submission_document),
        )
}

fn download(doc: Document, content_type: &'static str) -> Response {
    let mut response = doc.bytes.into_response();
    describe(
        response.headers_mut(),
        content_type,
        &doc.file_name,
        &doc.fingerprint,
    );
    response
}

/// A spooled document, streamed from its temporary file.
fn stream_download(doc: SpooledDocument, content_type: &'static str) -> Response {
    let file = tokio::fs::File::from_std(doc.file);
    let mut response =
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(doc.len));
    describe(headers, content_type, &doc.file_name, &doc.fingerprint);
    response
}

/// Type, file name and (when known) the data's fingerprint of a downloaded document.
fn describe(
    headers: &mut HeaderMap,
    content_type: &'static str,
    file_name: &str,
    fingerprint: &str,
) {
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if !fingerprint.is_empty() {
        if let Ok(v) = HeaderValue::from_str(fingerprint) {
            headers.insert("x-rendiconta-fingerprint", v);
        }
    }
}

/// The rendiconto as XLSX: summary, expenses by category with subtotals, excluded expenses, split
/// among entities. `as_of` (default today) and `template` (default: the call's).
#[utoipa::path(get, path = "/api/v1/projects/{id}/reports/rendiconto.xlsx", tag = "reports",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"), ("template" = Option<String>, Query), ("submission" = Option<String>, Query, description = "re-make the documents of this submission")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn xlsx(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    document(app, &who, &id, &query, Kind::Xlsx).await
}

/// The rendiconto as PDF (A4, for signature): the same figures, the declaration and the signature
/// block, "Pagina N di M" and the data's fingerprint on every page.
#[utoipa::path(get, path = "/api/v1/projects/{id}/reports/rendiconto.pdf", tag = "reports",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"), ("template" = Option<String>, Query), ("submission" = Option<String>, Query, description = "re-make the documents of this submission")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn pdf(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    document(app, &who, &id, &query, Kind::Pdf).await
}

/// The final activity report (relazione finale): the narrative sections and indicators recorded,
/// the financial outcome and the signature block.
#[utoipa::path(get, path = "/api/v1/projects/{id}/reports/relazione.pdf", tag = "reports",
    params(("id" = String, Path), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD"), ("template" = Option<String>, Query), ("submission" = Option<String>, Query, description = "re-make the documents of this submission")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn relazione(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    document(app, &who, &id, &query, Kind::Relazione).await
}

async fn document(
    app: App,
    who: &Actor,
    id: &str,
    query: &QueryPairs,
    kind: Kind,
) -> ApiResult<Response> {
    let project = parse_project_id(id)?;
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", query.get("as_of"));
    v.finish(|| Some(())).map_err(ApiError::invalid)?;
    let submission = match query.get("submission") {
        None => None,
        Some(raw) => Some(
            raw.parse::<crate::domain::ExpenseId>()
                .map(|id| id.0)
                .map_err(|_| ApiError::not_found("rendicontazione"))?,
        ),
    };
    let doc = rendiconto(
        &app,
        who,
        project,
        kind,
        as_of,
        query.get("template"),
        submission,
    )
    .await?;
    let content_type = match kind {
        Kind::Xlsx => XLSX_TYPE,
        Kind::Pdf | Kind::Relazione => "application/pdf",
    };
    Ok(download(doc, content_type))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    /// The day the state is frozen at (default: today).
    as_of: Option<String>,
    template: Option<String>,
    /// Override the project's signatory settings for this submission.
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    /// The signatory's codice fiscale, printed in the declaration.
    signatory_tax_code: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    id: String,
    project_id: String,
    as_of: String,
    template: String,
    fingerprint: String,
    /// The version of the canonical text the fingerprint is computed over.
    fingerprint_version: i64,
    signatory_name: Option<String>,
    signatory_role: Option<String>,
    signatory_place: Option<String>,
    signatory_tax_code: Option<String>,
    contribution_due: String,
    expense_count: i64,
    /// The audit trail's head when the submission was made, printed on its documents.
    audit_seq: Option<i64>,
    audit_hash: Option<String>,
    created_at: String,
    files: Vec<String>,
    /// The evidence pack, frozen with the submission.
    evidence_pack: String,
    /// The files added since to the expenses it counted (a list; `integrazioni.zip` the pack).
    integrazioni: String,
    /// Its signed copies (a list; POST the signed rendiconto there).
    signed_copies: String,
}

impl From<&Submission> for SubmissionView {
    fn from(s: &Submission) -> SubmissionView {
        let base = format!("/api/v1/projects/{}/submissions/{}", s.project_id, s.id);
        SubmissionView {
            id: s.id.to_string(),
            project_id: s.project_id.to_string(),
            as_of: s.as_of.to_string(),
            template: s.template.clone(),
            fingerprint: s.fingerprint.clone(),
            fingerprint_version: s.fingerprint_version,
            signatory_name: s.signatory.name.clone(),
            signatory_role: s.signatory.role.clone(),
            signatory_place: s.signatory.place.clone(),
            signatory_tax_code: s.signatory.tax_code.as_ref().map(ToString::to_string),
            contribution_due: s.contribution_due.to_string(),
            expense_count: s.expense_count,
            audit_seq: s.audit_seq,
            audit_hash: s.audit_hash.clone(),
            created_at: s.created_at.to_rfc3339(),
            files: ["rendiconto.xlsx", "rendiconto.pdf", "relazione.pdf"]
                .iter()
                .map(|f| format!("{base}/{f}"))
                .collect(),
            evidence_pack: format!("{base}/evidenze.zip"),
            integrazioni: format!("{base}/integrazioni"),
            signed_copies: format!("{base}/signed"),
        }
    }
}

/// Freezes the project's state: stores the XLSX and PDF with their fingerprint and marks the
/// counted expenses `included` (from then on a change to them is a 409). An empty body is enough.
#[utoipa::path(post, path = "/api/v1/projects/{id}/submissions", tag = "reports", params(("id" = String, Path)),
    request_body(content = Option<SubmissionInput>, content_type = "application/json"),
    responses((status = 201, body = SubmissionView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 400, body = Problem)))]
async fn create_submission(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let input: SubmissionInput = if body.iter().all(u8::is_ascii_whitespace) {
        SubmissionInput::default()
    } else {
        super::extract::parse_json(&body)?
    };
    let mut v = Violations::new();
    let as_of = fields::date(&mut v, "as_of", input.as_of.as_deref());
    let signatory = fields::signatory(
        &mut v,
        input.signatory_name.as_deref(),
        input.signatory_role.as_deref(),
        input.signatory_place.as_deref(),
        input.signatory_tax_code.as_deref(),
    );
    v.finish(|| Some(())).map_err(ApiError::invalid)?;
    let submission = submit(
        &app,
        &who,
        project,
        as_of,
        input.template.as_deref(),
        &signatory,
    )
    .await?;
    let view = SubmissionView::from(&submission);
    let mut response = (axum::http::StatusCode::CREATED, axum::Json(view)).into_response();
    if let Ok(location) =
        format!("/api/v1/projects/{project}/submissions/{}", submission.id).parse()
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The submissions of a project, with their fingerprints.
#[utoipa::path(get, path = "/api/v1/projects/{id}/submissions", tag = "reports", params(("id" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_submissions(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<super::pagination::ListEnvelope<SubmissionView>>> {
    let list = submissions(&app, &who, parse_project_id(&id)?).await?;
    Ok(axum::Json(super::pagination::ListEnvelope::whole(
        list.iter().map(SubmissionView::from).collect(),
    )))
}

/// The files attached since to the expenses a submission counted, with who added them and when:
/// its integrazioni, which its frozen evidence pack does not hold and the next submission's will.
#[utoipa::path(get, path = "/api/v1/projects/{id}/submissions/{sid}/integrazioni", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 404, body = Problem)))]
async fn list_integrazioni(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<axum::Json<super::pagination::ListEnvelope<super::attachments::AttachmentView>>> {
    let project = parse_project_id(&id)?;
    let sid: crate::domain::ExpenseId = sid
        .parse()
        .map_err(|_| ApiError::not_found("rendicontazione"))?;
    let list = integrazioni(&app, &who, project, sid.0).await?;
    Ok(axum::Json(super::pagination::ListEnvelope::whole(
        list.iter()
            .map(super::attachments::AttachmentView::from)
            .collect(),
    )))
}

/// A submitted document, byte for byte as first made: `rendiconto.xlsx`, `rendiconto.pdf` or
/// `relazione.pdf`; `evidenze.zip`, the evidence pack frozen with the submission: those documents,
/// every claimed expense's files in a folder named after its row in the rendiconto, and
/// `indice.xlsx` linking rows to files; or `integrazioni.zip`, the files added since.
#[utoipa::path(get, path = "/api/v1/projects/{id}/submissions/{sid}/{file}", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path), ("file" = String, Path, description = "rendiconto.xlsx, rendiconto.pdf, relazione.pdf, evidenze.zip or integrazioni.zip")),
    responses((status = 200, body = Vec<u8>), (status = 404, body = Problem)))]
async fn submission_document(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid, file)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let project = parse_project_id(&id)?;
    let sid: crate::domain::ExpenseId = sid
        .parse()
        .map_err(|_| ApiError::not_found("rendicontazione"))?;
    match file.as_str() {
        "evidenze.zip" => {
            let pack = evidence_pack(&app, &who, project, sid.0).await?;
            return Ok(stream_download(pack, "application/zip"));
        }
        "integrazioni.zip" => {
            let pack = integrazioni_pack(&app, &who, project, sid.0).await?;
            return Ok(stream_download(pack, "application/zip"));
        }
        _ => {}
    }
    let kind = match file.as_str() {
        "rendiconto.xlsx" => Kind::Xlsx,
        "rendiconto.pdf" => Kind::Pdf,
        "relazione.pdf" => Kind::Relazione,
        _ => return Err(ApiError::not_found("documento")),
    };
    let bytes = submission_file(&app, &who, project, sid.0, kind).await?;
    let content_type = match kind {
        Kind::Xlsx => XLSX_TYPE,
        Kind::Pdf | Kind::Relazione => "application/pdf",
    };
    let name = format!("rendicontazione-{}-{}", sid.0, file);
    Ok(download(
        Document {
            bytes,
            fingerprint: String::new(),
            file_name: name,
        },
        content_type,
    ))
}
