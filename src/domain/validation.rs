//! Field-level validation errors, collected rather than returned one by one, so a user sees every
//! problem of a form at once. Messages are Italian (they reach the UI); codes are stable (the API).

use chrono::NaiveDate;
use serde::Serialize;

/// The dates a project's data may carry: documents, acts, payments, deadlines. Anything outside
/// is a typing error (`0001-01-01`, `2202-…`), and a year before 1900 is one no spreadsheet can show.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1990, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// The date when it is plausible; otherwise the Italian reason.
pub fn plausible_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(format!(
            "la data {} è fuori dall'intervallo ammesso (dal {} al {})",
            crate::domain::text::italian_date(date),
            crate::domain::text::italian_date(EARLIEST_DATE),
            crate::domain::text::italian_date(LATEST_DATE)
        ))
    }
}

/// The stable code of an implausible date.
pub const DATE_OUT_OF_RANGE: &str = "date_out_of_range";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    /// The messages of several errors as one Italian sentence, for a page or a report line.
    pub fn joined(errors: &[FieldError]) -> String {
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Accumulates field errors while a DTO is turned into domain types.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Violations {
        Violations::default()
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    pub fn required(&mut self, field: &str) {
        self.add(field, "required", "campo obbligatorio");
    }

    /// Takes a required value out of an `Option`, recording `required` when it is absent.
    pub fn need<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.required(field);
        }
        value
    }

    /// Records a parse failure under `field` and passes a success through.
    pub fn check<T, E>(
        &mut self,
        field: &str,
        result: Result<T, E>,
        describe: impl FnOnce(E) -> (String, String),
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                let (code, message) = describe(e);
                self.add(field, code, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ends validation: the value when nothing was recorded, every error otherwise.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            if let Some(v) = value() {
                return Ok(v);
            }
        }
        if self.0.is_empty() {
            // A value was missing without a recorded reason: a programming error, reported
            // generically rather than accepted.
            return Err(vec![FieldError {
                field: String::new(),
                code: "invalid".into(),
                message: "dati non validi".into(),
            }]);
        }
        Err(self.0)
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
}
