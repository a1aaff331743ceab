//! Funding calls.

use super::{access, App, ServiceError};
use crate::domain::access::Actor;
use crate::domain::{Call, CallId, NewCall};
use crate::storage::{Page, PageRequest};

pub async fn create(app: &App, who: &Actor, call: NewCall) -> Result<Call, ServiceError> {
    access::require_admin(who)?;
    Ok(app.store.insert_call(&call, &app.change(who)).await?)
}

pub async fn get(app: &App, _who: &Actor, id: CallId) -> Result<Call, ServiceError> {
    app.store
        .get_call(id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))
}

pub async fn list(app: &App, _who: &Actor, page: PageRequest) -> Result<Page<Call>, ServiceError> {
    Ok(app.store.list_calls(page).await?)
}
