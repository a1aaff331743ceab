//! The sheets that list expenses apart: those not admitted, and the corrections to earlier
//! submissions.

use rust_xlsxwriter::{Formula, Worksheet};

use super::expenses::{fit_row_height, header_row, write_line};
use super::{number, Styles};
use crate::reports::model::ReportModel;
use crate::reports::template::Field;
use crate::reports::ReportError;

pub(super) fn excluded_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    ws.set_name("Non ammissibili")?;
    let mut columns = model.template.columns.clone();
    columns.retain(|c| c.field != Field::EligibleAmount);
    header_row(ws, &columns, st)?;
    let reason_col = u16::try_from(columns.len()).unwrap_or(0);
    ws.write_string_with_format(0, reason_col, "Motivo dell'esclusione", &st.header)?;
    ws.set_column_width(reason_col, 60)?;
    let mut row = 1u32;
    for x in &model.excluded {
        fit_row_height(ws, row, &columns, &x.line)?;
        write_line(ws, row, &columns, &x.line)?;
        ws.write_string_with_format(row, reason_col, x.message, &st.wrap)?;
        row += 1;
    }
    for l in &model.pending {
        fit_row_height(ws, row, &columns, l)?;
        write_line(ws, row, &columns, l)?;
        ws.write_string(
            row,
            reason_col,
            "in attesa di verifica: non inclusa nel calcolo",
        )?;
        row += 1;
    }
    if row > 1 {
        ws.autofilter(0, 0, row - 1, reason_col)?;
    }
    Ok(())
}

/// Corrections to what earlier submissions claimed: amounts as numbers, the change as a formula
/// with its cached result.
pub(super) fn adjustments_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    ws.set_name("Rettifiche")?;
    for (col, (header, width)) in (0u16..).zip([
        ("Documento", 60),
        ("Rendicontazione", 16),
        ("Importo rendicontato allora", 20),
        ("Importo ora", 18),
        ("Differenza", 18),
    ]) {
        ws.write_string_with_format(0, col, header, &st.header)?;
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (row, (a, expense)) in (1u32..).zip(&model.adjustments) {
        let [document, submission, ..] = ReportModel::adjustment_cells(a, expense.as_ref());
        ws.write_string(row, 0, document)?;
        ws.write_string(row, 1, submission)?;
        ws.write_number_with_format(row, 2, number(a.before.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 3, number(a.after.to_decimal()), &st.euro)?;
        let excel_row = row + 1;
        ws.write_formula_with_format(
            row,
            4,
            Formula::new(format!("=D{excel_row}-C{excel_row}"))
                .set_result(a.delta().to_decimal().to_string()),
            &st.euro,
        )?;
    }
    Ok(())
}
