//! The rules engine: "if we submitted on this date, what would the funder recognise and pay, and
//! what would it reject?" — `domain.md`, "Computing what is due", exactly. Pure: every input,
//! including the date, is given; rounding (half-up to the cent) happens once, where the rules say.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::call::{CallRules, CategoryCode, Ceiling};
use super::expense::{DocumentKey, DocumentType, Expense, ExpenseStatus, Nature};
use super::ids::{EntityId, ExpenseId};
use super::money::{Money, Rate};
use super::project::Entity;
use super::split::largest_remainder;
use super::text::italian_date;

/// Which expenses count: all of them ("what if we submitted now") or the verified ones only (what a
/// submission takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Verified,
}

/// Why an expense is not eligible; the first that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    Uncategorised,
    OutsidePeriod,
    CapitalNotEligible,
    Unpaid,
    PaidLate,
}

impl Exclusion {
    pub fn code(self) -> &'static str {
        match self {
            Exclusion::Uncategorised => "uncategorised",
            Exclusion::OutsidePeriod => "outside_period",
            Exclusion::CapitalNotEligible => "capital_not_eligible",
            Exclusion::Unpaid => "unpaid",
            Exclusion::PaidLate => "paid_late",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    pub expense_id: ExpenseId,
    pub reason: Exclusion,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// What other projects claim of the same supplier documents.
    pub claims_elsewhere: &'a HashMap<DocumentKey, Money>,
    pub tranches_received: Money,
    pub deadlines: &'a [Deadline],
    pub as_of: NaiveDate,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryResult {
    pub code: CategoryCode,
    pub name: String,
    pub approved_original: Money,
    pub approved: Money,
    pub eligible: Money,
    pub ceiling: Option<Money>,
    pub recognised: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityResult {
    pub entity_id: EntityId,
    pub name: String,
    pub eligible: Money,
    pub recognised: Money,
    pub contribution_share: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineResult {
    pub name: String,
    pub date: NaiveDate,
    pub status: DeadlineStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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

fn in_scope(scope: Scope, expense: &Expense) -> bool {
    match scope {
        Scope::All => true,
        Scope::Verified => matches!(
            expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        ),
    }
}

/// Computes the summary. Every amount is exact; rounding happens in the ceiling by share, the
/// contribution and the realisation share, once each.
pub fn summarise(facts: &Facts<'_>) -> Summary {
    let rules = facts.rules;
    let approved_total: Money = facts.categories.iter().map(|c| c.approved).sum();
    let approved_original_total: Money = facts.categories.iter().map(|c| c.approved_original).sum();
    let entity_index: HashMap<EntityId, usize> = facts
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();

    let mut excluded = Vec::new();
    let mut warnings = Vec::new();
    let mut pending = Vec::new();
    // Eligible sums per category, and per category and entity, of the counted expenses.
    let mut by_category: HashMap<&CategoryCode, Money> = HashMap::new();
    let mut by_category_entity: HashMap<(&CategoryCode, usize), Money> = HashMap::new();
    let mut claimed_here: HashMap<DocumentKey, Money> = HashMap::new();
    let mut counted: Vec<&Expense> = Vec::new();

    for expense in facts.expenses {
        if !in_scope(facts.scope, expense) {
            pending.push(expense.id);
            continue;
        }
        if let Some((reason, message)) = exclusion(facts, expense) {
            excluded.push(Excluded {
                expense_id: expense.id,
                reason,
                message,
            });
            continue;
        }
        let Some(category) = expense.data.category.as_ref() else {
            continue;
        };
        let amount = eligible_amount(rules, expense);
        *by_category.entry(category).or_default() += amount;
        if let Some(&i) = entity_index.get(&expense.data.entity_id) {
            *by_category_entity.entry((category, i)).or_default() += amount;
        }
        if let Some(key) = expense.data.document_key() {
            if expense.data.document.kind != DocumentType::CreditNote {
                *claimed_here.entry(key).or_default() += expense.data.amounts.claimed();
            }
        }
        counted.push(expense);
    }

    let mut categories = Vec::with_capacity(facts.categories.len());
    for c in facts.categories {
        let eligible = by_category
            .get(&c.code)
            .copied()
            .unwrap_or_default()
            .max(Money::ZERO);
        let ceiling = c.ceiling.map(|ceiling| match ceiling {
            Ceiling::Share(share) => Money::round_half_up(share.of(approved_total)),
            Ceiling::Amount(amount) => amount,
        });
        let recognised = ceiling.map_or(eligible, |limit| eligible.min(limit));
        categories.push(CategoryResult {
            code: c.code.clone(),
            name: c.name.clone(),
            approved_original: c.approved_original,
            approved: c.approved,
            eligible,
            ceiling,
            recognised,
        });
    }
    let eligible_total: Money = categories.iter().map(|c| c.eligible).sum();
    let recognised_total: Money = categories.iter().map(|c| c.recognised).sum();

    let cap = rules
        .max_contribution
        .map_or(facts.granted, |max| max.min(facts.granted));
    let contribution_computed = Money::round_half_up(rules.contribution_rate.of(recognised_total));
    let revocation_threshold = rules
        .min_realisation_share
        .map(|s| Money::round_half_up(s.of(approved_total)));
    // Compared exactly, before any rounding of the threshold.
    let revoked = rules
        .min_realisation_share
        .is_some_and(|s| recognised_total.to_decimal() < s.of(approved_total));
    let contribution_due = if revoked {
        Money::ZERO
    } else {
        cap.min(contribution_computed)
    };
    let balance_due = contribution_due - facts.tranches_received;
    let realisation_share = if approved_total.is_positive() {
        (recognised_total.to_decimal() / approved_total.to_decimal())
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    } else {
        Decimal::ZERO
    };

    // Riparto: each category's recognised amount by the entities' eligible amounts there, then the
    // contribution by the entities' recognised totals.
    let n = facts.entities.len();
    let mut entity_recognised = vec![Money::ZERO; n];
    let mut entity_eligible = vec![Money::ZERO; n];
    for c in &categories {
        let weights: Vec<Money> = (0..n)
            .map(|i| {
                by_category_entity
                    .get(&(&c.code, i))
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        for (i, w) in weights.iter().enumerate() {
            entity_eligible[i] += *w;
        }
        for (i, part) in largest_remainder(c.recognised, &weights)
            .into_iter()
            .enumerate()
        {
            entity_recognised[i] += part;
        }
    }
    let shares = largest_remainder(contribution_due, &entity_recognised);
    let entities = facts
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| EntityResult {
            entity_id: e.id,
            name: e.name.clone(),
            eligible: entity_eligible[i],
            recognised: entity_recognised[i],
            contribution_share: shares[i],
        })
        .collect();

    // Warnings, project-wide first, then per expense in id order, then deadlines.
    if let Some(tolerance) = rules.drift_tolerance {
        for c in categories.iter().filter(|c| c.approved.is_positive()) {
            let drift = (c.eligible - c.approved).abs().to_decimal() / c.approved.to_decimal();
            if drift > tolerance.to_decimal() {
                warnings.push(Warning {
                    code: WarningCode::CategoryDrift,
                    message: format!(
                        "«{}»: spesa ammissibile {} contro {} approvati (scostamento del {} %, tollerato {}): serve l'autorizzazione del finanziatore",
                        c.name,
                        c.eligible.italian(),
                        c.approved.italian(),
                        (drift * Decimal::ONE_HUNDRED).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero).to_string().replace('.', ","),
                        tolerance.italian_percent()
                    ),
                    expense_id: None,
                });
            }
        }
    }
    for c in categories.iter().filter(|c| c.recognised < c.eligible) {
        warnings.push(Warning {
            code: WarningCode::CeilingExceeded,
            message: format!(
                "«{}»: {} ammissibili ma il massimale è {}: {} non sono riconosciuti",
                c.name,
                c.eligible.italian(),
                c.ceiling.unwrap_or_default().italian(),
                (c.eligible - c.recognised).italian()
            ),
            expense_id: None,
        });
    }
    if recognised_total < approved_total {
        let message = if revoked {
            format!(
                "spesa riconosciuta {} sotto la soglia minima di realizzazione ({}): il contributo è revocato",
                recognised_total.italian(),
                revocation_threshold.unwrap_or_default().italian()
            )
        } else {
            format!(
                "spesa riconosciuta {} inferiore al costo approvato {}: il contributo scende a {}",
                recognised_total.italian(),
                approved_total.italian(),
                contribution_due.italian()
            )
        };
        warnings.push(Warning {
            code: WarningCode::BelowApproved,
            message,
            expense_id: None,
        });
    }
    for expense in &counted {
        let d = &expense.data;
        let is_credit = d.document.kind == DocumentType::CreditNote;
        if !is_credit && d.cig.is_none() {
            warnings.push(Warning {
                code: WarningCode::MissingCig,
                message: format!(
                    "documento {} di {}: manca il CIG (L. 136/2010)",
                    d.document.number, d.document.supplier_name
                ),
                expense_id: Some(expense.id),
            });
        }
        if !is_credit && (d.payment.order_number.is_none() || d.payment.order_date.is_none()) {
            warnings.push(Warning {
                code: WarningCode::MissingPaymentOrder,
                message: format!(
                    "documento {}: mancano numero o data del mandato di pagamento",
                    d.document.number
                ),
                expense_id: Some(expense.id),
            });
        }
        if let Some(key) = d.document_key() {
            if let Some(elsewhere) = facts.claims_elsewhere.get(&key) {
                let here = claimed_here.get(&key).copied().unwrap_or_default();
                if *elsewhere + here > d.amounts.total() {
                    warnings.push(Warning {
                        code: WarningCode::Overclaimed,
                        message: format!(
                            "la fattura {} è rendicontata anche in altri progetti per {}: in tutto supera il suo totale di {}",
                            d.document.number,
                            elsewhere.italian(),
                            d.amounts.total().italian()
                        ),
                        expense_id: Some(expense.id),
                    });
                }
            }
        }
        if !matches!(
            expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        ) {
            warnings.push(Warning {
                code: WarningCode::Unverified,
                message: format!(
                    "documento {}: spesa non ancora verificata dal servizio finanziario",
                    d.document.number
                ),
                expense_id: Some(expense.id),
            });
        }
    }
    let mut deadlines: Vec<DeadlineResult> = facts
        .deadlines
        .iter()
        .map(|d| DeadlineResult {
            name: d.name.clone(),
            date: d.date,
            status: d.status(facts.as_of),
        })
        .collect();
    deadlines.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.name.cmp(&b.name)));
    for d in &deadlines {
        let days = (d.date - facts.as_of).num_days();
        match d.status {
            DeadlineStatus::DueSoon => warnings.push(Warning {
                code: WarningCode::DeadlineDueSoon,
                message: format!(
                    "«{}» scade il {}: mancano {} giorni",
                    d.name,
                    italian_date(d.date),
                    days
                ),
                expense_id: None,
            }),
            DeadlineStatus::Overdue => warnings.push(Warning {
                code: WarningCode::DeadlineOverdue,
                message: format!(
                    "«{}»: scadenza superata il {} ({} giorni fa)",
                    d.name,
                    italian_date(d.date),
                    -days
                ),
                expense_id: None,
            }),
            _ => {}
        }
    }

    Summary {
        as_of: facts.as_of,
        approved_original_total,
        approved_total,
        categories,
        eligible_total,
        recognised_total,
        contribution_rate: rules.contribution_rate,
        contribution_computed,
        cap,
        revocation_threshold,
        revoked,
        contribution_due,
        advances_received: facts.tranches_received,
        balance_due,
        realisation_share,
        entities,
        excluded,
        warnings,
        deadlines,
        pending,
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
