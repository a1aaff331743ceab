//! The records of the canonical text (versions 2 and 3): what of each domain value the fingerprint
//! covers, fields in the order they are written. Timestamps of edits and versions are left out.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::call::{CallCategory, CallRules};
use crate::domain::funding::TrancheKind;
use crate::domain::project::ProjectDate;
use crate::domain::{
    BudgetLine, CallId, Cup, EntityId, ExpenseData, ExpenseId, ExpenseStatus, GrantAct, Money, Pec,
    ProjectData, ProjectId, Signatory, TaxId,
};

fn decimal<S: serde::Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&value.normalize())
}

fn optional_decimal<S: serde::Serializer>(
    value: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(&v.normalize()),
        None => s.serialize_none(),
    }
}

#[derive(Serialize)]
pub(super) struct Call<'a> {
    id: CallId,
    act: &'a str,
    rules: &'a CallRules,
    categories: &'a [CallCategory],
}

impl<'a> Call<'a> {
    pub(super) fn of(c: &'a crate::domain::Call) -> Call<'a> {
        Call {
            id: c.id,
            act: &c.act,
            rules: &c.rules,
            categories: &c.categories,
        }
    }
}

/// A change of a project date: in version 2 without the act's date (changes then moved the start
/// and the end only, always from a date).
#[derive(Serialize)]
pub(super) struct DateChangeV2<'a> {
    field: ProjectDate,
    from: NaiveDate,
    to: NaiveDate,
    act: &'a str,
}

#[derive(Serialize)]
pub(super) struct DateChange<'a> {
    field: ProjectDate,
    from: Option<NaiveDate>,
    to: NaiveDate,
    act: &'a str,
    act_date: NaiveDate,
}

/// The project's data as version 2 wrote it: before the project had deadlines of its own.
#[derive(Serialize)]
pub(super) struct ProjectDataV2<'a> {
    call_id: CallId,
    title: &'a str,
    cup: Option<&'a Cup>,
    lead_entity: &'a str,
    granted_contribution: Money,
    start_date: NaiveDate,
    end_date: NaiveDate,
    budget: &'a [BudgetLine],
    signatory: &'a Signatory,
    grant_act: Option<&'a GrantAct>,
}

/// The project record: version 2's, or the current one (its own deadlines, each change's act
/// date).
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Project<'a> {
    V2 {
        id: ProjectId,
        data: ProjectDataV2<'a>,
        date_changes: Vec<DateChangeV2<'a>>,
    },
    Current {
        id: ProjectId,
        data: &'a ProjectData,
        date_changes: Vec<DateChange<'a>>,
    },
}

impl<'a> Project<'a> {
    pub(super) fn of(p: &'a crate::domain::Project, version: i64) -> Project<'a> {
        if version <= 2 {
            let d = &p.data;
            return Project::V2 {
                id: p.id,
                data: ProjectDataV2 {
                    call_id: d.call_id,
                    title: &d.title,
                    cup: d.cup.as_ref(),
                    lead_entity: &d.lead_entity,
                    granted_contribution: d.granted_contribution,
                    start_date: d.start_date,
                    end_date: d.end_date,
                    budget: &d.budget,
                    signatory: &d.signatory,
                    grant_act: d.grant_act.as_ref(),
                },
                date_changes: p
                    .date_history
                    .iter()
                    .map(|c| DateChangeV2 {
                        field: c.field,
                        from: c.from.unwrap_or(c.to),
                        to: c.to,
                        act: &c.act,
                    })
                    .collect(),
            };
        }
        Project::Current {
            id: p.id,
            data: &p.data,
            date_changes: p
                .date_history
                .iter()
                .map(|c| DateChange {
                    field: c.field,
                    from: c.from,
                    to: c.to,
                    act: &c.act,
                    act_date: c.act_date,
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct Entity<'a> {
    id: EntityId,
    name: &'a str,
    tax_code: Option<&'a TaxId>,
    address: Option<&'a str>,
    pec: Option<&'a Pec>,
}

impl<'a> Entity<'a> {
    pub(super) fn of(e: &'a crate::domain::Entity) -> Entity<'a> {
        Entity {
            id: e.id,
            name: &e.name,
            tax_code: e.tax_code.as_ref(),
            address: e.address.as_deref(),
            pec: e.pec.as_ref(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct Extension<'a> {
    act: &'a str,
    date: NaiveDate,
    end_date: Option<NaiveDate>,
    payment_deadline: Option<NaiveDate>,
    reporting_deadline: Option<NaiveDate>,
}

impl<'a> Extension<'a> {
    pub(super) fn of(x: &'a crate::domain::funding::Extension) -> Extension<'a> {
        Extension {
            act: &x.act,
            date: x.date,
            end_date: x.end_date,
            payment_deadline: x.payment_deadline,
            reporting_deadline: x.reporting_deadline,
        }
    }
}

#[derive(Serialize)]
pub(super) struct Expense<'a> {
    id: ExpenseId,
    status: ExpenseStatus,
    data: &'a ExpenseData,
}

impl<'a> Expense<'a> {
    pub(super) fn of(e: &'a crate::domain::Expense) -> Expense<'a> {
        Expense {
            id: e.id,
            status: e.status,
            data: &e.data,
        }
    }
}

#[derive(Serialize)]
pub(super) struct Tranche<'a> {
    amount: Money,
    date: NaiveDate,
    act: &'a str,
    kind: TrancheKind,
}

impl<'a> Tranche<'a> {
    pub(super) fn of(t: &'a crate::domain::funding::Tranche) -> Tranche<'a> {
        Tranche {
            amount: t.amount,
            date: t.date,
            act: &t.act,
            kind: t.kind,
        }
    }
}

#[derive(Serialize)]
pub(super) struct Section<'a> {
    title: &'a str,
    body: &'a str,
}

impl<'a> Section<'a> {
    pub(super) fn of(s: &'a crate::domain::narrative::Section) -> Section<'a> {
        Section {
            title: &s.title,
            body: &s.body,
        }
    }
}

#[derive(Serialize)]
pub(super) struct Indicator<'a> {
    name: &'a str,
    #[serde(serialize_with = "decimal")]
    value: Decimal,
    #[serde(serialize_with = "optional_decimal")]
    target: Option<Decimal>,
    unit: Option<&'a str>,
}

impl<'a> Indicator<'a> {
    pub(super) fn of(i: &'a crate::domain::narrative::Indicator) -> Indicator<'a> {
        Indicator {
            name: &i.name,
            value: i.value,
            target: i.target,
            unit: i.unit.as_deref(),
        }
    }
}
