//! The confirmation step of an action that cannot be undone (removing a file or a section,
//! deciding a variation): the first post shows what will happen and a form that posts the same
//! fields again with `conferma=1`; only that one acts.

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::frame::Frame;
use super::page::{render, UiResult};
use super::session::CsrfForm;

#[derive(Serialize)]
struct ConfirmPage {
    frame: Frame,
    title: String,
    question: String,
    action: String,
    fields: Vec<(String, String)>,
    confirm_label: String,
    back: String,
}

/// Whether the form carries the confirmation.
pub fn confirmed(form: &CsrfForm) -> bool {
    form.get("conferma") == Some("1")
}

/// The page that asks: `question`, then `confirm_label` posting the form's fields back to
/// `action`, or back to `back`.
pub fn ask(
    form: &CsrfForm,
    title: &str,
    question: String,
    confirm_label: &str,
    action: String,
    back: String,
) -> UiResult<Response> {
    let fields = form
        .fields
        .iter()
        .filter(|(k, _)| k != "_csrf" && k != "conferma")
        .cloned()
        .collect();
    Ok(render(
        "confirm.html",
        ConfirmPage {
            frame: Frame::from(&form.session),
            title: title.to_owned(),
            question,
            action,
            fields,
            confirm_label: confirm_label.to_owned(),
            back,
        },
    )?
    .into_response())
}
