//! Expenses: recording, correcting and removing them, with the checks that need the project.

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::attachment::NewAttachment;
use crate::domain::{
    Call, DocumentType, EntityId, Expense, ExpenseData, ExpenseId, ExpenseStatus, ProjectId, Step,
    Violations,
};
use crate::storage::{ExpenseFilter, ExpenseSortField, ExpenseTotals, Page, PageRequest, Sort};

/// What an expense is checked against: the project's partners and its call's categories.
struct ProjectRules {
    entities: Vec<EntityId>,
    call: Call,
}

impl ProjectRules {
    async fn load(app: &App, project: ProjectId) -> Result<ProjectRules, ServiceError> {
        let p = projects::find(app, project).await?;
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
    if let Some(invoice) = data.corrects {
        let found = app.store.get_expense(invoice).await?;
        check_link(
            data,
            found.filter(|e| e.project_id == project).as_ref(),
            &mut v,
        );
    }
    super::commitments::check_expense_link(app, project, data, &mut v).await?;
    v.finish(|| Some(())).map_err(ServiceError::Invalid)
}

/// A credit note corrects an invoice of the same project and the same supplier (decision 3).
fn check_link(data: &ExpenseData, invoice: Option<&Expense>, v: &mut Violations) {
    let field = "corrects_expense_id";
    match invoice {
        None => v.add(
            field,
            "unknown_invoice",
            "la fattura indicata non è tra le spese del progetto",
        ),
        Some(i) if i.data.document.kind == DocumentType::CreditNote => v.add(
            field,
            "not_an_invoice",
            "la spesa indicata è a sua volta una nota di credito: indicare la fattura rettificata",
        ),
        Some(i) if i.data.supplier_identity() != data.supplier_identity() => v.add(
            field,
            "other_supplier",
            format!(
                "la fattura indicata è di un altro fornitore ({}): una nota di credito rettifica \
                 una fattura dello stesso fornitore",
                i.data.document.supplier_name
            ),
        ),
        Some(_) => {}
    }
}

/// Expenses that passed every check of [`validate_many`] for one project, on behalf of whoever
/// asked: the only batch [`create_checked`] writes, so a batch is validated once.
pub struct CheckedRows {
    project: ProjectId,
    rows: Vec<ExpenseData>,
}

/// Checks a batch of expenses as one (rights, then each row against the project's rules), before
/// [`create_checked`] writes it or as an import's dry run. Errors name the row (`rows[i].field`).
pub async fn validate_many(
    app: &App,
    who: &Actor,
    project: ProjectId,
    rows: Vec<ExpenseData>,
) -> Result<CheckedRows, ServiceError> {
    let needs = rows.iter().map(|data| Need::RecordExpense {
        entity: data.entity_id,
    });
    access::require_all(app, who, project, std::iter::once(Need::Read).chain(needs)).await?;
    let rules = ProjectRules::load(app, project).await?;
    let mut v = Violations::new();
    for (i, data) in rows.iter().enumerate() {
        rules.check(data, &format!("rows[{i}]."), &mut v);
    }
    v.finish(|| Some(CheckedRows { project, rows }))
        .map_err(ServiceError::Invalid)
}

/// Checks and records many expenses at once, all or nothing (a bulk load).
pub async fn create_many(
    app: &App,
    who: &Actor,
    project: ProjectId,
    rows: Vec<ExpenseData>,
    evidence: Option<&NewAttachment>,
) -> Result<Vec<Expense>, ServiceError> {
    let checked = validate_many(app, who, project, rows).await?;
    create_checked(app, who, checked, evidence).await
}

/// Records a batch [`validate_many`] passed, all or nothing; `evidence` (an imported file,
/// already in the file store) is attached to each of its expenses.
pub async fn create_checked(
    app: &App,
    who: &Actor,
    checked: CheckedRows,
    evidence: Option<&NewAttachment>,
) -> Result<Vec<Expense>, ServiceError> {
    Ok(app
        .store
        .insert_expenses(checked.project, &checked.rows, evidence, &app.change(who))
        .await?)
}

pub async fn create(
    app: &App,
    who: &Actor,
    project: ProjectId,
    data: ExpenseData,
) -> Result<Expense, ServiceError> {
    // The role first: someone who may not record here learns that, not what is wrong in the data.
    let record = Need::RecordExpense {
        entity: data.entity_id,
    };
    access::require_all(app, who, project, [Need::Read, record]).await?;
    check_against_project(app, project, &data).await?;
    Ok(app
        .store
        .insert_expense(project, &data, &app.change(who))
        .await?)
}

/// The expense, if `who` may read its project.
pub async fn get(app: &App, who: &Actor, id: ExpenseId) -> Result<Expense, ServiceError> {
    let expense = find(app, id).await?;
    access::require(app, who, expense.project_id, Need::Read).await?;
    Ok(expense)
}

/// The project an expense belongs to (for the membership gate, before any rule is checked).
pub async fn project_of(app: &App, id: ExpenseId) -> Result<ProjectId, ServiceError> {
    Ok(find(app, id).await?.project_id)
}

async fn find(app: &App, id: ExpenseId) -> Result<Expense, ServiceError> {
    app.store
        .get_expense(id)
        .await?
        .ok_or(ServiceError::NotFound("spesa"))
}

pub async fn list(
    app: &App,
    who: &Actor,
    project: ProjectId,
    filter: &ExpenseFilter,
    sort: Sort<ExpenseSortField>,
    page: PageRequest,
) -> Result<(Page<Expense>, ExpenseTotals), ServiceError> {
    projects::get(app, who, project).await?;
    Ok(app.store.list_expenses(project, filter, sort, page).await?)
}

fn ensure_editable(expense: &Expense) -> Result<(), ServiceError> {
    if expense.status == ExpenseStatus::Included {
        return Err(ServiceError::Conflict {
            code: "expense_locked",
            message: "la spesa è inclusa in una rendicontazione già presentata e non può essere modificata: \
                      il servizio finanziario può sbloccarla indicando il motivo"
                .into(),
            related: vec![expense.id],
        });
    }
    Ok(())
}

/// May `who` edit or delete this expense (and, for a project manager, move it to `new_entity`)?
async fn require_edit(
    app: &App,
    who: &Actor,
    expense: &Expense,
    new_entity: Option<EntityId>,
) -> Result<(), ServiceError> {
    let edits = std::iter::once(expense.data.entity_id)
        .chain(new_entity)
        .map(|entity| Need::EditExpense {
            entity,
            status: expense.status,
        });
    access::require_all(
        app,
        who,
        expense.project_id,
        std::iter::once(Need::Read).chain(edits),
    )
    .await
}

/// The expense, if `who` may edit it now: refused (403) or locked (409) before any input is read.
pub async fn get_for_edit(app: &App, who: &Actor, id: ExpenseId) -> Result<Expense, ServiceError> {
    let current = find(app, id).await?;
    require_edit(app, who, &current, None).await?;
    ensure_editable(&current)?;
    Ok(current)
}

/// Replaces the expense's data. Editing a verified expense sends it back to verification.
pub async fn update(
    app: &App,
    who: &Actor,
    id: ExpenseId,
    expected_version: i64,
    data: ExpenseData,
) -> Result<Expense, ServiceError> {
    let current = find(app, id).await?;
    require_edit(app, who, &current, Some(data.entity_id)).await?;
    ensure_editable(&current)?;
    if current.version != expected_version {
        return Err(ServiceError::Stale);
    }
    check_against_project(app, current.project_id, &data).await?;
    Ok(app
        .store
        .update_expense(id, expected_version, &data, &app.change(who))
        .await?)
}

pub async fn delete(
    app: &App,
    who: &Actor,
    id: ExpenseId,
    expected_version: Option<i64>,
) -> Result<(), ServiceError> {
    let current = find(app, id).await?;
    require_edit(app, who, &current, None).await?;
    ensure_editable(&current)?;
    Ok(app
        .store
        .delete_expense(id, expected_version, &app.change(who))
        .await?)
}

/// Takes a step of the verification workflow. A rejection needs its reason, an unlock its
/// justification: both are kept in the audit trail.
pub async fn step(
    app: &App,
    who: &Actor,
    id: ExpenseId,
    expected_version: Option<i64>,
    step: Step,
    note: Option<String>,
) -> Result<Expense, ServiceError> {
    let current = find(app, id).await?;
    let project = current.project_id;
    let need = match step {
        Step::Ready => Need::MarkReady {
            entity: current.data.entity_id,
        },
        Step::Verify => Need::Verify {
            recorded_by: current.created_by,
            changed_by: current.changed_by,
        },
        Step::Reject => Need::Reject,
        Step::Unlock => Need::Unlock,
    };
    access::require_all(app, who, project, [Need::Read, need]).await?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    match (step, &note) {
        (Step::Reject, None) => {
            return Err(ServiceError::field(
                "reason",
                "required",
                "indicare il motivo del rifiuto",
            ))
        }
        (Step::Unlock, None) => {
            return Err(ServiceError::field(
                "justification",
                "required",
                "per sbloccare una spesa già rendicontata serve una motivazione scritta",
            ))
        }
        _ => {}
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ServiceError::field(
            if step == Step::Unlock {
                "justification"
            } else {
                "reason"
            },
            "too_long",
            "il testo supera 2000 caratteri",
        ));
    }
    Ok(app
        .store
        .step_expense(
            id,
            expected_version,
            step,
            note.as_deref(),
            &app.change(who),
        )
        .await?)
}

/// The expenses a filter selects (all of them, in `sort` order) as the CSV Italian Excel opens.
pub async fn export_csv(
    app: &App,
    who: &Actor,
    project: ProjectId,
    filter: &ExpenseFilter,
    sort: Sort<ExpenseSortField>,
) -> Result<Vec<u8>, ServiceError> {
    let entities = super::projects::entities(app, who, project).await?;
    let names: std::collections::HashMap<_, _> =
        entities.into_iter().map(|e| (e.id, e.name)).collect();
    let all = PageRequest {
        page: 1,
        per_page: u32::MAX,
    };
    let (result, _) = list(app, who, project, filter, sort, all).await?;
    let call = ProjectRules::load(app, project).await?.call;
    let categories: std::collections::HashMap<_, _> = call
        .categories
        .into_iter()
        .map(|c| (c.code.as_str().to_owned(), c.name))
        .collect();
    Ok(crate::reports::csv::expenses_csv(
        &result.items,
        &names,
        &categories,
    )?)
}
