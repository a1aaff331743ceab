//! `rendiconto.xlsx`: Riepilogo (project data, budget vs recognised, the contribution step by step,
//! tranches, warnings and a chart), Spese (one row per counted expense, grouped by category with
//! subtotals), Non ammissibili and Per ente. Amounts are numeric cells with a euro format; totals are
//! formulas whose cached results are set from the exact decimal figures, so readers that do not
//! recompute show the same numbers as those that do, and as the API.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Workbook, XlsxError,
};

mod expenses;
mod lists;
mod print;
mod summary;

use super::model::ReportModel;
use super::ReportError;
use crate::domain::Money;
use expenses::expenses_sheet;
use lists::{adjustments_sheet, excluded_sheet};
use print::print_setup;
use summary::{entities_sheet, summary_sheet};

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
    percent: Format,
    wrap: Format,
    /// Cells of a grown row stay at its top, beside the first line of a wrapped text.
    top: Format,
    euro_top: Format,
    date_top: Format,
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
            percent: Format::new().set_num_format("0.00%"),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            top: Format::new().set_align(FormatAlign::Top),
            euro_top: Format::new()
                .set_num_format(EURO)
                .set_align(FormatAlign::Top),
            date_top: Format::new()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Top),
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

pub fn render(model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    // Level 3, as Excel itself uses: ~5 % larger than the default 6, and the zip is a large part of
    // the time of a 100,000-row workbook (rust_xlsxwriter's performance notes measure 30 % faster).
    workbook.set_zip_compression_level(3);

    let fingerprint_row = summary_sheet(workbook.add_worksheet(), model, &styles)?;
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
        .write_string(fingerprint_row, 0, &fingerprint)?;
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
