//! Text folding for search: lower case without accents, so "attivita" finds "Attività" on
//! every database (SQLite's LOWER and LIKE fold ASCII only).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folds_case_and_accents() {
        assert_eq!(
            super::fold("Attività FORMATIVA – Città"),
            "attivita formativa – citta"
        );
    }
}

/// A date as Italian documents write it: `31/01/2021`.
pub fn italian_date(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}
