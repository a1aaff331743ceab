//! A project's state as of a date, and how it is assembled from the stored facts: the budget in
//! force per category, the dates moved by extensions, the deadlines, and the summary the rules
//! compute. Pure: the services read the facts, this puts them together; views and documents show
//! what it holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;

use super::funding::{self, EffectiveDates, Extension, Milestone, Tranche, Variation};
use super::rules::{self, CategoryBudget, Deadline, DeadlineKind, Facts, Scope, Summary};
use super::{Call, CategoryCode, DocumentKey, Entity, Expense, ExpenseStatus, Money, Project};

/// What the summary was computed from, for views and documents that show more than the figures.
pub struct Snapshot {
    pub project: Project,
    pub call: Call,
    pub entities: Vec<Entity>,
    pub expenses: Arc<Vec<Expense>>,
    /// The tranches received by the date.
    pub tranches: Vec<Tranche>,
    /// Every extension recorded, in force as of the date or not (the documents list those in force).
    pub extensions: Vec<Extension>,
    pub dates: EffectiveDates,
    pub deadlines: Vec<Deadline>,
    pub summary: Summary,
}

/// Everything stored about a project that its state as of a date depends on (cheap to clone: the
/// expenses are shared).
#[derive(Clone)]
pub struct StoredFacts {
    pub project: Project,
    pub call: Call,
    pub entities: Vec<Entity>,
    pub expenses: Arc<Vec<Expense>>,
    pub variations: Vec<Variation>,
    pub extensions: Vec<Extension>,
    pub milestones: Vec<Milestone>,
    pub tranches: Vec<Tranche>,
    /// What other projects claim of the same supplier documents.
    pub claims_elsewhere: Vec<(DocumentKey, Money)>,
}

/// The state as of `as_of`, counting the expenses `scope` says. `as_submitted`: as a submission
/// freezes it, every counted expense already `included`, so that documents re-made later from the
/// stored data are identical.
pub fn assemble(
    facts: StoredFacts,
    as_of: NaiveDate,
    scope: Scope,
    as_submitted: bool,
) -> Snapshot {
    build(facts, &[], as_of, scope, as_submitted, true)
}

/// The figures as of `as_of` counting every recorded expense and also `planned` ones that are
/// expected but not recorded (the forecast's): summarised with the others, never stored nor
/// listed among them; without warnings (the forecast needs the figures only).
pub fn figures(facts: StoredFacts, planned: &[Expense], as_of: NaiveDate) -> Snapshot {
    build(facts, planned, as_of, Scope::All, false, false)
}

fn build(
    facts: StoredFacts,
    planned: &[Expense],
    as_of: NaiveDate,
    scope: Scope,
    as_submitted: bool,
    with_warnings: bool,
) -> Snapshot {
    let StoredFacts {
        project,
        call,
        entities,
        expenses,
        variations,
        extensions,
        milestones,
        tranches,
        claims_elsewhere,
    } = facts;
    let categories = category_budgets(&project, &call, &variations, as_of);
    let dates = funding::effective_dates(&project.data, &project.date_history, &extensions, as_of);
    let deadlines = deadlines(&dates, &milestones);
    let tranches: Vec<Tranche> = tranches.into_iter().filter(|t| t.date <= as_of).collect();
    let claims_elsewhere: HashMap<_, _> = claims_elsewhere.into_iter().collect();
    let summarise = |expenses: &[Expense]| {
        rules::summarise(&Facts {
            rules: &call.rules,
            categories: &categories,
            window: (project.data.start_date, dates.end_date),
            payment_deadline: dates.payment_deadline,
            granted: project.data.granted_contribution,
            entities: &entities,
            expenses,
            planned,
            with_warnings,
            claims_elsewhere: &claims_elsewhere,
            tranches_received: tranches.iter().map(|t| t.amount).sum(),
            deadlines: &deadlines,
            as_of,
            scope,
        })
    };
    let mut summary = summarise(&expenses);
    let mut expenses = expenses;
    if as_submitted {
        let frozen = frozen(&expenses, &summary);
        summary = summarise(&frozen);
        expenses = Arc::new(frozen);
    }
    Snapshot {
        project,
        call,
        entities,
        expenses,
        tranches,
        extensions,
        dates,
        deadlines,
        summary,
    }
}

/// Each category of the call with its approved amount, originally and as varied by the date.
fn category_budgets(
    project: &Project,
    call: &Call,
    variations: &[Variation],
    as_of: NaiveDate,
) -> Vec<CategoryBudget> {
    let original: Vec<_> = project
        .data
        .budget
        .iter()
        .map(|l| (l.category.clone(), l.amount))
        .collect();
    let current = funding::current_budget(&original, variations, as_of);
    let amount_in = |lines: &[(CategoryCode, Money)], code: &CategoryCode| {
        lines
            .iter()
            .find(|(c, _)| c == code)
            .map_or(Money::ZERO, |(_, a)| *a)
    };
    call.categories
        .iter()
        .map(|c| CategoryBudget {
            code: c.code.clone(),
            name: c.name.clone(),
            ceiling: c.ceiling,
            approved_original: amount_in(&original, &c.code),
            approved: amount_in(&current, &c.code),
        })
        .collect()
}

/// The project's end, the payment and reporting deadlines in force, and its milestones.
fn deadlines(dates: &EffectiveDates, milestones: &[Milestone]) -> Vec<Deadline> {
    let deadline = |name: &str, date, kind| Deadline {
        name: name.into(),
        date,
        kind,
        done: false,
    };
    let mut out = vec![deadline(
        "Fine del progetto",
        dates.end_date,
        DeadlineKind::Event,
    )];
    if let Some(date) = dates.payment_deadline {
        out.push(deadline(
            "Termine per i pagamenti",
            date,
            DeadlineKind::Event,
        ));
    }
    if let Some(date) = dates.reporting_deadline {
        out.push(deadline(
            "Termine per la rendicontazione",
            date,
            DeadlineKind::Obligation,
        ));
    }
    out.extend(milestones.iter().map(|m| Deadline {
        name: m.name.clone(),
        date: m.due_date,
        kind: DeadlineKind::Obligation,
        done: m.done,
    }));
    out
}

/// The expenses as a submission leaves them: every one it counts `included`.
fn frozen(expenses: &[Expense], summary: &Summary) -> Vec<Expense> {
    let left_out: HashSet<_> = summary
        .excluded
        .iter()
        .map(|x| x.expense_id)
        .chain(summary.pending.iter().copied())
        .collect();
    expenses
        .iter()
        .cloned()
        .map(|mut e| {
            // Documents dated after the submission's date are not in it (not yet existing then).
            if !left_out.contains(&e.id) && e.data.document.date <= summary.as_of {
                e.status = ExpenseStatus::Included;
            }
            e
        })
        .collect()
}
