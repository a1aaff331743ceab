//! A funding call (bando) and its rules, held as data: every number of a call comes from the
//! call's record, never from code, because other calls and later amendments change them.

use chrono::{DateTime, NaiveDate, Utc};

use super::ids::CallId;
use super::money::{Money, Rate};

/// A category code: lowercase ASCII letters, digits and `_`, as used in the API.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(raw: &str) -> Option<CategoryCode> {
        let ok = !raw.is_empty()
            && raw.len() <= 40
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| CategoryCode(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A limit on what a category can have recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Ceiling {
    /// A share of the project's approved total cost.
    Share(Rate),
    /// A fixed amount.
    Amount(Money),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallCategory {
    pub code: CategoryCode,
    pub name: String,
    pub ceiling: Option<Ceiling>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallRules {
    pub contribution_rate: Rate,
    pub max_contribution: Option<Money>,
    pub eligibility_start: NaiveDate,
    pub eligibility_end: NaiveDate,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
    pub current_spending_only: bool,
    pub vat_eligible_if_not_recoverable: bool,
    pub min_realisation_share: Option<Rate>,
    pub drift_tolerance: Option<Rate>,
}

/// What is needed to create a call; the invariants are checked by the constructor of the web
/// DTO, so a `NewCall` is always consistent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewCall {
    pub name: String,
    pub funder: String,
    pub act: String,
    pub rules: CallRules,
    pub categories: Vec<CallCategory>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Call {
    pub id: CallId,
    pub name: String,
    pub funder: String,
    pub act: String,
    pub rules: CallRules,
    pub categories: Vec<CallCategory>,
    pub created_at: DateTime<Utc>,
}

impl Call {
    pub fn category(&self, code: &str) -> Option<&CallCategory> {
        self.categories.iter().find(|c| c.code.as_str() == code)
    }
}
