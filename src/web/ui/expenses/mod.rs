//! The expense pages: the table (filters, sort, pages, totals of the filtered rows, CSV for
//! Italian Excel) in `list`, the form (create and edit, errors beside each field, amounts typed the
//! Italian way, the workflow buttons and the expense's history) in `form`.

mod form;
mod history;
mod list;

use axum::routing::{get, post};
use axum::Router;

use crate::services::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti/{id}/spese", get(list::table))
        .route("/progetti/{id}/spese.csv", get(list::csv_export))
        .route(
            "/progetti/{id}/spese/nuova",
            get(form::new_form).post(form::create),
        )
        .route("/spese/{id}", get(form::edit_form).post(form::update))
        .route("/spese/{id}/passo", post(form::step))
}
