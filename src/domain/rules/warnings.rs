//! What the summary warns about: categories off their budget or over their ceiling, a realisation
//! below the approved cost, expenses missing what the reviewer checks, deadlines near or past.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::super::call::CallRules;
use super::super::expense::{DocumentKey, DocumentType, Expense, ExpenseStatus};
use super::super::money::Money;
use super::super::text::italian_date;
use super::{CategoryResult, DeadlineResult, DeadlineStatus, Facts, Warning, WarningCode};

/// A category whose eligible sum drifts from its budget beyond the tolerance, or exceeds its ceiling.
pub(super) fn on_categories(rules: &CallRules, categories: &[CategoryResult]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // Spending on a line approved at zero always needs the funder's leave (decision 8).
    for c in categories
        .iter()
        .filter(|c| !c.approved.is_positive() && c.eligible.is_positive())
    {
        warnings.push(project_wide(
            WarningCode::CategoryDrift,
            format!(
                "«{}»: spesa ammissibile {} su una voce approvata per 0,00 €: serve \
                 l'autorizzazione del finanziatore",
                c.name,
                c.eligible.italian()
            ),
        ));
    }
    if let Some(tolerance) = rules.drift_tolerance {
        for c in categories.iter().filter(|c| c.approved.is_positive()) {
            let drift = (c.eligible - c.approved).abs().to_decimal() / c.approved.to_decimal();
            if drift > tolerance.to_decimal() {
                let percent = (drift * Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
                    .to_string()
                    .replace('.', ",");
                warnings.push(project_wide(
                    WarningCode::CategoryDrift,
                    format!(
                        "«{}»: spesa ammissibile {} contro {} approvati (scostamento del {percent} %, \
                         tollerato {}): serve l'autorizzazione del finanziatore",
                        c.name,
                        c.eligible.italian(),
                        c.approved.italian(),
                        tolerance.italian_percent()
                    ),
                ));
            }
        }
    }
    for c in categories.iter().filter(|c| c.recognised < c.eligible) {
        warnings.push(project_wide(
            WarningCode::CeilingExceeded,
            format!(
                "«{}»: {} ammissibili ma il massimale è {}: {} non sono riconosciuti",
                c.name,
                c.eligible.italian(),
                c.ceiling.unwrap_or_default().italian(),
                (c.eligible - c.recognised).italian()
            ),
        ));
    }
    warnings
}

/// Less recognised than approved: the contribution falls, or is revoked below the threshold.
pub(super) fn on_realisation(
    recognised_total: Money,
    approved_total: Money,
    revoked: bool,
    threshold: Option<Money>,
    contribution_due: Money,
) -> Option<Warning> {
    if recognised_total >= approved_total {
        return None;
    }
    let message = if revoked {
        format!(
            "spesa riconosciuta {} sotto la soglia minima di realizzazione ({}): il contributo è revocato",
            recognised_total.italian(),
            threshold.unwrap_or_default().italian()
        )
    } else {
        format!(
            "spesa riconosciuta {} inferiore al costo approvato {}: il contributo scende a {}",
            recognised_total.italian(),
            approved_total.italian(),
            contribution_due.italian()
        )
    };
    Some(project_wide(WarningCode::BelowApproved, message))
}

/// Per counted expense: no CIG, no payment order, a document claimed beyond its total across
/// projects, not yet verified.
pub(super) fn on_expenses(
    facts: &Facts<'_>,
    counted: &[&Expense],
    claimed_here: &HashMap<DocumentKey, Money>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for expense in counted {
        let d = &expense.data;
        let is_credit = d.document.kind == DocumentType::CreditNote;
        let mut warn = |code, message| {
            warnings.push(Warning {
                code,
                message,
                expense_id: Some(expense.id),
            })
        };
        if is_credit && d.corrects.is_none() {
            warn(
                WarningCode::CreditNoteUnlinked,
                format!(
                    "nota di credito {} di {}: non indica la fattura che rettifica, quindi conta \
                     nella sua categoria e alla sua data anche se la fattura fosse esclusa",
                    d.document.number, d.document.supplier_name
                ),
            );
        }
        if !is_credit && d.cig.is_none() {
            warn(
                WarningCode::MissingCig,
                format!(
                    "documento {} di {}: manca il CIG (L. 136/2010)",
                    d.document.number, d.document.supplier_name
                ),
            );
        }
        if !is_credit && (d.payment.order_number.is_none() || d.payment.order_date.is_none()) {
            warn(
                WarningCode::MissingPaymentOrder,
                format!(
                    "documento {}: mancano numero o data del mandato di pagamento",
                    d.document.number
                ),
            );
        }
        let key = d.document_key();
        let elsewhere = key.as_ref().and_then(|k| facts.claims_elsewhere.get(k));
        if let (Some(key), Some(elsewhere)) = (&key, elsewhere) {
            let here = claimed_here.get(key).copied().unwrap_or_default();
            if *elsewhere + here > d.amounts.total() {
                warn(
                    WarningCode::Overclaimed,
                    format!(
                        "la fattura {} è rendicontata anche in altri progetti per {}: in tutto \
                         supera il suo totale di {}",
                        d.document.number,
                        elsewhere.italian(),
                        d.amounts.total().italian()
                    ),
                );
            }
        }
        if !matches!(
            expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        ) {
            warn(
                WarningCode::Unverified,
                format!(
                    "documento {}: spesa non ancora verificata dal servizio finanziario",
                    d.document.number
                ),
            );
        }
    }
    warnings
}

/// A deadline due soon or already past.
pub(super) fn on_deadlines(deadlines: &[DeadlineResult], as_of: NaiveDate) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for d in deadlines {
        let days = (d.date - as_of).num_days();
        match d.status {
            DeadlineStatus::DueSoon => warnings.push(project_wide(
                WarningCode::DeadlineDueSoon,
                format!(
                    "«{}» scade il {}: mancano {} giorni",
                    d.name,
                    italian_date(d.date),
                    days
                ),
            )),
            DeadlineStatus::Overdue => warnings.push(project_wide(
                WarningCode::DeadlineOverdue,
                format!(
                    "«{}»: scadenza superata il {} ({} giorni fa)",
                    d.name,
                    italian_date(d.date),
                    -days
                ),
            )),
            _ => {}
        }
    }
    warnings
}

fn project_wide(code: WarningCode, message: String) -> Warning {
    Warning {
        code,
        message,
        expense_id: None,
    }
}
