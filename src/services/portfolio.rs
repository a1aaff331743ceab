//! Every project a user has a role on (the admin: every project) at a glance — next deadline,
//! contribution granted, projected and due now, money at risk and why, expenses waiting for
//! their verification — and one calendar feed of all their deadlines, read with a personal token
//! (calendar clients cannot send headers).

use chrono::NaiveDate;

use super::{accounts, projects, summary, App, ServiceError};
use crate::domain::access::{Actor, User};
use crate::domain::forecast::{self, Forecast};
use crate::domain::query::PageRequest;
use crate::domain::rules::Scope;
use crate::domain::snapshot::{self, Snapshot};
use crate::domain::{ExpenseStatus, Money, Project};

/// One project's line.
#[derive(Debug, Clone)]
pub struct Standing {
    pub project: Project,
    /// The next deadline not yet passed nor done: its name and date.
    pub next_deadline: Option<(String, NaiveDate)>,
    pub days_left: Option<i64>,
    pub granted: Money,
    pub projected: Money,
    /// What a submission made today would ask (verified expenses only).
    pub due_now: Money,
    /// The contribution granted that the forecast does not reach.
    pub at_risk: Money,
    /// Why: each open commitment that will not count, with its amount.
    pub risks: Vec<String>,
    /// Expenses handed over and waiting for the finance office's verification.
    pub awaiting_verification: usize,
}

/// The projects `who` has a role on, or every project for the admin and the operator.
async fn visible(app: &App, who: &Actor) -> Result<Vec<Project>, ServiceError> {
    let mut out = Vec::new();
    for page in 1.. {
        let found = projects::list(
            app,
            who,
            PageRequest {
                page,
                per_page: 100,
            },
        )
        .await?;
        let done = found.items.len() < 100;
        out.extend(found.items);
        if done {
            break;
        }
    }
    Ok(out)
}

pub async fn portfolio(app: &App, who: &Actor) -> Result<Vec<Standing>, ServiceError> {
    let today = app.clock.today();
    let mut out = Vec::new();
    for project in visible(app, who).await? {
        let (facts, open) = tokio::try_join!(summary::facts(app, project.id), async {
            Ok(app.store.commitments(project.id).await?)
        })?;
        let all = snapshot::assemble(facts.clone(), today, Scope::All, false);
        let verified = snapshot::assemble(facts.clone(), today, Scope::Verified, false);
        let f: Forecast = forecast::forecast(facts, &open, &all);
        let next = all
            .deadlines
            .iter()
            .filter(|d| !d.done && d.date >= today)
            .min_by_key(|d| d.date)
            .map(|d| (d.name.clone(), d.date));
        out.push(Standing {
            days_left: next.as_ref().map(|(_, d)| (*d - today).num_days()),
            next_deadline: next,
            granted: f.granted_contribution,
            projected: f.projected_contribution,
            due_now: verified.summary.contribution_due,
            at_risk: f.gap,
            risks: f
                .at_risk
                .iter()
                .map(|r| format!("{}: {} ({})", r.act, r.amount.italian(), r.message))
                .collect(),
            awaiting_verification: all
                .expenses
                .iter()
                .filter(|e| e.status == ExpenseStatus::Ready)
                .count(),
            project,
        });
    }
    Ok(out)
}

/// Makes the user's calendar token, replacing any earlier one (which stops working).
pub async fn issue_calendar_token(
    app: &App,
    who: &Actor,
    user: &User,
) -> Result<String, ServiceError> {
    let token = format!("cal_{}", accounts::new_secret());
    app.store
        .set_calendar_token(user.id, &accounts::digest(&token), &app.change(who))
        .await?;
    Ok(token)
}

/// Revokes the user's calendar token; `false` when there was none.
pub async fn revoke_calendar_token(
    app: &App,
    who: &Actor,
    user: &User,
) -> Result<bool, ServiceError> {
    Ok(app
        .store
        .revoke_calendar_token(user.id, &app.change(who))
        .await?)
}

/// Every deadline of every project the token's owner has a role on, as one iCalendar feed; an
/// unknown or revoked token is refused as not signed in.
pub async fn deadlines_ics(app: &App, token: &str) -> Result<String, ServiceError> {
    let user = app
        .store
        .calendar_token_user(&accounts::digest(token))
        .await?
        .ok_or_else(|| {
            ServiceError::Forbidden(
                "il token del calendario non è valido o è stato revocato".into(),
            )
        })?;
    let who = Actor::of(&user);
    let today = app.clock.today();
    let mut snaps: Vec<Snapshot> = Vec::new();
    for project in visible(app, &who).await? {
        let facts = summary::facts(app, project.id).await?;
        snaps.push(snapshot::assemble(facts, today, Scope::All, false));
    }
    Ok(crate::reports::ics::deadlines_of_all(&snaps))
}
