//! Multipart forms with files. The CSRF token must be the form's first field: a forged request is
//! refused before any file is read. Files above the form's limit are answered 413 after the rest
//! of the body has been read and dropped: a server that answers while the browser is still
//! sending, and closes, makes the browser see a broken connection instead of the answer. Routes
//! set their body limit (`hard_limit`) above the files' limit, so that only bodies far beyond it
//! are cut off unread.

use std::collections::HashMap;

use axum::extract::multipart::MultipartError;
use axum::extract::Multipart;
use axum::http::StatusCode;

use super::page::{UiError, UiResult};
use super::session::UiSession;

/// A form's text fields and its non-empty files (`field name`, `file name`, bytes).
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A field read with `parse`: none when left empty, a 422 naming it when it cannot be read
    /// (never a silent default in place of what was sent).
    pub fn parsed<T>(
        &self,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> UiResult<Option<T>> {
        match self.field(name) {
            None => Ok(None),
            Some(raw) => parse(raw).map(Some).ok_or_else(|| {
                UiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{what} non valido: «{raw}»."),
                )
            }),
        }
    }

    pub fn checked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

/// The body limit a route with files up to `limit` bytes sets: room to read an upload somewhat
/// over the limit to its end before refusing it.
pub const fn hard_limit(limit: usize) -> usize {
    limit.saturating_mul(2).saturating_add(64 * 1024)
}

fn too_large() -> UiError {
    UiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "File troppo grande: supera il limite ammesso per questo caricamento.",
    )
}

/// Reads the form; its files may hold `limit` bytes in all.
pub async fn read(session: &UiSession, mut form: Multipart, limit: usize) -> UiResult<Upload> {
    // Over the route's limit the answer is 413, as the API's, not a generic "unreadable form".
    let bad = |what: &'static str| {
        move |e: MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                UiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Modulo illeggibile: {what}."),
                )
            }
        }
    };
    let mut csrf_ok = false;
    let mut upload = Upload {
        fields: HashMap::new(),
        files: Vec::new(),
    };
    while let Some(field) = form.next_field().await.map_err(bad("parte non valida"))? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "_csrf" {
            let sent = field.text().await.map_err(bad("codice di sicurezza"))?;
            csrf_ok = crate::web::auth::same_secret(&sent, &session.csrf);
            continue;
        }
        if !csrf_ok {
            break;
        }
        match field.file_name().map(str::to_owned) {
            Some(file) => {
                let mut field = field;
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad("file interrotto"))? {
                    if read_so_far(&upload) + bytes.len() + chunk.len() > limit {
                        drop(field);
                        drain(form).await;
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if !bytes.is_empty() {
                    upload.files.push((name, file, bytes));
                }
            }
            None => {
                let text = field.text().await.map_err(bad("campo non leggibile"))?;
                upload.fields.insert(name, text);
            }
        }
    }
    if !csrf_ok {
        return Err(UiError::new(
            StatusCode::FORBIDDEN,
            "Modulo rifiutato: il codice di sicurezza (CSRF) manca o è scaduto. Ricaricare la pagina e riprovare.",
        ));
    }
    Ok(upload)
}

fn read_so_far(upload: &Upload) -> usize {
    upload.files.iter().map(|(_, _, b)| b.len()).sum()
}

/// Reads the rest of the body and drops it (up to the route's body limit, where it errors).
async fn drain(mut form: Multipart) {
    while let Ok(Some(mut field)) = form.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// How a page names a CSV import's outcome — its words, its class, its status — with what was
/// `made` ("spese create") and what was `none` ("nessuna spesa creata").
pub fn csv_outcome(
    outcome: crate::services::csv_import::CsvOutcome,
    clean: bool,
    made: &'static str,
    none: &'static str,
) -> (String, &'static str, StatusCode) {
    use crate::services::csv_import::CsvOutcome;
    match outcome {
        CsvOutcome::Created => (format!("importato: {made}"), "ok", StatusCode::OK),
        CsvOutcome::Preview if clean => (
            "controllo riuscito: nulla è stato scritto".into(),
            "info",
            StatusCode::OK,
        ),
        CsvOutcome::Preview => (
            "controllo: ci sono errori, nulla è stato scritto".into(),
            "warn",
            StatusCode::OK,
        ),
        CsvOutcome::Refused => (
            format!("rifiutato: {none}"),
            "alert",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
