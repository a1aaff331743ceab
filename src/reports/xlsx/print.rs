//! How the workbook prints.

use rust_xlsxwriter::{Worksheet, XlsxError};

use crate::reports::model::{ReportModel, DRAFT_MARK};

/// How every sheet prints: A4 landscape, one page wide, the expense tables' header row on every
/// page, and a header and footer naming the project, its CUP, the page and the data's fingerprint.
pub(super) fn print_setup(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    index: usize,
) -> Result<(), XlsxError> {
    const A4: u8 = 9;
    let p = &model.snapshot.project.data;
    // `&` starts a code in Excel's header syntax: a literal one is doubled.
    let escape = |text: &str| text.replace('&', "&&");
    let cup = p
        .cup
        .as_ref()
        .map(|c| format!(" – CUP {c}"))
        .unwrap_or_default();
    let draft = if model.is_submission() {
        String::new()
    } else {
        format!("&R{}", escape(DRAFT_MARK))
    };
    ws.set_paper_size(A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_header(format!("&L{}{}{draft}", escape(&p.title), escape(&cup)))
        .set_footer(format!(
            "&LImpronta SHA-256 dei dati: {}&RPagina &P di &N",
            model.fingerprint
        ));
    // Riepilogo, chart included, on one page.
    if index == 0 {
        ws.set_print_fit_to_pages(1, 1);
    }
    // Spese and Non ammissibili open with their header row.
    if index == 1 || index == 2 {
        ws.set_repeat_rows(0, 0)?;
    }
    Ok(())
}
