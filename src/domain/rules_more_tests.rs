//! Credit notes and their invoices (domain.md, decision 3), documents dated after the date
//! (decision 5), and deadlines, on the scenarios of the rules' tests.

use super::tests::{d, m, warning_codes, Scenario};
use super::*;
use crate::domain::DocumentType;

/// A credit note of `net` against expense `invoice` (an index), dated `date`, in `category`.
fn credit_note(
    p: &mut Scenario,
    invoice: Option<usize>,
    category: &str,
    net: &str,
    date: &str,
) -> usize {
    let i = p.add(1, category, net, "0.00", date);
    p.expenses[i].data.document.kind = DocumentType::CreditNote;
    p.expenses[i].data.corrects = invoice.map(|k| p.expenses[k].id);
    i
}

#[test]
fn a_linked_credit_note_is_excluded_with_its_invoice() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "4000.00", "0.00", "2020-10-01");
    let unpaid = p.add(2, "b", "1000.00", "0.00", "2020-10-05");
    p.expenses[unpaid].data.payment.paid_on = None;
    let note = credit_note(&mut p, Some(unpaid), "a", "200.00", "2020-10-20");
    let s = p.run();
    // Before: it lowered category A although its invoice was not counted.
    assert_eq!(s.categories[0].eligible, m("4000.00"));
    let reasons: Vec<(ExpenseId, &str)> = s
        .excluded
        .iter()
        .map(|x| (x.expense_id, x.reason.code()))
        .collect();
    assert_eq!(
        reasons,
        [
            (p.expenses[unpaid].id, "unpaid"),
            (p.expenses[note].id, "unpaid")
        ]
    );
    assert!(s.excluded[1]
        .message
        .starts_with("nota di credito della fattura"));
}

#[test]
fn a_linked_credit_note_counts_where_and_when_its_invoice_does() {
    let mut p = Scenario::worked_example();
    let invoice = p.add(2, "b", "1000.00", "0.00", "2020-12-10");
    // Dated after the window's end and recorded under A by another entity: it follows the
    // invoice (B, entity 2, inside the window) rather than losing its reduction.
    let _note = credit_note(&mut p, Some(invoice), "a", "300.00", "2021-01-10");
    let s = p.run();
    assert!(s.excluded.is_empty(), "{:?}", s.excluded);
    assert_eq!(s.categories[0].eligible, Money::ZERO);
    assert_eq!(s.categories[1].eligible, m("700.00"));
    assert_eq!(s.entities[1].recognised, m("700.00"));
    assert!(!warning_codes(&s).contains(&"credit_note_unlinked"));
}

#[test]
fn an_unlinked_credit_note_counts_on_its_own_and_warns() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "1000.00", "0.00", "2020-10-01");
    credit_note(&mut p, None, "a", "100.00", "2020-10-15");
    let s = p.run();
    assert_eq!(s.categories[0].eligible, m("900.00"));
    assert!(warning_codes(&s).contains(&"credit_note_unlinked"));
}

#[test]
fn a_rejected_expense_never_counts_whatever_the_scope() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "1000.00", "0.00", "2020-10-01");
    let rejected = p.add(1, "a", "500.00", "0.00", "2020-10-02");
    p.expenses[rejected].status = ExpenseStatus::Rejected;
    p.expenses[rejected].rejection_reason = Some("manca la fattura".into());
    for scope in [Scope::All, Scope::Verified] {
        p.scope = scope;
        let s = p.run();
        assert_eq!(s.categories[0].eligible, m("1000.00"), "{scope:?}");
        assert_eq!(s.excluded.len(), 1);
        assert_eq!(s.excluded[0].reason, Exclusion::Rejected);
        assert!(s.excluded[0].message.contains("manca la fattura"));
        assert!(s.pending.is_empty());
    }
}

#[test]
fn a_document_dated_after_the_date_is_left_out() {
    let mut p = Scenario::worked_example();
    p.add(1, "a", "1000.00", "0.00", "2020-10-01");
    let later = p.add(1, "a", "500.00", "0.00", "2020-12-01");
    p.as_of = d("2020-11-15");
    let s = p.run();
    assert!(s
        .excluded
        .iter()
        .all(|x| x.expense_id != p.expenses[later].id));
    assert!(!s.pending.contains(&p.expenses[later].id));
}

#[test]
fn deadline_statuses_and_warnings() {
    let mut p = Scenario::worked_example();
    p.as_of = d("2021-01-10");
    let deadline = |name: &str, date: &str, kind, done| Deadline {
        name: name.into(),
        date: d(date),
        kind,
        done,
    };
    p.deadlines = vec![
        deadline("Fine progetto", "2020-12-31", DeadlineKind::Event, false),
        deadline(
            "Rendicontazione",
            "2021-01-31",
            DeadlineKind::Obligation,
            false,
        ),
        deadline("Collaudo", "2021-01-09", DeadlineKind::Obligation, false),
        deadline("Formazione", "2020-11-30", DeadlineKind::Obligation, true),
        // 30 days ahead is still due soon; 31 is upcoming.
        deadline("Relazione", "2021-02-09", DeadlineKind::Obligation, false),
        deadline(
            "Monitoraggio",
            "2021-02-09",
            DeadlineKind::Obligation,
            false,
        ),
        deadline("Verifica", "2021-02-10", DeadlineKind::Obligation, false),
    ];
    let s = p.run();
    let statuses: Vec<(&str, &str)> = s
        .deadlines
        .iter()
        .map(|x| (x.name.as_str(), x.status.code()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Formazione", "done"),
            ("Fine progetto", "done"),
            ("Collaudo", "overdue"),
            ("Rendicontazione", "due_soon"),
            ("Monitoraggio", "due_soon"),
            ("Relazione", "due_soon"),
            ("Verifica", "upcoming"),
        ]
    );
    let codes = warning_codes(&s);
    assert_eq!(
        codes.iter().filter(|c| **c == "deadline_overdue").count(),
        1
    );
    assert_eq!(
        codes.iter().filter(|c| **c == "deadline_due_soon").count(),
        3
    );
}
