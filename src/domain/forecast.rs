//! The forecast at completion: what the Region will pay if every commitment still open is invoiced
//! and paid as expected. Each commitment's residual becomes a paid expense on its expected dates
//! and the rules engine runs on the recorded expenses plus those — ceilings, cap, threshold and
//! riparto exactly as for the final summary — as of the horizon, the latest of the date asked, the
//! project's end and the payment deadline. Residuals whose dates are
//! missing, fall outside the window or come after the deadline do not count: they are at risk,
//! with why. Then the gap to the contribution granted, and per category what must still be
//! committed and spent to close it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::call::CategoryCode;
use super::commitment::{drawn, Commitment};
use super::expense::{
    Amounts, Document, DocumentType, Expense, ExpenseData, ExpenseStatus, Payment,
};
use super::ids::{CommitmentId, ExpenseId};
use super::money::Money;
use super::snapshot::{figures, Snapshot, StoredFacts};
use super::split::largest_remainder;
use super::text::italian_date;

string_enum!(
    /// Why a commitment's residual is not counted in the forecast.
    RiskReason {
        NoExpectedDates = "no_expected_dates",
        InvoiceOutsideWindow = "invoice_outside_window",
        PaymentAfterDeadline = "payment_after_deadline",
        NotEligible = "not_eligible",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRisk {
    pub commitment_id: CommitmentId,
    /// The commitment's act, as the accounts name it.
    pub act: String,
    pub amount: Money,
    pub reason: RiskReason,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryForecast {
    pub code: CategoryCode,
    pub name: String,
    pub recognised: Money,
    /// The residuals of the commitments counted in this category.
    pub residual_commitments: Money,
    pub projected_recognised: Money,
    pub ceiling: Option<Money>,
    /// What must still be committed, invoiced and paid here to close the gap.
    pub needed: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub as_of: NaiveDate,
    /// The date the projection is computed as of.
    pub horizon: NaiveDate,
    pub recognised_now: Money,
    pub projected_recognised: Money,
    pub contribution_due_now: Money,
    pub projected_contribution: Money,
    /// The contribution granted, bounded by the call's maximum.
    pub granted_contribution: Money,
    pub gap: Money,
    pub categories: Vec<CategoryForecast>,
    pub at_risk: Vec<AtRisk>,
    /// Invoices must be dated by the end of the project, payments made by the payment deadline.
    pub invoice_by: NaiveDate,
    pub pay_by: Option<NaiveDate>,
    /// Part of the gap no category can close (every one at its ceiling).
    pub unclosable: Money,
}

/// The forecast as of `as_of`. `now` is the state as of that date counting every recorded
/// expense (the caller has it already for the dashboard).
pub fn forecast(facts: StoredFacts, commitments: &[Commitment], now: &Snapshot) -> Forecast {
    let as_of = now.summary.as_of;
    let window = (now.project.data.start_date, now.dates.end_date);
    let pay_by = now.dates.payment_deadline;
    let horizon = as_of.max(window.1).max(pay_by.unwrap_or(window.1));
    let drawn = drawn(&facts.expenses);
    let mut at_risk = Vec::new();
    let mut planned = Vec::new();
    for c in commitments {
        let residual = drawn
            .get(&c.id)
            .copied()
            .unwrap_or_default()
            .residual(c.data.amount);
        if !residual.is_positive() {
            continue;
        }
        match timing(c, window, pay_by) {
            Ok((invoice, paid)) => planned.extend(planned_expense(c, residual, invoice, paid)),
            Err((reason, message)) => at_risk.push(AtRisk {
                commitment_id: c.id,
                act: c.data.act.clone(),
                amount: residual,
                reason,
                message,
            }),
        }
    }
    let projected = figures(facts, &planned, horizon);

    // What the engine itself excludes of the planned expenses (capital spending, say).
    for x in &projected.summary.excluded {
        if let Some(e) = planned.iter().find(|e| e.id == x.expense_id) {
            at_risk.push(AtRisk {
                commitment_id: CommitmentId(-e.id.0),
                act: e.data.description.clone(),
                amount: e.data.amounts.claimed(),
                reason: RiskReason::NotEligible,
                message: x.message.clone(),
            });
        }
    }
    let counted = |code: &CategoryCode| -> Money {
        planned
            .iter()
            .filter(|e| e.data.category.as_ref() == Some(code))
            .filter(|e| !at_risk.iter().any(|r| r.commitment_id.0 == -e.id.0))
            .map(|e| e.data.amounts.claimed())
            .sum()
    };
    let s = &projected.summary;
    let granted = s.cap;
    let gap = (granted - s.contribution_due).max(Money::ZERO);
    let (needed, unclosable) = needed_by_category(&projected, gap);
    let categories = s
        .categories
        .iter()
        .zip(needed)
        .map(|(p, needed)| CategoryForecast {
            code: p.code.clone(),
            name: p.name.clone(),
            recognised: now
                .summary
                .categories
                .iter()
                .find(|c| c.code == p.code)
                .map_or(Money::ZERO, |c| c.recognised),
            residual_commitments: counted(&p.code),
            projected_recognised: p.recognised,
            ceiling: p.ceiling,
            needed,
        })
        .collect();
    Forecast {
        as_of,
        horizon,
        recognised_now: now.summary.recognised_total,
        projected_recognised: s.recognised_total,
        contribution_due_now: now.summary.contribution_due,
        projected_contribution: s.contribution_due,
        granted_contribution: granted,
        gap,
        categories,
        at_risk,
        invoice_by: window.1,
        pay_by,
        unclosable,
    }
}

/// The commitment's expected invoice and payment dates, if the residual can still count.
fn timing(
    c: &Commitment,
    (start, end): (NaiveDate, NaiveDate),
    pay_by: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), (RiskReason, String)> {
    let (Some(invoice), Some(paid)) = (c.data.expected_invoice_date, c.data.expected_payment_date)
    else {
        return Err((
            RiskReason::NoExpectedDates,
            "mancano le date previste di fattura e di pagamento".into(),
        ));
    };
    if invoice < start || invoice > end {
        return Err((
            RiskReason::InvoiceOutsideWindow,
            format!(
                "fattura prevista il {}, fuori dal periodo di ammissibilità ({} – {})",
                italian_date(invoice),
                italian_date(start),
                italian_date(end)
            ),
        ));
    }
    if let Some(deadline) = pay_by.filter(|d| paid > *d) {
        return Err((
            RiskReason::PaymentAfterDeadline,
            format!(
                "pagamento previsto il {}, dopo il termine per i pagamenti del {}",
                italian_date(paid),
                italian_date(deadline)
            ),
        ));
    }
    Ok((invoice, paid))
}

/// The residual as the expense it is expected to become: invoiced and paid on the expected dates,
/// verified. Its id is the commitment's, negated, so it cannot be taken for a recorded one.
fn planned_expense(
    c: &Commitment,
    residual: Money,
    invoice: NaiveDate,
    paid: NaiveDate,
) -> Option<Expense> {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    Some(Expense {
        id: ExpenseId(-c.id.0),
        project_id: c.project_id,
        data: ExpenseData {
            entity_id: c.data.entity_id,
            category: Some(c.data.category.clone()),
            nature: c.data.nature,
            document: Document {
                supplier_name: c
                    .data
                    .supplier_name
                    .clone()
                    .unwrap_or_else(|| c.data.act.clone()),
                supplier_vat: None,
                kind: DocumentType::Invoice,
                number: format!("impegno {}", c.id),
                date: invoice,
            },
            description: c.data.act.clone(),
            amounts: Amounts::new(residual, Money::ZERO, None).ok()?,
            vat_recoverable: false,
            cig: c.data.cig.clone(),
            cup: None,
            payment: Payment {
                commitment_act: Some(c.data.act.clone()),
                commitment_id: Some(c.id),
                liquidation_act: None,
                order_number: None,
                order_date: None,
                paid_on: Some(paid),
            },
            corrects: None,
        },
        status: ExpenseStatus::Verified,
        created_by: None,
        changed_by: None,
        verified_by: None,
        rejection_reason: None,
        version: 0,
        created_at: epoch,
        updated_at: epoch,
    })
}

/// The recognised amount still needed to reach the contribution granted, shared among the
/// categories by the room each has (its approved budget not yet recognised, bounded by its
/// ceiling): money above a ceiling closes nothing. What no category has room for is returned
/// apart.
fn needed_by_category(projected: &Snapshot, gap: Money) -> (Vec<Money>, Money) {
    let s = &projected.summary;
    let n = s.categories.len();
    if gap == Money::ZERO || s.contribution_rate.to_decimal() == Decimal::ZERO {
        return (vec![Money::ZERO; n], Money::ZERO);
    }
    // The smallest recognised total whose contribution, rounded half-up, reaches the cap.
    let half_cent = Decimal::new(5, 3);
    let target =
        Money::round_up((s.cap.to_decimal() - half_cent) / s.contribution_rate.to_decimal())
            .max(s.revocation_threshold.unwrap_or(Money::ZERO));
    let missing = (target - s.recognised_total).max(Money::ZERO);
    let headroom: Vec<Option<Money>> = s
        .categories
        .iter()
        .map(|c| {
            c.ceiling
                .map(|ceiling| (ceiling - c.recognised).max(Money::ZERO))
        })
        .collect();
    let room: Vec<Money> = s
        .categories
        .iter()
        .zip(&headroom)
        .map(|(c, head)| {
            let budget = (c.approved - c.recognised).max(Money::ZERO);
            head.map_or(budget, |h| h.min(budget))
        })
        .collect();
    let room_total: Money = room.iter().copied().sum();
    let mut needed = if missing <= room_total {
        largest_remainder(missing, &room)
    } else {
        room.clone()
    };
    // Beyond the budgets, categories without a ceiling can still take the rest.
    let mut rest = missing - needed.iter().copied().sum::<Money>();
    for (i, head) in headroom.iter().enumerate() {
        if rest == Money::ZERO {
            break;
        }
        let take = head.map_or(rest, |h| (h - needed[i]).max(Money::ZERO).min(rest));
        needed[i] += take;
        rest = rest - take;
    }
    (needed, rest)
}
