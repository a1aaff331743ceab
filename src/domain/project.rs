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

/// Which project date an act moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectDate {
    StartDate,
    EndDate,
}

impl ProjectDate {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectDate::StartDate => "start_date",
            ProjectDate::EndDate => "end_date",
        }
    }

    pub fn parse(s: &str) -> Option<ProjectDate> {
        match s {
            "start_date" => Some(ProjectDate::StartDate),
            "end_date" => Some(ProjectDate::EndDate),
            _ => None,
        }
    }
}

/// One move of a project date, with the act that made it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DateChange {
    pub field: ProjectDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub act: String,
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
    pub end_date: NaiveDate,
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
    pub date_history: Vec<DateChange>,
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
