//! Spese: one row per counted expense with the template's columns, under a filter; the totals
//! per category and overall below the filtered rows, so that filtering or sorting never moves or
//! breaks them.

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{Formula, Worksheet, XlsxError};

use super::{excel_date, number, sum_formula, Styles};
use crate::domain::Money;
use crate::reports::model::{Line, ReportModel};
use crate::reports::template::{Column, Field, Format as ColumnFormat};
use crate::reports::ReportError;

/// Writes one expense row with the template's columns.
pub(super) fn write_line(
    ws: &mut Worksheet,
    row: u32,
    columns: &[Column],
    l: &Line,
) -> Result<(), XlsxError> {
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
        // Each value typed as what it is: a number, a date, an amount, or text.
        match c.field {
            Field::Row => ws
                .write_number(row, col, u32::try_from(l.row).unwrap_or(0))
                .map(|_| ())?,
            Field::DocumentDate | Field::PaymentOrderDate | Field::PaymentDate => {
                date(ws, c.field.date(l))?
            }
            field => match field.amount(l) {
                Some(amount) => euro(ws, amount)?,
                None => text(ws, field.borrowed(l))?,
            },
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
                ws.set_column_format(col, &st.euro_top)?;
            }
            Field::DocumentDate | Field::PaymentOrderDate | Field::PaymentDate => {
                ws.set_column_format(col, &st.date_top)?;
            }
            // Long texts wrap (the row grows to fit) rather than run under the next column.
            field if wraps(field) => {
                ws.set_column_format(col, &st.wrap)?;
            }
            _ => {
                ws.set_column_format(col, &st.top)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    Ok(())
}

/// The fields whose text wraps in its column.
fn wraps(field: Field) -> bool {
    matches!(
        field,
        Field::Entity
            | Field::Category
            | Field::SupplierName
            | Field::Description
            | Field::CommitmentAct
            | Field::LiquidationAct
    )
}

/// Sets a row's height to hold its longest wrapped text. Readers keep the height a file gives
/// (LibreOffice does not measure rows on opening), so a row left at one line would show wrapped
/// text over the rows below. Lines are estimated from the text's length in the column's width
/// (characters of the default font), rounding up.
pub(super) fn fit_row_height(
    ws: &mut Worksheet,
    row: u32,
    columns: &[Column],
    l: &Line,
) -> Result<(), XlsxError> {
    let lines = columns
        .iter()
        .filter(|c| wraps(c.field))
        .map(|c| {
            let chars = c.field.borrowed(l).map_or(0, |t| t.chars().count());
            // A column holds about 1.2 of its width in characters of ordinary text.
            let per_line = usize::from(c.width.max(4)) * 6 / 5;
            chars.div_ceil(per_line).max(1)
        })
        .max()
        .unwrap_or(1);
    if lines > 1 {
        ws.set_row_height(row, 15.0 * lines as f64)?;
    }
    Ok(())
}

/// Where Spese holds what the other sheets sum: its expense rows (one per counted expense, from
/// the second row) and the column of each field the template shows.
pub(super) struct SpeseRanges {
    /// The last expense row (0-based); `None` when there is none.
    last: Option<u32>,
    columns: Vec<(Field, u16)>,
}

impl SpeseRanges {
    pub(super) fn new(model: &ReportModel<'_>) -> SpeseRanges {
        let rows: usize = model.sections.iter().map(|s| s.lines.len()).sum();
        SpeseRanges {
            last: u32::try_from(rows).ok().filter(|&n| n > 0),
            columns: (0u16..)
                .zip(&model.template.columns)
                .map(|(i, c)| (c.field, i))
                .collect(),
        }
    }

    /// `Spese!$X$2:$X$n` for a field's column.
    fn range(&self, field: Field) -> Option<String> {
        let last = self.last?;
        let col = self.columns.iter().find(|(f, _)| *f == field)?.1;
        Some(format!(
            "Spese!{}:{}",
            row_col_to_cell_absolute(1, col),
            row_col_to_cell_absolute(last, col)
        ))
    }

    /// `SUMIFS` of an amount over the expenses whose `by` field is exactly `value`: `None` when
    /// Spese lacks either column or has no rows (the caller writes the figure itself).
    pub(super) fn sum_where(&self, amount: Field, by: Field, value: &str) -> Option<String> {
        Some(format!(
            "SUMIFS({},{},{})",
            self.range(amount)?,
            self.range(by)?,
            exactly(value)
        ))
    }
}

/// A `SUMIFS` criterion matching `value` exactly: `=` first (a name starting with `<` or `>` is
/// not a comparison), the wildcards `*`, `?` and `~` escaped, quotes doubled.
fn exactly(value: &str) -> String {
    let escaped = value
        .replace('~', "~~")
        .replace('*', "~*")
        .replace('?', "~?")
        .replace('"', "\"\"");
    format!("\"={escaped}\"")
}

fn row_col_to_cell_absolute(row: u32, col: u16) -> String {
    rust_xlsxwriter::utility::row_col_to_cell_absolute(row, col)
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
    // Every counted expense, one row each, category after category: the filter covers them all.
    let mut row = 1u32;
    let mut section_rows = Vec::new();
    for section in &model.sections {
        let first = row;
        for l in &section.lines {
            fit_row_height(ws, row, columns, l)?;
            write_line(ws, row, columns, l)?;
            row += 1;
        }
        section_rows.push((first, row));
    }
    let last_col = u16::try_from(columns.len()).unwrap_or(1).saturating_sub(1);
    ws.autofilter(0, 0, row.saturating_sub(1).max(1), last_col)?;

    // Below the filtered rows, after a blank one: the total of each category (by its name in
    // the Categoria column, so sorting the rows changes nothing) and the grand total.
    let ranges = SpeseRanges::new(model);
    row += 1;
    let euro_columns = || {
        (0u16..)
            .zip(columns)
            .filter(|(_, c)| c.format == ColumnFormat::Euro)
    };
    for (section, (first, end)) in model.sections.iter().zip(&section_rows) {
        ws.write_string_with_format(row, label_col, format!("Totale {}", section.name), &st.bold)?;
        for (col, c) in euro_columns() {
            let sum = column_sum(c.field, &section.lines);
            let formula = match ranges.sum_where(c.field, Field::Category, section.name) {
                Some(sumifs) => Formula::new(format!("={sumifs}")).set_result(sum.to_string()),
                // Without a Categoria column the category's rows are summed where they are.
                None if end > first => sum_formula(
                    &format!(
                        "{}:{}",
                        row_col_to_cell(*first, col),
                        row_col_to_cell(end - 1, col)
                    ),
                    sum,
                ),
                None => Formula::new("=0").set_result("0.00"),
            };
            ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
        }
        row += 1;
    }
    ws.write_string_with_format(row, label_col, "Totale generale", &st.bold)?;
    let all: Vec<Line> = model
        .sections
        .iter()
        .flat_map(|s| s.lines.iter().copied())
        .collect();
    for (col, c) in euro_columns() {
        let total = column_sum(c.field, &all);
        let formula = match ranges.range(c.field) {
            Some(range) => Formula::new(format!("=SUM({range})")).set_result(total.to_string()),
            None => Formula::new("=0").set_result("0.00"),
        };
        ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
    }
    Ok(())
}
