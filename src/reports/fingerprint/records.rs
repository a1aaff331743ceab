//! The records of the canonical text (version 2): what of each domain value the fingerprint
//! covers, fields in the order they are written. Timestamps of edits and versions are left out.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::call::{CallCategory, CallRules};
use crate::domain::funding::TrancheKind;
use crate::domain::project::ProjectDate;
use crate::domain::{
    CallId, EntityId, ExpenseData, ExpenseId, ExpenseStatus, Money, Pec, ProjectData, ProjectId,
    TaxId,
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

#[derive(Serialize)]
pub(super) struct DateChange<'a> {
    field: ProjectDate,
    from: NaiveDate,
    to: NaiveDate,
    act: &'a str,
}

#[derive(Serialize)]
pub(super) struct Project<'a> {
    id: ProjectId,
    data: &'a ProjectData,
    date_changes: Vec<DateChange<'a>>,
}

impl<'a> Project<'a> {
    pub(super) fn of(p: &'a crate::domain::Project) -> Project<'a> {
        Project {
            id: p.id,
            data: &p.data,
            date_changes: p
                .date_history
                .iter()
                .map(|d| DateChange {
                    field: d.field,
                    from: d.from,
                    to: d.to,
                    act: &d.act,
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
