//! The domain: what rendiconta knows about calls, projects and expenses. Pure: no I/O, no clock,
//! no web or database types.

/// A closed set of words, each variant with its wire name: parse, `as_str`, `Display`, and the
/// list of choices for error messages.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted values, for error messages.
            pub fn choices() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod access;
pub mod attachment;
pub mod audit;
pub mod call;
pub mod codes;
pub mod commitment;
pub mod expense;
pub mod expense_fields;
pub mod fields;
pub mod forecast;
pub mod funding;
pub mod ids;
mod italian;
pub mod money;
pub mod narrative;
pub mod project;
pub mod query;
pub mod reconciliation;
pub mod rules;
pub mod signed_copy;
pub mod snapshot;
pub mod split;
pub mod submission;
pub mod text;
pub mod validation;

pub use call::{Call, CallCategory, CallRules, CategoryCode, Ceiling, NewCall};
pub use codes::{Cig, CodeError, CodiceFiscale, Cup, PartitaIva, Pec, TaxId};
pub use expense::{
    Amounts, Document, DocumentKey, DocumentType, Expense, ExpenseData, ExpenseStatus, Nature,
    Payment, Step,
};
pub use ids::{CallId, CommitmentId, EntityId, ExpenseId, ProjectId, UserId};
pub use money::{Money, Rate};
pub use project::{
    BudgetLine, DateChange, Entity, GrantAct, NewEntity, Project, ProjectData, ProjectDate,
    Signatory,
};
pub use validation::{FieldError, Violations};
