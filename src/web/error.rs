//! The web layer's error: every failure becomes an RFC 9457 `application/problem+json` body with a
//! stable `code`, an Italian `detail` and, for invalid input, the list of fields at fault. Internal
//! causes are logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::services::Outage;
use crate::services::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    related: Vec<String>,
    retry_after: Option<u64>,
}

/// The problem document, as the OpenAPI description shows it.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    code: String,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<String>,
    /// The request this answers (`urn:rendiconta:request:ID`, ID as in `X-Request-Id`): quote it
    /// when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
}

/// One field at fault.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDoc {
    field: String,
    code: String,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            related: Vec::new(),
            retry_after: None,
        }
    }

    /// 401: the request names nobody, or a session or token that is no longer valid.
    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        let fields: Vec<&str> = errors
            .iter()
            .map(|e| e.field.as_str())
            .filter(|f| !f.is_empty())
            .collect();
        let detail = if fields.is_empty() {
            "I dati inviati non sono validi.".to_owned()
        } else {
            format!(
                "I dati inviati non sono validi: controllare {}.",
                fields.join(", ")
            )
        };
        ApiError {
            errors,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }])
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what}: non trovato"),
        )
    }

    /// 507 or 503: the database cannot take the request now; nothing was written.
    pub fn outage(outage: Outage) -> ApiError {
        let (status, code, detail, seconds) = match outage {
            Outage::DiskFull => (
                StatusCode::INSUFFICIENT_STORAGE,
                "disk_full",
                "Spazio su disco esaurito sul server: l'operazione non è stata registrata. \
                 Riprovare quando l'amministratore avrà liberato spazio.",
                60,
            ),
            Outage::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "Il database non è raggiungibile o non accetta modifiche: l'operazione non è \
                 stata registrata. Riprovare tra poco.",
                10,
            ),
        };
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(status, code, detail)
        }
    }

    /// Seconds after which the client may try again, when the answer says so.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The fields at fault, for a form to show each message beside its field.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Richiesta non valida",
        401 => "Accesso richiesto",
        403 => "Operazione non consentita",
        429 => "Troppi tentativi",
        404 => "Non trovato",
        409 => "Conflitto",
        412 => "Versione non più attuale",
        413 => "Richiesta troppo grande",
        415 => "Formato non supportato",
        422 => "Dati non validi",
        428 => "Versione richiesta",
        503 => "Servizio momentaneamente non disponibile",
        507 => "Spazio su disco esaurito",
        _ => "Errore interno",
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        match error {
            ServiceError::Invalid(errors) => ApiError::invalid(errors),
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::VersionRequired => ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "Per modificare serve l'intestazione If-Match con l'ETag letto: così nessuno sovrascrive le modifiche di un altro.",
            ),
            ServiceError::Stale => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "Qualcun altro ha modificato questo elemento dopo che lo hai aperto: ricaricalo e riapplica le modifiche.",
            ),
            ServiceError::Conflict { code, message, related } => ApiError {
                related: related.iter().map(ToString::to_string).collect(),
                ..ApiError::new(StatusCode::CONFLICT, code, message)
            },
            ServiceError::Unprocessable { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            ServiceError::BrokenTemplate(why) => {
                // The officer who edited the template needs to know where it is broken.
                tracing::error!(error = %why, "broken report template");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "broken_template", why)
            }
            ServiceError::Report(cause) => {
                tracing::error!(error = %cause, "report failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Errore interno nella preparazione del documento. Riprovare più tardi.",
                )
            }
            ServiceError::Forbidden(why) => ApiError::forbidden("forbidden", why),
            ServiceError::BadCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Email o password non corretti.",
            ),
            ServiceError::Throttled(seconds) => ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!(
                        "Troppi tentativi di accesso non riusciti: riprovare tra {} minuti.",
                        seconds.div_ceil(60)
                    ),
                )
            },
            ServiceError::Busy(seconds) => ApiError {
                retry_after: Some(seconds),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!("Il servizio è momentaneamente occupato da altri accessi: riprovare tra {seconds} secondi."),
                )
            },
            ServiceError::Outage(outage, cause) => {
                tracing::error!(error = %cause, "database outage");
                ApiError::outage(outage)
            }
            ServiceError::Store(cause) => {
                tracing::error!(error = %cause, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Errore interno: l'operazione non è stata eseguita. Riprovare più tardi.",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let body = Problem {
            kind: format!("urn:rendiconta:problem:{}", self.code),
            title: title(self.status).to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail,
            errors: self.errors,
            related: self.related,
            instance: super::request_id::current().map(|id| format!("urn:rendiconta:request:{id}")),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rendiconta\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
