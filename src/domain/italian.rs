//! The Italian words users read for the domain's values, in one place and one form: an
//! `italian()` method on the value (as `Money`, `Role` and `AttachmentKind` have beside their type).

use super::rules::Summary;
use super::{DocumentType, Entity, ExpenseStatus, Nature};

impl DocumentType {
    pub fn italian(self) -> &'static str {
        match self {
            DocumentType::Invoice => "Fattura",
            DocumentType::CreditNote => "Nota di credito",
            DocumentType::Receipt => "Ricevuta",
            DocumentType::Other => "Altro",
        }
    }
}

impl Nature {
    pub fn italian(self) -> &'static str {
        match self {
            Nature::Current => "Corrente",
            Nature::Capital => "Capitale",
        }
    }
}

impl ExpenseStatus {
    pub fn italian(self) -> &'static str {
        match self {
            ExpenseStatus::Draft => "Bozza",
            ExpenseStatus::Ready => "Da verificare",
            ExpenseStatus::Verified => "Verificata",
            ExpenseStatus::Rejected => "Respinta",
            ExpenseStatus::Included => "Rendicontata",
        }
    }
}

impl Summary {
    /// Where the balance stands — a stable code and its sentence: money to give back, to receive,
    /// or nothing either way.
    pub fn balance_words(&self) -> (&'static str, String) {
        if self.balance_due.is_negative() {
            (
                "da_restituire",
                format!(
                    "Da restituire al finanziatore: {}",
                    self.balance_due.abs().italian()
                ),
            )
        } else if self.balance_due.is_positive() {
            (
                "da_ricevere",
                format!("Saldo da ricevere: {}", self.balance_due.italian()),
            )
        } else {
            (
                "saldato",
                "Nessun saldo: il contributo dovuto è già stato ricevuto".to_owned(),
            )
        }
    }
}

impl Entity {
    /// What identifies the entity beside its name, as documents and pages print it: "C.F. …",
    /// its registered office, "PEC …" — those it has.
    pub fn particulars(&self) -> Vec<String> {
        [
            self.tax_code.as_ref().map(|c| format!("C.F. {c}")),
            self.address.clone(),
            self.pec.as_ref().map(|p| format!("PEC {p}")),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
