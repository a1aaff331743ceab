//! Accounts and sign-in: argon2id password hashes, sessions and API tokens stored as SHA-256
//! digests (the secret itself is shown once and never kept), throttling of repeated failures,
//! project roles.

use chrono::Duration;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use super::password_gate::{GateError, RETRY_AFTER_SECONDS};
use super::{access, App, ServiceError};
use crate::domain::access::{Actor, ApiToken, Membership, Role, User};
use crate::domain::{EntityId, ProjectId, UserId, Violations};
use crate::storage::NewSession;

/// Sign-in attempts verified per account within [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_ATTEMPTS: i64 = 5;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A new secret: 32 random bytes, hex. `prefix` tells a reader what it is (`rdc_` for tokens).
fn secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// A fresh random token (for forms' CSRF protection before a session exists).
pub fn new_secret() -> String {
    secret("")
}

/// How secrets are stored: high-entropy random values need no slow hash, only a one-way one.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_email(email: &str, v: &mut Violations) {
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
    if !ok {
        v.add("email", "invalid_email", "indirizzo email non valido");
    }
}

fn check_password(field: &str, password: &str, v: &mut Violations) {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        v.add(
            field,
            "password_too_short",
            format!("la password deve avere almeno {MIN_PASSWORD_CHARS} caratteri"),
        );
    } else if password.len() > 1024 {
        v.add(field, "password_too_long", "la password è troppo lunga");
    }
}

/// argon2id with the crate's recommended parameters, through the application's bounded gate.
async fn hash_password(app: &App, password: String) -> Result<String, ServiceError> {
    app.passwords.hash(password).await.map_err(gate_error)
}

/// Whether `password` matches `hash`; a stored hash that cannot be read matches nothing.
async fn verify_password(app: &App, password: String, hash: String) -> Result<bool, ServiceError> {
    match app.passwords.verify(password, hash).await {
        Ok(matches) => Ok(matches),
        Err(GateError::Hash(why)) => {
            tracing::error!(error = %why, "unreadable password hash");
            Ok(false)
        }
        Err(busy) => Err(gate_error(busy)),
    }
}

fn gate_error(error: GateError) -> ServiceError {
    match error {
        GateError::Busy => ServiceError::Busy(RETRY_AFTER_SECONDS),
        GateError::Hash(why) => ServiceError::Store(crate::storage::StoreError::Corrupt(why)),
    }
}

/// A hash to verify against when the account does not exist, so the answer takes as long.
async fn decoy_hash(app: &App) -> Result<String, ServiceError> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| hash_password(app, "decoy password".into()))
        .await
        .cloned()
}

/// Creates an account (admin only).
pub async fn add_user(
    app: &App,
    who: &Actor,
    email: &str,
    password: &str,
    is_admin: bool,
) -> Result<User, ServiceError> {
    access::require_admin(who)?;
    let email = normalise_email(email);
    let mut v = Violations::new();
    check_email(&email, &mut v);
    check_password("password", password, &mut v);
    v.finish(|| Some(())).map_err(ServiceError::Invalid)?;
    let hash = hash_password(app, password.to_owned()).await?;
    app.store
        .insert_user(&email, &hash, is_admin, &app.change(who))
        .await
        .map_err(|e| match ServiceError::from(e) {
            ServiceError::Conflict {
                code: "duplicate", ..
            } => ServiceError::Conflict {
                code: "duplicate_user",
                message: format!("esiste già un utente con l'email {email}"),
                related: Vec::new(),
            },
            other => other,
        })
}

pub async fn user(app: &App, who: &Actor, id: UserId) -> Result<User, ServiceError> {
    access::require_admin(who)?;
    app.store
        .get_user(id)
        .await?
        .ok_or(ServiceError::NotFound("utente"))
}

pub async fn users(app: &App, who: &Actor) -> Result<Vec<User>, ServiceError> {
    access::require_admin(who)?;
    Ok(app.store.list_users().await?)
}

/// Checks email and password. Each attempt is counted in the database before its password is
/// verified; past [`MAX_ATTEMPTS`] within the window the account is refused (even with the right
/// password) until the window ends, so no more than that many passwords per account and window
/// are ever tried, however parallel the attempts and however many instances answer them. A
/// successful sign-in forgets the count. Guessing is throttled without letting an attacker lock the
/// owner out for longer than the window.
pub async fn authenticate(app: &App, email: &str, password: &str) -> Result<User, ServiceError> {
    let email = normalise_email(email);
    let now = app.clock.now();
    let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let (attempts, window_start) = app
        .store
        .count_login_attempt(&email, now, now - window)
        .await?;
    if attempts > MAX_ATTEMPTS {
        let wait = (window_start + window - now).num_seconds().max(1);
        return Err(ServiceError::Throttled(u64::try_from(wait).unwrap_or(1)));
    }
    let found = app.store.user_by_email(&email).await?;
    let hash = match &found {
        Some((_, hash)) => hash.clone(),
        None => decoy_hash(app).await?,
    };
    let matches = verify_password(app, password.to_owned(), hash).await?;
    match found {
        Some((user, _)) if matches => {
            app.store.clear_login_attempts(&email, now - window).await?;
            Ok(user)
        }
        _ => Err(ServiceError::BadCredentials),
    }
}

/// A new session for a signed-in user: the cookie's secret and the CSRF token for its forms.
pub struct NewSessionKeys {
    pub token: String,
    pub csrf: String,
}

pub async fn start_session(app: &App, user: &User) -> Result<NewSessionKeys, ServiceError> {
    let token = secret("");
    let csrf = secret("");
    let now = app.clock.now();
    app.store
        .insert_session(&NewSession {
            token_hash: digest(&token),
            user: user.id,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + Duration::hours(SESSION_HOURS),
        })
        .await?;
    Ok(NewSessionKeys { token, csrf })
}

/// The user behind a session cookie, and the session's CSRF token.
pub async fn session_user(app: &App, token: &str) -> Result<Option<(User, String)>, ServiceError> {
    Ok(app.store.session(&digest(token), app.clock.now()).await?)
}

pub async fn end_session(app: &App, token: &str) -> Result<(), ServiceError> {
    Ok(app.store.delete_session(&digest(token)).await?)
}

/// A new API token for `user`; the secret is returned once, only its digest is stored.
pub async fn issue_token(
    app: &App,
    who: &Actor,
    user: &User,
    name: &str,
) -> Result<(ApiToken, String), ServiceError> {
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(ServiceError::field(
            "name",
            "too_long",
            "il nome del token supera 100 caratteri",
        ));
    }
    let name = if name.is_empty() { "token" } else { name };
    let token = secret("rdc_");
    let stored = app
        .store
        .insert_token(user.id, name, &digest(&token), &app.change(who))
        .await?;
    Ok((stored, token))
}

pub async fn token_user(app: &App, token: &str) -> Result<Option<User>, ServiceError> {
    Ok(app.store.token_user(&digest(token)).await?)
}

pub async fn tokens(app: &App, user: &User) -> Result<Vec<ApiToken>, ServiceError> {
    Ok(app.store.tokens(user.id).await?)
}

pub async fn revoke_token(
    app: &App,
    who: &Actor,
    user: &User,
    id: i64,
) -> Result<(), ServiceError> {
    app.store
        .revoke_token(user.id, id, &app.change(who))
        .await
        .map_err(|e| match ServiceError::from(e) {
            ServiceError::NotFound(_) => ServiceError::NotFound("token"),
            other => other,
        })
}

/// Changes the user's own password; every session of theirs ends.
pub async fn change_password(
    app: &App,
    who: &Actor,
    user: &User,
    current: &str,
    new: &str,
) -> Result<(), ServiceError> {
    let mut v = Violations::new();
    check_password("new_password", new, &mut v);
    v.finish(|| Some(())).map_err(ServiceError::Invalid)?;
    match authenticate(app, &user.email, current).await {
        Ok(_) => {}
        Err(ServiceError::BadCredentials) => {
            return Err(ServiceError::field(
                "current_password",
                "wrong_password",
                "la password attuale non è corretta",
            ))
        }
        Err(other) => return Err(other),
    }
    let hash = hash_password(app, new.to_owned()).await?;
    Ok(app
        .store
        .set_password(user.id, &hash, &app.change(who))
        .await?)
}

/// Gives a user a role on a project (admin only); a project manager's entities must be the
/// project's.
pub async fn set_member(
    app: &App,
    who: &Actor,
    project: ProjectId,
    user: UserId,
    role: Role,
    entities: Vec<EntityId>,
) -> Result<Membership, ServiceError> {
    access::require_admin(who)?;
    super::projects::get(app, who, project).await?;
    if app.store.get_user(user).await?.is_none() {
        return Err(ServiceError::NotFound("utente"));
    }
    let own: Vec<EntityId> = app
        .store
        .list_entities(project)
        .await?
        .iter()
        .map(|e| e.id)
        .collect();
    let mut v = Violations::new();
    for (i, e) in entities.iter().enumerate() {
        if !own.contains(e) {
            v.add(
                format!("entities[{i}]"),
                "unknown_entity",
                "l'ente indicato non appartiene al progetto",
            );
        }
    }
    if role != Role::ProjectManager && !entities.is_empty() {
        v.add(
            "entities",
            "entities_for_managers_only",
            "gli enti si assegnano solo ai responsabili di progetto",
        );
    }
    v.finish(|| Some(())).map_err(ServiceError::Invalid)?;
    Ok(app
        .store
        .set_membership(project, user, role, &entities, &app.change(who))
        .await?)
}

pub async fn remove_member(
    app: &App,
    who: &Actor,
    project: ProjectId,
    user: UserId,
) -> Result<(), ServiceError> {
    access::require_admin(who)?;
    app.store
        .remove_membership(project, user, &app.change(who))
        .await
        .map_err(|e| match ServiceError::from(e) {
            ServiceError::NotFound(_) => ServiceError::NotFound("ruolo"),
            other => other,
        })
}

pub async fn members(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Membership>, ServiceError> {
    super::projects::get(app, who, project).await?;
    Ok(app.store.memberships(project).await?)
}
