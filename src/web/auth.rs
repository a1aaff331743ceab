//! Who is asking: an API token (`Authorization: Bearer …`) or a session cookie. Deny by default:
//! every handler that takes [`Who`] answers 401 to a request that names nobody. A request carried
//! by the session cookie that changes something must also carry the session's CSRF token (header
//! `X-CSRF-Token`), so another site cannot make the browser act on its user's behalf.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::pagination::ListEnvelope;
use crate::domain::access::{Actor, ApiToken, User};
use crate::services::{accounts, App};

pub const SESSION_COOKIE: &str = "rendiconta_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Token,
    /// The session cookie's secret, and the session's CSRF token.
    Session {
        token: String,
        csrf: String,
    },
}

/// The signed-in caller.
pub struct SignedIn {
    pub user: User,
    pub credential: Credential,
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        Actor::of(&self.user)
    }
}

/// The caller as the services see them.
#[derive(Clone)]
pub struct Who(pub Actor);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of the request's cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return match accounts::token_user(app, token).await? {
                Some(user) => Ok(SignedIn {
                    user,
                    credential: Credential::Token,
                }),
                None => Err(ApiError::unauthenticated(
                    "Token non valido o revocato: accedere di nuovo o crearne un altro.",
                )),
            };
        }
        let Some(token) = session_cookie(&parts.headers) else {
            return Err(ApiError::unauthenticated(
                "Accesso richiesto: entrare con email e password o usare un token (Authorization: Bearer).",
            ));
        };
        let Some((user, csrf)) = accounts::session_user(app, &token).await? else {
            return Err(ApiError::unauthenticated(
                "La sessione è scaduta o è stata chiusa: accedere di nuovo.",
            ));
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &csrf) {
                return Err(ApiError::forbidden(
                    "csrf_failed",
                    "Richiesta rifiutata: manca il codice di sicurezza del modulo (CSRF). Ricaricare la pagina e riprovare.",
                ));
            }
        }
        Ok(SignedIn {
            user,
            credential: Credential::Session { token, csrf },
        })
    }
}

impl FromRequestParts<App> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        // Already known when the membership gate checked the caller.
        if let Some(who) = parts.extensions.get::<Who>() {
            return Ok(Who(who.0.clone()));
        }
        let signed_in = SignedIn::from_request_parts(parts, app).await?;
        Ok(Who(signed_in.actor()))
    }
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/auth/token", post(create_token))
        .route("/api/v1/auth/tokens", get(list_tokens))
        .route("/api/v1/auth/tokens/{id}", delete(revoke_token))
        .route("/api/v1/auth/session", post(sign_in).delete(sign_out))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/password", post(change_password))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
    /// A name for the token, to recognise it in the list (token requests only).
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenView {
    /// The secret: shown now and never again.
    token: String,
    id: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    id: String,
    name: String,
    created_at: String,
    revoked_at: Option<String>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> TokenView {
        TokenView {
            id: t.id.to_string(),
            name: t.name.clone(),
            created_at: t.created_at.to_rfc3339(),
            revoked_at: t.revoked_at.map(|r| r.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    id: String,
    email: String,
    is_admin: bool,
    /// For session sign-ins: the token to send as `X-CSRF-Token` with every change.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

fn me_view(user: &User, csrf: Option<String>) -> MeView {
    MeView {
        id: user.id.to_string(),
        email: user.email.clone(),
        is_admin: user.is_admin,
        csrf_token: csrf,
    }
}

/// Exchanges email and password for an API token (for scripts). Repeated failures are throttled.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = Credentials,
    responses((status = 201, body = NewTokenView), (status = 401, body = super::error::Problem),
        (status = 429, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn create_token(
    State(app): State<App>,
    ApiJson(input): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let user = accounts::authenticate(&app, &input.email, &input.password).await?;
    let name = input.name.unwrap_or_else(|| "api".into());
    let (stored, secret) = accounts::issue_token(&app, &Actor::of(&user), &user, &name).await?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(NewTokenView {
            token: secret,
            id: stored.id.to_string(),
            name: stored.name,
        }),
    )
        .into_response())
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, description = "{items,total,page,per_page} of TokenView"),
        (status = 401, body = super::error::Problem)))]
async fn list_tokens(
    State(app): State<App>,
    who: SignedIn,
) -> ApiResult<Json<ListEnvelope<TokenView>>> {
    let tokens = accounts::tokens(&app, &who.user).await?;
    Ok(Json(ListEnvelope::whole(
        tokens.iter().map(TokenView::from).collect(),
    )))
}

/// Revokes one of the caller's tokens: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = super::error::Problem), (status = 404, body = super::error::Problem)))]
async fn revoke_token(
    State(app): State<App>,
    who: SignedIn,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("token"))?;
    accounts::revoke_token(&app, &who.actor(), &who.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The `Set-Cookie` value of the session cookie (`Max-Age=0` with an empty value clears it).
pub fn session_cookie_header(app: &App, value: &str, max_age: i64) -> HeaderValue {
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signs in with email and password: sets the session cookie (HttpOnly, SameSite=Lax) and returns
/// the CSRF token to send with every change.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "auth", request_body = Credentials,
    responses((status = 200, body = MeView), (status = 401, body = super::error::Problem), (status = 429, body = super::error::Problem)))]
async fn sign_in(
    State(app): State<App>,
    ApiJson(input): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let user = accounts::authenticate(&app, &input.email, &input.password).await?;
    let keys = accounts::start_session(&app, &user).await?;
    let cookie = session_cookie_header(&app, &keys.token, accounts::SESSION_HOURS * 3600);
    Ok((
        [(header::SET_COOKIE, cookie)],
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(me_view(&user, Some(keys.csrf))),
    )
        .into_response())
}

/// Signs out: the session ends on the server, so a copied cookie is worthless from now on.
#[utoipa::path(delete, path = "/api/v1/auth/session", tag = "auth",
    responses((status = 204), (status = 401, body = super::error::Problem)))]
async fn sign_out(State(app): State<App>, who: SignedIn) -> ApiResult<Response> {
    if let Credential::Session { token, .. } = &who.credential {
        accounts::end_session(&app, token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie_header(&app, "", 0))],
    )
        .into_response())
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = super::error::Problem)))]
async fn me(who: SignedIn) -> Json<MeView> {
    let csrf = match who.credential {
        Credential::Session { csrf, .. } => Some(csrf),
        Credential::Token => None,
    };
    Json(me_view(&who.user, csrf))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the caller's password; every session of theirs ends and every API token of theirs is
/// revoked (sign in again, issue new tokens).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
async fn change_password(
    State(app): State<App>,
    who: SignedIn,
    ApiJson(input): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    accounts::change_password(
        &app,
        &who.actor(),
        &who.user,
        &input.current_password,
        &input.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
