//! Database rows and their conversion to domain types. A stored value that no longer parses is
//! reported as [`StoreError::Corrupt`], never unwrapped.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    Amounts, CallCategory, CategoryCode, Ceiling, Cig, CodiceFiscale, Cup, Document, DocumentType,
    EntityId, Expense, ExpenseData, ExpenseId, ExpenseStatus, Money, Nature, Payment, Pec,
    ProjectId, Rate, TaxId, UserId,
};
use crate::storage::StoreError;

pub(super) fn corrupt(what: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {value}"))
}

pub(super) fn rate(bp: i64) -> Result<Rate, StoreError> {
    Rate::from_basis_points(bp).map_err(|_| corrupt("rate", bp))
}

pub(super) fn opt_rate(bp: Option<i64>) -> Result<Option<Rate>, StoreError> {
    bp.map(rate).transpose()
}

pub(super) fn category_code(code: &str) -> Result<CategoryCode, StoreError> {
    CategoryCode::parse(code).ok_or_else(|| corrupt("category", code))
}

pub(super) fn cup(raw: Option<String>) -> Result<Option<Cup>, StoreError> {
    raw.map(|c| Cup::parse(&c).map_err(|_| corrupt("cup", c)))
        .transpose()
}

pub(super) fn tax_id(raw: Option<String>) -> Result<Option<TaxId>, StoreError> {
    raw.map(|c| TaxId::parse(&c).map_err(|_| corrupt("tax id", c)))
        .transpose()
}

pub(super) fn codice_fiscale(raw: Option<String>) -> Result<Option<CodiceFiscale>, StoreError> {
    raw.map(|c| CodiceFiscale::parse(&c).map_err(|_| corrupt("codice fiscale", c)))
        .transpose()
}

pub(super) fn pec(raw: Option<String>) -> Result<Option<Pec>, StoreError> {
    raw.map(|c| Pec::parse(&c).map_err(|_| corrupt("pec", c)))
        .transpose()
}

#[derive(sqlx::FromRow)]
pub(super) struct CategoryRow {
    pub code: String,
    pub name: String,
    pub ceiling_share_bp: Option<i64>,
    pub ceiling_amount_cents: Option<i64>,
}

impl CategoryRow {
    pub fn into_domain(self) -> Result<CallCategory, StoreError> {
        let ceiling = match (self.ceiling_share_bp, self.ceiling_amount_cents) {
            (Some(bp), None) => Some(Ceiling::Share(rate(bp)?)),
            (None, Some(cents)) => Some(Ceiling::Amount(Money::from_cents(cents))),
            (None, None) => None,
            (Some(_), Some(_)) => return Err(corrupt("ceiling", &self.code)),
        };
        Ok(CallCategory {
            code: category_code(&self.code)?,
            name: self.name,
            ceiling,
        })
    }
}

pub(super) const EXPENSE_COLUMNS: &str = "id, project_id, entity_id, category, nature, supplier_name, \
    supplier_vat, document_type, document_number, document_date, description, net_cents, vat_cents, \
    claimed_cents, vat_recoverable, cig, cup, commitment_act, liquidation_act, payment_order_number, \
    payment_order_date, payment_date, status, created_by, changed_by, verified_by, rejection_reason, version, \
    created_at, updated_at, corrects_expense_id, commitment_id";

/// Also read from a JSON array of the columns (see `expenses::all`), hence `Deserialize` with the
/// fields in the order of `EXPENSE_COLUMNS` and SQLite's own spellings of booleans and timestamps.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(super) struct ExpenseRow {
    pub(super) id: i64,
    project_id: i64,
    entity_id: i64,
    category: Option<String>,
    nature: String,
    supplier_name: String,
    supplier_vat: Option<String>,
    document_type: String,
    document_number: String,
    document_date: NaiveDate,
    description: String,
    net_cents: i64,
    vat_cents: i64,
    claimed_cents: i64,
    #[serde(deserialize_with = "json::boolean")]
    vat_recoverable: bool,
    cig: Option<String>,
    cup: Option<String>,
    commitment_act: Option<String>,
    liquidation_act: Option<String>,
    payment_order_number: Option<String>,
    payment_order_date: Option<NaiveDate>,
    payment_date: Option<NaiveDate>,
    status: String,
    created_by: Option<i64>,
    changed_by: Option<i64>,
    verified_by: Option<i64>,
    rejection_reason: Option<String>,
    version: i64,
    #[serde(deserialize_with = "json::timestamp")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "json::timestamp")]
    updated_at: DateTime<Utc>,
    corrects_expense_id: Option<i64>,
    commitment_id: Option<i64>,
}

/// SQLite's values as its JSON functions give them.
mod json {
    use chrono::{DateTime, NaiveDateTime, Utc};
    use serde::de::{Deserializer, Error};
    use serde::Deserialize;

    /// A boolean column is an integer in SQLite.
    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Flag {
            Bool(bool),
            Int(i64),
        }
        Ok(match Flag::deserialize(d)? {
            Flag::Bool(b) => b,
            Flag::Int(i) => i != 0,
        })
    }

    /// A timestamp is text: RFC 3339 as sqlx writes it, or SQLite's own `YYYY-MM-DD HH:MM:SS`
    /// (UTC), the two forms sqlx's decoder accepts.
    pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        let text = text.as_str();
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
            })
            .map_err(|_| D::Error::custom(format!("timestamp {text:?}")))
    }
}

impl ExpenseRow {
    pub fn into_domain(self) -> Result<Expense, StoreError> {
        let amounts = Amounts::new(
            Money::from_cents(self.net_cents),
            Money::from_cents(self.vat_cents),
            Some(Money::from_cents(self.claimed_cents)),
        )
        .map_err(|_| corrupt("amounts of expense", self.id))?;
        let data = ExpenseData {
            entity_id: EntityId(self.entity_id),
            category: self.category.as_deref().map(category_code).transpose()?,
            nature: Nature::parse(&self.nature).ok_or_else(|| corrupt("nature", &self.nature))?,
            document: Document {
                supplier_name: self.supplier_name,
                supplier_vat: tax_id(self.supplier_vat)?,
                kind: DocumentType::parse(&self.document_type)
                    .ok_or_else(|| corrupt("document type", &self.document_type))?,
                number: self.document_number,
                date: self.document_date,
            },
            description: self.description,
            amounts,
            vat_recoverable: self.vat_recoverable,
            cig: self
                .cig
                .map(|c| Cig::parse(&c).map_err(|_| corrupt("cig", c)))
                .transpose()?,
            cup: cup(self.cup)?,
            payment: Payment {
                commitment_act: self.commitment_act,
                commitment_id: self.commitment_id.map(crate::domain::CommitmentId),
                liquidation_act: self.liquidation_act,
                order_number: self.payment_order_number,
                order_date: self.payment_order_date,
                paid_on: self.payment_date,
            },
            corrects: self.corrects_expense_id.map(ExpenseId),
        };
        Ok(Expense {
            id: ExpenseId(self.id),
            project_id: ProjectId(self.project_id),
            data,
            status: ExpenseStatus::parse(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            created_by: self.created_by.map(UserId),
            changed_by: self.changed_by.map(UserId),
            verified_by: self.verified_by.map(UserId),
            rejection_reason: self.rejection_reason,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
