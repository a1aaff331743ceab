//! Rendering: one template environment for the process, the page frame, and errors as pages.

use std::sync::OnceLock;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

use crate::services::ServiceError;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "sign_in.html",
    "error.html",
    "projects.html",
    "dashboard.html",
    "expenses.html",
    "expense_form.html",
    "funding.html",
    "documents.html",
    "submission_preview.html",
    "confirm.html",
    "entities.html",
    "import.html",
    "reconciliation.html",
    "narrative.html",
    "commitments.html",
    "forecast_card.html",
);

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // API forms shown the Italian way: `1234.56` → `1.234,56 €`, `2021-01-31` → `31/01/2021`.
        env.add_filter("euro", |raw: String| {
            crate::domain::text::italian_amount_of(&raw)
        });
        env.add_filter("data", |raw: String| {
            crate::domain::text::italian_date_of(&raw)
        });
        for (name, source) in TEMPLATES {
            // The templates are ours and compiled in: a broken one fails the test suite at once.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "broken UI template");
            }
        }
        env
    })
}

/// Renders a page; `.html` templates escape every value.
pub fn render(name: &str, context: impl Serialize) -> Result<Html<String>, UiError> {
    environment()
        .get_template(name)
        .and_then(|t| t.render(minijinja::Value::from_serialize(&context)))
        .map(Html)
        .map_err(|e| {
            tracing::error!(template = name, error = %e, "page rendering failed");
            UiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Errore interno nella preparazione della pagina.",
            )
        })
}

/// Why the API's checks refused a form, in one line for the page.
pub fn refusal(e: &crate::web::error::ApiError) -> String {
    let errors: Vec<String> = e.field_errors().iter().map(|f| f.message.clone()).collect();
    if errors.is_empty() {
        e.detail().to_owned()
    } else {
        errors.join("; ")
    }
}

/// A service outcome for a form: refusals the user can act on become the page's message; others
/// an error page.
pub fn outcome<T>(result: Result<T, ServiceError>) -> UiResult<Result<(), String>> {
    match result {
        Ok(_) => Ok(Ok(())),
        Err(ServiceError::Invalid(errors)) => Ok(Err(errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "))),
        Err(ServiceError::Conflict { message, .. }) => Ok(Err(message)),
        Err(ServiceError::Stale) => Ok(Err(
            "Qualcun altro l'ha modificato dopo che hai aperto la pagina: le modifiche non sono state salvate. Ricarica la pagina e riapplicale.".into(),
        )),
        Err(other) => Err(UiError::from(other)),
    }
}

/// A failure shown as a page, in Italian.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

pub type UiResult<T> = Result<T, UiError>;

impl UiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> UiError {
        UiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn not_found(what: &str) -> UiError {
        UiError::new(StatusCode::NOT_FOUND, format!("{what}: non trovato"))
    }
}

impl From<ServiceError> for UiError {
    fn from(e: ServiceError) -> UiError {
        match e {
            ServiceError::NotFound(what) => UiError::not_found(what),
            ServiceError::Forbidden(why) => UiError::new(StatusCode::FORBIDDEN, why),
            ServiceError::Conflict { message, .. } => UiError::new(StatusCode::CONFLICT, message),
            ServiceError::Unprocessable { message, .. } => {
                UiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            ServiceError::Stale => UiError::new(
                StatusCode::PRECONDITION_FAILED,
                "Qualcun altro ha modificato questo elemento dopo che lo hai aperto: ricaricalo.",
            ),
            ServiceError::Invalid(errors) => UiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            busy @ ServiceError::Busy(_) => UiError::from(crate::web::error::ApiError::from(busy)),
            outage @ ServiceError::Outage(..) => {
                UiError::from(crate::web::error::ApiError::from(outage))
            }
            other => {
                tracing::error!(error = %other, "ui failure");
                UiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Errore interno: l'operazione non è stata eseguita. Riprovare più tardi.",
                )
            }
        }
    }
}

impl From<crate::web::error::ApiError> for UiError {
    fn from(e: crate::web::error::ApiError) -> UiError {
        UiError {
            retry_after: e.retry_after(),
            ..UiError::new(e.status(), e.detail().to_owned())
        }
    }
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
    /// To quote when asking for help: the logs name the request by it.
    request: Option<String>,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let title = match self.status.as_u16() {
            403 => "Operazione non consentita",
            404 => "Pagina non trovata",
            409 => "Operazione non possibile",
            412 => "Modificato da un altro utente",
            413 => "File troppo grande",
            503 => "Servizio momentaneamente non disponibile",
            507 => "Spazio su disco esaurito",
            _ => "Errore",
        };
        let retry_after = self
            .retry_after
            .map(|seconds| (header::RETRY_AFTER, HeaderValue::from(seconds)));
        let page = ErrorPage {
            title,
            message: &self.message,
            status: self.status.as_u16(),
            request: crate::web::request_id::current(),
        };
        let mut response = match render("error.html", &page) {
            Ok(html) => (self.status, html).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        };
        if let Some((name, value)) = retry_after {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
