//! An expense (spesa): one document, or one part of a document, charged to the project by a
//! partner entity, with the accounting stages that prove it was paid.

use chrono::{DateTime, NaiveDate, Utc};

use super::call::CategoryCode;
use super::codes::{Cig, Cup, TaxId};
use super::ids::{CommitmentId, EntityId, ExpenseId, ProjectId, UserId};
use super::money::Money;
use super::validation::Violations;

string_enum!(
    /// Current spending (spesa corrente) or capital spending (in conto capitale).
    Nature { Current = "current", Capital = "capital" }
);

string_enum!(
    DocumentType {
        Invoice = "invoice",
        CreditNote = "credit_note",
        Receipt = "receipt",
        Other = "other",
    }
);

string_enum!(
    /// Where an expense stands in its verification workflow.
    ExpenseStatus {
        Draft = "draft",
        Ready = "ready",
        Verified = "verified",
        Rejected = "rejected",
        Included = "included",
    }
);

/// The document an expense comes from. Several expenses may share one document (parts).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Document {
    pub supplier_name: String,
    pub supplier_vat: Option<TaxId>,
    pub kind: DocumentType,
    pub number: String,
    pub date: NaiveDate,
}

/// Net, VAT and the part claimed. Built only through [`Amounts::new`], so `0 < claimed ≤ total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Amounts {
    net: Money,
    vat: Money,
    claimed: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountsError {
    NegativeNet,
    NegativeVat,
    ZeroTotal,
    ClaimedNotPositive,
    ClaimedAboveTotal,
}

impl Amounts {
    pub fn new(net: Money, vat: Money, claimed: Option<Money>) -> Result<Amounts, AmountsError> {
        if net.is_negative() {
            return Err(AmountsError::NegativeNet);
        }
        if vat.is_negative() {
            return Err(AmountsError::NegativeVat);
        }
        let total = net + vat;
        if !total.is_positive() {
            return Err(AmountsError::ZeroTotal);
        }
        let claimed = claimed.unwrap_or(total);
        if !claimed.is_positive() {
            return Err(AmountsError::ClaimedNotPositive);
        }
        if claimed > total {
            return Err(AmountsError::ClaimedAboveTotal);
        }
        Ok(Amounts { net, vat, claimed })
    }

    pub fn net(&self) -> Money {
        self.net
    }

    pub fn vat(&self) -> Money {
        self.vat
    }

    pub fn total(&self) -> Money {
        self.net + self.vat
    }

    pub fn claimed(&self) -> Money {
        self.claimed
    }

    /// Records the problem under the field a user must correct.
    pub fn report(error: AmountsError, v: &mut Violations) {
        let (field, code, message) = match error {
            AmountsError::NegativeNet => ("net_amount", "negative_amount", "l'imponibile non può essere negativo (le note di credito si registrano con importi positivi)"),
            AmountsError::NegativeVat => ("vat_amount", "negative_amount", "l'IVA non può essere negativa (le note di credito si registrano con importi positivi)"),
            AmountsError::ZeroTotal => ("net_amount", "zero_total", "il totale del documento (imponibile + IVA) deve essere maggiore di zero"),
            AmountsError::ClaimedNotPositive => ("claimed_amount", "claimed_not_positive", "l'importo rendicontato deve essere maggiore di zero"),
            AmountsError::ClaimedAboveTotal => ("claimed_amount", "claimed_above_total", "l'importo rendicontato supera il totale del documento (imponibile + IVA)"),
        };
        v.add(field, code, message);
    }
}

/// The accounting stages: commitment → payment approval → payment order → paid by the treasury.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Payment {
    pub commitment_act: Option<String>,
    /// The recorded commitment the expense draws on. Left out of the serialised form when absent,
    /// so that the data's fingerprint of expenses recorded before commitments is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commitment_id: Option<CommitmentId>,
    pub liquidation_act: Option<String>,
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    /// The date the treasury paid (quietanza): the one checked against the payment deadline.
    pub paid_on: Option<NaiveDate>,
}

/// Everything a user states about an expense; what the service adds (id, status, version) is apart.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExpenseData {
    pub entity_id: EntityId,
    pub category: Option<CategoryCode>,
    pub nature: Nature,
    pub document: Document,
    pub description: String,
    pub amounts: Amounts,
    pub vat_recoverable: bool,
    pub cig: Option<Cig>,
    pub cup: Option<Cup>,
    pub payment: Payment,
    /// For a credit note, the invoice (an expense of the same project and supplier) it corrects:
    /// it then follows that invoice (domain.md, decision 3). Left out of the serialised form when
    /// absent, so that the data's fingerprint of expenses recorded before links is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<ExpenseId>,
}

impl ExpenseData {
    /// Whether `other` claims the same: same amounts, same supplier, same document. Whoever
    /// changes any of these answers for the figure and may not also verify it.
    pub fn same_substance(&self, other: &ExpenseData) -> bool {
        self.amounts == other.amounts
            && self.vat_recoverable == other.vat_recoverable
            && self.document == other.document
    }

    /// Date order checks that need several fields: a document is paid after it is issued, and a
    /// payment order comes before the treasury pays it.
    pub fn check_dates(&self, v: &mut Violations) {
        check_date_order(Some(self.document.date), &self.payment, v);
    }
}

/// The date order rules on whichever of the dates could be read: so that a form with an unreadable
/// amount still says, in the same round, that its payment precedes its document.
pub fn check_date_order(document: Option<NaiveDate>, payment: &Payment, v: &mut Violations) {
    if let (Some(paid), Some(document)) = (payment.paid_on, document) {
        if paid < document {
            v.add(
                "payment_date",
                "paid_before_document",
                "la data di pagamento è precedente alla data del documento",
            );
        }
    }
    if let Some(paid) = payment.paid_on {
        if let Some(order) = payment.order_date {
            if paid < order {
                v.add(
                    "payment_date",
                    "paid_before_order",
                    "la data di pagamento è precedente alla data del mandato",
                );
            }
        }
    }
    if let (Some(order), Some(document)) = (payment.order_date, document) {
        if order < document {
            v.add(
                "payment_order_date",
                "order_before_document",
                "la data del mandato è precedente alla data del documento",
            );
        }
    }
}

impl ExpenseData {
    /// An amount of this document as it counts in totals: negative for a credit note.
    pub fn signed(&self, amount: Money) -> Money {
        if self.document.kind == DocumentType::CreditNote {
            -amount
        } else {
            amount
        }
    }

    /// Who issued the document, as its parts are tied together (see [`supplier_identity`]).
    pub fn supplier_identity(&self) -> String {
        supplier_identity(
            self.document.supplier_vat.as_ref().map(|v| v.as_str()),
            &self.document.supplier_name,
        )
    }

    /// The key that finds the same supplier document claimed in other projects (by VAT id).
    pub fn document_key(&self) -> Option<DocumentKey> {
        self.document.supplier_vat.as_ref().map(|vat| DocumentKey {
            supplier_vat: vat.as_str().to_owned(),
            number: self.document.number.clone(),
            date: self.document.date,
        })
    }
}

/// Who issued a document, as the parts of one document are tied together (domain.md, decision 2):
/// the VAT id (or codice fiscale) as written, else the name with case, accents, spaces and
/// punctuation ignored ("Rossi & C. s.r.l." is "Rossi & c srl").
pub fn supplier_identity(tax_id: Option<&str>, name: &str) -> String {
    match tax_id {
        Some(id) => format!("id:{id}"),
        None => {
            let plain: String = super::text::fold(name)
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            format!("name:{plain}")
        }
    }
}

/// Another part of the same supplier document: what it says the document's total is, and what it
/// claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub id: ExpenseId,
    pub total: Money,
    pub claimed: Money,
}

/// Why a part of a supplier document is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartsError {
    /// The first part recorded fixed the document's total, and this one states another.
    TotalMismatch { first: ExpenseId, total: Money },
    /// Together the parts would claim more than the document's total.
    Overclaim {
        others: Vec<ExpenseId>,
        already_claimed: Money,
    },
}

/// The rule of split documents: the first part recorded (`others` in the order recorded) fixes the
/// document's total, which every later part must state; together the parts claim at most that
/// total. `amounts` are the new (or changed) part's.
pub fn check_document_parts(amounts: &Amounts, others: &[Part]) -> Result<(), PartsError> {
    let Some(first) = others.first() else {
        return Ok(());
    };
    if amounts.total() != first.total {
        return Err(PartsError::TotalMismatch {
            first: first.id,
            total: first.total,
        });
    }
    let already_claimed: Money = others.iter().map(|p| p.claimed).sum();
    if already_claimed + amounts.claimed() <= first.total {
        return Ok(());
    }
    Err(PartsError::Overclaim {
        others: others.iter().map(|p| p.id).collect(),
        already_claimed,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    pub supplier_vat: String,
    pub number: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expense {
    pub id: ExpenseId,
    pub project_id: ProjectId,
    pub data: ExpenseData,
    pub status: ExpenseStatus,
    /// Who recorded it (none for the local operator): they may not verify it themselves.
    pub created_by: Option<UserId>,
    /// Who last changed its amounts, supplier or document: they may not verify it either.
    pub changed_by: Option<UserId>,
    pub verified_by: Option<UserId>,
    /// Why the finance office sent it back, while it is `rejected`.
    pub rejection_reason: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A step of the verification workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The author hands it to the finance office.
    Ready,
    Verify,
    /// Back to the author, with a reason.
    Reject,
    /// A submitted expense reopened for a correction, with a justification.
    Unlock,
}

impl Step {
    pub fn action(self) -> super::audit::AuditAction {
        use super::audit::AuditAction;
        match self {
            Step::Ready => AuditAction::ExpenseReady,
            Step::Verify => AuditAction::ExpenseVerify,
            Step::Reject => AuditAction::ExpenseReject,
            Step::Unlock => AuditAction::ExpenseUnlock,
        }
    }
}

impl ExpenseStatus {
    /// Where a step leads from here, or why it cannot be taken (in Italian).
    pub fn after(self, step: Step) -> Result<ExpenseStatus, &'static str> {
        use ExpenseStatus::*;
        match (step, self) {
            (Step::Ready, Draft | Rejected) => Ok(Ready),
            (Step::Ready, _) => {
                Err("si possono inviare alla verifica solo le spese in bozza o respinte")
            }
            (Step::Verify, Ready) => Ok(Verified),
            (Step::Verify, _) => Err("si possono verificare solo le spese inviate alla verifica"),
            (Step::Reject, Ready | Verified) => Ok(Rejected),
            (Step::Reject, _) => {
                Err("si possono respingere solo le spese inviate alla verifica o verificate")
            }
            (Step::Unlock, Included) => Ok(Ready),
            (Step::Unlock, _) => {
                Err("si possono sbloccare solo le spese già incluse in una rendicontazione")
            }
        }
    }

    /// An edit voids a verification: the changed data must be verified again.
    pub fn after_edit(self) -> ExpenseStatus {
        match self {
            ExpenseStatus::Verified => ExpenseStatus::Ready,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_supplier_without_vat_id_is_known_by_its_name_however_written() {
        assert_eq!(
            supplier_identity(None, "Rossi & C. S.r.l."),
            supplier_identity(None, "ROSSI & C SRL")
        );
        assert_ne!(
            supplier_identity(None, "Rossi S.r.l."),
            supplier_identity(None, "Rossini S.r.l.")
        );
        assert_ne!(
            supplier_identity(Some("IT01234567897"), "Rossi"),
            supplier_identity(None, "Rossi")
        );
    }

    proptest! {
        /// Parts recorded one after another, each checked against those before it, as the store
        /// does under its lock: whatever totals and claims they state, the accepted ones state one
        /// total and together claim at most it.
        #[test]
        fn accepted_parts_never_claim_more_than_the_document(
            attempts in prop::collection::vec((1i64..5, 1i64..100_000), 1..20)
        ) {
            let mut accepted: Vec<Part> = Vec::new();
            for (n, (total_step, claimed)) in attempts.into_iter().enumerate() {
                let total = Money::from_cents(total_step * 50_000);
                let claimed = Money::from_cents(claimed).min(total);
                let amounts = Amounts::new(total, Money::ZERO, Some(claimed)).expect("amounts");
                if check_document_parts(&amounts, &accepted).is_ok() {
                    accepted.push(Part {
                        id: ExpenseId(i64::try_from(n).expect("small")),
                        total,
                        claimed,
                    });
                }
            }
            let first = accepted[0].total;
            prop_assert!(accepted.iter().all(|p| p.total == first));
            prop_assert!(accepted.iter().map(|p| p.claimed).sum::<Money>() <= first);
        }
    }
}
