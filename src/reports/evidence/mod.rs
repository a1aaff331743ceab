//! The evidence pack of a submission: one ZIP with the submitted documents, every claimed
//! expense's files in a folder named after its row in the rendiconto, its supplier and its
//! document, and `indice.xlsx`, which links each row to its files. Entries are in row order and
//! dated by the submission's as-of date, so the same data give the same bytes. The pack is written
//! entry by entry (see [`PackWriter`]): one evidence file in memory at a time, however large the
//! project.

use std::io::{Seek, Write};

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, Format, Url, Workbook};
use zip::write::SimpleFileOptions;

use super::ReportError;
use crate::domain::attachment::{Attachment, FileName};
use crate::domain::text::italian_date;
use crate::domain::{Expense, Money};

/// A claimed expense with its files, each marked `false` if the file store no longer has it.
pub struct EvidenceRow {
    pub row: usize,
    pub entity: String,
    pub category: String,
    pub expense: Expense,
    pub files: Vec<(Attachment, bool)>,
}

pub struct EvidencePack<'a> {
    pub project_title: &'a str,
    pub submission: i64,
    pub as_of: NaiveDate,
    pub rows: Vec<EvidenceRow>,
}

impl EvidencePack<'_> {
    /// The evidence files the pack holds, in order: where each goes, and which file it is.
    pub fn entries(&self) -> impl Iterator<Item = (String, &Attachment)> {
        self.rows.iter().flat_map(|row| {
            let dir = folder(row);
            row.files
                .iter()
                .enumerate()
                .filter(|(_, (_, present))| *present)
                .map(move |(i, (attachment, _))| {
                    (format!("{dir}/{}", entry_name(attachment, i)), attachment)
                })
        })
    }
}

/// ASCII, no separators, at most `max` characters: safe as a folder name on every system.
fn path_part(text: &str, max: usize) -> String {
    let ascii = FileName::stored(text.to_owned()).ascii();
    let trimmed: String = ascii.trim_matches(['_', '.']).chars().take(max).collect();
    if trimmed.is_empty() {
        "senza_nome".into()
    } else {
        trimmed
    }
}

/// The folder of one row: `0007_Formazione_Emilia_S.r.l_Fattura_A1_2020`.
pub fn folder(row: &EvidenceRow) -> String {
    let d = &row.expense.data.document;
    format!(
        "{:04}_{}_{}_{}",
        row.row,
        path_part(&d.supplier_name, 40),
        d.kind.italian().replace(' ', "_"),
        path_part(&d.number, 30)
    )
}

fn entry_name(attachment: &Attachment, index: usize) -> String {
    format!(
        "{:02}_{}_{}",
        index + 1,
        attachment.kind.as_str(),
        path_part(attachment.file_name.as_str(), 80)
    )
}

/// Writes a pack into `out`: `indice.xlsx` first, then the submitted documents and the evidence
/// files as they are added, in the order of [`EvidencePack::entries`].
pub struct PackWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    options: SimpleFileOptions,
}

fn zip_error(e: zip::result::ZipError) -> ReportError {
    ReportError::Zip(e.to_string())
}

fn io_error(e: std::io::Error) -> ReportError {
    ReportError::Zip(e.to_string())
}

impl<W: Write + Seek> PackWriter<W> {
    pub fn start(out: W, pack: &EvidencePack<'_>) -> Result<PackWriter<W>, ReportError> {
        let stamp = zip::DateTime::from_date_and_time(
            u16::try_from(pack.as_of.year()).unwrap_or(1980),
            u8::try_from(pack.as_of.month()).unwrap_or(1),
            u8::try_from(pack.as_of.day()).unwrap_or(1),
            12,
            0,
            0,
        )
        .unwrap_or_default();
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(stamp)
            .unix_permissions(0o644);
        let mut writer = PackWriter {
            zip: zip::ZipWriter::new(out),
            options,
        };
        writer.add("indice.xlsx", &index(pack)?)?;
        Ok(writer)
    }

    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), ReportError> {
        self.zip.start_file(name, self.options).map_err(zip_error)?;
        self.zip.write_all(bytes).map_err(io_error)
    }

    pub fn finish(self) -> Result<W, ReportError> {
        self.zip.finish().map_err(zip_error)
    }
}

/// `indice.xlsx`: one line per file (or per expense without files), linked to the file.
fn index(pack: &EvidencePack<'_>) -> Result<Vec<u8>, ReportError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "Indice delle evidenze – rendicontazione {}",
                pack.submission
            ))
            .set_author("rendiconta")
            .set_creation_datetime(&pack.as_of),
    );
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_background_color(0xDDE6F0);
    let euro = Format::new().set_num_format("#,##0.00 \"€\";-#,##0.00 \"€\"");
    let missing = Format::new().set_font_color(0xB00020).set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Indice")?;
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} – evidenze della rendicontazione {} al {}",
            pack.project_title,
            pack.submission,
            italian_date(pack.as_of)
        ),
        &bold,
    )?;
    let headers = [
        ("N. riga", 8.0),
        ("Ente", 28.0),
        ("Categoria", 24.0),
        ("Fornitore", 30.0),
        ("Documento", 22.0),
        ("Data", 11.0),
        ("Importo rendicontato", 16.0),
        ("Allegato", 22.0),
        ("File", 60.0),
        ("SHA-256", 66.0),
    ];
    for (col, (title, width)) in headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(0);
        sheet.write_string_with_format(2, col, *title, &header)?;
        sheet.set_column_width(col, *width)?;
    }
    let mut r: u32 = 3;
    for row in &pack.rows {
        let e = &row.expense.data;
        let claimed: Money = e.signed(e.amounts.claimed());
        let fill = |sheet: &mut rust_xlsxwriter::Worksheet, r: u32| -> Result<(), ReportError> {
            sheet.write_number(r, 0, u32::try_from(row.row).unwrap_or(0))?;
            sheet.write_string(r, 1, &row.entity)?;
            sheet.write_string(r, 2, &row.category)?;
            sheet.write_string(r, 3, &e.document.supplier_name)?;
            sheet.write_string(
                r,
                4,
                format!("{} {}", e.document.kind.italian(), e.document.number),
            )?;
            sheet.write_string(r, 5, italian_date(e.document.date))?;
            // Cells hold doubles by the format's definition; the exact figure is in the rendiconto.
            sheet.write_number_with_format(
                r,
                6,
                claimed.to_decimal().to_f64().unwrap_or_default(),
                &euro,
            )?;
            Ok(())
        };
        if row.files.is_empty() {
            fill(sheet, r)?;
            sheet.write_string_with_format(r, 7, "nessun documento allegato", &missing)?;
            r += 1;
            continue;
        }
        let dir = folder(row);
        for (i, (attachment, present)) in row.files.iter().enumerate() {
            fill(sheet, r)?;
            sheet.write_string(r, 7, attachment.kind.italian())?;
            let path = format!("{dir}/{}", entry_name(attachment, i));
            if *present {
                sheet.write_url_with_text(r, 8, Url::new(format!("file:///{path}")), &path)?;
            } else {
                sheet.write_string_with_format(
                    r,
                    8,
                    format!(
                        "{} – file mancante nell'archivio",
                        attachment.file_name.as_str()
                    ),
                    &missing,
                )?;
            }
            sheet.write_string(r, 9, attachment.digest.as_str())?;
            r += 1;
        }
    }
    sheet.set_freeze_panes(3, 0)?;
    sheet.autofilter(2, 0, r.saturating_sub(1).max(2), 9)?;
    Ok(workbook.save_to_buffer()?)
}
