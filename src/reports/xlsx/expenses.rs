//! Spese: one row per counted expense with the template's columns, under a filter; the totals
//! per category and overall below the filtered rows, so that filtering or sorting never moves or
//! breaks them.

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::{excel_date, number, sum_formula, Styles};
use crate::domain::Money;
use crate::reports::model::{document_type_it, nature_it, status_it, Line, ReportModel};
use crate::reports::template::{Column, Field, Format as ColumnFormat};
use crate::reports::ReportError;

/// Writes one expense row with the template's columns.
pub(super) fn write_line(
    ws: &mut Worksheet,
    row: u32,
    columns: &[Column],
    l: &Line,
) -> Result<(), XlsxError> {
    let d = &l.expense.data;
    for (col, c) in (0u16..).zip(columns) {
        let text = |ws: &mut Worksheet, value: Option<&str>| -> Result<(), XlsxError> {
            match value {
                Some(v) if !v.is_empty() => ws.write_string(row, col, v).map(|_| ()),
                _ => Ok(()),
            }
        };
        // Euro and date cells take their column's format (see `header_row`).
        let euro = |ws: &mut Worksheet, value: Money| {
            ws.write_number(row, col, number(value.to_decimal()))
                .map(|_| ())
        };
        let date =
            |ws: &mut Worksheet, value: Option<chrono::NaiveDate>| -> Result<(), XlsxError> {
                match value.map(|v| (v, excel_date(v))) {
                    Some((_, Ok(excel))) => ws.write_datetime(row, col, excel).map(|_| ()),
                    // A date Excel cannot hold is written as text, with a note saying why,
                    // rather than failing the whole document.
                    Some((v, Err(_))) => {
                        ws.write_string(row, col, crate::domain::text::italian_date(v))?;
                        ws.insert_note(
                            row,
                            col,
                            &rust_xlsxwriter::Note::new(
                                "Data fuori dall'intervallo gestito dal foglio di calcolo: \
                                 riportata come testo.",
                            ),
                        )
                        .map(|_| ())
                    }
                    None => Ok(()),
                }
            };
        match c.field {
            Field::Row => ws
                .write_number(row, col, u32::try_from(l.row).unwrap_or(0))
                .map(|_| ())?,
            Field::Entity => text(ws, Some(l.entity))?,
            Field::Category => text(ws, Some(l.category))?,
            Field::Nature => text(ws, Some(nature_it(d.nature)))?,
            Field::SupplierName => text(ws, Some(&d.document.supplier_name))?,
            Field::SupplierVat => text(ws, d.document.supplier_vat.as_ref().map(|v| v.as_str()))?,
            Field::DocumentType => text(ws, Some(document_type_it(d.document.kind)))?,
            Field::DocumentNumber => text(ws, Some(&d.document.number))?,
            Field::DocumentDate => date(ws, Some(d.document.date))?,
            Field::Description => text(ws, Some(&d.description))?,
            Field::NetAmount => euro(ws, l.signed(d.amounts.net()))?,
            Field::VatAmount => euro(ws, l.signed(d.amounts.vat()))?,
            Field::TotalAmount => euro(ws, l.signed(d.amounts.total()))?,
            Field::ClaimedAmount => euro(ws, l.signed(d.amounts.claimed()))?,
            Field::EligibleAmount => euro(ws, l.eligible)?,
            Field::Cig => text(ws, d.cig.as_ref().map(|c| c.as_str()))?,
            Field::Cup => text(ws, d.cup.as_ref().map(|c| c.as_str()))?,
            Field::CommitmentAct => text(ws, d.payment.commitment_act.as_deref())?,
            Field::LiquidationAct => text(ws, d.payment.liquidation_act.as_deref())?,
            Field::PaymentOrderNumber => text(ws, d.payment.order_number.as_deref())?,
            Field::PaymentOrderDate => date(ws, d.payment.order_date)?,
            Field::PaymentDate => date(ws, d.payment.paid_on)?,
            Field::Status => text(ws, Some(status_it(l.expense.status)))?,
        }
    }
    Ok(())
}

/// The value of a euro column summed over lines (the cached result of its formula).
fn column_sum(field: Field, lines: &[Line]) -> Money {
    lines.iter().filter_map(|l| field.amount(l)).sum()
}

/// The header row, and each column's width and format. Amounts and dates are written without a
/// format of their own and take the column's: one format lookup per column instead of one per cell
/// (rust_xlsxwriter hashes the whole format on every lookup).
pub(super) fn header_row(
    ws: &mut Worksheet,
    columns: &[Column],
    st: &Styles,
) -> Result<(), XlsxError> {
    for (col, c) in (0u16..).zip(columns) {
        ws.write_string_with_format(0, col, &c.header, &st.header)?;
        ws.set_column_width(col, c.width)?;
        match c.field {
            Field::NetAmount
            | Field::VatAmount
            | Field::TotalAmount
            | Field::ClaimedAmount
            | Field::EligibleAmount => {
                ws.set_column_format(col, &st.euro)?;
            }
            Field::DocumentDate | Field::PaymentOrderDate | Field::PaymentDate => {
                ws.set_column_format(col, &st.date)?;
            }
            _ => {}
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    Ok(())
}

pub(super) fn expenses_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    ws.set_name("Spese")?;
    let columns = &model.template.columns;
    header_row(ws, columns, st)?;
    let label_col = columns
        .iter()
        .position(|c| c.format != ColumnFormat::Euro && c.field != Field::Row)
        .unwrap_or(0);
    let label_col = u16::try_from(label_col).unwrap_or(0);
    let mut row = 1u32;
    let mut subtotal_rows = Vec::new();
    // The grand totals' cached results: the sums of the subtotals, exact decimals.
    let mut totals = vec![Money::ZERO; columns.len()];
    for section in &model.sections {
        let first = row;
        for l in &section.lines {
            write_line(ws, row, columns, l)?;
            row += 1;
        }
        ws.write_string_with_format(row, label_col, format!("Totale {}", section.name), &st.bold)?;
        for (col, c) in (0u16..)
            .zip(columns)
            .filter(|(_, c)| c.format == ColumnFormat::Euro)
        {
            let formula = if row > first {
                let sum = column_sum(c.field, &section.lines);
                totals[usize::from(col)] += sum;
                sum_formula(
                    &format!(
                        "{}:{}",
                        row_col_to_cell(first, col),
                        row_col_to_cell(row - 1, col)
                    ),
                    sum,
                )
            } else {
                Formula::new("=0").set_result("0.00")
            };
            ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
        }
        subtotal_rows.push(row);
        row += 2;
    }
    ws.autofilter(
        0,
        0,
        row.saturating_sub(2).max(1),
        u16::try_from(columns.len()).unwrap_or(1) - 1,
    )?;
    ws.write_string_with_format(row, label_col, "Totale generale", &st.bold)?;
    for (col, _) in (0u16..)
        .zip(columns)
        .filter(|(_, c)| c.format == ColumnFormat::Euro)
    {
        let cells: Vec<String> = subtotal_rows
            .iter()
            .map(|r| row_col_to_cell(*r, col))
            .collect();
        let formula = Formula::new(format!("=SUM({})", cells.join(",")))
            .set_result(totals[usize::from(col)].to_string());
        ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
    }
    Ok(())
}
