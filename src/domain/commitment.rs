//! A commitment (impegno): what a determina commits of a budget line, before any invoice. The
//! expenses that draw on it are then invoiced and paid against it; what is left (the residual) is
//! what the forecast expects still to come.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::call::CategoryCode;
use super::codes::{Cig, TaxId};
use super::expense::{Expense, Nature};
use super::fields;
use super::ids::{CommitmentId, EntityId, ProjectId};
use super::money::Money;
use super::validation::{FieldError, Violations};

/// Everything a user states about a commitment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitmentData {
    pub entity_id: EntityId,
    pub category: CategoryCode,
    pub nature: Nature,
    pub supplier_name: Option<String>,
    pub supplier_vat: Option<TaxId>,
    /// The act that commits, as the accounts name it: "Determina n. 303 del 12/10/2020".
    pub act: String,
    pub act_date: NaiveDate,
    pub cig: Option<Cig>,
    /// What is committed: positive.
    pub amount: Money,
    /// When the invoice is expected: the forecast counts the residual only if it falls in the
    /// project's window.
    pub expected_invoice_date: Option<NaiveDate>,
    /// When the payment is expected: the forecast counts the residual only if it is on or before
    /// the payment deadline.
    pub expected_payment_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Commitment {
    pub id: CommitmentId,
    pub project_id: ProjectId,
    pub data: CommitmentData,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the expenses drawing on a commitment have invoiced and paid (credit notes subtract).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    pub invoiced: Money,
    pub paid: Money,
}

impl Drawn {
    /// What is still to be invoiced: negative when the expenses drew more than was committed
    /// (a warning, not a refusal: the accounts may hold a later increase).
    pub fn residual(&self, committed: Money) -> Money {
        committed - self.invoiced
    }
}

/// Each commitment's invoiced and paid amounts, from the expenses that draw on it.
pub fn drawn(expenses: &[Expense]) -> HashMap<CommitmentId, Drawn> {
    let mut out: HashMap<CommitmentId, Drawn> = HashMap::new();
    for e in expenses {
        let Some(id) = e.data.payment.commitment_id else {
            continue;
        };
        let amount = e.data.signed(e.data.amounts.claimed());
        let d = out.entry(id).or_default();
        d.invoiced += amount;
        if e.data.payment.paid_on.is_some() {
            d.paid += amount;
        }
    }
    out
}

/// A commitment's fields as typed or sent, every one optional until checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentFields {
    pub entity_id: Option<String>,
    pub category: Option<String>,
    pub nature: Option<String>,
    pub supplier_name: Option<String>,
    pub supplier_vat: Option<String>,
    pub act: Option<String>,
    pub act_date: Option<String>,
    pub cig: Option<String>,
    pub amount: Option<String>,
    pub expected_invoice_date: Option<String>,
    pub expected_payment_date: Option<String>,
}

impl CommitmentFields {
    /// The commitment the fields describe, or every field's error at once. Amounts are read as
    /// the API writes them (`1234.56`); the workspace turns Italian typing into that first.
    pub fn parse(&self) -> Result<CommitmentData, Vec<FieldError>> {
        let mut v = Violations::new();
        let entity = v.need("entity_id", self.entity_id.as_deref());
        let entity_id: Option<EntityId> = fields::id(&mut v, "entity_id", entity);
        let category = fields::required_category(&mut v, "category", self.category.as_deref());
        let nature = match self.nature.as_deref() {
            None => Some(Nature::Current),
            raw => fields::choice(&mut v, "nature", raw, Nature::parse, &Nature::choices()),
        };
        let supplier_name =
            fields::text(&mut v, "supplier_name", self.supplier_name.as_deref(), 300);
        let supplier_vat = fields::code(
            &mut v,
            "supplier_vat",
            "supplier_vat",
            "Partita IVA del fornitore",
            self.supplier_vat.as_deref(),
            TaxId::parse,
        );
        let act = fields::required_text(&mut v, "act", self.act.as_deref(), 300);
        let act_date = fields::required_date(&mut v, "act_date", self.act_date.as_deref());
        let cig = fields::code(
            &mut v,
            "cig",
            "cig",
            "CIG (10 caratteri)",
            self.cig.as_deref(),
            Cig::parse,
        );
        let amount = fields::required_amount(&mut v, "amount", self.amount.as_deref());
        if amount.is_some_and(|a| !a.is_positive()) {
            v.add(
                "amount",
                "not_positive",
                "l'importo impegnato deve essere maggiore di zero",
            );
        }
        let invoice = fields::date(
            &mut v,
            "expected_invoice_date",
            self.expected_invoice_date.as_deref(),
        );
        let payment = fields::date(
            &mut v,
            "expected_payment_date",
            self.expected_payment_date.as_deref(),
        );
        if let (Some(invoice), Some(payment)) = (invoice, payment) {
            if payment < invoice {
                v.add(
                    "expected_payment_date",
                    "paid_before_invoice",
                    "il pagamento previsto è precedente alla fattura prevista",
                );
            }
        }
        let data = (|| {
            Some(CommitmentData {
                entity_id: entity_id?,
                category: category?,
                nature: nature?,
                supplier_name,
                supplier_vat,
                act: act?,
                act_date: act_date?,
                cig,
                amount: amount.filter(|a| a.is_positive())?,
                expected_invoice_date: invoice,
                expected_payment_date: payment,
            })
        })();
        v.finish(|| data)
    }

    /// The fields of a stored commitment, as a merge patch starts from.
    pub fn of(d: &CommitmentData) -> CommitmentFields {
        CommitmentFields {
            entity_id: Some(d.entity_id.to_string()),
            category: Some(d.category.as_str().to_owned()),
            nature: Some(d.nature.as_str().to_owned()),
            supplier_name: d.supplier_name.clone(),
            supplier_vat: d.supplier_vat.as_ref().map(|t| t.as_str().to_owned()),
            act: Some(d.act.clone()),
            act_date: Some(d.act_date.to_string()),
            cig: d.cig.as_ref().map(|c| c.as_str().to_owned()),
            amount: Some(d.amount.to_string()),
            expected_invoice_date: d.expected_invoice_date.map(|d| d.to_string()),
            expected_payment_date: d.expected_payment_date.map(|d| d.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CommitmentFields {
        CommitmentFields {
            entity_id: Some("1".into()),
            category: Some("technology".into()),
            act: Some("Determina n. 303 del 12/10/2020".into()),
            act_date: Some("2020-10-12".into()),
            amount: Some("12000.00".into()),
            expected_invoice_date: Some("2020-11-10".into()),
            expected_payment_date: Some("2020-12-10".into()),
            ..CommitmentFields::default()
        }
    }

    #[test]
    fn a_commitment_reads_back_from_its_own_fields() {
        let data = fields().parse().expect("valid");
        assert_eq!(data.amount, Money::from_cents(1_200_000));
        assert_eq!(data.nature, Nature::Current);
        assert_eq!(CommitmentFields::of(&data).parse(), Ok(data));
    }

    #[test]
    fn every_error_at_once() {
        let mut f = fields();
        f.amount = Some("0.00".into());
        f.act = None;
        f.expected_payment_date = Some("2020-11-01".into());
        let errors = f.parse().expect_err("invalid");
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["act", "amount", "expected_payment_date"]);
    }
}
