//! What the workspace's pages share: the frame around every page (who is signed in, the CSRF
//! token), a project's tabs, the project id of a path, and the options of a `<select>`.

use serde::Serialize;

use super::page::{UiError, UiResult};
use super::session::UiSession;
use crate::domain::ProjectId;

pub fn project_id(raw: &str) -> UiResult<ProjectId> {
    raw.parse().map_err(|_| UiError::not_found("progetto"))
}

/// What every page shows at the top: who is signed in, and the CSRF token for its forms.
#[derive(Serialize)]
pub struct Frame {
    pub user: String,
    pub is_admin: bool,
    pub csrf: String,
}

impl From<&UiSession> for Frame {
    fn from(s: &UiSession) -> Frame {
        Frame {
            user: s.user.email.clone(),
            is_admin: s.user.is_admin,
            csrf: s.csrf.clone(),
        }
    }
}

/// The tabs of a project's pages.
#[derive(Serialize)]
pub struct ProjectNav {
    pub id: String,
    pub title: String,
    pub active: &'static str,
}

impl ProjectNav {
    pub fn new(id: ProjectId, title: &str, active: &'static str) -> ProjectNav {
        ProjectNav {
            id: id.to_string(),
            title: title.to_owned(),
            active,
        }
    }
}

/// An option of a `<select>`.
#[derive(Serialize)]
pub(super) struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub(super) fn choices(options: Vec<(String, String)>, selected: Option<&str>) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            selected: selected == Some(value.as_str()),
            value,
            label,
        })
        .collect()
}

/// Whether the signed-in user may do `need` on the project: `None` if so, else the line a
/// read-only page shows ("Sola lettura: …"), so that no control is shown that can only be refused.
pub async fn read_only(
    app: &crate::services::App,
    session: &UiSession,
    project: crate::domain::ProjectId,
    need: crate::domain::access::Need,
) -> Option<String> {
    crate::services::access::require(app, &session.actor(), project, need)
        .await
        .err()
        .map(|e| format!("Sola lettura: {}.", super::page::UiError::from(e).message()))
}
