//! A co-funded project, its partner entities and its approved budget.

use chrono::{DateTime, NaiveDate, Utc};

use super::call::CategoryCode;
use super::codes::{CodiceFiscale, Cup, Pec, TaxId};
use super::ids::{CallId, EntityId, ProjectId};
use super::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BudgetLine {
    pub category: CategoryCode,
    pub amount: Money,
}

string_enum! {
    /// Which project date an act moved.
    ProjectDate {
        StartDate = "start_date",
        EndDate = "end_date",
        PaymentDeadline = "payment_deadline",
        ReportingDeadline = "reporting_deadline",
    }
}

impl ProjectDate {
    /// As the documents and the workspace name it.
    pub fn italian(self) -> &'static str {
        match self {
            ProjectDate::StartDate => "inizio del progetto",
            ProjectDate::EndDate => "fine del periodo di realizzazione",
            ProjectDate::PaymentDeadline => "termine per i pagamenti",
            ProjectDate::ReportingDeadline => "termine per la rendicontazione",
        }
    }
}

/// One move of a project date, with the act that made it (its text and its date). `from` is none
/// when a deadline is set where there was none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DateChange {
    pub field: ProjectDate,
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub act: String,
    pub act_date: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

/// Who signs the project's declarations (the legal representative), as the project's settings say.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Signatory {
    pub name: Option<String>,
    pub role: Option<String>,
    pub place: Option<String>,
    /// The signatory's own codice fiscale, which a declaration under DPR 445/2000 carries.
    pub tax_code: Option<CodiceFiscale>,
}

impl Signatory {
    /// `other`'s fields where it has them, ours otherwise.
    pub fn overridden_by(&self, other: &Signatory) -> Signatory {
        Signatory {
            name: other.name.clone().or_else(|| self.name.clone()),
            role: other.role.clone().or_else(|| self.role.clone()),
            place: other.place.clone().or_else(|| self.place.clone()),
            tax_code: other.tax_code.clone().or_else(|| self.tax_code.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectData {
    pub call_id: CallId,
    pub title: String,
    pub cup: Option<Cup>,
    pub lead_entity: String,
    pub granted_contribution: Money,
    pub start_date: NaiveDate,
    /// The end of the window and the deadlines as last set on the project itself (extensions
    /// apart): the history of acts decides which is in force on a date.
    pub end_date: NaiveDate,
    /// Payments made after this are not eligible; at first the call's.
    pub payment_deadline: Option<NaiveDate>,
    /// The report is due by this; at first the call's.
    pub reporting_deadline: Option<NaiveDate>,
    pub budget: Vec<BudgetLine>,
    pub signatory: Signatory,
    /// The act that granted the contribution (atto di concessione), when recorded.
    pub grant_act: Option<GrantAct>,
}

/// An administrative act by its number and date ("Determinazione n. 21452 del 02/12/2020").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantAct {
    pub number: String,
    pub date: NaiveDate,
}

impl ProjectData {
    pub fn approved_total(&self) -> Money {
        self.budget.iter().map(|l| l.amount).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub data: ProjectData,
    /// The changes of its dates made with an act, in the order recorded.
    pub date_history: Vec<DateChange>,
    /// The extensions granted (they move its dates too: see [`super::funding::date_acts`]).
    pub extensions: Vec<super::funding::Extension>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partner entity (the lead Unione, a Comune, an ASP...) that incurs and pays expenses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewEntity {
    pub name: String,
    pub tax_code: Option<TaxId>,
    /// The registered office, as the documents' heading prints it.
    pub address: Option<String>,
    pub pec: Option<Pec>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entity {
    pub id: EntityId,
    pub project_id: ProjectId,
    pub name: String,
    pub tax_code: Option<TaxId>,
    pub address: Option<String>,
    pub pec: Option<Pec>,
    pub created_at: DateTime<Utc>,
    /// Raised by every change of its particulars.
    pub version: i64,
}
