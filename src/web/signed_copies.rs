//! The signed copies of a submission over the API: upload the rendiconto signed outside
//! rendiconta (the raw body: a PAdES PDF or a CAdES `.p7m`, DER or Base64), list them with who
//! signed each, download one byte for byte.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::FileBody;
use super::pagination::ListEnvelope;
use super::projects::parse_project_id;
use crate::domain::attachment::DEFAULT_MAX_BYTES;
use crate::domain::signed_copy::{SignatureFormat, SignedCopy, Signer};
use crate::services::{signed_copies, App};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/submissions/{sid}/signed",
            get(list)
                .post(upload)
                .layer(DefaultBodyLimit::max(DEFAULT_MAX_BYTES + 64 * 1024)),
        )
        .route(
            "/api/v1/projects/{id}/submissions/{sid}/signed/{cid}",
            get(download),
        )
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignerView {
    /// As the signer's certificate names them.
    name: String,
    /// The certificate's `serialNumber` without `TINIT-`: the codice fiscale.
    fiscal_code: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedCopyView {
    id: String,
    submission_id: String,
    /// `cades` (a `.pdf.p7m`) or `pades` (a signed PDF).
    format: &'static str,
    size: i64,
    sha256: String,
    /// Every signature's signer, innermost first (a countersignature last).
    signers: Vec<SignerView>,
    /// True when no signer is the submission's signatory (by codice fiscale, else by name).
    signed_by_other_than_signatory: bool,
    created_at: String,
    created_by: String,
    url: String,
}

impl SignedCopyView {
    fn new(copy: &SignedCopy, other_signer: bool) -> SignedCopyView {
        SignedCopyView {
            id: copy.id.to_string(),
            submission_id: copy.submission_id.to_string(),
            format: copy.format.as_str(),
            size: copy.size,
            sha256: copy.digest.to_string(),
            signers: copy.signers.iter().map(SignerView::from).collect(),
            signed_by_other_than_signatory: other_signer,
            created_at: copy.created_at.to_rfc3339(),
            created_by: copy.created_by.clone(),
            url: format!(
                "/api/v1/projects/{}/submissions/{}/signed/{}",
                copy.project_id, copy.submission_id, copy.id
            ),
        }
    }
}

impl From<&Signer> for SignerView {
    fn from(s: &Signer) -> SignerView {
        SignerView {
            name: s.name.clone(),
            fiscal_code: s.fiscal_code.clone(),
        }
    }
}

fn ids(id: &str, sid: &str) -> Result<(crate::domain::ProjectId, i64), ApiError> {
    let project = parse_project_id(id)?;
    let sid: crate::domain::ExpenseId = sid
        .parse()
        .map_err(|_| ApiError::not_found("rendicontazione"))?;
    Ok((project, sid.0))
}

/// Keeps the signed rendiconto of a submission, sent as the request body (`application/pdf` for
/// PAdES, `application/pkcs7-mime` for CAdES; the kind is read from the bytes). Refused with 422
/// and the reason unless it signs, byte for byte, the submission's PDF and every signature
/// verifies with its signer's certificate (chain and revocation are not checked). The same file
/// sent again answers 200 with the copy already kept.
#[utoipa::path(post, path = "/api/v1/projects/{id}/submissions/{sid}/signed", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "the signed file: a PAdES PDF (`application/pdf`) or a CAdES `.p7m` (`application/pkcs7-mime`); its kind is read from the bytes"),
    responses((status = 201, body = SignedCopyView), (status = 200, body = SignedCopyView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
    FileBody(body): FileBody,
) -> ApiResult<Response> {
    let (project, sid) = ids(&id, &sid)?;
    let kept = signed_copies::upload(&app, &who, project, sid, body.to_vec()).await?;
    let (copy, created) = (&kept.copy, kept.created);
    let view = SignedCopyView::new(copy, kept.other_signer);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Json(view)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!(
        "/api/v1/projects/{project}/submissions/{sid}/signed/{}",
        copy.id
    )) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A submission's signed copies, oldest first, with who signed each.
#[utoipa::path(get, path = "/api/v1/projects/{id}/submissions/{sid}/signed", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 200, description = "{items,total,page,per_page}"), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
async fn list(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid)): Path<(String, String)>,
) -> ApiResult<Json<ListEnvelope<SignedCopyView>>> {
    let (project, sid) = ids(&id, &sid)?;
    let (submission, copies) = signed_copies::submission(&app, &who, project, sid).await?;
    Ok(Json(ListEnvelope::whole(
        copies
            .iter()
            .map(|c| SignedCopyView::new(c, c.signed_by_other_than(&submission.signatory)))
            .collect(),
    )))
}

/// One signed copy, byte for byte as uploaded.
#[utoipa::path(get, path = "/api/v1/projects/{id}/submissions/{sid}/signed/{cid}", tag = "reports",
    params(("id" = String, Path), ("sid" = String, Path), ("cid" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
async fn download(
    State(app): State<App>,
    Who(who): Who,
    Path((id, sid, cid)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (project, sid) = ids(&id, &sid)?;
    let cid: crate::domain::ExpenseId = cid
        .parse()
        .map_err(|_| ApiError::not_found("copia firmata"))?;
    let (copy, bytes) = signed_copies::download(&app, &who, project, sid, cid.0).await?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(match copy.format {
            SignatureFormat::Pades => "application/pdf",
            SignatureFormat::Cades => "application/pkcs7-mime",
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", copy.file_name()))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
