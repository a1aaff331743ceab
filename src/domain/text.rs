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

/// An amount in the API's form as Italians read it (`1234.56` → `1.234,56 €`); anything else
/// unchanged. For lists that services hand out in the API's form (pages, the command line).
pub fn italian_amount_of(api: &str) -> String {
    api.parse::<super::Money>()
        .map_or_else(|_| api.to_owned(), super::Money::italian)
}

/// A date in the API's form as Italians write it (`2021-01-31` → `31/01/2021`); anything else
/// unchanged.
pub fn italian_date_of(api: &str) -> String {
    chrono::NaiveDate::parse_from_str(api, "%Y-%m-%d").map_or_else(|_| api.to_owned(), italian_date)
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_forms_read_the_italian_way() {
        assert_eq!(super::italian_amount_of("1234.56"), "1.234,56 €");
        assert_eq!(super::italian_amount_of("—"), "—");
        assert_eq!(super::italian_date_of("2021-01-31"), "31/01/2021");
        assert_eq!(super::italian_date_of("31/01/2021"), "31/01/2021");
    }

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
