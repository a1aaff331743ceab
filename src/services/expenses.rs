//! Expenses: recording, correcting and removing them, with the checks that need the project.

use super::{projects, App, ServiceError};
use crate::domain::{
    Call, EntityId, Expense, ExpenseData, ExpenseId, ExpenseStatus, ProjectId, Violations,
};
use crate::storage::{ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort};

/// What an expense is checked against: the project's partners and its call's categories.
struct ProjectRules {
    entities: Vec<EntityId>,
    call: Call,
}

impl ProjectRules {
    async fn load(app: &App, project: ProjectId) -> Result<ProjectRules, ServiceError> {
        let p = projects::get(app, project).await?;
        let call = app
            .store
            .get_call(p.data.call_id)
            .await?
            .ok_or(ServiceError::NotFound("bando"))?;
        let entities = app
            .store
            .list_entities(project)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        Ok(ProjectRules { entities, call })
    }

    /// Records, under `prefix` (e.g. `rows[3].`), what does not fit the project.
    fn check(&self, data: &ExpenseData, prefix: &str, v: &mut Violations) {
        if !self.entities.contains(&data.entity_id) {
            v.add(
                format!("{prefix}entity_id"),
                "unknown_entity",
                "l'ente indicato non è un partner di questo progetto",
            );
        }
        if let Some(category) = &data.category {
            if self.call.category(category.as_str()).is_none() {
                let codes: Vec<&str> = self
                    .call
                    .categories
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect();
                v.add(
                    format!("{prefix}category"),
                    "unknown_category",
                    format!(
                        "categoria sconosciuta: quelle del bando sono {}",
                        codes.join(", ")
                    ),
                );
            }
        }
    }
}

async fn check_against_project(
    app: &App,
    project: ProjectId,
    data: &ExpenseData,
) -> Result<(), ServiceError> {
    let rules = ProjectRules::load(app, project).await?;
    let mut v = Violations::new();
    rules.check(data, "", &mut v);
    v.finish(|| Some(())).map_err(ServiceError::Invalid)
}

/// Records many expenses at once, all or nothing; errors name the row (`rows[i].field`).
pub async fn create_many(
    app: &App,
    project: ProjectId,
    rows: Vec<ExpenseData>,
) -> Result<Vec<Expense>, ServiceError> {
    let rules = ProjectRules::load(app, project).await?;
    let mut v = Violations::new();
    for (i, data) in rows.iter().enumerate() {
        rules.check(data, &format!("rows[{i}]."), &mut v);
    }
    v.finish(|| Some(())).map_err(ServiceError::Invalid)?;
    Ok(app
        .store
        .insert_expenses(project, &rows, app.clock.now())
        .await?)
}

pub async fn create(
    app: &App,
    project: ProjectId,
    data: ExpenseData,
) -> Result<Expense, ServiceError> {
    check_against_project(app, project, &data).await?;
    Ok(app
        .store
        .insert_expense(project, &data, app.clock.now())
        .await?)
}

pub async fn get(app: &App, id: ExpenseId) -> Result<Expense, ServiceError> {
    app.store
        .get_expense(id)
        .await?
        .ok_or(ServiceError::NotFound("spesa"))
}

pub async fn list(
    app: &App,
    project: ProjectId,
    filter: &ExpenseFilter,
    sort: Sort<ExpenseSortField>,
    page: PageRequest,
) -> Result<(Page<Expense>, ExpenseTotals), ServiceError> {
    projects::get(app, project).await?;
    Ok(app.store.list_expenses(project, filter, sort, page).await?)
}

fn ensure_editable(expense: &Expense) -> Result<(), ServiceError> {
    if expense.status == ExpenseStatus::Included {
        return Err(ServiceError::Conflict {
            code: "expense_locked",
            message: "la spesa è inclusa in una rendicontazione già presentata e non può essere modificata".into(),
            related: vec![expense.id],
        });
    }
    Ok(())
}

pub async fn update(
    app: &App,
    id: ExpenseId,
    expected_version: i64,
    data: ExpenseData,
) -> Result<Expense, ServiceError> {
    let current = get(app, id).await?;
    ensure_editable(&current)?;
    if current.version != expected_version {
        return Err(ServiceError::Stale);
    }
    check_against_project(app, current.project_id, &data).await?;
    Ok(app
        .store
        .update_expense(id, expected_version, &data, app.clock.now())
        .await?)
}

pub async fn delete(
    app: &App,
    id: ExpenseId,
    expected_version: Option<i64>,
) -> Result<(), ServiceError> {
    let current = get(app, id).await?;
    ensure_editable(&current)?;
    Ok(app.store.delete_expense(id, expected_version).await?)
}
