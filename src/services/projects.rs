//! Projects and their partner entities.

use chrono::NaiveDate;

use super::{access, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::text::italian_date;
use crate::domain::{
    BudgetLine, Call, CallId, Cup, DateChange, Entity, GrantAct, Money, NewEntity, Project,
    ProjectData, ProjectDate, ProjectId, Signatory, Violations,
};
use crate::storage::{Page, PageRequest};

/// A project as a user states it; dates left out default to the call's eligibility period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub call_id: CallId,
    pub title: String,
    pub cup: Option<Cup>,
    pub lead_entity: String,
    pub granted_contribution: Money,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// The project's own deadlines; the call's when not given.
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
    pub budget: Vec<BudgetLine>,
    pub signatory: Signatory,
    pub grant_act: Option<GrantAct>,
}

/// A project's data as it stands, to change one part of it.
impl From<ProjectData> for NewProject {
    fn from(d: ProjectData) -> NewProject {
        NewProject {
            call_id: d.call_id,
            title: d.title,
            cup: d.cup,
            lead_entity: d.lead_entity,
            granted_contribution: d.granted_contribution,
            start_date: Some(d.start_date),
            end_date: Some(d.end_date),
            payment_deadline: d.payment_deadline,
            reporting_deadline: d.reporting_deadline,
            budget: d.budget,
            signatory: d.signatory,
            grant_act: d.grant_act,
        }
    }
}

/// Checks the project against its call and fills the defaults.
fn resolve(call: &Call, new: NewProject) -> Result<ProjectData, ServiceError> {
    let mut v = Violations::new();
    for (i, line) in new.budget.iter().enumerate() {
        if call.category(line.category.as_str()).is_none() {
            v.add(
                format!("budget[{i}].category"),
                "unknown_category",
                format!(
                    "la categoria \"{}\" non è fra quelle del bando",
                    line.category.as_str()
                ),
            );
        }
        if new.budget[..i].iter().any(|l| l.category == line.category) {
            v.add(
                format!("budget[{i}].category"),
                "duplicate_category",
                "categoria ripetuta nel budget",
            );
        }
    }
    let start_date = new.start_date.unwrap_or(call.rules.eligibility_start);
    let end_date = new.end_date.unwrap_or(call.rules.eligibility_end);
    // Decision 6: a project starts within its call's window.
    if start_date < call.rules.eligibility_start {
        v.add(
            "start_date",
            "start_before_call",
            format!(
                "il progetto non può iniziare prima del periodo di ammissibilità del bando ({})",
                italian_date(call.rules.eligibility_start)
            ),
        );
    }
    if end_date < start_date {
        v.add(
            "end_date",
            "end_before_start",
            "la data di fine precede la data di inizio",
        );
    }
    if let Some(max) = call.rules.max_contribution {
        if new.granted_contribution > max {
            v.add(
                "granted_contribution",
                "above_call_maximum",
                format!(
                    "il contributo concesso supera il massimo del bando ({})",
                    max.italian()
                ),
            );
        }
    }
    v.finish(|| {
        Some(ProjectData {
            call_id: new.call_id,
            title: new.title,
            cup: new.cup,
            lead_entity: new.lead_entity,
            granted_contribution: new.granted_contribution,
            start_date,
            end_date,
            payment_deadline: new.payment_deadline.or(call.rules.payment_deadline),
            reporting_deadline: new.reporting_deadline.or(call.rules.reporting_deadline),
            budget: new.budget,
            signatory: new.signatory,
            grant_act: new.grant_act,
        })
    })
    .map_err(ServiceError::Invalid)
}

async fn call_of(app: &App, id: CallId) -> Result<Call, ServiceError> {
    app.store.get_call(id).await?.ok_or_else(|| {
        ServiceError::field("call_id", "unknown_call", "il bando indicato non esiste")
    })
}

pub async fn create(app: &App, who: &Actor, new: NewProject) -> Result<Project, ServiceError> {
    access::require_admin(who)?;
    let call = call_of(app, new.call_id).await?;
    // Decision 6: the end moves past the call's only by an act (an extension, a dated change).
    if new
        .end_date
        .is_some_and(|end| end > call.rules.eligibility_end)
    {
        return Err(ServiceError::field(
            "end_date",
            "end_after_call",
            format!(
                "il progetto non può finire dopo il periodo di ammissibilità del bando ({}): \
                 una data successiva si registra con l'atto che la concede (proroga o modifica)",
                italian_date(call.rules.eligibility_end)
            ),
        ));
    }
    let data = resolve(&call, new)?;
    Ok(app.store.insert_project(&data, &app.change(who)).await?)
}

/// The project, if `who` may read it.
pub async fn get(app: &App, who: &Actor, id: ProjectId) -> Result<Project, ServiceError> {
    get_for(app, who, id, Need::Read).await
}

/// The project, if `who` may do `need` on it.
pub async fn get_for(
    app: &App,
    who: &Actor,
    id: ProjectId,
    need: Need,
) -> Result<Project, ServiceError> {
    access::require(app, who, id, need).await?;
    find(app, id).await
}

/// The project, for use cases that already checked the caller.
pub(crate) async fn find(app: &App, id: ProjectId) -> Result<Project, ServiceError> {
    app.store
        .get_project(id)
        .await?
        .ok_or(ServiceError::NotFound("progetto"))
}

/// The projects `who` has a role on (all of them for the admin).
pub async fn list(
    app: &App,
    who: &Actor,
    page: PageRequest,
) -> Result<Page<Project>, ServiceError> {
    let visible_to = if who.is_superuser() {
        None
    } else {
        who.user_id()
    };
    Ok(app.store.list_projects(page, visible_to).await?)
}

/// The act that moves a project's dates: its text and its date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeAct {
    pub act: Option<String>,
    pub date: Option<NaiveDate>,
}

/// Replaces a project's data if `expected_version` is current. A change of its dates must name the
/// act that made it, and — for the end of the window and the deadlines, whose acts decide which
/// value is in force on a date (domain.md, decision 1) — the act's date; the history keeps both.
pub async fn update(
    app: &App,
    who: &Actor,
    id: ProjectId,
    expected_version: i64,
    new: NewProject,
    act: ChangeAct,
) -> Result<Project, ServiceError> {
    let current = get_for(app, who, id, Need::EditProject).await?;
    if current.version != expected_version {
        return Err(ServiceError::Stale);
    }
    if new.call_id != current.data.call_id {
        return Err(ServiceError::field(
            "call_id",
            "read_only",
            "il bando di un progetto non può essere cambiato",
        ));
    }
    let call = call_of(app, new.call_id).await?;
    let data = resolve(&call, new)?;
    let changes = date_changes(
        &current.data,
        &data,
        act,
        app.clock.now(),
        app.clock.today(),
    )?;
    Ok(app
        .store
        .update_project(id, expected_version, &data, &changes, &app.change(who))
        .await?)
}

/// The moves of the project's dates from `before` to `after`, each with `act`.
fn date_changes(
    before: &ProjectData,
    after: &ProjectData,
    act: ChangeAct,
    now: chrono::DateTime<chrono::Utc>,
    today: NaiveDate,
) -> Result<Vec<DateChange>, ServiceError> {
    let moves = [
        (
            ProjectDate::StartDate,
            Some(before.start_date),
            Some(after.start_date),
        ),
        (
            ProjectDate::EndDate,
            Some(before.end_date),
            Some(after.end_date),
        ),
        (
            ProjectDate::PaymentDeadline,
            before.payment_deadline,
            after.payment_deadline,
        ),
        (
            ProjectDate::ReportingDeadline,
            before.reporting_deadline,
            after.reporting_deadline,
        ),
    ];
    let mut v = Violations::new();
    let mut moved = Vec::new();
    for (field, from, to) in moves.into_iter().filter(|(_, from, to)| from != to) {
        match to {
            Some(to) => moved.push((field, from, to)),
            None => v.add(
                field.as_str(),
                "required",
                format!("il {} non si può togliere, solo spostare", field.italian()),
            ),
        }
    }
    if moved.is_empty() {
        return v.finish(|| Some(Vec::new())).map_err(ServiceError::Invalid);
    }
    if act.act.is_none() {
        v.add(
            "change_act",
            "act_required",
            "per cambiare le date del progetto indicare l'atto che le modifica (change_act)",
        );
    }
    // The start moves the window's beginning only; the other dates are in force from the act's date.
    let dated = moved.iter().any(|(f, _, _)| *f != ProjectDate::StartDate);
    if dated && act.date.is_none() {
        v.add(
            "change_act_date",
            "act_date_required",
            "per spostare la fine o le scadenze del progetto indicare anche la data dell'atto \
             (change_act_date): da quella data la nuova data è in vigore",
        );
    }
    v.finish(|| {
        let text = act.act?;
        let act_date = act.date.unwrap_or(today);
        Some(
            moved
                .into_iter()
                .map(|(field, from, to)| DateChange {
                    field,
                    from,
                    to,
                    act: text.clone(),
                    act_date,
                    recorded_at: now,
                })
                .collect(),
        )
    })
    .map_err(ServiceError::Invalid)
}

/// Moves one of the project's dates (the end, the payment or the reporting deadline) by an act of
/// that date, the rest of the project as it is, if `expected_version` is current.
pub async fn move_date(
    app: &App,
    who: &Actor,
    id: ProjectId,
    expected_version: i64,
    field: ProjectDate,
    value: NaiveDate,
    act: ChangeAct,
) -> Result<Project, ServiceError> {
    let current = get_for(app, who, id, Need::EditProject).await?;
    let mut new = NewProject::from(current.data);
    match field {
        ProjectDate::StartDate => new.start_date = Some(value),
        ProjectDate::EndDate => new.end_date = Some(value),
        ProjectDate::PaymentDeadline => new.payment_deadline = Some(value),
        ProjectDate::ReportingDeadline => new.reporting_deadline = Some(value),
    }
    update(app, who, id, expected_version, new, act).await
}

/// Records the act that granted the contribution (its number and date, printed in the documents'
/// heading), the rest of the project as it is, if `expected_version` is current.
pub async fn set_grant_act(
    app: &App,
    who: &Actor,
    id: ProjectId,
    expected_version: i64,
    grant_act: Option<GrantAct>,
) -> Result<Project, ServiceError> {
    let current = get_for(app, who, id, Need::EditProject).await?;
    let new = NewProject {
        grant_act,
        ..NewProject::from(current.data)
    };
    update(app, who, id, expected_version, new, ChangeAct::default()).await
}

pub async fn add_entity(
    app: &App,
    who: &Actor,
    project: ProjectId,
    entity: NewEntity,
) -> Result<Entity, ServiceError> {
    get_for(app, who, project, Need::EditProject).await?;
    app.store
        .insert_entity(project, &entity, &app.change(who))
        .await
        .map_err(|e| named_twice(e, &entity.name))
}

/// A second entity of one name is refused, naming it.
fn named_twice(e: crate::storage::StoreError, name: &str) -> ServiceError {
    match ServiceError::from(e) {
        ServiceError::Conflict {
            code: "duplicate", ..
        } => ServiceError::Conflict {
            code: "duplicate_entity",
            message: format!("il progetto ha già un ente di nome \"{name}\""),
            related: Vec::new(),
        },
        other => other,
    }
}

/// Corrects an entity's particulars (name, codice fiscale, office, PEC) if `expected_version` is
/// current.
pub async fn update_entity(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: crate::domain::EntityId,
    expected_version: i64,
    entity: NewEntity,
) -> Result<Entity, ServiceError> {
    get_for(app, who, project, Need::EditProject).await?;
    app.store
        .update_entity(project, id, expected_version, &entity, &app.change(who))
        .await
        .map_err(|e| named_twice(e, &entity.name))
}

/// One partner entity of the project.
pub async fn entity(
    app: &App,
    who: &Actor,
    project: ProjectId,
    id: crate::domain::EntityId,
) -> Result<Entity, ServiceError> {
    get(app, who, project).await?;
    app.store
        .get_entity(id)
        .await?
        .filter(|e| e.project_id == project)
        .ok_or(ServiceError::NotFound("ente"))
}

pub async fn entities(
    app: &App,
    who: &Actor,
    project: ProjectId,
) -> Result<Vec<Entity>, ServiceError> {
    get(app, who, project).await?;
    Ok(app.store.list_entities(project).await?)
}
