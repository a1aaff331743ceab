//! Reconciliation with the council's accounting system: its payments export is read, matched to
//! the project's expenses (see [`crate::domain::reconciliation`]), and the matched expenses get
//! their payment order and dates — all in one transaction, or nothing on a dry run. What does not
//! match, on either side, is listed for the finance officer.

use serde::Serialize;

use super::{access, projects, App, ServiceError};
use crate::domain::access::{Actor, Need};
use crate::domain::reconciliation::{reconcile, Outcome, PaymentLine};
use crate::domain::{ExpenseData, FieldError, Money, ProjectId, TaxId};
use crate::imports::csv::{self, Mapping, PAYMENT_FIELDS};

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
    if !missing.is_empty() {
        return Err(ServiceError::Invalid(missing));
    }
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    for row in &sheet.rows {
        let mut problems: Vec<FieldError> = row.errors.clone();
        let mut need = |field: &'static str| -> Option<&String> {
            let value = row.values.get(field);
            if value.is_none() && !problems.iter().any(|p| p.field == field) {
                problems.push(FieldError {
                    field: field.into(),
                    code: "required".into(),
                    message: format!(
                        "manca il valore della colonna {}",
                        column_of(&sheet.columns, field)
                    ),
                });
            }
            value
        };
        let order = need("payment_order_number").cloned();
        let order_date = need("payment_order_date").and_then(|d| d.parse().ok());
        let vat_raw = need("supplier_vat").cloned();
        let number = need("document_number").cloned();
        let amount = need("amount").and_then(|a| a.parse::<Money>().ok());
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
        let paid_on = row.values.get("payment_date").and_then(|d| d.parse().ok());
        match (order, order_date, vat, number, amount) {
            (
                Some(order_number),
                Some(order_date),
                Some(supplier_vat),
                Some(invoice_number),
                Some(amount),
            ) if problems.is_empty() => {
                lines.push(PaymentLine {
                    line: row.line,
                    order_number,
                    order_date,
                    supplier_vat,
                    invoice_number,
                    amount,
                    paid_on,
                });
            }
            _ => errors.extend(problems.into_iter().map(|p| LineError {
                row: row.line,
                field: p.field,
                code: p.code,
                message: p.message,
            })),
        }
    }

    let expenses = app.store.all_expenses(project).await?;
    let result = reconcile(&expenses, &lines);
    let mut report = Report {
        dry_run,
        lines: sheet.rows.len(),
        matched: Vec::new(),
        unmatched_payments: Vec::new(),
        unpaid_expenses: Vec::new(),
        errors,
        updated: Vec::new(),
    };
    let mut updates: Vec<(crate::domain::ExpenseId, i64, ExpenseData)> = Vec::new();
    for doc in &result.documents {
        let first = &doc.lines[0];
        let paid = doc
            .lines
            .iter()
            .fold(Money::from_cents(0), |s, l| s + l.amount);
        let mut view = DocumentView {
            rows: doc.lines.iter().map(|l| l.line).collect(),
            payment_order_number: doc
                .lines
                .iter()
                .map(|l| l.order_number.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            supplier_vat: first.supplier_vat.to_string(),
            document_number: first.invoice_number.clone(),
            paid: paid.to_string(),
            outcome: "",
            message: String::new(),
            expenses: Vec::new(),
        };
        let (code, message, ids, matched) = match &doc.outcome {
            Outcome::Matched {
                expenses: ids,
                order_number,
                order_date,
                paid_on,
                net_only,
            } => {
                let mut dates_ok = true;
                for id in ids {
                    let Some(e) = expenses.iter().find(|e| e.id == *id) else {
                        continue;
                    };
                    let mut data = e.data.clone();
                    data.payment.order_number = Some(order_number.clone());
                    data.payment.order_date = Some(*order_date);
                    if paid_on.is_some() {
                        data.payment.paid_on = *paid_on;
                    }
                    let mut v = crate::domain::Violations::new();
                    data.check_dates(&mut v);
                    if v.finish(|| Some(())).is_err() {
                        dates_ok = false;
                    }
                    updates.push((e.id, e.version, data));
                }
                if dates_ok {
                    let how = if *net_only {
                        "pagato l'imponibile: l'IVA è versata all'Erario (scissione dei pagamenti)"
                    } else {
                        "pagato il totale del documento"
                    };
                    ("matched", how.to_owned(), ids, true)
                } else {
                    updates.retain(|(id, _, _)| !ids.contains(id));
                    (
                        "dates_conflict",
                        "il mandato o il pagamento risultano precedenti alla data del documento: verificare a mano"
                            .to_owned(),
                        ids,
                        false,
                    )
                }
            }
            Outcome::AlreadyReconciled { expenses: ids } => (
                "already_reconciled",
                "già riconciliato: la spesa ha già questo mandato".to_owned(),
                ids,
                false,
            ),
            Outcome::Locked { expenses: ids } => (
                "locked",
                "la spesa fa parte di una rendicontazione già presentata: non modificata"
                    .to_owned(),
                ids,
                false,
            ),
            Outcome::NoDocument => (
                "no_document",
                "nessuna spesa del progetto ha questa fattura di questo fornitore".to_owned(),
                &Vec::new(),
                false,
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
                false,
            ),
            Outcome::Ambiguous { expenses: ids } => (
                "ambiguous",
                "più documenti del fornitore hanno questo numero: abbinare a mano".to_owned(),
                ids,
                false,
            ),
        };
        view.outcome = code;
        view.message = message;
        view.expenses = ids.iter().map(ToString::to_string).collect();
        if matched {
            report.matched.push(view);
        } else {
            report.unmatched_payments.push(view);
        }
    }
    let still_unpaid: Vec<_> = result.unpaid.iter().collect();
    report.unpaid_expenses = expenses
        .iter()
        .filter(|e| still_unpaid.contains(&&e.id))
        .map(|e| UnpaidView {
            id: e.id.to_string(),
            supplier_name: e.data.document.supplier_name.clone(),
            document_number: e.data.document.number.clone(),
            document_date: e.data.document.date.to_string(),
            total: (e.data.amounts.net() + e.data.amounts.vat()).to_string(),
        })
        .collect();
    if !dry_run && !updates.is_empty() {
        let done = app
            .store
            .update_expenses(
                &updates,
                crate::domain::audit::AuditAction::ExpenseReconcile,
                &app.change(who),
            )
            .await?;
        report.updated = done.iter().map(|e| e.id.to_string()).collect();
    }
    Ok(report)
}

/// The columns every payments export must have, with their Italian description.
const REQUIRED: &[(&str, &str)] = &[
    ("payment_order_number", "del numero del mandato"),
    ("payment_order_date", "della data del mandato"),
    ("supplier_vat", "della partita IVA del fornitore"),
    ("document_number", "del numero della fattura"),
    ("amount", "dell'importo pagato"),
];

fn column_of(columns: &std::collections::BTreeMap<&'static str, String>, field: &str) -> String {
    columns.get(field).map_or_else(
        || format!("per {field} (non trovata nel file)"),
        |h| format!("«{h}»"),
    )
}
