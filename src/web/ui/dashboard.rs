//! The project list, the dashboard (the project's state in ten seconds) and the per-entity view.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::frame::{project_id, Frame, ProjectNav};
use super::page::{render, UiError, UiResult};
use super::session::UiSession;
use super::svg;
use crate::domain::rules::{eligible_amount, DeadlineStatus, Scope, Summary};
use crate::domain::text::italian_date;
use crate::domain::Money;
use crate::services::summary::{snapshot, Snapshot};
use crate::services::{reports, App};
use crate::web::extract::QueryPairs;
use chrono::NaiveDate;

pub fn router() -> Router<App> {
    Router::new()
        .route("/progetti", get(list))
        .route("/progetti/calendario", axum::routing::post(calendar))
        .route("/progetti/{id}", get(dashboard))
}

#[derive(Serialize)]
struct DeadlineView {
    name: String,
    date: String,
    days: String,
    class: &'static str,
}

fn deadline_views(s: &Summary) -> Vec<DeadlineView> {
    s.deadlines
        .iter()
        .map(|d| {
            let days = (d.date - s.as_of).num_days();
            let (class, words) = match d.status {
                DeadlineStatus::Done => ("done", "fatto".to_owned()),
                DeadlineStatus::Overdue => (
                    "overdue",
                    match -days {
                        1 => "superata da 1 giorno".to_owned(),
                        n => format!("superata da {n} giorni"),
                    },
                ),
                DeadlineStatus::DueSoon | DeadlineStatus::Upcoming if days == 0 => {
                    ("due_soon", "oggi".to_owned())
                }
                DeadlineStatus::DueSoon => ("due_soon", format!("tra {days} giorni")),
                DeadlineStatus::Upcoming if days < 0 => ("done", format!("{} giorni fa", -days)),
                DeadlineStatus::Upcoming => ("upcoming", format!("tra {days} giorni")),
            };
            DeadlineView {
                name: d.name.clone(),
                date: italian_date(d.date),
                days: words,
                class,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct ProjectRow {
    id: String,
    title: String,
    status: &'static str,
    status_class: &'static str,
    /// If submitted today (verified expenses only).
    due: String,
    projected: String,
    granted: String,
    at_risk: Option<String>,
    risks: Vec<String>,
    /// Expenses waiting for their verification.
    awaiting: usize,
    next_deadline: Option<DeadlineView>,
}

#[derive(Serialize)]
struct ProjectsPage {
    frame: Frame,
    projects: Vec<ProjectRow>,
    /// The calendar address just made (shown once), or what was done with it.
    calendar: Option<Calendar>,
}

#[derive(Serialize)]
struct Calendar {
    url: Option<String>,
    message: Option<String>,
}

fn status_of(snap: &Snapshot, submitted: bool) -> (&'static str, &'static str) {
    let s = &snap.summary;
    let overdue = s
        .deadlines
        .iter()
        .any(|d| d.status == DeadlineStatus::Overdue);
    if submitted {
        ("Rendicontato", "ok")
    } else if overdue {
        ("Scadenze superate", "alert")
    } else if s.as_of <= snap.dates.end_date {
        ("In corso", "info")
    } else {
        ("Da rendicontare", "warn")
    }
}

async fn list(State(app): State<App>, session: UiSession) -> UiResult<Html<String>> {
    portfolio_page(&app, &session, None).await
}

/// Makes (or revokes) the user's calendar address; a new one is shown once, on the page.
async fn calendar(
    State(app): State<App>,
    headers: axum::http::HeaderMap,
    form: super::session::CsrfForm,
) -> UiResult<Html<String>> {
    use crate::services::portfolio;
    let who = form.session.actor();
    let user = &form.session.user;
    let said = |m: &str| Calendar {
        url: None,
        message: Some(m.to_owned()),
    };
    let calendar = if form.get("azione") == Some("revoca") {
        if portfolio::revoke_calendar_token(&app, &who, user).await? {
            said("Indirizzo del calendario revocato: il calendario che lo usava non si aggiorna più.")
        } else {
            said("Non c'era un indirizzo del calendario da revocare.")
        }
    } else {
        let token = portfolio::issue_calendar_token(&app, &who, user).await?;
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        Calendar {
            url: Some(format!("http://{host}/api/v1/deadlines.ics?token={token}")),
            message: None,
        }
    };
    portfolio_page(&app, &form.session, Some(calendar)).await
}

async fn portfolio_page(
    app: &App,
    session: &UiSession,
    calendar: Option<Calendar>,
) -> UiResult<Html<String>> {
    let app = app.clone();
    let who = session.actor();
    let mut lines = crate::services::portfolio::portfolio(&app, &who).await?;
    lines.sort_by(|a, b| match (&a.next_deadline, &b.next_deadline) {
        (Some((_, x)), Some((_, y))) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.project.id.cmp(&b.project.id),
    });
    let mut rows = Vec::new();
    for line in &lines {
        let p = &line.project;
        let snap = snapshot(&app, &who, p.id, None, Scope::All).await?;
        let submitted = !reports::submissions(&app, &who, p.id).await?.is_empty();
        let (status, status_class) = status_of(&snap, submitted);
        let next_deadline = deadline_views(&snap.summary)
            .into_iter()
            .find(|d| d.class != "done");
        rows.push(ProjectRow {
            id: p.id.to_string(),
            title: p.data.title.clone(),
            status,
            status_class,
            due: line.due_now.italian(),
            projected: line.projected.italian(),
            granted: line.granted.italian(),
            at_risk: line.at_risk.is_positive().then(|| line.at_risk.italian()),
            risks: line.risks.clone(),
            awaiting: line.awaiting_verification,
            next_deadline,
        });
    }
    render(
        "projects.html",
        ProjectsPage {
            frame: Frame::from(session),
            projects: rows,
            calendar,
        },
    )
}

#[derive(Serialize)]
struct Notice {
    message: String,
    expense: Option<String>,
}

#[derive(Serialize)]
struct DashboardPage {
    frame: Frame,
    nav: ProjectNav,
    as_of: String,
    as_of_iso: String,
    call: String,
    cup: Option<String>,
    due: String,
    granted: String,
    due_gauge: String,
    recognised: String,
    approved: String,
    share: String,
    threshold: Option<String>,
    revoked: bool,
    share_gauge: String,
    balance: String,
    balance_class: &'static str,
    advances: String,
    bars: String,
    deadlines: Vec<DeadlineView>,
    warning_count: usize,
    warnings: Vec<NoticeGroup>,
    exclusion_count: usize,
    exclusions: Vec<NoticeGroup>,
    /// "Se presentassi oggi": counting the verified expenses only, as a submission does.
    due_verified: String,
    /// How much of the contribution with every recorded expense is not secured by verified ones.
    at_risk: String,
    /// What makes up the money at risk, as spending.
    risks: Vec<String>,
    /// The forecast at completion, as one line.
    forecast: super::commitments::ForecastCard,
}

/// Notices of one kind: the first ones listed, the rest counted, so a project with thousands of
/// expenses still reads in ten seconds.
#[derive(Serialize)]
struct NoticeGroup {
    items: Vec<Notice>,
    more: usize,
}

const NOTICES_PER_KIND: usize = 25;

fn grouped<'a>(notices: impl Iterator<Item = (&'a str, Notice)>) -> Vec<NoticeGroup> {
    let mut groups: Vec<(&str, NoticeGroup)> = Vec::new();
    for (kind, n) in notices {
        let index = match groups.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                groups.push((
                    kind,
                    NoticeGroup {
                        items: Vec::new(),
                        more: 0,
                    },
                ));
                groups.len() - 1
            }
        };
        let group = &mut groups[index].1;
        if group.items.len() < NOTICES_PER_KIND {
            group.items.push(n);
        } else {
            group.more += 1;
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// What keeps spending from the contribution a submission made now would request: expenses not
/// yet verified, those excluded (by reason), spending above the ceilings, and the cap.
fn risks(
    verified: &Summary,
    amounts: &std::collections::HashMap<crate::domain::ExpenseId, Money>,
) -> Vec<String> {
    let sum = |ids: &mut dyn Iterator<Item = &crate::domain::ExpenseId>| -> Money {
        ids.filter_map(|id| amounts.get(id)).copied().sum()
    };
    let mut out = Vec::new();
    if !verified.pending.is_empty() {
        out.push(format!(
            "spese non ancora verificate: {} per {}",
            verified.pending.len(),
            sum(&mut verified.pending.iter()).italian()
        ));
    }
    let mut reasons: Vec<(&str, usize, Money)> = Vec::new();
    for x in &verified.excluded {
        let amount = amounts.get(&x.expense_id).copied().unwrap_or_default();
        match reasons
            .iter_mut()
            .find(|(r, _, _)| *r == x.reason.italian())
        {
            Some((_, n, total)) => {
                *n += 1;
                *total += amount;
            }
            None => reasons.push((x.reason.italian(), 1, amount)),
        }
    }
    for (reason, n, total) in reasons {
        out.push(format!("escluse ({reason}): {n} per {}", total.italian()));
    }
    let above: Money = verified
        .categories
        .iter()
        .map(|c| (c.eligible - c.recognised).max(Money::ZERO))
        .sum();
    if above.is_positive() {
        out.push(format!("spesa oltre i massimali: {}", above.italian()));
    }
    let capped = verified.contribution_computed - verified.contribution_due;
    if capped.is_positive() {
        out.push(format!(
            "contributo oltre il massimo concedibile: {}",
            capped.italian()
        ));
    }
    out
}

/// The reference date a page was asked for (`?as_of=YYYY-MM-DD`), today otherwise.
fn as_of(query: &QueryPairs) -> UiResult<Option<NaiveDate>> {
    match query.get("as_of").filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                UiError::new(
                    StatusCode::BAD_REQUEST,
                    "Data non valida: usare il selettore della data.",
                )
            }),
    }
}

async fn dashboard(
    State(app): State<App>,
    session: UiSession,
    Path(id): Path<String>,
    query: QueryPairs,
) -> UiResult<Html<String>> {
    let id = project_id(&id)?;
    let who = session.actor();
    let as_of = as_of(&query)?;
    let (snap, verified, forecast) =
        crate::services::commitments::snapshots_with_forecast(&app, &who, id, as_of).await?;
    let s = &snap.summary;
    let p = &snap.project.data;
    let amounts: std::collections::HashMap<_, _> = snap
        .expenses
        .iter()
        .map(|e| (e.id, eligible_amount(&snap.call.rules, e)))
        .collect();
    let bars: Vec<svg::CategoryBars<'_>> = s
        .categories
        .iter()
        .map(|c| svg::CategoryBars {
            name: &c.name,
            approved: c.approved,
            eligible: c.eligible,
            recognised: c.recognised,
        })
        .collect();
    let (balance_class, balance) = if s.balance_due.is_negative() {
        (
            "alert",
            format!("Da restituire: {}", s.balance_due.abs().italian()),
        )
    } else {
        (
            "ok",
            format!("Saldo da ricevere: {}", s.balance_due.italian()),
        )
    };
    // Each notice about an expense says how much it is about.
    let notice = |message: &str, expense: Option<crate::domain::ExpenseId>| Notice {
        message: match expense.and_then(|e| amounts.get(&e)) {
            Some(amount) => format!("{message} ({})", amount.abs().italian()),
            None => message.to_owned(),
        },
        expense: expense.map(|e| e.to_string()),
    };
    render(
        "dashboard.html",
        DashboardPage {
            frame: Frame::from(&session),
            nav: ProjectNav::new(id, &p.title, "cruscotto"),
            as_of: italian_date(s.as_of),
            as_of_iso: s.as_of.to_string(),
            call: format!("{} – {}", snap.call.funder, snap.call.act),
            cup: p.cup.as_ref().map(ToString::to_string),
            due: s.contribution_due.italian(),
            granted: p.granted_contribution.italian(),
            due_gauge: svg::gauge(
                "Contributo dovuto rispetto al concesso",
                s.contribution_due,
                p.granted_contribution,
                None,
            ),
            recognised: s.recognised_total.italian(),
            approved: s.approved_total.italian(),
            share: svg::percent(s.realisation_share),
            threshold: s.revocation_threshold.map(|t| t.italian()),
            revoked: s.revoked,
            share_gauge: svg::gauge(
                "Spesa riconosciuta rispetto al budget approvato, con la soglia di revoca",
                s.recognised_total,
                s.approved_total,
                s.revocation_threshold,
            ),
            balance,
            balance_class,
            advances: s.advances_received.italian(),
            bars: svg::category_bars(&bars),
            deadlines: deadline_views(s),
            warning_count: s.warnings.len(),
            warnings: grouped(
                s.warnings
                    .iter()
                    .map(|w| (w.code.code(), notice(&w.message, w.expense_id))),
            ),
            exclusion_count: s.excluded.len(),
            exclusions: grouped(
                s.excluded
                    .iter()
                    .map(|x| (x.reason.code(), notice(&x.message, Some(x.expense_id)))),
            ),
            due_verified: verified.summary.contribution_due.italian(),
            at_risk: (s.contribution_due - verified.summary.contribution_due)
                .max(Money::ZERO)
                .italian(),
            risks: risks(&verified.summary, &amounts),
            forecast: super::commitments::ForecastCard::of(&forecast),
        },
    )
}
