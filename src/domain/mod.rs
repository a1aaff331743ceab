//! The domain: what rendiconta knows about calls, projects and expenses. Pure: no I/O, no clock,
//! no web or database types.

pub mod call;
pub mod codes;
pub mod expense;
pub mod funding;
pub mod ids;
pub mod money;
pub mod narrative;
pub mod project;
pub mod rules;
pub mod split;
pub mod submission;
pub mod text;
pub mod validation;

pub use call::{Call, CallCategory, CallRules, CategoryCode, Ceiling, NewCall};
pub use codes::{Cig, CodeError, Cup, PartitaIva, TaxId};
pub use expense::{
    Amounts, Document, DocumentKey, DocumentType, Expense, ExpenseData, ExpenseStatus, Nature,
    Payment,
};
pub use ids::{CallId, EntityId, ExpenseId, ProjectId};
pub use money::{Money, Rate};
pub use project::{
    BudgetLine, DateChange, Entity, NewEntity, Project, ProjectData, ProjectDate, Signatory,
};
pub use validation::{FieldError, Violations};
