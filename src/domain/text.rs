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

/// `-1234,56`, `-1.234,56`, `+3`, `12.5`: a plain signed number in either convention, nothing
/// else (a spreadsheet reads it as a number, never as a formula).
pub fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    digits.chars().next().is_some_and(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// Text without surrounding white space, unless taking it off the front would uncover a formula:
/// `\t=1+1` stays as typed, never becoming the live formula `=1+1` in a spreadsheet that later
/// reads it (our own exports neutralise both).
pub fn trim_text(text: &str) -> &str {
    let trimmed = text.trim();
    let stripped_front = trimmed.len() != text.trim_end().len();
    if stripped_front && trimmed.starts_with(['=', '+', '-', '@']) && !is_plain_number(trimmed) {
        text.trim_end()
    } else {
        trimmed
    }
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
