//! Reconciliation with the accounts: the payments the council's accounting system made (payment
//! order, date, supplier, invoice, amount) matched to the project's expenses.
//!
//! A payment matches a supplier document when the supplier's tax id and the invoice number agree
//! (number compared without spaces and case) and the amounts paid for that document add up to its
//! total — or to its net amount, when the VAT went to the Treasury under split payment. The parts
//! of one document are all matched together. Anything else is listed, never guessed.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::expense::{DocumentType, Expense, ExpenseStatus};
use super::ids::ExpenseId;
use super::money::Money;
use super::TaxId;

/// One line of the payments export, already read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub line: usize,
    pub order_number: String,
    pub order_date: NaiveDate,
    pub supplier_vat: TaxId,
    pub invoice_number: String,
    pub amount: Money,
    pub paid_on: Option<NaiveDate>,
}

/// What became of a document's payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The expenses get these payment data.
    Matched {
        expenses: Vec<ExpenseId>,
        order_number: String,
        order_date: NaiveDate,
        paid_on: Option<NaiveDate>,
        /// Only the net was paid to the supplier (split payment).
        net_only: bool,
    },
    /// The expenses already carry this payment order.
    AlreadyReconciled { expenses: Vec<ExpenseId> },
    /// Part of a submission already presented: left as it is.
    Locked { expenses: Vec<ExpenseId> },
    /// No expense of the project has this supplier document.
    NoDocument,
    /// The document exists but what was paid is neither its total nor its net.
    AmountDiffers {
        expenses: Vec<ExpenseId>,
        total: Money,
        paid: Money,
    },
    /// Several documents of this supplier have this number (different dates).
    Ambiguous { expenses: Vec<ExpenseId> },
}

/// The payments of one document (usually one line; instalments are several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPayments {
    pub lines: Vec<PaymentLine>,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub documents: Vec<DocumentPayments>,
    /// Expenses still without payment data once the matches are applied (credit notes aside).
    pub unpaid: Vec<ExpenseId>,
}

/// An invoice number as accounting systems and suppliers variously write it.
pub fn invoice_key(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

pub fn reconcile(expenses: &[Expense], lines: &[PaymentLine]) -> Reconciliation {
    // Lines grouped by document, in the order the export first names each.
    let mut groups: Vec<((String, String), Vec<PaymentLine>)> = Vec::new();
    for line in lines {
        let key = (
            line.supplier_vat.as_str().to_owned(),
            invoice_key(&line.invoice_number),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(line.clone()),
            None => groups.push((key, vec![line.clone()])),
        }
    }
    let mut matched = std::collections::BTreeSet::new();
    let mut documents = Vec::with_capacity(groups.len());
    for ((vat, number), group) in groups {
        let candidates: Vec<&Expense> = expenses
            .iter()
            .filter(|e| {
                e.data.document.kind != DocumentType::CreditNote
                    && e.data.document.supplier_vat.as_ref().map(|v| v.as_str()) == Some(&vat)
                    && invoice_key(&e.data.document.number) == number
            })
            .collect();
        let outcome = outcome(&candidates, &group);
        if let Outcome::Matched { expenses, .. }
        | Outcome::AlreadyReconciled { expenses }
        | Outcome::Locked { expenses } = &outcome
        {
            matched.extend(expenses.iter().copied());
        }
        documents.push(DocumentPayments {
            lines: group,
            outcome,
        });
    }
    let unpaid = expenses
        .iter()
        .filter(|e| {
            e.data.document.kind != DocumentType::CreditNote
                && e.data.payment.order_number.is_none()
                && e.data.payment.paid_on.is_none()
                && !matched.contains(&e.id)
        })
        .map(|e| e.id)
        .collect();
    Reconciliation { documents, unpaid }
}

fn outcome(candidates: &[&Expense], group: &[PaymentLine]) -> Outcome {
    let ids = |list: &[&Expense]| list.iter().map(|e| e.id).collect::<Vec<_>>();
    if candidates.is_empty() {
        return Outcome::NoDocument;
    }
    let mut by_date: BTreeMap<NaiveDate, Vec<&Expense>> = BTreeMap::new();
    for e in candidates {
        by_date.entry(e.data.document.date).or_default().push(e);
    }
    if by_date.len() > 1 {
        return Outcome::Ambiguous {
            expenses: ids(candidates),
        };
    }
    // The parts of one document carry its net and VAT; any part tells the total.
    let doc = &candidates[0].data.amounts;
    let (total, net) = (doc.net() + doc.vat(), doc.net());
    let paid = group
        .iter()
        .fold(Money::from_cents(0), |sum, line| sum + line.amount);
    if paid != total && paid != net {
        return Outcome::AmountDiffers {
            expenses: ids(candidates),
            total,
            paid,
        };
    }
    let order_number = group
        .iter()
        .map(|l| l.order_number.trim())
        .collect::<Vec<_>>()
        .join(", ");
    if candidates
        .iter()
        .all(|e| e.data.payment.order_number.as_deref() == Some(order_number.as_str()))
    {
        return Outcome::AlreadyReconciled {
            expenses: ids(candidates),
        };
    }
    if candidates
        .iter()
        .any(|e| e.status == ExpenseStatus::Included)
    {
        return Outcome::Locked {
            expenses: ids(candidates),
        };
    }
    Outcome::Matched {
        expenses: ids(candidates),
        order_number,
        order_date: group.iter().map(|l| l.order_date).max().unwrap_or_default(),
        paid_on: group.iter().filter_map(|l| l.paid_on).max(),
        net_only: paid == net && paid != total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Amounts, Document, EntityId, ExpenseData, Nature, Payment, ProjectId};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn money(s: &str) -> Money {
        s.parse().expect("money")
    }

    fn expense(id: i64, vat: &str, number: &str, day: &str, net: &str, tax: &str) -> Expense {
        Expense {
            id: ExpenseId(id),
            project_id: ProjectId(1),
            data: ExpenseData {
                entity_id: EntityId(1),
                category: None,
                nature: Nature::Current,
                document: Document {
                    supplier_name: "Fornitore".into(),
                    supplier_vat: TaxId::parse(vat).ok(),
                    kind: DocumentType::Invoice,
                    number: number.into(),
                    date: date(day),
                },
                description: String::new(),
                amounts: Amounts::new(money(net), money(tax), None).expect("amounts"),
                vat_recoverable: false,
                cig: None,
                cup: None,
                payment: Payment::default(),
                corrects: None,
            },
            status: ExpenseStatus::Draft,
            created_by: None,
            changed_by: None,
            verified_by: None,
            rejection_reason: None,
            version: 1,
            created_at: chrono::DateTime::default(),
            updated_at: chrono::DateTime::default(),
        }
    }

    fn line(n: usize, order: &str, vat: &str, number: &str, amount: &str) -> PaymentLine {
        PaymentLine {
            line: n,
            order_number: order.into(),
            order_date: date("2020-11-02"),
            supplier_vat: TaxId::parse(vat).expect("vat"),
            invoice_number: number.into(),
            amount: money(amount),
            paid_on: Some(date("2020-11-05")),
        }
    }

    const A: &str = "01234567897";
    const B: &str = "12345678903";

    #[test]
    fn matches_totals_net_only_and_instalments() {
        let expenses = [
            expense(1, A, "FPA 12/20", "2020-10-01", "1000.00", "220.00"),
            expense(2, B, "7", "2020-10-02", "500.00", "110.00"),
            expense(3, B, "8", "2020-10-03", "100.00", "22.00"),
            expense(4, A, "99", "2020-10-04", "10.00", "2.20"),
        ];
        let lines = [
            line(2, "401", A, "fpa12/20", "1220.00"),
            line(3, "402", B, "7", "500.00"),
            line(4, "403", B, "8", "60.00"),
            line(5, "404", B, "8", "62.00"),
            line(6, "405", A, "555", "1.00"),
        ];
        let r = reconcile(&expenses, &lines);
        assert!(matches!(
            &r.documents[0].outcome,
            Outcome::Matched { expenses, net_only: false, .. } if expenses == &[ExpenseId(1)]
        ));
        assert!(matches!(
            &r.documents[1].outcome,
            Outcome::Matched { net_only: true, .. }
        ));
        match &r.documents[2].outcome {
            Outcome::Matched { order_number, .. } => assert_eq!(order_number, "403, 404"),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.documents[3].outcome, Outcome::NoDocument);
        assert_eq!(r.unpaid, vec![ExpenseId(4)]);
    }

    #[test]
    fn lists_what_it_cannot_decide() {
        let mut locked = expense(3, A, "3", "2020-10-01", "100.00", "22.00");
        locked.status = ExpenseStatus::Included;
        let mut done = expense(4, A, "4", "2020-10-01", "100.00", "22.00");
        done.data.payment.order_number = Some("77".into());
        let expenses = [
            expense(1, A, "1", "2020-10-01", "100.00", "22.00"),
            expense(2, A, "2", "2020-10-01", "100.00", "22.00"),
            expense(5, A, "2", "2021-01-01", "100.00", "22.00"),
            locked,
            done,
        ];
        let r = reconcile(
            &expenses,
            &[
                line(2, "1", A, "1", "121.99"),
                line(3, "2", A, "2", "122.00"),
                line(4, "3", A, "3", "122.00"),
                line(5, "77", A, "4", "122.00"),
            ],
        );
        assert!(matches!(
            r.documents[0].outcome,
            Outcome::AmountDiffers { .. }
        ));
        assert!(matches!(r.documents[1].outcome, Outcome::Ambiguous { .. }));
        assert!(matches!(r.documents[2].outcome, Outcome::Locked { .. }));
        assert!(matches!(
            r.documents[3].outcome,
            Outcome::AlreadyReconciled { .. }
        ));
        assert_eq!(
            r.unpaid,
            vec![ExpenseId(1), ExpenseId(2), ExpenseId(5)],
            "the amount that differs leaves expense 1 unpaid"
        );
    }
}
