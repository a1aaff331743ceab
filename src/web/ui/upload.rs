//! Multipart forms with files. The CSRF token must be the form's first field: a forged request is
//! refused before any file is read.

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

    pub fn checked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }
}

pub async fn read(session: &UiSession, mut form: Multipart) -> UiResult<Upload> {
    // Over the route's limit the answer is 413, as the API's, not a generic "unreadable form".
    let bad = |what: &'static str| {
        move |e: MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                UiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "File troppo grande: supera il limite ammesso per questo caricamento.",
                )
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
                let bytes = field.bytes().await.map_err(bad("file interrotto"))?;
                if !bytes.is_empty() {
                    upload.files.push((name, file, bytes.to_vec()));
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
