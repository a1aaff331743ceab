//! The rules engine: "if we submitted on this date, what would the funder recognise and pay, and
//! what would it reject?" — `domain.md`, "Computing what is due", exactly. Pure: every input,
//! including the date, is given; rounding (half-up to the cent) happens once, where the rules say.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::call::{CallRules, CategoryCode, Ceiling};
use super::expense::{DocumentKey, DocumentType, Expense, ExpenseStatus, Nature};
use super::ids::{EntityId, ExpenseId};
use super::money::{Money, Rate};
use super::project::Entity;
use super::text::italian_date;

mod summarise;
mod warnings;
pub use summarise::summarise;

/// Which expenses count: all of them ("what if we submitted now") or the verified ones only (what a
/// submission takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Verified,
}

/// Why an expense is not eligible; the first that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// Sent back by the finance office: it counts again once corrected and handed over.
    Rejected,
    Uncategorised,
    OutsidePeriod,
    CapitalNotEligible,
    Unpaid,
    PaidLate,
}

impl Exclusion {
    /// The reason as the workspace names it.
    pub fn italian(self) -> &'static str {
        match self {
            Exclusion::Rejected => "respinte",
            Exclusion::Uncategorised => "senza categoria",
            Exclusion::OutsidePeriod => "fuori periodo",
            Exclusion::CapitalNotEligible => "spesa in conto capitale",
            Exclusion::Unpaid => "non pagate",
            Exclusion::PaidLate => "pagate oltre il termine",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Exclusion::Rejected => "rejected",
            Exclusion::Uncategorised => "uncategorised",
            Exclusion::OutsidePeriod => "outside_period",
            Exclusion::CapitalNotEligible => "capital_not_eligible",
            Exclusion::Unpaid => "unpaid",
            Exclusion::PaidLate => "paid_late",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Excluded {
    pub expense_id: ExpenseId,
    pub reason: Exclusion,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    CategoryDrift,
    CeilingExceeded,
    BelowApproved,
    MissingCig,
    MissingPaymentOrder,
    Overclaimed,
    Unverified,
    DeadlineDueSoon,
    DeadlineOverdue,
    CreditNoteUnlinked,
}

impl WarningCode {
    pub fn code(self) -> &'static str {
        match self {
            WarningCode::CategoryDrift => "category_drift",
            WarningCode::CeilingExceeded => "ceiling_exceeded",
            WarningCode::BelowApproved => "below_approved",
            WarningCode::MissingCig => "missing_cig",
            WarningCode::MissingPaymentOrder => "missing_payment_order",
            WarningCode::Overclaimed => "overclaimed",
            WarningCode::Unverified => "unverified",
            WarningCode::DeadlineDueSoon => "deadline_due_soon",
            WarningCode::DeadlineOverdue => "deadline_overdue",
            WarningCode::CreditNoteUnlinked => "credit_note_unlinked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
    pub expense_id: Option<ExpenseId>,
}

/// An event passes (the project ends); an obligation must be met (a report, a milestone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    Event,
    Obligation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub name: String,
    pub date: NaiveDate,
    pub kind: DeadlineKind,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    Done,
    Upcoming,
    DueSoon,
    Overdue,
}

impl DeadlineStatus {
    pub fn code(self) -> &'static str {
        match self {
            DeadlineStatus::Done => "done",
            DeadlineStatus::Upcoming => "upcoming",
            DeadlineStatus::DueSoon => "due_soon",
            DeadlineStatus::Overdue => "overdue",
        }
    }
}

/// Days before a deadline at which it becomes `due_soon`.
pub const DUE_SOON_DAYS: i64 = 30;

impl Deadline {
    pub fn status(&self, as_of: NaiveDate) -> DeadlineStatus {
        let days_left = (self.date - as_of).num_days();
        match (self.done, self.kind) {
            (true, _) => DeadlineStatus::Done,
            (false, DeadlineKind::Event) if days_left < 0 => DeadlineStatus::Done,
            (false, DeadlineKind::Obligation) if days_left < 0 => DeadlineStatus::Overdue,
            _ if days_left <= DUE_SOON_DAYS => DeadlineStatus::DueSoon,
            _ => DeadlineStatus::Upcoming,
        }
    }
}

/// One category of the call with the project's budget line, original and in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryBudget {
    pub code: CategoryCode,
    pub name: String,
    pub ceiling: Option<Ceiling>,
    pub approved_original: Money,
    pub approved: Money,
}

/// Everything the computation needs, gathered by the caller.
pub struct Facts<'a> {
    pub rules: &'a CallRules,
    pub categories: &'a [CategoryBudget],
    pub window: (NaiveDate, NaiveDate),
    pub payment_deadline: Option<NaiveDate>,
    pub granted: Money,
    /// In creation order: ties of the riparto go to the first.
    pub entities: &'a [Entity],
    pub expenses: &'a [Expense],
    /// Expenses expected but not recorded (the forecast's commitments carried out as planned),
    /// counted after `expenses`; empty for every summary of what is recorded.
    pub planned: &'a [Expense],
    /// Whether to list the warnings; the forecast's passes need the figures only (they cost a
    /// sentence per unverified expense).
    pub with_warnings: bool,
    /// What other projects claim of the same supplier documents.
    pub claims_elsewhere: &'a HashMap<DocumentKey, Money>,
    pub tranches_received: Money,
    pub deadlines: &'a [Deadline],
    pub as_of: NaiveDate,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryResult {
    pub code: CategoryCode,
    pub name: String,
    pub approved_original: Money,
    pub approved: Money,
    pub eligible: Money,
    pub ceiling: Option<Money>,
    pub recognised: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EntityResult {
    pub entity_id: EntityId,
    pub name: String,
    pub eligible: Money,
    pub recognised: Money,
    pub contribution_share: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineResult {
    pub name: String,
    pub date: NaiveDate,
    pub status: DeadlineStatus,
}

/// Serialised (field by field, in this order) into the data's fingerprint: see
/// `reports::fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub as_of: NaiveDate,
    pub approved_original_total: Money,
    pub approved_total: Money,
    pub categories: Vec<CategoryResult>,
    pub eligible_total: Money,
    pub recognised_total: Money,
    pub contribution_rate: Rate,
    /// `rate × recognised`, rounded half-up: the contribution before the cap.
    pub contribution_computed: Money,
    pub cap: Money,
    /// `min_realisation_share × approved_total`, when the call sets a share.
    pub revocation_threshold: Option<Money>,
    pub revoked: bool,
    pub contribution_due: Money,
    pub advances_received: Money,
    /// Negative: money to give back ("da restituire").
    pub balance_due: Money,
    /// recognised ÷ approved total, four decimals, half-up.
    #[serde(serialize_with = "super::narrative::serialize_decimal")]
    pub realisation_share: Decimal,
    pub entities: Vec<EntityResult>,
    pub excluded: Vec<Excluded>,
    pub warnings: Vec<Warning>,
    pub deadlines: Vec<DeadlineResult>,
    /// Expenses left out by the scope (not yet verified), counted apart.
    pub pending: Vec<ExpenseId>,
}

impl Summary {
    /// Would the project, submitted as of this date, lose money: an exclusion, a ceiling cut, or
    /// revocation.
    pub fn loses_money(&self) -> bool {
        self.revoked
            || !self.excluded.is_empty()
            || self.categories.iter().any(|c| c.recognised < c.eligible)
    }

    pub fn must_give_back(&self) -> bool {
        self.balance_due.is_negative()
    }
}

/// The eligible amount of one expense (before exclusions): what was claimed when VAT is a cost,
/// otherwise at most the net; negative for a credit note.
pub fn eligible_amount(rules: &CallRules, expense: &Expense) -> Money {
    let d = &expense.data;
    let vat_eligible = !d.vat_recoverable && rules.vat_eligible_if_not_recoverable;
    let amount = if vat_eligible {
        d.amounts.claimed()
    } else {
        d.amounts.claimed().min(d.amounts.net())
    };
    if d.document.kind == DocumentType::CreditNote {
        -amount
    } else {
        amount
    }
}

/// The first reason, in the order of the rules, for which an expense is excluded, if any.
pub fn exclusion(facts: &Facts<'_>, expense: &Expense) -> Option<(Exclusion, String)> {
    let d = &expense.data;
    let (start, end) = facts.window;
    if d.category.is_none() {
        return Some((
            Exclusion::Uncategorised,
            "spesa senza categoria: assegnarne una del bando".into(),
        ));
    }
    if d.document.date < start || d.document.date > end {
        return Some((
            Exclusion::OutsidePeriod,
            format!(
                "documento del {} fuori dal periodo di ammissibilità ({} – {})",
                italian_date(d.document.date),
                italian_date(start),
                italian_date(end)
            ),
        ));
    }
    if facts.rules.current_spending_only && d.nature == Nature::Capital {
        return Some((
            Exclusion::CapitalNotEligible,
            "spesa in conto capitale: il bando finanzia solo spesa corrente".into(),
        ));
    }
    if d.document.kind == DocumentType::CreditNote {
        return None;
    }
    match d.payment.paid_on {
        None => Some((
            Exclusion::Unpaid,
            "spesa non ancora pagata (manca la data di quietanza)".into(),
        )),
        Some(paid) if paid > facts.as_of => Some((
            Exclusion::Unpaid,
            format!(
                "pagata il {}, dopo la data di riferimento {}",
                italian_date(paid),
                italian_date(facts.as_of)
            ),
        )),
        Some(paid) => match facts.payment_deadline {
            Some(deadline) if paid > deadline => Some((
                Exclusion::PaidLate,
                format!(
                    "pagata il {}, dopo il termine per i pagamenti del {}",
                    italian_date(paid),
                    italian_date(deadline)
                ),
            )),
            _ => None,
        },
    }
}

/// The invoice a credit note corrects, when it names one that is among `by_id` (the project's
/// expenses) and is not itself a credit note: the note then counts as that invoice does.
pub fn linked_invoice<'a>(
    expense: &Expense,
    by_id: &std::collections::HashMap<ExpenseId, &'a Expense>,
) -> Option<&'a Expense> {
    if expense.data.document.kind != DocumentType::CreditNote {
        return None;
    }
    let invoice = by_id.get(&expense.data.corrects?)?;
    (invoice.data.document.kind != DocumentType::CreditNote).then_some(*invoice)
}

fn in_scope(scope: Scope, expense: &Expense) -> bool {
    match scope {
        Scope::All => true,
        Scope::Verified => matches!(
            expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        ),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "rules_more_tests.rs"]
mod more_tests;
