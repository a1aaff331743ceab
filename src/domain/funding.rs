//! What a project receives from the funder and when things are due: budget variations
//! (rimodulazioni), extensions (proroghe), milestones and the tranches paid by the funder.

use chrono::{DateTime, NaiveDate, Utc};

use super::call::CategoryCode;
use super::money::Money;

string_enum!(VariationStatus { Requested = "requested", Approved = "approved", Rejected = "rejected" });
string_enum!(TrancheKind { Advance = "advance", Balance = "balance" });

/// A change of the approved budget: signed amounts per category, in force once approved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Variation {
    pub id: i64,
    pub act: String,
    pub date: NaiveDate,
    pub status: VariationStatus,
    pub changes: Vec<(CategoryCode, Money)>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// An extension granted by an act: each date it names replaces the one in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Extension {
    pub id: i64,
    pub act: String,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Milestone {
    pub id: i64,
    pub name: String,
    pub due_date: NaiveDate,
    pub done: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// Money received from the funder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tranche {
    pub id: i64,
    pub amount: Money,
    pub date: NaiveDate,
    pub act: String,
    pub kind: TrancheKind,
    pub created_at: DateTime<Utc>,
}

/// The budget in force on a date: the original plus the variations approved by then.
pub fn current_budget(
    original: &[(CategoryCode, Money)],
    variations: &[Variation],
    as_of: NaiveDate,
) -> Vec<(CategoryCode, Money)> {
    let mut budget: Vec<(CategoryCode, Money)> = original.to_vec();
    for v in variations
        .iter()
        .filter(|v| v.status == VariationStatus::Approved && v.date <= as_of)
    {
        for (category, delta) in &v.changes {
            match budget.iter_mut().find(|(c, _)| c == category) {
                Some((_, amount)) => *amount += *delta,
                None => budget.push((category.clone(), *delta)),
            }
        }
    }
    budget
}

/// The dates in force on a date: the latest extension (by act date, then record order) that names
/// each one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveDates {
    pub end_date: NaiveDate,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
}

pub fn effective_dates(
    base: EffectiveDates,
    extensions: &[Extension],
    as_of: NaiveDate,
) -> EffectiveDates {
    let mut in_force: Vec<&Extension> = extensions.iter().filter(|e| e.date <= as_of).collect();
    in_force.sort_by_key(|e| (e.date, e.id));
    let mut dates = base;
    for e in in_force {
        dates.end_date = e.end_date.unwrap_or(dates.end_date);
        dates.payment_deadline = e.payment_deadline.or(dates.payment_deadline);
        dates.reporting_deadline = e.reporting_deadline.or(dates.reporting_deadline);
    }
    dates
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariation {
    pub act: String,
    pub date: NaiveDate,
    pub status: VariationStatus,
    pub changes: Vec<(CategoryCode, Money)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExtension {
    pub act: String,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMilestone {
    pub name: String,
    pub due_date: NaiveDate,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTranche {
    pub amount: Money,
    pub date: NaiveDate,
    pub act: String,
    pub kind: TrancheKind,
}
