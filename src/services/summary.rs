//! The project summary as of a date: gathers the facts from storage (budget in force, extensions,
//! tranches, deadlines, claims of other projects) and hands them to the pure rules engine.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::funding::Tranche;
use crate::domain::funding::{self, EffectiveDates};
use crate::domain::rules::{self, CategoryBudget, Deadline, DeadlineKind, Facts, Scope, Summary};
use crate::domain::{Call, Entity, Expense, Money, Project, ProjectId};

/// What the summary was computed from, for views and documents that show more than the figures.
pub struct Snapshot {
    pub project: Project,
    pub call: Call,
    pub entities: Vec<Entity>,
    pub expenses: std::sync::Arc<Vec<Expense>>,
    pub tranches: Vec<Tranche>,
    /// Every extension recorded, in force as of the date or not (the documents list those in force).
    pub extensions: Vec<crate::domain::funding::Extension>,
    pub dates: EffectiveDates,
    pub deadlines: Vec<Deadline>,
    pub summary: Summary,
}

pub async fn snapshot(
    app: &App,
    who: &Actor,
    id: ProjectId,
    as_of: Option<NaiveDate>,
    scope: Scope,
) -> Result<Snapshot, ServiceError> {
    access::require(app, who, id, Need::Read).await?;
    build(app, id, as_of, scope, false).await
}

/// The state a submission freezes: the verified expenses only (the others are listed as pending),
/// as [`snapshot`], with every counted expense already `included`,
/// as it will be once frozen, so that documents re-made later from the stored data are identical.
pub async fn snapshot_as_submitted(
    app: &App,
    who: &Actor,
    id: ProjectId,
    as_of: Option<NaiveDate>,
) -> Result<Snapshot, ServiceError> {
    access::require(app, who, id, Need::Read).await?;
    build(app, id, as_of, Scope::Verified, true).await
}

async fn build(
    app: &App,
    id: ProjectId,
    as_of: Option<NaiveDate>,
    scope: Scope,
    as_submitted: bool,
) -> Result<Snapshot, ServiceError> {
    let project = projects::find(app, id).await?;
    let call = app
        .store
        .get_call(project.data.call_id)
        .await?
        .ok_or(ServiceError::NotFound("bando"))?;
    let as_of = as_of.unwrap_or_else(|| app.clock.today());
    let store = &app.store;
    let (entities, expenses, variations, extensions, milestones, tranches, claims) = tokio::try_join!(
        store.list_entities(id),
        store.all_expenses(id),
        store.variations(id),
        store.extensions(id),
        store.milestones(id),
        store.tranches(id),
        store.claims_elsewhere(id),
    )?;

    let original: Vec<_> = project
        .data
        .budget
        .iter()
        .map(|l| (l.category.clone(), l.amount))
        .collect();
    let current = funding::current_budget(&original, &variations, as_of);
    let amount_in = |lines: &[(crate::domain::CategoryCode, Money)],
                     code: &crate::domain::CategoryCode| {
        lines
            .iter()
            .find(|(c, _)| c == code)
            .map_or(Money::ZERO, |(_, a)| *a)
    };
    let categories: Vec<CategoryBudget> = call
        .categories
        .iter()
        .map(|c| CategoryBudget {
            code: c.code.clone(),
            name: c.name.clone(),
            ceiling: c.ceiling,
            approved_original: amount_in(&original, &c.code),
            approved: amount_in(&current, &c.code),
        })
        .collect();
    let dates = funding::effective_dates(
        EffectiveDates {
            end_date: project.data.end_date,
            payment_deadline: call.rules.payment_deadline,
            reporting_deadline: call.rules.reporting_deadline,
        },
        &extensions,
        as_of,
    );
    let mut deadlines = vec![Deadline {
        name: "Fine del progetto".into(),
        date: dates.end_date,
        kind: DeadlineKind::Event,
        done: false,
    }];
    if let Some(date) = dates.payment_deadline {
        deadlines.push(Deadline {
            name: "Termine per i pagamenti".into(),
            date,
            kind: DeadlineKind::Event,
            done: false,
        });
    }
    if let Some(date) = dates.reporting_deadline {
        deadlines.push(Deadline {
            name: "Termine per la rendicontazione".into(),
            date,
            kind: DeadlineKind::Obligation,
            done: false,
        });
    }
    deadlines.extend(milestones.iter().map(|m| Deadline {
        name: m.name.clone(),
        date: m.due_date,
        kind: DeadlineKind::Obligation,
        done: m.done,
    }));
    let tranches_received: Money = tranches
        .iter()
        .filter(|t| t.date <= as_of)
        .map(|t| t.amount)
        .sum();
    let claims_elsewhere: HashMap<_, _> = claims.into_iter().collect();

    let summarise = |expenses: &[Expense]| {
        rules::summarise(&Facts {
            rules: &call.rules,
            categories: &categories,
            window: (project.data.start_date, dates.end_date),
            payment_deadline: dates.payment_deadline,
            granted: project.data.granted_contribution,
            entities: &entities,
            expenses,
            claims_elsewhere: &claims_elsewhere,
            tranches_received,
            deadlines: &deadlines,
            as_of,
            scope,
        })
    };
    let mut summary = summarise(&expenses);
    let mut expenses = expenses;
    if as_submitted {
        let left_out: std::collections::HashSet<_> = summary
            .excluded
            .iter()
            .map(|x| x.expense_id)
            .chain(summary.pending.iter().copied())
            .collect();
        let frozen: Vec<Expense> = expenses
            .iter()
            .cloned()
            .map(|mut e| {
                if !left_out.contains(&e.id) {
                    e.status = crate::domain::ExpenseStatus::Included;
                }
                e
            })
            .collect();
        summary = summarise(&frozen);
        expenses = std::sync::Arc::new(frozen);
    }
    let tranches = tranches.into_iter().filter(|t| t.date <= as_of).collect();
    Ok(Snapshot {
        project,
        call,
        entities,
        expenses,
        tranches,
        extensions,
        dates,
        deadlines,
        summary,
    })
}

/// Every deadline of a project as an iCalendar feed (all-day events), for Outlook or Thunderbird.
pub async fn deadlines_ics(app: &App, who: &Actor, id: ProjectId) -> Result<String, ServiceError> {
    use icalendar::{Calendar, Component, Event, EventLike};
    let snap = snapshot(app, who, id, None, Scope::All).await?;
    let mut calendar = Calendar::new();
    calendar.name(&format!("Scadenze – {}", snap.project.data.title));
    for d in &snap.deadlines {
        // Stable across edits, so calendars update an event instead of duplicating it.
        let slug: String = crate::domain::text::fold(&d.name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let event = Event::new()
            .uid(&format!("progetto-{id}-{slug}@rendiconta"))
            .summary(&format!("{} – {}", d.name, snap.project.data.title))
            .description(&format!(
                "Progetto «{}» ({}), bando {}",
                snap.project.data.title, snap.call.funder, snap.call.act
            ))
            .all_day(d.date)
            .timestamp(snap.project.updated_at)
            .done();
        calendar.push(event);
    }
    Ok(calendar.done().to_string())
}
