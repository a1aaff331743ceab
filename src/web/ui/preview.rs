//! The preview of a submission (*Presenta*): before anything is frozen, what goes in and for how
//! much, what stays out and why, the contribution that will be requested, who signs, and any
//! deadline already past — computed exactly as the submission will be, then one button that
//! confirms.

use axum::response::Html;
use serde::Serialize;

use super::frame::{Frame, ProjectNav};
use super::page::{render, UiResult};
use super::session::UiSession;
use crate::domain::rules::DeadlineStatus;
use crate::domain::text::italian_date;
use crate::domain::{ProjectId, Signatory};
use crate::services::summary::snapshot_as_submitted;
use crate::services::App;

#[derive(Serialize)]
struct LeftOut {
    expense: String,
    message: String,
}

#[derive(Serialize)]
struct PreviewPage {
    frame: Frame,
    nav: ProjectNav,
    as_of: String,
    counted: usize,
    eligible: String,
    recognised: String,
    due: String,
    excluded: Vec<LeftOut>,
    pending: usize,
    /// The signatory as the submission will print it, and as the confirming form sends it back.
    signatory: [(&'static str, &'static str, String); 4],
    overdue: Vec<String>,
}

/// The preview of a submission made now, signed by `signatory` (the project's defaults where the
/// form left a field empty).
pub async fn page(
    app: &App,
    session: &UiSession,
    id: ProjectId,
    signatory: &Signatory,
) -> UiResult<Html<String>> {
    let who = session.actor();
    let snap = snapshot_as_submitted(app, &who, id, None).await?;
    let s = &snap.summary;
    let signs = snap.project.data.signatory.overridden_by(signatory);
    let left_out: std::collections::HashSet<_> = s
        .excluded
        .iter()
        .map(|x| x.expense_id)
        .chain(s.pending.iter().copied())
        .collect();
    let counted = snap
        .expenses
        .iter()
        .filter(|e| e.data.document.date <= s.as_of && !left_out.contains(&e.id))
        .count();
    render(
        "submission_preview.html",
        PreviewPage {
            frame: Frame::from(session),
            nav: ProjectNav::new(id, &snap.project.data.title, "documenti"),
            as_of: italian_date(s.as_of),
            counted,
            eligible: s.eligible_total.italian(),
            recognised: s.recognised_total.italian(),
            due: s.contribution_due.italian(),
            excluded: s
                .excluded
                .iter()
                .map(|x| LeftOut {
                    expense: x.expense_id.to_string(),
                    message: x.message.clone(),
                })
                .collect(),
            pending: s.pending.len(),
            signatory: [
                (
                    "signatory_name",
                    "Firmatario",
                    signs.name.unwrap_or_default(),
                ),
                (
                    "signatory_tax_code",
                    "Codice fiscale",
                    signs.tax_code.map(|c| c.to_string()).unwrap_or_default(),
                ),
                (
                    "signatory_role",
                    "Qualifica",
                    signs.role.unwrap_or_default(),
                ),
                ("signatory_place", "Luogo", signs.place.unwrap_or_default()),
            ],
            overdue: s
                .deadlines
                .iter()
                .filter(|d| d.status == DeadlineStatus::Overdue)
                .map(|d| format!("{} ({})", d.name, italian_date(d.date)))
                .collect(),
        },
    )
}
