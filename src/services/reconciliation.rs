//! Reconciliation with the council's accounting system: its payments export is read, matched to
//! the project's expenses (see [`crate::domain::reconciliation`]), and the matched expenses get
//! their payment order and dates — all in one transaction, or nothing on a dry run. What does not
//! match, on either side, is listed for the finance officer.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::audit::AuditAction;
use crate::domain::reconciliation::{reconcile, DocumentPayments, Outcome, PaymentLine};
use crate::domain::{
    Expense, ExpenseData, ExpenseId, FieldError, Money, ProjectId, TaxId, Violations,
};
use crate::imports::csv::{self, Mapping, Row, Sheet, PAYMENT_FIELDS};

/// An expense's new payment data, at the version it was read.
type Update = (ExpenseId, i64, ExpenseData);

#[derive(Debug, Clone, Serialize)]
pub struct LineError {
    pub row: usize,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// One supplier document named by the export, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    /// The export's lines for this document.
    pub rows: Vec<usize>,
    pub payment_order_number: String,
    pub supplier_vat: String,
    pub document_number: String,
    pub paid: String,
    /// `matched`, `already_reconciled`, `locked`, `no_document`, `amount_differs`, `ambiguous`.
    pub outcome: &'static str,
    /// The outcome in Italian, with the amounts when they disagree.
    pub message: String,
    pub expenses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnpaidView {
    pub id: String,
    pub supplier_name: String,
    pub document_number: String,
    pub document_date: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub lines: usize,
    pub matched: Vec<DocumentView>,
    /// Payments that changed nothing: not found, amounts that differ, ambiguous, locked, done.
    pub unmatched_payments: Vec<DocumentView>,
    /// The project's expenses still without payment data.
    pub unpaid_expenses: Vec<UnpaidView>,
    pub errors: Vec<LineError>,
    /// The expenses whose payment data were recorded (none on a dry run).
    pub updated: Vec<String>,
}

/// Reads the export, matches it, and unless `dry_run` records the matches.
pub async fn run(
    app: &App,
    who: &Actor,
    project: ProjectId,
    bytes: &[u8],
    mapping: &Mapping,
    dry_run: bool,
) -> Result<Report, ServiceError> {
    projects::get(app, who, project).await?;
    access::require(app, who, project, Need::Reconcile).await?;
    let sheet = csv::read(bytes, mapping, PAYMENT_FIELDS).map_err(ServiceError::Invalid)?;
    check_columns(&sheet)?;
    let (lines, errors) = payment_lines(&sheet);
    let expenses = app.store.all_expenses(project).await?;
    let result = reconcile(&expenses, &lines);
    let mut report = Report {
        dry_run,
        lines: sheet.rows.len(),
        matched: Vec::new(),
        unmatched_payments: Vec::new(),
        unpaid_expenses: unpaid_views(&expenses, &result.unpaid),
        errors,
        updated: Vec::new(),
    };
    let mut updates = Vec::new();
    for doc in &result.documents {
        let (view, matched) = judge(doc, &expenses, &mut updates);
        if matched {
            report.matched.push(view);
        } else {
            report.unmatched_payments.push(view);
        }
    }
    if !dry_run && !updates.is_empty() {
        let done = app
            .store
            .update_expenses(&updates, AuditAction::ExpenseReconcile, &app.change(who))
            .await?;
        report.updated = done.iter().map(|e| e.id.to_string()).collect();
    }
    Ok(report)
}

/// Every required column is in the file (by its header or the mapping), or a field error each.
fn check_columns(sheet: &Sheet) -> Result<(), ServiceError> {
    let missing: Vec<FieldError> = REQUIRED
        .iter()
        .filter(|(field, _)| !sheet.columns.contains_key(field))
        .map(|(field, what)| FieldError {
            field: format!("map.{field}"),
            code: "missing_column".into(),
            message: format!(
                "nel file manca la colonna {what}: rinominarla o indicarla con map.{field}"
            ),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Invalid(missing))
    }
}

/// The export's rows as payment lines, and the errors of those that are not.
fn payment_lines(sheet: &Sheet) -> (Vec<PaymentLine>, Vec<LineError>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for row in &sheet.rows {
        match payment_line(row, &sheet.columns) {
            Ok(line) => lines.push(line),
            Err(problems) => errors.extend(problems.into_iter().map(|p| LineError {
                row: row.line,
                field: p.field,
                code: p.code,
                message: p.message,
            })),
        }
    }
    (lines, errors)
}

/// A value the reader already put in the API's form, parsed; one that still cannot be read is
/// a problem of the row, never a silently missing value.
fn readable<T: std::str::FromStr>(
    problems: &mut Vec<FieldError>,
    field: &'static str,
    raw: &str,
) -> Option<T> {
    match raw.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            if !problems.iter().any(|p| p.field == field) {
                problems.push(FieldError {
                    field: field.into(),
                    code: "unreadable".into(),
                    message: format!("valore «{raw}» non leggibile"),
                });
            }
            None
        }
    }
}

fn payment_line(
    row: &Row,
    columns: &BTreeMap<&'static str, String>,
) -> Result<PaymentLine, Vec<FieldError>> {
    let mut problems: Vec<FieldError> = row.errors.clone();
    let mut need = |field: &'static str| -> Option<&String> {
        let value = row.values.get(field);
        if value.is_none() && !problems.iter().any(|p| p.field == field) {
            problems.push(FieldError {
                field: field.into(),
                code: "required".into(),
                message: format!(
                    "manca il valore della colonna {}",
                    column_of(columns, field)
                ),
            });
        }
        value
    };
    let order = need("payment_order_number").cloned();
    let order_date_raw = need("payment_order_date").cloned();
    let vat_raw = need("supplier_vat").cloned();
    let number = need("document_number").cloned();
    let amount_raw = need("amount").cloned();
    let order_date = order_date_raw
        .as_deref()
        .and_then(|d| readable(&mut problems, "payment_order_date", d));
    let amount = amount_raw
        .as_deref()
        .and_then(|a| readable::<Money>(&mut problems, "amount", a));
    let vat = vat_raw.as_deref().and_then(|v| match TaxId::parse(v) {
        Ok(t) => Some(t),
        Err(_) => {
            problems.push(FieldError {
                field: "supplier_vat".into(),
                code: "invalid_tax_id".into(),
                message: format!("partita IVA o codice fiscale «{v}» non valido"),
            });
            None
        }
    });
    let paid_on = row
        .values
        .get("payment_date")
        .and_then(|d| readable(&mut problems, "payment_date", d));
    match (order, order_date, vat, number, amount) {
        (
            Some(order_number),
            Some(order_date),
            Some(supplier_vat),
            Some(invoice_number),
            Some(amount),
        ) if problems.is_empty() => Ok(PaymentLine {
            line: row.line,
            order_number,
            order_date,
            supplier_vat,
            invoice_number,
            amount,
            paid_on,
        }),
        _ => Err(problems),
    }
}

/// What became of one document's payments: its view, whether it matched, and (when it did) the
/// expenses' new payment data pushed onto `updates`.
fn judge(
    doc: &DocumentPayments,
    expenses: &[Expense],
    updates: &mut Vec<Update>,
) -> (DocumentView, bool) {
    let paid: Money = doc.lines.iter().map(|l| l.amount).sum();
    let (supplier_vat, document_number) = doc.lines.first().map_or_else(Default::default, |l| {
        (l.supplier_vat.to_string(), l.invoice_number.clone())
    });
    let (outcome, message, ids, matched) = match &doc.outcome {
        Outcome::Matched { expenses: ids, .. } => match paid_updates(&doc.outcome, expenses) {
            Some(paid) => {
                updates.extend(paid);
                let net_only = matches!(doc.outcome, Outcome::Matched { net_only: true, .. });
                let how = if net_only {
                    "pagato l'imponibile: l'IVA è versata all'Erario (scissione dei pagamenti)"
                } else {
                    "pagato il totale del documento"
                };
                ("matched", how.to_owned(), ids.as_slice(), true)
            }
            None => (
                "dates_conflict",
                "il mandato o il pagamento risultano precedenti alla data del documento: \
                 verificare a mano"
                    .to_owned(),
                ids.as_slice(),
                false,
            ),
        },
        other => {
            let (outcome, message, ids) = not_matched(other);
            (outcome, message, ids, false)
        }
    };
    let view = DocumentView {
        rows: doc.lines.iter().map(|l| l.line).collect(),
        payment_order_number: doc
            .lines
            .iter()
            .map(|l| l.order_number.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        supplier_vat,
        document_number,
        paid: paid.to_string(),
        outcome,
        message,
        expenses: ids.iter().map(ToString::to_string).collect(),
    };
    (view, matched)
}

/// A matched document's expenses with its payment order and date, or `None` when that would put
/// a payment before its document (nothing of the document is then recorded).
fn paid_updates(outcome: &Outcome, expenses: &[Expense]) -> Option<Vec<Update>> {
    let Outcome::Matched {
        expenses: ids,
        order_number,
        order_date,
        paid_on,
        ..
    } = outcome
    else {
        return None;
    };
    let mut updates = Vec::new();
    for e in ids
        .iter()
        .filter_map(|id| expenses.iter().find(|e| e.id == *id))
    {
        let mut data = e.data.clone();
        data.payment.order_number = Some(order_number.clone());
        data.payment.order_date = Some(*order_date);
        if paid_on.is_some() {
            data.payment.paid_on = *paid_on;
        }
        let mut v = Violations::new();
        data.check_dates(&mut v);
        v.finish(|| Some(())).ok()?;
        updates.push((e.id, e.version, data));
    }
    Some(updates)
}

/// The outcome code, its Italian message and the expenses concerned, for a document not matched.
fn not_matched(outcome: &Outcome) -> (&'static str, String, &[ExpenseId]) {
    match outcome {
        Outcome::Matched { expenses: ids, .. } => ("matched", String::new(), ids),
        Outcome::AlreadyReconciled { expenses: ids } => (
            "already_reconciled",
            "già riconciliato: la spesa ha già questo mandato".to_owned(),
            ids,
        ),
        Outcome::Locked { expenses: ids } => (
            "locked",
            "la spesa fa parte di una rendicontazione già presentata: non modificata".to_owned(),
            ids,
        ),
        Outcome::NoDocument => (
            "no_document",
            "nessuna spesa del progetto ha questa fattura di questo fornitore".to_owned(),
            &[],
        ),
        Outcome::AmountDiffers {
            expenses: ids,
            total,
            paid,
        } => (
            "amount_differs",
            format!(
                "pagato {} ma il documento vale {}: verificare a mano",
                paid.italian(),
                total.italian()
            ),
            ids,
        ),
        Outcome::Ambiguous { expenses: ids } => (
            "ambiguous",
            "più documenti del fornitore hanno questo numero: abbinare a mano".to_owned(),
            ids,
        ),
    }
}

/// The project's expenses the export left without payment data.
fn unpaid_views(expenses: &[Expense], unpaid: &[ExpenseId]) -> Vec<UnpaidView> {
    expenses
        .iter()
        .filter(|e| unpaid.contains(&e.id))
        .map(|e| UnpaidView {
            id: e.id.to_string(),
            supplier_name: e.data.document.supplier_name.clone(),
            document_number: e.data.document.number.clone(),
            document_date: e.data.document.date.to_string(),
            total: (e.data.amounts.net() + e.data.amounts.vat()).to_string(),
        })
        .collect()
}

/// The columns every payments export must have, with their Italian description.
const REQUIRED: &[(&str, &str)] = &[
    ("payment_order_number", "del numero del mandato"),
    ("payment_order_date", "della data del mandato"),
    ("supplier_vat", "della partita IVA del fornitore"),
    ("document_number", "del numero della fattura"),
    ("amount", "dell'importo pagato"),
];

fn column_of(columns: &BTreeMap<&'static str, String>, field: &str) -> String {
    columns.get(field).map_or_else(
        || format!("per {field} (non trovata nel file)"),
        |h| format!("«{h}»"),
    )
}
