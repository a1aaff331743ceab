//! `indice.xlsx`: one line per file (or per expense without files), linked to the file, with the
//! expense's amount on its first line only (a sum counts each expense once), its payment order,
//! real dates, links to the submitted documents, and the submission's fingerprint; it prints
//! A4 landscape, one page wide.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatUnderline, Url, Workbook,
    Worksheet,
};

use super::{EvidencePack, EvidenceRow, PackKind, DOCUMENTS};
use crate::domain::text::italian_date;
use crate::reports::ReportError;

/// The table's columns, with their widths; the integrazioni add who added each file and when.
const COLUMNS: &[(&str, u16)] = &[
    ("N. riga", 6),
    ("Ente", 20),
    ("Categoria", 16),
    ("Fornitore", 20),
    ("Documento", 16),
    ("Data documento", 11),
    ("Importo rendicontato", 14),
    ("Mandato n.", 10),
    ("Data mandato", 11),
    ("Allegato", 13),
    ("File", 30),
    ("SHA-256", 33),
];
const ADDED: &[(&str, u16)] = &[("Aggiunto da", 22), ("Aggiunto il", 11)];

/// The width of a column (0-based) of the table.
fn width(col: u16) -> u16 {
    COLUMNS
        .iter()
        .chain(ADDED)
        .nth(usize::from(col))
        .map_or(10, |(_, w)| *w)
}

/// Sets a row's height to hold its longest wrapped text: readers keep the height a file gives
/// (LibreOffice does not measure rows on opening), so a row left at one line would show wrapped
/// text over the rows below. Lines are estimated from each text's length in its column's width.
fn grow(sheet: &mut Worksheet, r: u32, texts: &[(u16, &str)]) -> Result<(), ReportError> {
    let lines = texts
        .iter()
        .map(|(col, text)| {
            // Wrapping at spaces leaves part of each line empty: four fifths of the width. A
            // digest or a name without spaces fills its lines.
            let full = usize::from(width(*col).max(5));
            let per_line = if text.contains(' ') {
                full * 4 / 5
            } else {
                full
            };
            text.chars().count().div_ceil(per_line).max(1)
        })
        .max()
        .unwrap_or(1);
    if lines > 1 {
        sheet.set_row_height(r, 15.0 * lines as f64)?;
    }
    Ok(())
}

/// The row of the table's header (0-based), the lines following it: below the title, the
/// fingerprint, the documents, one row per signed copy and a blank row.
fn header_row(pack: &EvidencePack<'_>) -> u32 {
    4 + u32::try_from(pack.signed.len()).unwrap_or(0)
}

struct Formats {
    bold: Format,
    header: Format,
    euro: Format,
    date: Format,
    missing: Format,
    top: Format,
    centred: Format,
    wrap: Format,
    link: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(0xDDE6F0),
            euro: Format::new()
                .set_num_format("#,##0.00 \"€\";-#,##0.00 \"€\"")
                .set_align(FormatAlign::Top),
            date: Format::new()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Top),
            missing: Format::new()
                .set_font_color(0xB00020)
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
            top: Format::new().set_align(FormatAlign::Top),
            centred: Format::new()
                .set_align(FormatAlign::Top)
                .set_align(FormatAlign::Center),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            link: Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_font_color(Color::Blue)
                .set_underline(FormatUnderline::Single),
        }
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, ReportError> {
    Ok(ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        u8::try_from(d.month()).unwrap_or(1),
        u8::try_from(d.day()).unwrap_or(1),
    )?)
}

pub(super) fn workbook(pack: &EvidencePack<'_>) -> Result<Vec<u8>, ReportError> {
    let what = match pack.kind {
        PackKind::Evidence => "Indice delle evidenze",
        PackKind::Integrazioni => "Indice delle integrazioni",
    };
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!("{what} – rendicontazione {}", pack.submission))
            .set_author("rendiconta")
            .set_creation_datetime(&pack.as_of),
    );
    let f = Formats::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Indice")?;
    heading(sheet, pack, what, &f)?;
    let header = header_row(pack);
    let columns: Vec<(&str, u16)> = match pack.kind {
        PackKind::Evidence => COLUMNS.to_vec(),
        PackKind::Integrazioni => COLUMNS.iter().chain(ADDED).copied().collect(),
    };
    for (col, (title, width)) in columns.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(0);
        sheet.write_string_with_format(header, col, *title, &f.header)?;
        sheet.set_column_width(col, f64::from(*width))?;
    }
    let mut r = header + 1;
    for row in &pack.rows {
        r = lines(sheet, pack, row, r, &f)?;
    }
    let last_col = u16::try_from(columns.len() - 1).unwrap_or(0);
    sheet.set_freeze_panes(header + 1, 0)?;
    sheet.autofilter(header, 0, r.saturating_sub(1).max(header), last_col)?;
    print_setup(sheet, pack)?;
    Ok(workbook.save_to_buffer()?)
}

/// The title, the fingerprint and, in the evidence pack, links to the submitted documents.
fn heading(
    sheet: &mut Worksheet,
    pack: &EvidencePack<'_>,
    what: &str,
    f: &Formats,
) -> Result<(), ReportError> {
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} – {} della rendicontazione {} al {}",
            pack.project_title,
            what.to_lowercase().replace("indice delle ", ""),
            pack.submission,
            italian_date(pack.as_of)
        ),
        &f.bold,
    )?;
    sheet.write_string(
        1,
        0,
        format!("Impronta SHA-256 dei dati: {}", pack.fingerprint),
    )?;
    match pack.kind {
        PackKind::Evidence => {
            sheet.write_string_with_format(2, 0, "Documenti presentati:", &f.bold)?;
            for (i, document) in DOCUMENTS.iter().enumerate() {
                let col = u16::try_from(3 + 2 * i).unwrap_or(3);
                sheet.write_url_with_text(
                    2,
                    col,
                    Url::new(format!("file:///{document}")),
                    *document,
                )?;
            }
            for (row, name) in (3..).zip(&pack.signed) {
                if row == 3 {
                    sheet.write_string_with_format(row, 0, "Copie firmate:", &f.bold)?;
                }
                sheet.write_url_with_text(row, 3, Url::new(format!("file:///{name}")), name)?;
            }
        }
        PackKind::Integrazioni => {
            sheet.write_string(
                2,
                0,
                "Documenti aggiunti dopo la presentazione alle spese che essa comprendeva.",
            )?;
        }
    }
    Ok(())
}

/// One expense's lines from row `r`: one per file, or one saying it has none. Returns the next row.
fn lines(
    sheet: &mut Worksheet,
    pack: &EvidencePack<'_>,
    row: &EvidenceRow,
    mut r: u32,
    f: &Formats,
) -> Result<u32, ReportError> {
    let e = &row.expense.data;
    let document = format!("{} {}", e.document.kind.italian(), e.document.number);
    let describe = |sheet: &mut Worksheet, r: u32, first: bool| -> Result<(), ReportError> {
        sheet.write_number_with_format(r, 0, u32::try_from(row.row).unwrap_or(0), &f.top)?;
        sheet.write_string_with_format(r, 1, &row.entity, &f.wrap)?;
        sheet.write_string_with_format(r, 2, &row.category, &f.wrap)?;
        sheet.write_string_with_format(r, 3, &e.document.supplier_name, &f.wrap)?;
        sheet.write_string_with_format(r, 4, &document, &f.wrap)?;
        sheet.write_datetime_with_format(r, 5, excel_date(e.document.date)?, &f.date)?;
        if first {
            // Cells hold doubles by the format's definition; the exact figure is in the
            // rendiconto. Once per expense, so that a sum of the column counts it once.
            let claimed = e.signed(e.amounts.claimed()).to_decimal();
            sheet.write_number_with_format(r, 6, claimed.to_f64().unwrap_or_default(), &f.euro)?;
        }
        if let Some(number) = &e.payment.order_number {
            sheet.write_string_with_format(r, 7, number, &f.centred)?;
        }
        if let Some(date) = e.payment.order_date {
            sheet.write_datetime_with_format(r, 8, excel_date(date)?, &f.date)?;
        }
        Ok(())
    };
    if row.files.is_empty() {
        describe(sheet, r, true)?;
        sheet.write_string_with_format(r, 9, "nessun documento allegato", &f.missing)?;
        let texts = [
            (1, row.entity.as_str()),
            (2, row.category.as_str()),
            (3, e.document.supplier_name.as_str()),
            (4, document.as_str()),
            (9, "nessun documento allegato"),
        ];
        grow(sheet, r, &texts)?;
        return Ok(r + 1);
    }
    for (i, ((attachment, present), path)) in row.files.iter().zip(pack.paths(row)).enumerate() {
        describe(sheet, r, i == 0)?;
        sheet.write_string_with_format(r, 9, attachment.kind.italian(), &f.wrap)?;
        let shown = if *present {
            // The file's own name: its folder is the row's (the link opens the whole path).
            let name = path.rsplit_once('/').map_or(path.as_str(), |(_, n)| n);
            let url = Url::new(format!("file:///{path}")).set_text(name);
            sheet.write_url_with_format(r, 10, url, &f.link)?;
            name.to_owned()
        } else {
            let text = format!(
                "{} – file mancante nell'archivio",
                attachment.file_name.as_str()
            );
            sheet.write_string_with_format(r, 10, &text, &f.missing)?;
            text
        };
        sheet.write_string_with_format(r, 11, attachment.digest.as_str(), &f.wrap)?;
        grow(
            sheet,
            r,
            &[
                (1, &row.entity),
                (2, &row.category),
                (3, &e.document.supplier_name),
                (4, &document),
                (9, attachment.kind.italian()),
                (10, &shown),
                (11, attachment.digest.as_str()),
            ],
        )?;
        if pack.kind == PackKind::Integrazioni {
            sheet.write_string_with_format(r, 12, &attachment.created_by, &f.wrap)?;
            let added = excel_date(attachment.created_at.date_naive())?;
            sheet.write_datetime_with_format(r, 13, added, &f.date)?;
        }
        r += 1;
    }
    Ok(r)
}

/// A4 landscape, one page wide, the header row on every page, the fingerprint in the footer.
fn print_setup(sheet: &mut Worksheet, pack: &EvidencePack<'_>) -> Result<(), ReportError> {
    const A4: u8 = 9;
    let title = pack.project_title.replace('&', "&&");
    sheet
        .set_paper_size(A4)
        .set_landscape()
        .set_print_fit_to_pages(1, 0)
        .set_header(format!(
            "&L{title} – rendicontazione {}&RPagina &P di &N",
            pack.submission
        ))
        .set_footer(format!("&LImpronta SHA-256 dei dati: {}", pack.fingerprint));
    sheet.set_repeat_rows(header_row(pack), header_row(pack))?;
    Ok(())
}
