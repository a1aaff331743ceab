//! Request extractors that fail with our problem documents instead of axum's plain-text
//! rejections: JSON bodies (field named on a type error), `If-Match`, and query strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body. A syntax error is a 400; a wrong type, an unknown field or a bad value is a 422
/// that names the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The raw bytes of a body declared as JSON (`application/json` or any `+json`, such as
/// `application/merge-patch+json`), within the body limit.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_content = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !json_content {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Il corpo della richiesta deve essere JSON (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "Il corpo della richiesta supera il limite di 1 MiB.",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    "Impossibile leggere il corpo della richiesta.",
                )
            }
        })?;
        Ok(JsonBytes(bytes))
    }
}

/// The bytes of an uploaded file (any content type: its kind is read from the bytes), within the
/// route's limit; over it, a 413 problem saying the limit in MB.
pub struct FileBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for FileBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(FileBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "file_too_large",
                        format!(
                            "Il file supera la dimensione massima di {} MB.",
                            crate::domain::attachment::DEFAULT_MAX_BYTES / (1024 * 1024)
                        ),
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        "Impossibile leggere il file inviato (trasmissione interrotta?).",
                    )
                }
            })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(&e))?;
    de.end().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "JSON non valido: dati in più dopo la fine del documento.",
        )
    })?;
    Ok(value)
}

fn json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!(
                "JSON non valido (riga {}, colonna {}).",
                inner.line(),
                inner.column()
            ),
        ),
        serde_json::error::Category::Data => {
            let text = inner.to_string();
            let path = e.path().to_string();
            if quoted_after(&text, "unknown field `").is_some() {
                // The path already ends with the unknown key.
                return ApiError::field(&path, "unknown_field", "campo sconosciuto");
            }
            let (code, message) = if text.starts_with("invalid type") {
                ("invalid_type", type_message(&text))
            } else {
                ("invalid_value", "valore non valido".to_owned())
            };
            let field = if path == "." { String::new() } else { path };
            ApiError::field(&field, code, message)
        }
    }
}

fn quoted_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.split('`').next()
}

/// "invalid type: floating point `12.5`, expected a string" → an Italian sentence.
fn type_message(text: &str) -> String {
    let expected = text.rsplit("expected ").next().unwrap_or("");
    let wanted = if expected.contains("string") {
        "una stringa (gli importi si scrivono fra virgolette, ad esempio \"1234.56\")"
    } else if expected.contains("bool") {
        "true o false"
    } else if expected.contains("sequence") {
        "un elenco"
    } else if expected.contains("struct") || expected.contains("map") {
        "un oggetto"
    } else {
        "un valore di altro tipo"
    };
    format!("tipo non valido: atteso {wanted}")
}

/// `If-Match` when present (DELETE honours it without requiring it).
pub struct OptionalIfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalIfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        optional_if_match(&parts.headers).map(OptionalIfMatch)
    }
}

fn optional_if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let stale = || {
        ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition_failed",
            "L'ETag indicato in If-Match non corrisponde alla versione attuale: ricaricare l'elemento.",
        )
    };
    let text = raw.to_str().map_err(|_| stale())?.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let version = text
        .strip_prefix("\"v")
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(stale)?;
    Ok(Some(version))
}

/// The ETag of a resource version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The query string as key/value pairs; a malformed one is a 400.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(QueryPairs)
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_query",
                    "Parametri della richiesta non leggibili.",
                )
            })
    }
}

impl QueryPairs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}
