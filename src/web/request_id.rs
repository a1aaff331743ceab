//! A request id on every request: the one the reverse proxy sends in `X-Request-Id` when it is a
//! plausible id, else a new random one. It is answered in `X-Request-Id`, carried by the
//! request's log span (every log line of the request names it) and written in problem documents
//! as their `instance`, so a user's error report, the proxy's log and ours meet on one value.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand_core::RngCore;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, inside its handler and middleware.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Keeps a proxy's id only when it is short and made of visible, unambiguous characters: it is
/// echoed in headers and logs.
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn fresh() -> String {
    let mut bytes = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn assign(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map_or_else(fresh, str::to_owned);
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(request).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_ids_are_kept() {
        assert!(acceptable("f3a9c2e1-1b2c-4d5e-8f90-0123456789ab"));
        assert!(acceptable("nginx:42.7"));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("<script>"));
        assert!(!acceptable(&"x".repeat(129)));
        let id = fresh();
        assert_eq!(id.len(), 32);
        assert!(acceptable(&id));
        assert_ne!(id, fresh());
    }
}
