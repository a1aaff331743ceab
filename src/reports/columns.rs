//! One definition of what an expense column holds, for every format: the template names the fields,
//! this says each field's value in a row — as an amount where it is one, as Italian text for the
//! PDF — and where the PDF puts it (a column of the table, or the payment-details line under the
//! row).

use chrono::NaiveDate;

use super::model::Line;
use super::template::{Column, Field, PdfPlace};
use crate::domain::text::italian_date;
use crate::domain::Money;

impl Field {
    /// Where the PDF shows this field when the template does not say.
    pub fn default_pdf_place(self) -> PdfPlace {
        match self {
            Field::Row
            | Field::Entity
            | Field::SupplierName
            | Field::DocumentType
            | Field::DocumentNumber
            | Field::DocumentDate
            | Field::Description
            | Field::NetAmount
            | Field::VatAmount
            | Field::TotalAmount
            | Field::ClaimedAmount
            | Field::EligibleAmount => PdfPlace::Column,
            Field::SupplierVat
            | Field::Nature
            | Field::Cig
            | Field::Cup
            | Field::CommitmentAct
            | Field::LiquidationAct
            | Field::PaymentOrderNumber
            | Field::PaymentOrderDate
            | Field::PaymentDate => PdfPlace::Detail,
            Field::Category | Field::Status => PdfPlace::Omit,
        }
    }

    /// The field's amount in a row, signed as the tables sum it (negative for a credit note);
    /// `None` for a field that is not an amount.
    pub fn amount(self, l: &Line<'_>) -> Option<Money> {
        let a = &l.expense.data.amounts;
        Some(match self {
            Field::NetAmount => l.signed(a.net()),
            Field::VatAmount => l.signed(a.vat()),
            Field::TotalAmount => l.signed(a.total()),
            Field::ClaimedAmount => l.signed(a.claimed()),
            Field::EligibleAmount => l.eligible,
            _ => return None,
        })
    }

    /// The field's text as stored, without copying it; `None` for the fields that are not text
    /// (row numbers, dates, amounts), and for text the expense does not have.
    pub fn borrowed<'a>(self, l: &Line<'a>) -> Option<&'a str> {
        let e: &'a crate::domain::Expense = l.expense;
        let d = &e.data;
        match self {
            Field::Entity => Some(l.entity),
            Field::Category => Some(l.category),
            Field::Nature => Some(d.nature.italian()),
            Field::SupplierName => Some(&d.document.supplier_name),
            Field::SupplierVat => d.document.supplier_vat.as_ref().map(|v| v.as_str()),
            Field::DocumentType => Some(d.document.kind.italian()),
            Field::DocumentNumber => Some(&d.document.number),
            Field::Description => Some(&d.description),
            Field::Cig => d.cig.as_ref().map(|c| c.as_str()),
            Field::Cup => d.cup.as_ref().map(|c| c.as_str()),
            Field::CommitmentAct => d.payment.commitment_act.as_deref(),
            Field::LiquidationAct => d.payment.liquidation_act.as_deref(),
            Field::PaymentOrderNumber => d.payment.order_number.as_deref(),
            Field::Status => Some(e.status.italian()),
            Field::Row
            | Field::DocumentDate
            | Field::PaymentOrderDate
            | Field::PaymentDate
            | Field::NetAmount
            | Field::VatAmount
            | Field::TotalAmount
            | Field::ClaimedAmount
            | Field::EligibleAmount => None,
        }
    }

    /// The field's date in a row; `None` for the fields that are not dates, and for a date the
    /// expense does not have.
    pub fn date(self, l: &Line<'_>) -> Option<NaiveDate> {
        let d = &l.expense.data;
        match self {
            Field::DocumentDate => Some(d.document.date),
            Field::PaymentOrderDate => d.payment.order_date,
            Field::PaymentDate => d.payment.paid_on,
            _ => None,
        }
    }

    /// The field's value in a row as a document prints it (`1.234,56 €`, `31/01/2021`); empty
    /// when the expense has none.
    pub fn text(self, l: &Line<'_>) -> String {
        if let Some(amount) = self.amount(l) {
            amount.italian()
        } else if let Some(date) = self.date(l) {
            italian_date(date)
        } else if let Some(text) = self.borrowed(l) {
            text.to_owned()
        } else if self == Field::Row {
            l.row.to_string()
        } else {
            String::new()
        }
    }

    /// How the details line introduces the field's value.
    fn detail_label(self) -> &'static str {
        match self {
            Field::SupplierVat => "P. IVA ",
            Field::Cig => "CIG ",
            Field::Cup => "CUP ",
            Field::CommitmentAct => "impegno: ",
            Field::LiquidationAct => "liquidazione: ",
            Field::PaymentOrderNumber => "mandato n. ",
            Field::PaymentDate => "pagata il ",
            Field::Nature => "spesa ",
            _ => "",
        }
    }
}

impl Column {
    /// Where the PDF shows this column: the template's choice, else the field's default.
    pub fn pdf_place(&self) -> PdfPlace {
        self.pdf.unwrap_or_else(|| self.field.default_pdf_place())
    }
}

/// The payment-details line of a row, from the template's detail fields in their order: "P. IVA
/// 01234567897 · CIG Z1A2B3C4D5 · impegno: Det. n. 303 del 12/10/2020 · mandato n. 4479 del
/// 21/09/2020 · pagata il 24/09/2020". A mandate's date follows its number; fields the expense
/// does not have are left out.
pub fn details_line(columns: &[Column], l: &Line<'_>) -> String {
    let mut out = String::new();
    let mut previous = None;
    for c in columns.iter().filter(|c| c.pdf_place() == PdfPlace::Detail) {
        let value = c.field.text(l);
        if value.is_empty() {
            continue;
        }
        if c.field == Field::PaymentOrderDate {
            let joined = previous == Some(Field::PaymentOrderNumber);
            out.push_str(if joined {
                " del "
            } else if out.is_empty() {
                "mandato del "
            } else {
                " · mandato del "
            });
        } else {
            if !out.is_empty() {
                out.push_str(" · ");
            }
            out.push_str(c.field.detail_label());
        }
        if c.field == Field::Nature {
            out.push_str(&value.to_lowercase());
        } else {
            out.push_str(&value);
        }
        previous = Some(c.field);
    }
    out
}
