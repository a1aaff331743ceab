//! Funding calls.

use super::{App, ServiceError};
use crate::domain::{Call, CallId, NewCall};
use crate::storage::{Page, PageRequest};

pub async fn create(app: &App, call: NewCall) -> Result<Call, ServiceError> {
    Ok(app.store.insert_call(&call, app.clock.now()).await?)
}

pub async fn get(app: &App, id: CallId) -> Result<Call, ServiceError> {
    app.store
        .get_call(id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))
}

pub async fn list(app: &App, page: PageRequest) -> Result<Page<Call>, ServiceError> {
    Ok(app.store.list_calls(page).await?)
}
