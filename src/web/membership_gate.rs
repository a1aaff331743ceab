//! A caller with no role on a project learns nothing about it: every API request about a project,
//! an expense or an attachment first checks who is asking and whether they belong to its project,
//! and answers 403 before the body is read, the `If-Match` compared or the object's state
//! consulted (a 422, 428 or 409 would tell an outsider something).

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Who;
use super::error::ApiError;
use crate::services::access::{self, Target};
use crate::services::App;

pub async fn check(State(app): State<App>, request: Request, next: Next) -> Response {
    let Some(target) = target_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let who = match Who::from_request_parts(&mut parts, &app).await {
        Ok(who) => who,
        Err(refused) => return refused.into_response(),
    };
    if let Err(refused) = access::require_member(&app, &who.0, target).await {
        return ApiError::from(refused).into_response();
    }
    // The handler's own `Who` takes it from here instead of looking the caller up again.
    parts.extensions.insert(who);
    next.run(Request::from_parts(parts, body)).await
}

/// `/api/v1/projects/{id}/…`, `/api/v1/expenses/{id}/…`, `/api/v1/attachments/{id}`,
/// `/api/v1/commitments/{id}`; an id that
/// is not a number is left to the handler (its 404).
fn target_of(path: &str) -> Option<Target> {
    let mut segments = path.strip_prefix("/api/v1/")?.split('/');
    let (kind, id) = (segments.next()?, segments.next()?);
    match kind {
        "projects" => id.parse().ok().map(Target::Project),
        "expenses" => id.parse().ok().map(Target::Expense),
        "attachments" => id.parse().ok().map(Target::Attachment),
        "commitments" => id.parse().ok().map(Target::Commitment),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_target_of_project_scoped_paths_only() {
        assert!(matches!(
            target_of("/api/v1/projects/7/expenses"),
            Some(Target::Project(p)) if p.0 == 7
        ));
        assert!(matches!(
            target_of("/api/v1/expenses/3/verify"),
            Some(Target::Expense(e)) if e.0 == 3
        ));
        assert!(matches!(
            target_of("/api/v1/attachments/9"),
            Some(Target::Attachment(9))
        ));
        for other in [
            "/api/v1/projects",
            "/api/v1/projects/x",
            "/api/v1/calls/1",
            "/api/v1/auth/me",
            "/progetti/1",
        ] {
            assert!(target_of(other).is_none(), "{other}");
        }
    }
}
