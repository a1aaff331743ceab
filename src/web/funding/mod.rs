//! `/api/v1/projects/{id}/variations`, `…/extensions`, `…/milestones` and `…/tranches`: one
//! file each.

mod extensions;
mod milestones;
mod tranches;
mod variations;

use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use crate::services::App;

pub use extensions::*;
pub use milestones::*;
pub use tranches::*;
pub use variations::*;

pub(super) fn sub_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse::<crate::domain::ExpenseId>()
        .map(|id| id.0)
        .map_err(|_| ApiError::not_found(what))
}

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/projects/{id}/variations",
            get(list_variations).post(create_variation),
        )
        .route(
            "/api/v1/projects/{id}/variations/{vid}",
            get(show_variation).patch(patch_variation),
        )
        .route(
            "/api/v1/projects/{id}/extensions",
            get(list_extensions).post(create_extension),
        )
        .route(
            "/api/v1/projects/{id}/milestones",
            get(list_milestones).post(create_milestone),
        )
        .route(
            "/api/v1/projects/{id}/milestones/{mid}",
            get(show_milestone).patch(patch_milestone),
        )
        .route(
            "/api/v1/projects/{id}/tranches",
            get(list_tranches).post(create_tranche),
        )
}
