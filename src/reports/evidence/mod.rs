//! The evidence pack of a submission: one ZIP with the submitted documents, every claimed
//! expense's files in a folder named after its row in the rendiconto, its supplier and its
//! document, and `indice.xlsx`, which links each row to its files. Its files are the ones the
//! submission froze when it was made, so the pack never changes; files added since to those
//! expenses (integrazioni) go in a pack of their own, named as such. Entries are in row order and
//! dated by the submission's as-of date, so the same data give the same bytes. The pack is written
//! entry by entry (see [`PackWriter`]): one evidence file in memory at a time, however large the
//! project.

mod index;

use std::collections::HashSet;
use std::io::{Seek, Write};

use chrono::{Datelike, NaiveDate};
use zip::write::SimpleFileOptions;

use super::ReportError;
use crate::domain::attachment::{Attachment, FileName};
use crate::domain::Expense;

/// A claimed expense with its files, each marked `false` if the file store no longer has it.
pub struct EvidenceRow {
    pub row: usize,
    pub entity: String,
    pub category: String,
    pub expense: Expense,
    pub files: Vec<(Attachment, bool)>,
}

/// What a pack holds: the submission's frozen evidence, or its integrazioni.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackKind {
    Evidence,
    Integrazioni,
}

pub struct EvidencePack<'a> {
    pub kind: PackKind,
    pub project_title: &'a str,
    pub submission: i64,
    pub as_of: NaiveDate,
    /// The data's fingerprint of the submission, printed in the index.
    pub fingerprint: &'a str,
    /// The names of the submission's signed copies the pack holds beside its documents.
    pub signed: Vec<String>,
    pub rows: Vec<EvidenceRow>,
}

/// The submitted documents, as the evidence pack holds them beside `indice.xlsx`.
pub const DOCUMENTS: [&str; 3] = ["rendiconto.pdf", "rendiconto.xlsx", "relazione.pdf"];

/// Windows cannot create files with these names, whatever their extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The longest path an entry may have: extracted under a folder of a few dozen characters, it
/// stays below Windows' 260.
const MAX_PATH: usize = 200;

impl EvidencePack<'_> {
    /// The evidence files the pack holds, in order: where each goes, and which file it is. Names
    /// are unique within a folder.
    pub fn entries(&self) -> impl Iterator<Item = (String, &Attachment)> {
        self.rows.iter().flat_map(move |row| {
            self.paths(row)
                .into_iter()
                .zip(&row.files)
                .filter(|(_, (_, present))| *present)
                .map(|(path, (attachment, _))| (path, attachment))
        })
    }

    /// Each file's path in the pack, present or not, as the index lists them.
    fn paths(&self, row: &EvidenceRow) -> Vec<String> {
        let dir = folder(row);
        let mut taken = HashSet::new();
        row.files
            .iter()
            .enumerate()
            .map(|(i, (attachment, _))| {
                let name = unique(self.entry_name(attachment, i, dir.len()), &mut taken);
                format!("{dir}/{name}")
            })
            .collect()
    }

    /// `01_fattura_Fattura_1.pdf` in the evidence pack; `integrazione_fattura_rettificata.pdf`
    /// among the integrazioni, which keep the uploaded file's name.
    fn entry_name(&self, attachment: &Attachment, index: usize, dir_len: usize) -> String {
        let prefix = match self.kind {
            PackKind::Evidence => format!("{:02}_{}_", index + 1, attachment.kind.slug()),
            PackKind::Integrazioni => format!("integrazione_{}_", attachment.kind.slug()),
        };
        let room = MAX_PATH.saturating_sub(dir_len + 1 + prefix.len()).max(12);
        format!("{prefix}{}", file_part(attachment.file_name.as_str(), room))
    }
}

/// `name`, or `name_2`, `name_3`… (before the extension) when the folder has it already.
fn unique(name: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.clone();
    let (stem, ext) = split_extension(&name);
    let mut n = 2;
    while !taken.insert(candidate.to_ascii_lowercase()) {
        candidate = format!("{stem}_{n}{ext}");
        n += 1;
    }
    candidate
}

fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 6 => name.split_at(i),
        _ => (name, ""),
    }
}

/// ASCII, no separators, no trailing dot, not a name Windows reserves, at most `max` characters:
/// safe as a file or folder name on every system.
fn path_part(text: &str, max: usize) -> String {
    let ascii = FileName::stored(text.to_owned()).ascii();
    let cut: String = ascii.chars().take(max).collect();
    let trimmed = cut.trim_matches(['_', '.', '-', ' ']);
    if trimmed.is_empty() {
        return "senza_nome".into();
    }
    let stem = trimmed.split('.').next().unwrap_or(trimmed);
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        format!("{trimmed}_")
    } else {
        trimmed.to_owned()
    }
}

/// A file's name made safe, its extension kept however long the name is.
fn file_part(name: &str, max: usize) -> String {
    let safe = FileName::stored(name.to_owned()).ascii();
    let (stem, ext) = split_extension(&safe);
    let ext = ext.trim_end_matches(['.', ' ']);
    format!(
        "{}{ext}",
        path_part(stem, max.saturating_sub(ext.len()).max(1))
    )
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
        writer.add("indice.xlsx", &index::workbook(pack)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_on_windows_and_keep_their_extension() {
        assert_eq!(path_part("CON", 40), "CON_");
        assert_eq!(path_part("nul.txt", 40), "nul.txt_");
        assert_eq!(path_part("Fattura n. 3. ", 40), "Fattura_n._3");
        assert_eq!(path_part("...", 40), "senza_nome");
        let long = format!("{}.pdf", "a".repeat(300));
        let kept = file_part(&long, 50);
        assert!(kept.ends_with(".pdf") && kept.len() <= 50, "{kept}");
        assert_eq!(
            file_part("Fattura rettificata.PDF", 80),
            "Fattura_rettificata.PDF"
        );
    }

    #[test]
    fn names_in_one_folder_are_unique() {
        let mut taken = HashSet::new();
        let first = unique("01_fattura_a.pdf".into(), &mut taken);
        let second = unique("01_fattura_A.pdf".into(), &mut taken);
        assert_eq!(first, "01_fattura_a.pdf");
        assert_eq!(second, "01_fattura_A_2.pdf");
    }
}
