//! Parsing of single input fields (text, as a form, a CSV cell or a JSON string gives them) into
//! domain types, recording an Italian message under the field's name when a value is wrong. The
//! API's input types, the workspace's forms and the importers are built from these.

use std::str::FromStr;

use chrono::NaiveDate;

use super::text::trim_text;
use super::validation::{plausible_date, DATE_OUT_OF_RANGE};
use super::{CategoryCode, CodeError, Money, Rate, Violations};

/// An optional amount: `None` when absent, recorded as an error when malformed.
pub fn money(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<Money> {
    let raw = raw?;
    v.check(field, raw.parse::<Money>(), |e| {
        (e.code().to_owned(), e.message_it().to_owned())
    })
}

/// An amount that cannot be negative.
pub fn amount(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<Money> {
    let m = money(v, field, raw)?;
    if m.is_negative() {
        v.add(
            field,
            "negative_amount",
            "l'importo non può essere negativo",
        );
        return None;
    }
    Some(m)
}

pub fn required_amount(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<Money> {
    if raw.is_none() {
        v.required(field);
    }
    amount(v, field, raw)
}

pub fn rate(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<Rate> {
    let raw = raw?;
    v.check(field, raw.parse::<Rate>(), |e| {
        (e.code().to_owned(), e.message_it().to_owned())
    })
}

/// A strict ISO date `YYYY-MM-DD` that exists in the calendar (`2021-02-30` does not) and is
/// plausible for a project (see [`plausible_date`]).
pub fn date(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw?;
    let b = raw.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        v.add(
            field,
            "invalid_date",
            "data non valida: usare il formato AAAA-MM-GG",
        );
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => v.check(field, plausible_date(d), |why| {
            (DATE_OUT_OF_RANGE.to_owned(), why)
        }),
        Err(_) => {
            v.add(
                field,
                "impossible_date",
                format!("la data {raw} non esiste nel calendario"),
            );
            None
        }
    }
}

pub fn required_date(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    if raw.is_none() {
        v.required(field);
    }
    date(v, field, raw)
}

/// Free text, trimmed (see [`trim_text`]); empty counts as absent. Control characters other than
/// new lines and tabs are refused.
pub fn text(
    v: &mut Violations,
    field: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    let t = trim_text(raw?);
    if t.is_empty() {
        return None;
    }
    if t.chars().count() > max_chars {
        v.add(
            field,
            "too_long",
            format!("testo troppo lungo (al massimo {max_chars} caratteri)"),
        );
        return None;
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        v.add(
            field,
            "control_characters",
            "il testo contiene caratteri di controllo",
        );
        return None;
    }
    Some(t.to_owned())
}

pub fn required_text(
    v: &mut Violations,
    field: &str,
    raw: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    let t = text(v, field, raw, max_chars);
    if t.is_none() && raw.map(str::trim).unwrap_or("").is_empty() {
        v.required(field);
    }
    t
}

/// An opaque id sent as a string.
pub fn id<T: FromStr>(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<T> {
    let raw = raw?;
    match raw.parse::<T>() {
        Ok(id) => Some(id),
        Err(_) => {
            v.add(field, "invalid_id", "identificativo non valido");
            None
        }
    }
}

/// A code of a fixed kind (CUP, CIG, partita IVA...), with messages that say what is wrong.
pub fn code<T>(
    v: &mut Violations,
    field: &str,
    kind: &str,
    label: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, CodeError>,
) -> Option<T> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match parse(raw) {
        Ok(c) => Some(c),
        Err(e) => {
            let message = match e {
                CodeError::Length => format!("{label}: lunghezza errata"),
                CodeError::Characters => format!("{label}: contiene caratteri non ammessi"),
                CodeError::CheckDigit => format!(
                    "{label}: il carattere di controllo non corrisponde (errore di battitura?)"
                ),
            };
            v.add(field, e.code(kind), message);
            None
        }
    }
}

/// One of a closed set of words.
pub fn choice<T>(
    v: &mut Violations,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
    choices: &str,
) -> Option<T> {
    let raw = raw?;
    match parse(raw) {
        Some(c) => Some(c),
        None => {
            v.add(
                field,
                "invalid_choice",
                format!("valore non previsto: usare {choices}"),
            );
            None
        }
    }
}

/// A category code (`design_training`): optional here; callers that require it record `required`.
pub fn category(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<CategoryCode> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    let code = CategoryCode::parse(raw);
    if code.is_none() {
        v.add(
            field,
            "invalid_code",
            "codice di categoria non valido: lettere minuscole, cifre e _ (al massimo 40)",
        );
    }
    code
}

/// A category code that must be there.
pub fn required_category(
    v: &mut Violations,
    field: &str,
    raw: Option<&str>,
) -> Option<CategoryCode> {
    if raw.map(str::trim).unwrap_or("").is_empty() {
        v.required(field);
        return None;
    }
    category(v, field, raw)
}

/// Who signs, from the four fields every form and body names the same way; each optional.
pub fn signatory(
    v: &mut Violations,
    name: Option<&str>,
    role: Option<&str>,
    place: Option<&str>,
    tax_code: Option<&str>,
) -> super::Signatory {
    super::Signatory {
        name: text(v, "signatory_name", name, 200),
        role: text(v, "signatory_role", role, 200),
        place: text(v, "signatory_place", place, 200),
        tax_code: code(
            v,
            "signatory_tax_code",
            "tax_code",
            "Codice fiscale del firmatario",
            tax_code,
            super::CodiceFiscale::parse,
        ),
    }
}

/// An act by number and date: both or neither.
/// A partner entity from its text fields (the API's and the workspace's alike).
pub fn entity(
    v: &mut Violations,
    name: Option<&str>,
    tax_code: Option<&str>,
    address: Option<&str>,
    pec_raw: Option<&str>,
) -> Option<super::NewEntity> {
    let name = required_text(v, "name", name, 300);
    let tax_code = code(
        v,
        "tax_code",
        "tax_code",
        "Codice fiscale / partita IVA",
        tax_code,
        super::TaxId::parse,
    );
    let address = text(v, "address", address, 300);
    let pec = pec(v, "pec", pec_raw);
    Some(super::NewEntity {
        name: name?,
        tax_code,
        address,
        pec,
    })
}

pub fn grant_act(
    v: &mut Violations,
    number: Option<&str>,
    date_raw: Option<&str>,
) -> Option<super::GrantAct> {
    let number = text(v, "grant_act_number", number, 200);
    let date = date(v, "grant_act_date", date_raw);
    match (number, date) {
        (Some(number), Some(date)) => Some(super::GrantAct { number, date }),
        (Some(_), None) if date_raw.map_or(true, |d| d.trim().is_empty()) => {
            v.add(
                "grant_act_date",
                "required",
                "indicare la data dell'atto di concessione",
            );
            None
        }
        (None, Some(_)) => {
            v.add(
                "grant_act_number",
                "required",
                "indicare il numero dell'atto di concessione",
            );
            None
        }
        _ => None,
    }
}

/// A PEC address, said plainly when it is not one (a code's "wrong characters" would mislead).
pub fn pec(v: &mut Violations, field: &str, raw: Option<&str>) -> Option<super::Pec> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match super::Pec::parse(raw) {
        Ok(p) => Some(p),
        Err(_) => {
            v.add(
                field,
                "invalid_pec",
                "PEC non valida: scrivere un indirizzo come protocollo@pec.comune.it",
            );
            None
        }
    }
}
