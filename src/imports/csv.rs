//! Expenses from a spreadsheet saved as CSV, with the conventions of Italian spreadsheets: `;`
//! between fields (`,` or tab are recognised too), decimal comma and thousands dots, dates as
//! `dd/mm/yyyy`, UTF-8 with or without BOM or Windows-1252 (what Excel writes in Italy).
//!
//! Columns are found by their header: each field has its usual Italian names, and a mapping may
//! name another header for any field. Every row comes out as the API's field names with values
//! in the API's forms (ISO dates, `1234.56`, codes), or with the errors that say why not, so the
//! same validation as the JSON API applies after it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::validation::{plausible_date, DATE_OUT_OF_RANGE};
use crate::domain::{FieldError, Money};

pub use super::csv_columns::{COMMITMENT_FIELDS, FIELDS, PAYMENT_FIELDS};

const AMOUNTS: &[&str] = &["net_amount", "vat_amount", "claimed_amount", "amount"];
const DATES: &[&str] = &[
    "document_date",
    "payment_order_date",
    "payment_date",
    "act_date",
    "expected_invoice_date",
    "expected_payment_date",
];

/// At most this many data rows in one file (a project has hundreds).
pub const MAX_ROWS: usize = 50_000;

/// Headers named by the user for some fields (`field → header`).
#[derive(Debug, Clone, Default)]
pub struct Mapping(pub BTreeMap<String, String>);

/// One data row: its line in the file (the header is line 1), its values under the API's field
/// names, and what was wrong in its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub values: BTreeMap<&'static str, String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The header each field was read from.
    pub columns: BTreeMap<&'static str, String>,
    /// Headers that fill no field.
    pub ignored: Vec<String>,
    pub rows: Vec<Row>,
}

/// Why the file as a whole cannot be read; `field` is `file` or `map.FIELD`.
pub type SheetError = FieldError;

fn sheet_error(field: &str, code: &str, message: String) -> SheetError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message,
    }
}

/// Case, accents, spaces and punctuation folded away: `P.IVA` and `piva` are one header.
fn fold_header(header: &str) -> String {
    crate::domain::text::fold(header)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn delimiter(first_line: &str) -> u8 {
    let count = |c| first_line.matches(c).count();
    if count(';') > 0 {
        b';'
    } else if count('\t') > 0 {
        b'\t'
    } else {
        b','
    }
}

/// Reads a file of expenses (see [`read`]).
pub fn parse(bytes: &[u8], mapping: &Mapping) -> Result<Sheet, Vec<SheetError>> {
    read(bytes, mapping, FIELDS)
}

/// Reads the file with the columns of `fields`. `Err` when it cannot be read at all (no header,
/// a mapping naming a missing column); otherwise every row, each with its own errors.
pub fn read(
    bytes: &[u8],
    mapping: &Mapping,
    fields: &'static [(&'static str, &'static [&'static str])],
) -> Result<Sheet, Vec<SheetError>> {
    let text = decode(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter(first_line))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = read_headers(&mut reader)?;
    let columns = find_columns(&headers, mapping, fields)?;
    let ignored = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.is_empty() && !columns.values().any(|(j, _)| j == i))
        .map(|(_, h)| h.clone())
        .collect();
    let mut rows = Vec::new();
    let mut lines = LineCounter { pos: 0, breaks: 0 };
    for (n, record) in reader.records().enumerate() {
        // The line the spreadsheet shows (blank lines and quoted line breaks included).
        let line = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        }
        .and_then(|p| usize::try_from(p.byte()).ok())
        .map_or(n + 2, |byte| lines.line_at(text.as_bytes(), byte));
        if rows.len() >= MAX_ROWS {
            return Err(vec![sheet_error(
                "file",
                "too_many_rows",
                format!("il file ha più di {MAX_ROWS} righe: dividerlo in più file"),
            )]);
        }
        match record {
            Ok(record) if record.iter().all(|c| c.trim().is_empty()) => {}
            Ok(record) => rows.push(read_row(line, &record, &columns)),
            Err(e) => rows.push(Row {
                line,
                values: BTreeMap::new(),
                errors: vec![sheet_error(
                    "",
                    "unreadable_row",
                    format!("riga illeggibile: {e}"),
                )],
            }),
        }
    }
    Ok(Sheet {
        columns: columns.into_iter().map(|(f, (_, h))| (f, h)).collect(),
        ignored,
        rows,
    })
}

/// The header row, trimmed; refused when unreadable or empty.
fn read_headers(reader: &mut ::csv::Reader<&[u8]>) -> Result<Vec<String>, Vec<SheetError>> {
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Err(e) => {
            return Err(vec![sheet_error(
                "file",
                "unreadable_csv",
                format!("file CSV illeggibile: {e}"),
            )])
        }
    };
    if headers.iter().all(String::is_empty) {
        return Err(vec![sheet_error(
            "file",
            "no_header",
            "la prima riga deve contenere le intestazioni delle colonne".into(),
        )]);
    }
    Ok(headers)
}

/// Which column holds each field: the one the mapping names, else the first of its aliases found
/// (headers compared folded). A mapping to an unknown field or a missing column, or a column
/// used for two fields, is an error.
fn find_columns(
    headers: &[String],
    mapping: &Mapping,
    fields: &'static [(&'static str, &'static [&'static str])],
) -> Result<BTreeMap<&'static str, (usize, String)>, Vec<SheetError>> {
    let folded: Vec<String> = headers.iter().map(|h| fold_header(h)).collect();
    let known = || {
        fields
            .iter()
            .map(|(f, _)| *f)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut errors: Vec<SheetError> = mapping
        .0
        .keys()
        .filter(|field| !fields.iter().any(|(f, _)| f == field))
        .map(|field| {
            sheet_error(
                &format!("map.{field}"),
                "unknown_field",
                format!("campo sconosciuto «{field}»: i campi sono {}", known()),
            )
        })
        .collect();
    let mut columns: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    for (field, aliases) in fields {
        let index = match mapping.0.get(*field) {
            Some(header) => {
                let wanted = fold_header(header);
                let found = folded.iter().position(|h| *h == wanted);
                if found.is_none() {
                    errors.push(sheet_error(
                        &format!("map.{field}"),
                        "missing_column",
                        format!("la colonna «{header}» indicata per {field} non c'è nel file"),
                    ));
                }
                found
            }
            None => aliases
                .iter()
                .find_map(|alias| folded.iter().position(|h| *h == fold_header(alias))),
        };
        let Some(i) = index else { continue };
        if let Some((other, _)) = columns.iter().find(|(_, (j, _))| *j == i) {
            errors.push(sheet_error(
                &format!("map.{field}"),
                "column_used_twice",
                format!("la colonna «{}» è già usata per {other}", headers[i]),
            ));
            continue;
        }
        columns.insert(field, (i, headers[i].clone()));
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

/// One record's cells by field, each normalised, or an error naming its column.
fn read_row(
    line: usize,
    record: &::csv::StringRecord,
    columns: &BTreeMap<&'static str, (usize, String)>,
) -> Row {
    let mut row = Row {
        line,
        values: BTreeMap::new(),
        errors: Vec::new(),
    };
    for (field, (i, header)) in columns {
        let cell = crate::domain::text::trim_text(record.get(*i).unwrap_or(""));
        if cell.is_empty() {
            continue;
        }
        match normalise(field, cell) {
            Ok(value) => {
                row.values.insert(field, value);
            }
            Err((code, message)) => row.errors.push(FieldError {
                field: (*field).into(),
                code: code.into(),
                message: format!("colonna «{header}»: {message}"),
            }),
        }
    }
    row
}

/// The line of each record, as a person counts lines: the reader takes the blank lines before a
/// record as part of it. Records come in order, so counting goes on from the last one.
struct LineCounter {
    pos: usize,
    breaks: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &[u8], byte: usize) -> usize {
        let blank = text
            .get(byte..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        let end = (byte + blank).min(text.len());
        // A line ends with `\n`, `\r\n` or a lone `\r` (old Mac files), as the reader counts them.
        self.breaks += (self.pos..end)
            .filter(|&i| text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .count();
        self.pos = self.pos.max(end);
        self.breaks + 1
    }
}

/// A cell in the API's form, or `(code, Italian message)`.
fn normalise(field: &str, cell: &str) -> Result<String, (&'static str, String)> {
    if AMOUNTS.contains(&field) {
        return Money::parse_typed(cell)
            .map(|m| m.to_string())
            .map_err(|_| {
                (
                    "invalid_amount",
                    format!("importo «{cell}» non valido: scrivere ad esempio 1.234,56"),
                )
            });
    }
    if DATES.contains(&field) {
        let date = italian_date(cell).ok_or((
            "invalid_date",
            format!("data «{cell}» non valida: usare GG/MM/AAAA"),
        ))?;
        return plausible_date(date)
            .map(|d| d.to_string())
            .map_err(|why| (DATE_OUT_OF_RANGE, why));
    }
    let word = crate::domain::text::fold(cell);
    let word = word.trim();
    match field {
        "document_type" => match word {
            "fattura" | "invoice" | "ft" | "td01" => Ok("invoice".into()),
            "nota di credito" | "nota credito" | "nc" | "credit_note" | "td04" => {
                Ok("credit_note".into())
            }
            "ricevuta" | "receipt" => Ok("receipt".into()),
            "altro" | "other" => Ok("other".into()),
            _ => Err((
                "invalid_choice",
                format!("tipo «{cell}» non valido: fattura, nota di credito, ricevuta o altro"),
            )),
        },
        "nature" => match word {
            "corrente" | "spesa corrente" | "current" => Ok("current".into()),
            "capitale" | "in conto capitale" | "conto capitale" | "capital" => Ok("capital".into()),
            _ => Err((
                "invalid_choice",
                format!("natura «{cell}» non valida: corrente o capitale"),
            )),
        },
        "vat_recoverable" => match word {
            "si" | "s" | "x" | "true" | "1" => Ok("true".into()),
            "no" | "n" | "false" | "0" => Ok("false".into()),
            _ => Err((
                "invalid_boolean",
                format!("valore «{cell}» non valido: sì o no"),
            )),
        },
        _ => Ok(cell.to_owned()),
    }
}

/// `31/01/2021`, `1/2/2021`, `31.01.2021`, `31-01-2021` or ISO `2021-01-31`; only real dates.
fn italian_date(cell: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = cell.split(['/', '.', '-']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
