//! Text for people: folding for search (lower case without accents, so "attivita" finds
//! "Attività" on every database — SQLite's LOWER and LIKE fold ASCII only) and Italian dates.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A date as Italian documents write it: `31/01/2021`.
pub fn italian_date(date: chrono::NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
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

    #[test]
    fn italian_dates() {
        let d = chrono::NaiveDate::from_ymd_opt(2021, 1, 31).expect("date");
        assert_eq!(super::italian_date(d), "31/01/2021");
    }
}
