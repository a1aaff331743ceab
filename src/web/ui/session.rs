//! Signing in and out of the workspace, the signed-in user of a page, and CSRF-checked forms.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

use super::page::{render, UiError};
use crate::domain::access::{Actor, User};
use crate::services::{accounts, App, ServiceError};
use crate::web::auth::{cookie, same_secret, session_cookie, session_cookie_header};

/// The pre-session cookie of the sign-in form (double-submit CSRF protection).
const LOGIN_CSRF_COOKIE: &str = "rendiconta_login";

/// The signed-in user of a page, with the session's CSRF token for its forms.
pub struct UiSession {
    pub user: User,
    pub csrf: String,
}

impl UiSession {
    pub fn actor(&self) -> Actor {
        Actor::of(&self.user)
    }
}

fn sign_in_redirect(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let encoded: String = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("/accedi?{encoded}")).into_response()
}

async fn session_of(headers: &HeaderMap, app: &App) -> Result<Option<(User, String)>, UiError> {
    match session_cookie(headers) {
        Some(token) => Ok(accounts::session_user(app, &token).await?),
        None => Ok(None),
    }
}

impl FromRequestParts<App> for UiSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        match session_of(&parts.headers, app).await {
            Ok(Some((user, csrf))) => Ok(UiSession { user, csrf }),
            Ok(None) => Err(sign_in_redirect(parts)),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A posted form whose `_csrf` field matched the session's token: only then are its fields read.
pub struct CsrfForm {
    pub session: UiSession,
    pub fields: Vec<(String, String)>,
}

impl CsrfForm {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

fn csrf_refused() -> UiError {
    UiError::new(
        StatusCode::FORBIDDEN,
        "Modulo rifiutato: il codice di sicurezza (CSRF) manca o è scaduto. Tornare indietro, ricaricare la pagina e riprovare.",
    )
}

impl FromRequest<App> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = UiSession::from_request_parts(&mut parts, app).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            UiError::new(StatusCode::BAD_REQUEST, "Modulo illeggibile.").into_response()
        })?;
        let sent = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !same_secret(sent, &session.csrf) {
            return Err(csrf_refused().into_response());
        }
        Ok(CsrfForm { session, fields })
    }
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/accedi", get(sign_in_page).post(sign_in))
        .route("/esci", post(sign_out))
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only paths of this site: `//evil.example` or `https://…` would send the user elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/progetti".to_owned(),
    }
}

#[derive(Serialize)]
struct SignInPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

fn login_cookie(value: &str, app: &App) -> HeaderValue {
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={value}; Path=/accedi; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn sign_in_form(
    app: &App,
    next: String,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = accounts::new_secret();
    match render(
        "sign_in.html",
        SignInPage {
            csrf: csrf.clone(),
            next,
            email,
            error,
        },
    ) {
        Ok(html) => (
            status,
            [(header::SET_COOKIE, login_cookie(&csrf, app))],
            html,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn sign_in_page(State(app): State<App>, Query(q): Query<Next>) -> Response {
    sign_in_form(
        &app,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

async fn sign_in(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let next = safe_next(Some(&get("next")));
    let email = get("email");
    let cookie = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !same_secret(&cookie, &get("_csrf")) {
        return csrf_refused().into_response();
    }
    let user = match accounts::authenticate(&app, &email, &get("password")).await {
        Ok(user) => user,
        Err(ServiceError::BadCredentials) => {
            return sign_in_form(
                &app,
                next,
                email,
                Some("Email o password non corretti.".into()),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(ServiceError::Throttled(seconds)) => {
            let message = format!(
                "Troppi tentativi non riusciti: riprovare tra {} minuti.",
                seconds.div_ceil(60)
            );
            return sign_in_form(
                &app,
                next,
                email,
                Some(message),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(ServiceError::Busy(seconds)) => {
            let message =
                format!("Il servizio è momentaneamente occupato: riprovare tra {seconds} secondi.");
            let mut page = sign_in_form(
                &app,
                next,
                email,
                Some(message),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            page.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            return page;
        }
        Err(other) => return UiError::from(other).into_response(),
    };
    match accounts::start_session(&app, &user).await {
        Ok(keys) => {
            let cookie = session_cookie_header(&app, &keys.token, accounts::SESSION_HOURS * 3600);
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(e) => UiError::from(e).into_response(),
    }
}

/// Signs out; the `CsrfForm` extractor makes sure the request came from our own page.
async fn sign_out(State(app): State<App>, headers: HeaderMap, _form: CsrfForm) -> Response {
    if let Some(token) = session_cookie(&headers) {
        if let Err(e) = accounts::end_session(&app, &token).await {
            return UiError::from(e).into_response();
        }
    }
    (
        [(header::SET_COOKIE, session_cookie_header(&app, "", 0))],
        Redirect::to("/accedi"),
    )
        .into_response()
}
