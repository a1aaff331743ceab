//! The summary, in the steps of `domain.md`: count the expenses in scope, sum them by category
//! under the ceilings, compute the contribution, share it among the entities (riparto), then say
//! what needs attention.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};

use super::super::call::{CategoryCode, Ceiling};
use super::super::expense::{DocumentKey, DocumentType, Expense, ExpenseStatus};
use super::super::ids::{EntityId, ExpenseId};
use super::super::money::Money;
use super::super::split::largest_remainder;
use super::{
    eligible_amount, exclusion, in_scope, linked_invoice, warnings, CategoryResult, DeadlineResult,
    EntityResult, Excluded, Exclusion, Facts, Summary,
};

/// Computes the summary. Every amount is exact; rounding happens in the ceiling by share, the
/// contribution and the realisation share, once each.
pub fn summarise(facts: &Facts<'_>) -> Summary {
    let approved_total: Money = facts.categories.iter().map(|c| c.approved).sum();
    let approved_original_total: Money = facts.categories.iter().map(|c| c.approved_original).sum();
    let tally = Tally::of(facts);
    let categories = category_results(facts, &tally, approved_total);
    let eligible_total: Money = categories.iter().map(|c| c.eligible).sum();
    let recognised_total: Money = categories.iter().map(|c| c.recognised).sum();
    let figures = Contribution::of(facts, approved_total, recognised_total);
    let entities = riparto(facts, &categories, &tally, figures.due);
    let deadlines = deadline_results(facts);

    // Warnings, project-wide first, then per expense in id order, then deadlines.
    let mut warnings = Vec::new();
    if facts.with_warnings {
        warnings = warnings::on_categories(facts.rules, &categories);
        warnings.extend(warnings::on_realisation(
            recognised_total,
            approved_total,
            figures.revoked,
            figures.threshold,
            figures.due,
        ));
        warnings.extend(warnings::on_expenses(
            facts,
            &tally.counted,
            &tally.claimed_here,
        ));
        warnings.extend(warnings::on_deadlines(&deadlines, facts.as_of));
    }

    Summary {
        as_of: facts.as_of,
        approved_original_total,
        approved_total,
        categories,
        eligible_total,
        recognised_total,
        contribution_rate: facts.rules.contribution_rate,
        contribution_computed: figures.computed,
        cap: figures.cap,
        revocation_threshold: figures.threshold,
        revoked: figures.revoked,
        contribution_due: figures.due,
        advances_received: facts.tranches_received,
        balance_due: figures.due - facts.tranches_received,
        realisation_share: figures.realisation_share,
        entities,
        excluded: tally.excluded,
        warnings,
        deadlines,
        pending: tally.pending,
    }
}

/// The expenses sorted out: those outside the scope, those excluded and why, and the eligible sums
/// of those counted, by category and by category and entity.
struct Tally<'a> {
    pending: Vec<ExpenseId>,
    excluded: Vec<Excluded>,
    by_category: HashMap<&'a CategoryCode, Money>,
    by_category_entity: HashMap<(&'a CategoryCode, EntityId), Money>,
    /// What this project claims of each supplier document (credit notes aside).
    claimed_here: HashMap<DocumentKey, Money>,
    counted: Vec<&'a Expense>,
}

impl<'a> Tally<'a> {
    fn of(facts: &Facts<'a>) -> Tally<'a> {
        let mut tally = Tally {
            pending: Vec::new(),
            excluded: Vec::new(),
            by_category: HashMap::new(),
            by_category_entity: HashMap::new(),
            claimed_here: HashMap::new(),
            counted: Vec::new(),
        };
        // Only credit notes that name their invoice need to find it.
        let by_id: HashMap<ExpenseId, &Expense> =
            if facts.expenses.iter().any(|e| e.data.corrects.is_some()) {
                facts.expenses.iter().map(|e| (e.id, e)).collect()
            } else {
                HashMap::new()
            };
        for expense in facts.expenses.iter().chain(facts.planned) {
            // Decision 5: a document dated after the date does not exist yet on it.
            if expense.data.document.date > facts.as_of {
                continue;
            }
            // Rejected expenses never count, whatever the scope, until corrected and handed over.
            if expense.status == ExpenseStatus::Rejected {
                tally.excluded.push(Excluded {
                    expense_id: expense.id,
                    reason: Exclusion::Rejected,
                    message: match &expense.rejection_reason {
                        Some(why) => format!("respinta dal servizio finanziario: {why}"),
                        None => "respinta dal servizio finanziario".to_owned(),
                    },
                });
                continue;
            }
            if !in_scope(facts.scope, expense) {
                tally.pending.push(expense.id);
                continue;
            }
            // Decision 3: a linked credit note follows its invoice (its scope, its exclusion, its
            // category and entity); its own date is not checked, the invoice's is.
            let counts_as = linked_invoice(expense, &by_id).unwrap_or(expense);
            if counts_as.id != expense.id && !in_scope(facts.scope, counts_as) {
                tally.pending.push(expense.id);
                continue;
            }
            if let Some((reason, message)) = exclusion(facts, counts_as) {
                let message = if counts_as.id == expense.id {
                    message
                } else {
                    format!(
                        "nota di credito della fattura {} del {}, esclusa: {message}",
                        counts_as.data.document.number,
                        crate::domain::text::italian_date(counts_as.data.document.date)
                    )
                };
                tally.excluded.push(Excluded {
                    expense_id: expense.id,
                    reason,
                    message,
                });
                continue;
            }
            if let Some(category) = counts_as.data.category.as_ref() {
                tally.count(facts, category, counts_as.data.entity_id, expense);
            }
        }
        tally
    }

    fn count(
        &mut self,
        facts: &Facts<'a>,
        category: &'a CategoryCode,
        entity: EntityId,
        expense: &'a Expense,
    ) {
        let amount = eligible_amount(facts.rules, expense);
        *self.by_category.entry(category).or_default() += amount;
        *self
            .by_category_entity
            .entry((category, entity))
            .or_default() += amount;
        // Only the warnings read what each document claims here (two strings an expense).
        if facts.with_warnings {
            if let Some(key) = expense.data.document_key() {
                if expense.data.document.kind != DocumentType::CreditNote {
                    *self.claimed_here.entry(key).or_default() += expense.data.amounts.claimed();
                }
            }
        }
        self.counted.push(expense);
    }
}

/// Each category's eligible sum (never below zero), its ceiling and what is recognised under it.
fn category_results(
    facts: &Facts<'_>,
    tally: &Tally<'_>,
    approved_total: Money,
) -> Vec<CategoryResult> {
    facts
        .categories
        .iter()
        .map(|c| {
            let eligible = tally
                .by_category
                .get(&c.code)
                .copied()
                .unwrap_or_default()
                .max(Money::ZERO);
            let ceiling = c.ceiling.map(|ceiling| match ceiling {
                Ceiling::Share(share) => Money::round_half_up(share.of(approved_total)),
                Ceiling::Amount(amount) => amount,
            });
            CategoryResult {
                code: c.code.clone(),
                name: c.name.clone(),
                approved_original: c.approved_original,
                approved: c.approved,
                eligible,
                ceiling,
                recognised: ceiling.map_or(eligible, |limit| eligible.min(limit)),
            }
        })
        .collect()
}

/// The contribution's figures: the cap, the amount the rate gives, the revocation test and what
/// is due.
struct Contribution {
    cap: Money,
    computed: Money,
    threshold: Option<Money>,
    revoked: bool,
    due: Money,
    realisation_share: Decimal,
}

impl Contribution {
    fn of(facts: &Facts<'_>, approved_total: Money, recognised_total: Money) -> Contribution {
        let rules = facts.rules;
        let cap = rules
            .max_contribution
            .map_or(facts.granted, |max| max.min(facts.granted));
        let computed = Money::round_half_up(rules.contribution_rate.of(recognised_total));
        // Shown rounded up: the smallest recognised amount that is not revoked (decision 4).
        let threshold = rules
            .min_realisation_share
            .map(|s| Money::round_up(s.of(approved_total)));
        // Compared exactly, before any rounding of the threshold.
        let revoked = rules
            .min_realisation_share
            .is_some_and(|s| recognised_total.to_decimal() < s.of(approved_total));
        let realisation_share = if approved_total.is_positive() {
            (recognised_total.to_decimal() / approved_total.to_decimal())
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        } else {
            Decimal::ZERO
        };
        Contribution {
            cap,
            computed,
            threshold,
            revoked,
            due: if revoked {
                Money::ZERO
            } else {
                cap.min(computed)
            },
            realisation_share,
        }
    }
}

/// Riparto: each category's recognised amount by the entities' eligible amounts there, then the
/// contribution by the entities' recognised totals.
fn riparto(
    facts: &Facts<'_>,
    categories: &[CategoryResult],
    tally: &Tally<'_>,
    contribution_due: Money,
) -> Vec<EntityResult> {
    let n = facts.entities.len();
    let mut recognised = vec![Money::ZERO; n];
    let mut eligible = vec![Money::ZERO; n];
    for c in categories {
        let weights: Vec<Money> = facts
            .entities
            .iter()
            .map(|e| {
                tally
                    .by_category_entity
                    .get(&(&c.code, e.id))
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        for (i, w) in weights.iter().enumerate() {
            eligible[i] += *w;
        }
        for (i, part) in largest_remainder(c.recognised, &weights)
            .into_iter()
            .enumerate()
        {
            recognised[i] += part;
        }
    }
    let shares = largest_remainder(contribution_due, &recognised);
    facts
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| EntityResult {
            entity_id: e.id,
            name: e.name.clone(),
            eligible: eligible[i],
            recognised: recognised[i],
            contribution_share: shares[i],
        })
        .collect()
}

/// The deadlines as of the date, in date order.
fn deadline_results(facts: &Facts<'_>) -> Vec<DeadlineResult> {
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
    deadlines
}
