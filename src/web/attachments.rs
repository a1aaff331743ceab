//! Attachments over the API: upload a file to an expense (the body, any content type; its type is
//! read from its bytes), list an expense's files, download one with headers that keep a browser
//! from running it, and remove one.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::auth::Who;
use super::error::{ApiError, ApiResult, Problem};
use super::expenses::parse_expense_id;
use super::extract::{FileBody, QueryPairs};
use crate::domain::attachment::{Attachment, AttachmentKind, DEFAULT_MAX_BYTES};
use crate::domain::fields;
use crate::domain::Violations;
use crate::services::{attachments, App};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/expenses/{id}/attachments",
            post(upload)
                .get(list)
                // Files are larger than JSON bodies; the service applies the configured limit.
                .layer(DefaultBodyLimit::max(DEFAULT_MAX_BYTES + 64 * 1024)),
        )
        .route("/api/v1/attachments/{id}", get(download).delete(remove))
}

/// An attachment as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub expense_id: String,
    /// `invoice`, `payment_order`, `receipt` or `other`.
    pub kind: &'static str,
    /// The kind in Italian.
    pub kind_label: &'static str,
    pub file_name: String,
    /// Read from the file's bytes, not from the uploader.
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
    pub url: String,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> AttachmentView {
        AttachmentView {
            id: a.id.to_string(),
            expense_id: a.expense_id.to_string(),
            kind: a.kind.as_str(),
            kind_label: a.kind.italian(),
            file_name: a.file_name.as_str().to_owned(),
            content_type: a.content_type.mime(),
            size: a.size,
            sha256: a.digest.to_string(),
            created_at: a.created_at.to_rfc3339(),
            created_by: a.created_by.clone(),
            url: format!("/api/v1/attachments/{}", a.id),
        }
    }
}

fn parse_attachment_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<crate::domain::ExpenseId>()
        .map(|id| id.0)
        .map_err(|_| ApiError::not_found("allegato"))
}

/// Attaches the request body to the expense: `kind` (`invoice`, `payment_order`, `receipt`,
/// `other`; default `other`) and `file` (its name). PDF, images, XML, `.p7m` and ZIP/Office files
/// are accepted, up to 20 MB; the same file twice on one expense is a 409.
#[utoipa::path(post, path = "/api/v1/expenses/{id}/attachments", tag = "attachments",
    params(("id" = String, Path), ("kind" = Option<String>, Query), ("file" = Option<String>, Query, description = "the file's name")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    query: QueryPairs,
    FileBody(body): FileBody,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let expense = parse_expense_id(&id)?;
    let mut v = Violations::new();
    let kind = match query.get("kind") {
        None => Some(AttachmentKind::Other),
        raw => fields::choice(
            &mut v,
            "kind",
            raw,
            AttachmentKind::parse,
            &AttachmentKind::choices(),
        ),
    };
    let kind = v.finish(|| kind).map_err(ApiError::invalid)?;
    let name = query.get("file").unwrap_or("documento");
    let attachment = attachments::upload(&app, &who, expense, kind, name, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(AttachmentView::from(&attachment))))
}

/// The expense's files, oldest first.
#[utoipa::path(get, path = "/api/v1/expenses/{id}/attachments", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    let expense = parse_expense_id(&id)?;
    let files = attachments::list(&app, &who, expense).await?;
    Ok(Json(files.iter().map(AttachmentView::from).collect()))
}

/// The file, byte for byte, as a download (never shown inline: a browser must not run it).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 304, description = "unchanged"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn download(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = parse_attachment_id(&id)?;
    let (attachment, bytes) = attachments::download(&app, &who, id).await?;
    Ok(file_response(&attachment, bytes, &headers))
}

/// The response that serves a stored file: its sniffed type, a download disposition with the
/// safe name (ASCII and UTF-8 forms), no sniffing, a sandbox, and the digest as `ETag`.
pub fn file_response(attachment: &Attachment, bytes: Vec<u8>, request: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", attachment.digest);
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(attachment.content_type.mime()),
    );
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        attachment.file_name.ascii(),
        percent_encode(attachment.file_name.as_str())
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // The bytes behind an id never change; only who may read them does.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    response
}

/// RFC 8187 encoding for `filename*`: everything but unreserved ASCII as `%XX` of its UTF-8.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Removes the attachment (not allowed once its expense was submitted: 409).
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "attachments",
    params(("id" = String, Path)),
    responses((status = 204, description = "removed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn remove(
    State(app): State<App>,
    Who(who): Who,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_attachment_id(&id)?;
    attachments::delete(&app, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
