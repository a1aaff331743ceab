//! `rendiconto.xlsx`: Riepilogo (project data, budget vs recognised, the contribution step by step,
//! tranches, warnings and a chart), Spese (one row per counted expense, grouped by category with
//! subtotals), Non ammissibili and Per ente. Amounts are numeric cells with a euro format; totals are
//! formulas whose cached results are set from the exact decimal figures, so readers that do not
//! recompute show the same numbers as those that do, and as the API.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook,
    Worksheet, XlsxError,
};

mod lists;
mod print;

use super::model::{document_type_it, nature_it, status_it, Line, ReportModel};
use super::template::{Column, Field, Format as ColumnFormat};
use super::ReportError;
use crate::domain::text::italian_date;
use crate::domain::Money;
use lists::{adjustments_sheet, excluded_sheet};
use print::print_setup;

const EURO: &str = "#,##0.00 \"€\";-#,##0.00 \"€\"";

/// Spreadsheet cells hold IEEE doubles by the file format's definition; the exact decimal figure
/// travels in the cached results of the formulas and in the API.
fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or_default()
}

struct Styles {
    title: Format,
    bold: Format,
    header: Format,
    euro: Format,
    euro_bold: Format,
    date: Format,
    percent: Format,
    wrap: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(0xDDE6F0)
                .set_align(FormatAlign::Center),
            euro: Format::new().set_num_format(EURO),
            euro_bold: Format::new().set_num_format(EURO).set_bold(),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            percent: Format::new().set_num_format("0.00%"),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        u8::try_from(d.month()).unwrap_or(1),
        u8::try_from(d.day()).unwrap_or(1),
    )
}

/// A `SUM` over cells with its cached result.
fn sum_formula(cells: &str, result: Money) -> Formula {
    Formula::new(format!("=SUM({cells})")).set_result(result.to_string())
}

/// The summary sheet's row with the data's fingerprint.
const FINGERPRINT_ROW: u32 = 6;

pub fn render(model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    // Level 3, as Excel itself uses: ~5 % larger than the default 6, and the zip is a large part of
    // the time of a 100,000-row workbook (rust_xlsxwriter's performance notes measure 30 % faster).
    workbook.set_zip_compression_level(3);

    summary_sheet(workbook.add_worksheet(), model, &styles)?;
    // The expense tables are written row by row in order: constant-memory sheets keep a 100,000-row
    // workbook from holding every cell in memory.
    expenses_sheet(
        workbook.add_worksheet_with_constant_memory()?,
        model,
        &styles,
    )?;
    excluded_sheet(
        workbook.add_worksheet_with_constant_memory()?,
        model,
        &styles,
    )?;
    entities_sheet(workbook.add_worksheet(), model, &styles)?;
    if !model.adjustments.is_empty() {
        adjustments_sheet(workbook.add_worksheet(), model, &styles)?;
    }

    // The fingerprint last: it may still be being computed (see `Fingerprint`).
    let fingerprint = format!("Impronta SHA-256 dei dati: {}", model.fingerprint);
    workbook
        .worksheet_from_index(0)?
        .write_string(FINGERPRINT_ROW, 0, &fingerprint)?;
    let sheets = if model.adjustments.is_empty() { 4 } else { 5 };
    for index in 0..sheets {
        print_setup(workbook.worksheet_from_index(index)?, model, index)?;
    }
    // Reproducible bytes: the document is dated by its as-of date, not by the clock.
    let properties = DocProperties::new()
        .set_title(model.text("title"))
        .set_author("rendiconta")
        .set_comment(fingerprint)
        .set_creation_datetime(&model.snapshot.summary.as_of);
    workbook.set_properties(&properties);
    Ok(workbook.save_to_buffer()?)
}

fn summary_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    let s = &model.snapshot.summary;
    ws.set_name("Riepilogo")?;
    ws.set_column_width(0, 44)?;
    for c in 1..=5 {
        ws.set_column_width(c, 18)?;
    }
    ws.write_string_with_format(0, 0, model.text("title"), &st.title)?;
    for (row, key) in (1u32..).zip([
        "funder_line",
        "act_line",
        "project_line",
        "beneficiary_line",
        "as_of_line",
    ]) {
        ws.write_string(row, 0, model.text(key))?;
    }
    // Row FINGERPRINT_ROW is written last, by `render`.
    if let Some(line) = model.audit_line() {
        ws.write_string(7, 0, line)?;
    }

    let top = 8u32;
    for (col, header) in (0u16..).zip([
        "Categoria",
        "Approvato originale",
        "Approvato attuale",
        "Ammissibile",
        "Massimale",
        "Riconosciuto",
    ]) {
        ws.write_string_with_format(top, col, header, &st.header)?;
    }
    let first = top + 1;
    for (row, c) in (first..).zip(&s.categories) {
        ws.write_string(row, 0, &c.name)?;
        ws.write_number_with_format(row, 1, number(c.approved_original.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 2, number(c.approved.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 3, number(c.eligible.to_decimal()), &st.euro)?;
        match c.ceiling {
            Some(limit) => {
                ws.write_number_with_format(row, 4, number(limit.to_decimal()), &st.euro)?
            }
            None => ws.write_string(row, 4, "—")?,
        };
        ws.write_number_with_format(row, 5, number(c.recognised.to_decimal()), &st.euro)?;
    }
    let last = first + u32::try_from(s.categories.len()).unwrap_or(0) - 1;
    let total_row = last + 1;
    ws.write_string_with_format(total_row, 0, "Totale", &st.bold)?;
    let totals = [
        (1, s.approved_original_total),
        (2, s.approved_total),
        (3, s.eligible_total),
        (5, s.recognised_total),
    ];
    for (col, value) in totals {
        let range = format!(
            "{}:{}",
            row_col_to_cell(first, col),
            row_col_to_cell(last, col)
        );
        ws.write_formula_with_format(total_row, col, sum_formula(&range, value), &st.euro_bold)?;
    }

    // The contribution, step by step, each step a formula over the ones above.
    let mut row = total_row + 2;
    ws.write_string_with_format(row, 0, "Calcolo del contributo", &st.bold)?;
    row += 1;
    let recognised_cell = row_col_to_cell(total_row, 5);
    let step =
        |ws: &mut Worksheet, row: u32, label: &str| ws.write_string(row, 0, label).map(|_| ());
    step(ws, row, "Spesa riconosciuta")?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("={recognised_cell}")).set_result(s.recognised_total.to_string()),
        &st.euro,
    )?;
    let recognised_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Tasso di contributo")?;
    ws.write_number_with_format(
        row,
        1,
        number(s.contribution_rate.to_decimal()),
        &st.percent,
    )?;
    let rate_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Contributo calcolato (arrotondato al centesimo)")?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("=ROUND({recognised_at}*{rate_at},2)"))
            .set_result(s.contribution_computed.to_string()),
        &st.euro,
    )?;
    let computed_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Massimo concedibile")?;
    ws.write_number_with_format(row, 1, number(s.cap.to_decimal()), &st.euro)?;
    let cap_at = row_col_to_cell(row, 1);
    row += 1;
    let revoked_at = if let Some(threshold) = s.revocation_threshold {
        step(ws, row, "Soglia minima di realizzazione")?;
        ws.write_number_with_format(row, 1, number(threshold.to_decimal()), &st.euro)?;
        row += 1;
        step(ws, row, "Contributo revocato")?;
        ws.write_string(row, 1, if s.revoked { "Sì" } else { "No" })?;
        let at = row_col_to_cell(row, 1);
        row += 1;
        Some(at)
    } else {
        None
    };
    step(ws, row, "Contributo dovuto")?;
    let due_formula = match &revoked_at {
        Some(at) => format!("=IF({at}=\"Sì\",0,MIN({cap_at},{computed_at}))"),
        None => format!("=MIN({cap_at},{computed_at})"),
    };
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(due_formula).set_result(s.contribution_due.to_string()),
        &st.euro_bold,
    )?;
    let due_at = row_col_to_cell(row, 1);
    row += 2;

    ws.write_string_with_format(row, 0, "Erogazioni ricevute", &st.bold)?;
    row += 1;
    let tranche_first = row;
    for t in &model.snapshot.tranches {
        let kind = match t.kind {
            crate::domain::funding::TrancheKind::Advance => "Anticipo",
            crate::domain::funding::TrancheKind::Balance => "Saldo",
        };
        ws.write_string(
            row,
            0,
            format!("{kind} – {} del {}", t.act, italian_date(t.date)),
        )?;
        ws.write_number_with_format(row, 1, number(t.amount.to_decimal()), &st.euro)?;
        row += 1;
    }
    step(ws, row, "Totale ricevuto")?;
    let received = if row > tranche_first {
        Formula::new(format!(
            "=SUM({}:{})",
            row_col_to_cell(tranche_first, 1),
            row_col_to_cell(row - 1, 1)
        ))
    } else {
        Formula::new("=0")
    };
    ws.write_formula_with_format(
        row,
        1,
        received.set_result(s.advances_received.to_string()),
        &st.euro,
    )?;
    let received_at = row_col_to_cell(row, 1);
    row += 1;
    let balance_label = if s.balance_due.is_negative() {
        "Da restituire al finanziatore (saldo negativo)"
    } else {
        "Saldo da ricevere"
    };
    step(ws, row, balance_label)?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("={due_at}-{received_at}")).set_result(s.balance_due.to_string()),
        &st.euro_bold,
    )?;
    // Warnings and reminders are for the office (workspace, summary API), never in a document
    // that is signed and sent.

    let mut chart = Chart::new(ChartType::Column);
    chart
        .title()
        .set_name("Approvato e riconosciuto per categoria");
    chart
        .add_series()
        .set_name("Approvato")
        .set_categories(("Riepilogo", first, 0, last, 0))
        .set_values(("Riepilogo", first, 2, last, 2));
    chart
        .add_series()
        .set_name("Riconosciuto")
        .set_categories(("Riepilogo", first, 0, last, 0))
        .set_values(("Riepilogo", first, 5, last, 5));
    chart.y_axis().set_num_format("#,##0 \"€\"");
    ws.insert_chart(1, 7, &chart)?;
    Ok(())
}

/// Writes one expense row with the template's columns.
fn write_line(ws: &mut Worksheet, row: u32, columns: &[Column], l: &Line) -> Result<(), XlsxError> {
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
fn header_row(ws: &mut Worksheet, columns: &[Column], st: &Styles) -> Result<(), XlsxError> {
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

fn expenses_sheet(
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

fn entities_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    let s = &model.snapshot.summary;
    ws.set_name("Per ente")?;
    for (col, (header, width)) in (0u16..).zip([
        ("Ente", 40),
        ("Spesa ammissibile", 18),
        ("Spesa riconosciuta", 18),
        ("Quota di contributo", 18),
    ]) {
        ws.write_string_with_format(0, col, header, &st.header)?;
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for e in &s.entities {
        ws.write_string(row, 0, &e.name)?;
        ws.write_number_with_format(row, 1, number(e.eligible.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 2, number(e.recognised.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 3, number(e.contribution_share.to_decimal()), &st.euro)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Totale", &st.bold)?;
    let sums = [
        (1u16, s.entities.iter().map(|e| e.eligible).sum::<Money>()),
        (2, s.entities.iter().map(|e| e.recognised).sum()),
        (3, s.entities.iter().map(|e| e.contribution_share).sum()),
    ];
    for (col, value) in sums {
        let formula = if row > 1 {
            sum_formula(
                &format!(
                    "{}:{}",
                    row_col_to_cell(1, col),
                    row_col_to_cell(row - 1, col)
                ),
                value,
            )
        } else {
            Formula::new("=0").set_result("0.00")
        };
        ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
    }
    Ok(())
}
