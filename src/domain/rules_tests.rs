//! The worked example of `domain.md` and hand-computed scenarios, one rule each, plus properties
//! over random projects.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::domain::{Amounts, Cig, Document, ExpenseData, Payment, ProjectId};

pub(super) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub(super) fn m(s: &str) -> Money {
    s.parse().expect("money")
}

fn r(s: &str) -> Rate {
    s.parse().expect("rate")
}

fn code(s: &str) -> CategoryCode {
    CategoryCode::parse(s).expect("code")
}

/// A project in the making: the worked example's call by default.
#[derive(Debug, Clone)]
pub(super) struct Scenario {
    rules: CallRules,
    categories: Vec<CategoryBudget>,
    entities: Vec<Entity>,
    pub(super) expenses: Vec<Expense>,
    granted: Money,
    tranches: Money,
    pub(super) deadlines: Vec<Deadline>,
    elsewhere: HashMap<DocumentKey, Money>,
    pub(super) as_of: NaiveDate,
    pub(super) scope: Scope,
}

impl Scenario {
    pub(super) fn worked_example() -> Scenario {
        let epoch = DateTime::<Utc>::from_timestamp(0, 0).expect("epoch");
        Scenario {
            rules: CallRules {
                contribution_rate: r("0.70"),
                max_contribution: Some(m("7000.00")),
                eligibility_start: d("2020-09-01"),
                eligibility_end: d("2020-12-31"),
                payment_deadline: Some(d("2021-01-31")),
                reporting_deadline: Some(d("2021-01-31")),
                current_spending_only: true,
                vat_eligible_if_not_recoverable: true,
                min_realisation_share: Some(r("0.50")),
                drift_tolerance: None,
            },
            categories: vec![
                CategoryBudget {
                    code: code("a"),
                    name: "A".into(),
                    ceiling: None,
                    approved_original: m("7000.00"),
                    approved: m("7000.00"),
                },
                CategoryBudget {
                    code: code("b"),
                    name: "B".into(),
                    ceiling: Some(Ceiling::Share(r("0.30"))),
                    approved_original: m("3000.00"),
                    approved: m("3000.00"),
                },
            ],
            entities: (1..=3)
                .map(|i| Entity {
                    id: EntityId(i),
                    project_id: ProjectId(1),
                    name: format!("Ente {i}"),
                    tax_code: None,
                    address: None,
                    pec: None,
                    created_at: epoch,
                    version: 1,
                })
                .collect(),
            expenses: Vec::new(),
            granted: m("7000.00"),
            tranches: Money::ZERO,
            deadlines: Vec::new(),
            elsewhere: HashMap::new(),
            as_of: d("2021-02-15"),
            scope: Scope::All,
        }
    }

    /// Adds a paid, verified invoice of `entity` in `category`; returns its index for tweaks.
    pub(super) fn add(
        &mut self,
        entity: i64,
        category: &str,
        net: &str,
        vat: &str,
        date: &str,
    ) -> usize {
        let id = i64::try_from(self.expenses.len()).expect("len") + 1;
        let epoch = DateTime::<Utc>::from_timestamp(0, 0).expect("epoch");
        self.expenses.push(Expense {
            id: ExpenseId(id),
            project_id: ProjectId(1),
            data: ExpenseData {
                entity_id: EntityId(entity),
                category: Some(code(category)),
                nature: Nature::Current,
                document: Document {
                    supplier_name: "Fornitore".into(),
                    supplier_vat: crate::domain::TaxId::parse("01234567897").ok(),
                    kind: DocumentType::Invoice,
                    number: format!("{id}/2020"),
                    date: d(date),
                },
                description: String::new(),
                amounts: Amounts::new(m(net), m(vat), None).expect("amounts"),
                vat_recoverable: false,
                cig: Cig::parse("Z1A2B3C4D5").ok(),
                cup: None,
                payment: Payment {
                    commitment_act: None,
                    commitment_id: None,
                    liquidation_act: None,
                    order_number: Some("1".into()),
                    order_date: Some(d("2021-01-05")),
                    paid_on: Some(d("2021-01-10")),
                },
                corrects: None,
            },
            status: ExpenseStatus::Verified,
            created_by: None,
            changed_by: None,
            verified_by: None,
            rejection_reason: None,
            version: 1,
            created_at: epoch,
            updated_at: epoch,
        });
        self.expenses.len() - 1
    }

    pub(super) fn run(&self) -> Summary {
        summarise(&Facts {
            rules: &self.rules,
            categories: &self.categories,
            window: (self.rules.eligibility_start, self.rules.eligibility_end),
            payment_deadline: self.rules.payment_deadline,
            granted: self.granted,
            entities: &self.entities,
            expenses: &self.expenses,
            planned: &[],
            with_warnings: true,
            claims_elsewhere: &self.elsewhere,
            tranches_received: self.tranches,
            deadlines: &self.deadlines,
            as_of: self.as_of,
            scope: self.scope,
        })
    }
}

pub(super) fn warning_codes(s: &Summary) -> Vec<&'static str> {
    s.warnings.iter().map(|w| w.code.code()).collect()
}

#[test]
fn the_worked_example_of_domain_md() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "4000.00", "0.00", "2020-10-01");
    p.add(1, "a", "1000.00", "220.00", "2020-10-02");
    p.add(2, "b", "3000.00", "660.00", "2020-11-03");
    p.add(3, "a", "500.00", "0.00", "2021-01-15");
    let s = p.run();
    assert_eq!(s.categories[0].eligible, m("5220.00"));
    assert_eq!(s.categories[1].eligible, m("3660.00"));
    assert_eq!(s.categories[1].ceiling, Some(m("3000.00")));
    assert_eq!(s.categories[1].recognised, m("3000.00"));
    assert_eq!(s.recognised_total, m("8220.00"));
    assert_eq!(s.revocation_threshold, Some(m("5000.00")));
    assert!(!s.revoked);
    assert_eq!(s.contribution_computed, m("5754.00"));
    assert_eq!(s.contribution_due, m("5754.00"));
    assert_eq!(s.excluded.len(), 1);
    assert_eq!(s.excluded[0].expense_id, ExpenseId(4));
    assert_eq!(s.excluded[0].reason, Exclusion::OutsidePeriod);
    assert!(s.excluded[0].message.contains("15/01/2021"));
    assert!(s.loses_money());
    // Riparto: A 5.220,00 all to entity 1, B 3.000,00 to entity 2; due by 5.220 : 3.000.
    assert_eq!(s.entities[0].recognised, m("5220.00"));
    assert_eq!(s.entities[1].recognised, m("3000.00"));
    assert_eq!(s.entities[2].recognised, Money::ZERO);
    assert_eq!(
        s.entities
            .iter()
            .map(|e| e.contribution_share)
            .sum::<Money>(),
        m("5754.00")
    );
    assert_eq!(s.entities[0].contribution_share, m("3654.00"));
    assert_eq!(s.entities[1].contribution_share, m("2100.00"));
    assert!(warning_codes(&s).contains(&"ceiling_exceeded"));
    assert!(warning_codes(&s).contains(&"below_approved"));
}

#[test]
fn each_exclusion_in_order() {
    let mut p = Scenario::worked_example();
    let uncategorised = p.add(1, "a", "100.00", "0.00", "2021-01-10");
    p.expenses[uncategorised].data.category = None;
    p.add(1, "a", "100.00", "0.00", "2020-08-31");
    let capital = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[capital].data.nature = Nature::Capital;
    p.expenses[capital].data.payment.paid_on = None;
    let unpaid = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[unpaid].data.payment.paid_on = None;
    let late = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[late].data.payment.paid_on = Some(d("2021-02-01"));
    let on_time = p.add(1, "a", "100.00", "0.00", "2020-12-31");
    p.expenses[on_time].data.payment.paid_on = Some(d("2021-01-31"));
    let s = p.run();
    let reasons: Vec<&str> = s.excluded.iter().map(|e| e.reason.code()).collect();
    assert_eq!(
        reasons,
        [
            "uncategorised",
            "outside_period",
            "capital_not_eligible",
            "unpaid",
            "paid_late"
        ]
    );
    assert_eq!(
        s.categories[0].eligible,
        m("100.00"),
        "the boundary dates are inside"
    );
}

#[test]
fn capital_is_eligible_when_the_call_allows_it() {
    let mut p = Scenario::worked_example();
    p.rules.current_spending_only = false;
    let i = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[i].data.nature = Nature::Capital;
    assert!(p.run().excluded.is_empty());
}

#[test]
fn payment_after_the_as_of_date_is_unpaid_as_of_then() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.as_of = d("2021-01-09");
    let s = p.run();
    assert_eq!(s.excluded[0].reason, Exclusion::Unpaid);
}

#[test]
fn credit_notes_reduce_and_are_never_unpaid() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "1000.00", "220.00", "2020-10-01");
    let credit = p.add(1, "a", "100.00", "22.00", "2020-10-20");
    p.expenses[credit].data.document.kind = DocumentType::CreditNote;
    p.expenses[credit].data.payment.paid_on = None;
    let s = p.run();
    assert!(s.excluded.is_empty());
    assert_eq!(s.categories[0].eligible, m("1098.00"));
    // A category whose credit notes outweigh its invoices counts zero, not a negative amount.
    let mut q = Scenario::worked_example();
    let c = q.add(1, "b", "100.00", "0.00", "2020-10-20");
    q.expenses[c].data.document.kind = DocumentType::CreditNote;
    q.add(1, "a", "100.00", "0.00", "2020-10-01");
    let s = q.run();
    assert_eq!(s.categories[1].eligible, Money::ZERO);
    assert_eq!(s.recognised_total, m("100.00"));
}

#[test]
fn recoverable_vat_and_partial_claims() {
    let mut p = Scenario::worked_example();
    // VAT recoverable: eligible is min(claimed, net).
    let full = p.add(1, "a", "1000.00", "220.00", "2020-10-01");
    p.expenses[full].data.vat_recoverable = true;
    // VAT recoverable with a partial claim below the net: the claim.
    let partial = p.add(1, "a", "1000.00", "220.00", "2020-10-02");
    p.expenses[partial].data.vat_recoverable = true;
    p.expenses[partial].data.amounts =
        Amounts::new(m("1000.00"), m("220.00"), Some(m("600.00"))).expect("amounts");
    // VAT not recoverable, partial claim above the net: the claim.
    let other = p.add(1, "a", "1000.00", "220.00", "2020-10-03");
    p.expenses[other].data.amounts =
        Amounts::new(m("1000.00"), m("220.00"), Some(m("1100.00"))).expect("amounts");
    assert_eq!(p.run().categories[0].eligible, m("2700.00"));
    // A call that never funds VAT: at most the net even when it is not recoverable.
    p.rules.vat_eligible_if_not_recoverable = false;
    assert_eq!(p.run().categories[0].eligible, m("2600.00"));
}

#[test]
fn ceilings_by_share_round_half_up_and_by_amount() {
    let mut p = Scenario::worked_example();
    // approved total 10.000,05 → 30 % = 3.000,015 → 3.000,02.
    p.categories[0].approved = m("7000.05");
    p.add(1, "b", "5000.00", "0.00", "2020-10-01");
    assert_eq!(p.run().categories[1].ceiling, Some(m("3000.02")));
    assert_eq!(p.run().categories[1].recognised, m("3000.02"));
    p.categories[1].ceiling = Some(Ceiling::Amount(m("1234.56")));
    assert_eq!(p.run().categories[1].recognised, m("1234.56"));
}

#[test]
fn revocation_just_below_and_exactly_at_the_threshold() {
    // Threshold: 50 % of 10.000,00 = 5.000,00.
    let mut at = Scenario::worked_example();
    at.add(1, "a", "5000.00", "0.00", "2020-10-01");
    let s = at.run();
    assert!(!s.revoked);
    assert_eq!(s.contribution_due, m("3500.00"));
    assert!(!s.loses_money());

    let mut below = Scenario::worked_example();
    below.add(1, "a", "4999.99", "0.00", "2020-10-01");
    let s = below.run();
    assert!(s.revoked);
    assert_eq!(s.contribution_due, Money::ZERO);
    assert!(s.loses_money());
    assert!(s
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::BelowApproved && w.message.contains("revocato")));
}

/// Decision 4: the threshold is shown rounded up, the smallest recognised amount not revoked;
/// the test stays exact. 40 % of 10.000,01 is 4.000,004: shown 4.000,01, and 4.000,00 is revoked.
#[test]
fn the_threshold_is_shown_rounded_up_and_the_test_is_exact() {
    let mut p = Scenario::worked_example();
    p.rules.min_realisation_share = Some(r("0.40"));
    p.categories[0].approved = m("7000.01");
    p.add(1, "a", "4000.00", "0.00", "2020-10-01");
    let s = p.run();
    assert_eq!(s.revocation_threshold, Some(m("4000.01")));
    assert!(s.revoked, "4.000,00 is below 4.000,004");
    p.add(1, "a", "0.01", "0.00", "2020-10-02");
    let s = p.run();
    assert_eq!(s.recognised_total, m("4000.01"));
    assert!(!s.revoked, "the threshold shown is enough");
}

/// Decision 8: spending on a line approved at zero always warns, tolerance or not.
#[test]
fn spending_on_a_line_approved_at_zero_always_warns() {
    let mut p = Scenario::worked_example();
    p.rules.drift_tolerance = None;
    p.categories[1].approved = Money::ZERO;
    p.add(1, "b", "100.00", "0.00", "2020-10-01");
    let drift: Vec<_> = p
        .run()
        .warnings
        .into_iter()
        .filter(|w| w.code == WarningCode::CategoryDrift)
        .collect();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].message.contains("approvata per 0,00 €"));
}

#[test]
fn the_cap_is_the_smaller_of_granted_and_call_maximum() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "7000.00", "0.00", "2020-10-01");
    p.add(1, "b", "3000.00", "0.00", "2020-10-01");
    p.granted = m("6500.00");
    let s = p.run();
    assert_eq!(s.contribution_computed, m("7000.00"));
    assert_eq!(s.cap, m("6500.00"));
    assert_eq!(s.contribution_due, m("6500.00"));
    p.rules.max_contribution = Some(m("6000.00"));
    assert_eq!(p.run().contribution_due, m("6000.00"));
}

#[test]
fn rounding_at_half_a_cent_is_done_once_half_up() {
    let mut p = Scenario::worked_example();
    p.rules.min_realisation_share = None;
    // 0,70 × 0,05 = 0,035 → 0,04 (half-up), not 0,03 (banker's) nor a sum of rounded parts.
    p.add(1, "a", "0.05", "0.00", "2020-10-01");
    assert_eq!(p.run().contribution_due, m("0.04"));
    let mut q = Scenario::worked_example();
    q.rules.min_realisation_share = None;
    q.rules.contribution_rate = r("0.3333");
    // 0,3333 × 100,15 = 33,379995 → 33,38.
    q.add(1, "a", "100.15", "0.00", "2020-10-01");
    assert_eq!(q.run().contribution_due, m("33.38"));
}

#[test]
fn riparto_tie_break_goes_to_the_entity_created_first() {
    let mut p = Scenario::worked_example();
    p.rules.min_realisation_share = None;
    p.rules.contribution_rate = r("1.00");
    p.rules.max_contribution = None;
    p.granted = m("100000.00");
    // Three entities with equal eligible amounts in A; recognised 100,00 → 33,34 / 33,33 / 33,33.
    p.categories[0].ceiling = Some(Ceiling::Amount(m("100.00")));
    for e in [3, 1, 2] {
        p.add(e, "a", "50.00", "0.00", "2020-10-01");
    }
    let s = p.run();
    let parts: Vec<Money> = s.entities.iter().map(|e| e.recognised).collect();
    assert_eq!(parts, [m("33.34"), m("33.33"), m("33.33")]);
    assert_eq!(
        s.entities
            .iter()
            .map(|e| e.contribution_share)
            .sum::<Money>(),
        s.contribution_due
    );
}

#[test]
fn an_entity_negative_in_a_category_takes_part_with_zero() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "1000.00", "0.00", "2020-10-01");
    let credit = p.add(2, "a", "200.00", "0.00", "2020-10-05");
    p.expenses[credit].data.document.kind = DocumentType::CreditNote;
    let s = p.run();
    assert_eq!(s.categories[0].recognised, m("800.00"));
    assert_eq!(s.entities[0].recognised, m("800.00"));
    assert_eq!(s.entities[1].recognised, Money::ZERO);
}

#[test]
fn balance_after_tranches_may_be_money_to_give_back() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "6000.00", "0.00", "2020-10-01");
    p.tranches = m("5000.00");
    let s = p.run();
    assert_eq!(s.contribution_due, m("4200.00"));
    assert_eq!(s.balance_due, m("-800.00"));
    assert!(s.must_give_back());
}

#[test]
fn expense_warnings() {
    let mut p = Scenario::worked_example();
    let no_cig = p.add(1, "a", "5000.00", "0.00", "2020-10-01");
    p.expenses[no_cig].data.cig = None;
    let no_order = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[no_order].data.payment.order_number = None;
    let draft = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    p.expenses[draft].status = ExpenseStatus::Draft;
    let shared = p.add(1, "a", "100.00", "0.00", "2020-10-01");
    let key = p.expenses[shared].data.document_key().expect("key");
    p.elsewhere.insert(key, m("50.00"));
    let s = p.run();
    let of = |code: WarningCode| -> Vec<Option<ExpenseId>> {
        s.warnings
            .iter()
            .filter(|w| w.code == code)
            .map(|w| w.expense_id)
            .collect()
    };
    assert_eq!(of(WarningCode::MissingCig), [Some(ExpenseId(1))]);
    assert_eq!(of(WarningCode::MissingPaymentOrder), [Some(ExpenseId(2))]);
    assert_eq!(of(WarningCode::Unverified), [Some(ExpenseId(3))]);
    assert_eq!(of(WarningCode::Overclaimed), [Some(ExpenseId(4))]);
    // With scope = verified the draft is pending, not counted.
    p.scope = Scope::Verified;
    let v = p.run();
    assert_eq!(v.pending, [ExpenseId(3)]);
    assert_eq!(v.categories[0].eligible, m("5200.00"));
}

#[test]
fn category_drift_beyond_the_tolerance() {
    let mut p = Scenario::worked_example();
    p.rules.drift_tolerance = Some(r("0.20"));
    p.add(1, "a", "5600.00", "0.00", "2020-10-01"); // 20 % below 7.000: tolerated
    p.add(1, "b", "2399.00", "0.00", "2020-10-01"); // 20,03 % below 3.000: warned
    let s = p.run();
    let drifts: Vec<&Warning> = s
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::CategoryDrift)
        .collect();
    assert_eq!(drifts.len(), 1);
    assert!(drifts[0].message.contains("«B»"));
}

#[test]
fn same_data_same_date_same_summary() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "4000.00", "0.00", "2020-10-01");
    p.add(2, "b", "3000.00", "660.00", "2020-11-03");
    assert_eq!(p.run(), p.run());
}

prop_compose! {
    fn random_project()(
        rows in prop::collection::vec((1i64..=4, any::<bool>(), 1i64..500_000, 0i64..110_000, any::<bool>(), any::<bool>()), 0..40),
        rate_bp in 0i64..=10_000,
        share_bp in prop::option::of(0i64..=10_000),
        min_share_bp in prop::option::of(0i64..=10_000),
        granted in 0i64..10_000_000,
    ) -> Scenario {
        let mut p = Scenario::worked_example();
        p.entities.push(Entity { id: EntityId(4), project_id: ProjectId(1), name: "Ente 4".into(), tax_code: None, address: None, pec: None, created_at: p.entities[0].created_at, version: 1 });
        p.rules.contribution_rate = Rate::from_basis_points(rate_bp).expect("rate");
        p.rules.min_realisation_share = min_share_bp.map(|b| Rate::from_basis_points(b).expect("rate"));
        p.categories[1].ceiling = share_bp.map(|b| Ceiling::Share(Rate::from_basis_points(b).expect("rate")));
        p.granted = Money::from_cents(granted);
        for (entity, in_b, net, vat, credit, late) in rows {
            let i = p.add(entity, if in_b { "b" } else { "a" }, &Money::from_cents(net).to_string(), &Money::from_cents(vat).to_string(), "2020-10-01");
            if credit {
                p.expenses[i].data.document.kind = DocumentType::CreditNote;
            }
            if late {
                p.expenses[i].data.payment.paid_on = Some(d("2021-02-01"));
            }
        }
        p
    }
}

proptest! {
    #[test]
    fn invariants_hold_on_random_projects(p in random_project()) {
        let s = p.run();
        let recognised: Money = s.entities.iter().map(|e| e.recognised).sum();
        prop_assert_eq!(recognised, s.recognised_total);
        let shares: Money = s.entities.iter().map(|e| e.contribution_share).sum();
        if s.recognised_total.is_positive() {
            prop_assert_eq!(shares, s.contribution_due);
        }
        prop_assert!(s.contribution_due <= s.cap);
        prop_assert!(s.contribution_due <= Money::round_half_up(p.rules.contribution_rate.of(s.recognised_total)));
        for c in &s.categories {
            prop_assert!(c.recognised <= c.eligible);
            prop_assert!(!c.recognised.is_negative());
        }
    }

    #[test]
    fn an_eligible_expense_never_lowers_the_contribution(p in random_project(), net in 1i64..1_000_000, in_b in any::<bool>(), entity in 1i64..=4) {
        let before = p.run().contribution_due;
        let mut q = p;
        q.add(entity, if in_b { "b" } else { "a" }, &Money::from_cents(net).to_string(), "0.00", "2020-10-01");
        prop_assert!(q.run().contribution_due >= before);
    }
}
