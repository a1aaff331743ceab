//! What a project receives from the funder and when things are due: budget variations
//! (rimodulazioni), extensions (proroghe), milestones and the tranches paid by the funder.

use chrono::{DateTime, NaiveDate, Utc};

use super::call::CategoryCode;
use super::money::Money;
use super::project::{DateChange, ProjectData, ProjectDate};

string_enum!(VariationStatus { Requested = "requested", Approved = "approved", Rejected = "rejected" });
string_enum!(TrancheKind { Advance = "advance", Balance = "balance" });

/// A change of the approved budget: signed amounts per category, in force from the date it was
/// approved (domain.md, decision 5), not from the date it was requested.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Variation {
    pub id: i64,
    pub act: String,
    /// The date of the request.
    pub date: NaiveDate,
    pub status: VariationStatus,
    /// When it was approved or rejected; none while requested.
    pub decision_date: Option<NaiveDate>,
    pub changes: Vec<(CategoryCode, Money)>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// An extension granted by an act: each date it names replaces the one in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Extension {
    pub id: i64,
    pub act: String,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Milestone {
    pub id: i64,
    pub name: String,
    pub due_date: NaiveDate,
    pub done: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// Money received from the funder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tranche {
    pub id: i64,
    pub amount: Money,
    pub date: NaiveDate,
    pub act: String,
    pub kind: TrancheKind,
    pub created_at: DateTime<Utc>,
}

/// The budget in force on a date: the original plus the variations approved by then (decided on
/// or before it).
pub fn current_budget(
    original: &[(CategoryCode, Money)],
    variations: &[Variation],
    as_of: NaiveDate,
) -> Vec<(CategoryCode, Money)> {
    let mut budget: Vec<(CategoryCode, Money)> = original.to_vec();
    for v in variations.iter().filter(|v| {
        v.status == VariationStatus::Approved && v.decision_date.is_some_and(|d| d <= as_of)
    }) {
        for (category, delta) in &v.changes {
            match budget.iter_mut().find(|(c, _)| c == category) {
                Some((_, amount)) => *amount += *delta,
                None => budget.push((category.clone(), *delta)),
            }
        }
    }
    budget
}

/// The dates in force on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveDates {
    pub end_date: NaiveDate,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
}

string_enum!(ActKind { Change = "change", Extension = "extension" });

/// One act that set one of the project's dates: a change made with an act, or an extension.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DateAct {
    pub field: ProjectDate,
    pub value: NaiveDate,
    pub act: String,
    pub act_date: NaiveDate,
    pub kind: ActKind,
    pub recorded_at: DateTime<Utc>,
}

/// Every act that set one of the project's dates (the start, the end of the window, a deadline), in
/// the order they take effect: by the act's date, then (equal dates) by when they were recorded.
pub fn date_acts(history: &[DateChange], extensions: &[Extension]) -> Vec<DateAct> {
    let changes = history.iter().map(|c| DateAct {
        field: c.field,
        value: c.to,
        act: c.act.clone(),
        act_date: c.act_date,
        kind: ActKind::Change,
        recorded_at: c.recorded_at,
    });
    let extended = extensions.iter().flat_map(|e| {
        [
            (ProjectDate::EndDate, e.end_date),
            (ProjectDate::PaymentDeadline, e.payment_deadline),
            (ProjectDate::ReportingDeadline, e.reporting_deadline),
        ]
        .into_iter()
        .filter_map(move |(field, value)| {
            value.map(|value| DateAct {
                field,
                value,
                act: e.act.clone(),
                act_date: e.date,
                kind: ActKind::Extension,
                recorded_at: e.created_at,
            })
        })
    });
    let mut acts: Vec<DateAct> = changes.chain(extended).collect();
    acts.sort_by_key(|a| (a.act_date, a.recorded_at));
    acts
}

/// The dates in force on `as_of` (domain.md, decision 1): for each, the value set by the latest
/// act dated on or before it (equal dates: the one recorded later) — a change of the date or an
/// extension naming it, whichever is later — or, before any act, the project's own first value.
pub fn effective_dates(
    project: &ProjectData,
    history: &[DateChange],
    extensions: &[Extension],
    as_of: NaiveDate,
) -> EffectiveDates {
    // The value before the first change recorded: what the project started with.
    let original = |field: ProjectDate, now: Option<NaiveDate>| {
        history
            .iter()
            .find(|c| c.field == field)
            .map_or(now, |c| c.from)
    };
    let mut dates = EffectiveDates {
        end_date: original(ProjectDate::EndDate, Some(project.end_date))
            .unwrap_or(project.end_date),
        payment_deadline: original(ProjectDate::PaymentDeadline, project.payment_deadline),
        reporting_deadline: original(ProjectDate::ReportingDeadline, project.reporting_deadline),
    };
    for act in date_acts(history, extensions) {
        if act.act_date > as_of {
            break;
        }
        match act.field {
            ProjectDate::EndDate => dates.end_date = act.value,
            ProjectDate::PaymentDeadline => dates.payment_deadline = Some(act.value),
            ProjectDate::ReportingDeadline => dates.reporting_deadline = Some(act.value),
            ProjectDate::StartDate => {}
        }
    }
    dates
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariation {
    pub act: String,
    pub date: NaiveDate,
    pub status: VariationStatus,
    /// When it was decided, if recorded already approved or rejected.
    pub decision_date: Option<NaiveDate>,
    pub changes: Vec<(CategoryCode, Money)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExtension {
    pub act: String,
    pub date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub payment_deadline: Option<NaiveDate>,
    pub reporting_deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMilestone {
    pub name: String,
    pub due_date: NaiveDate,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTranche {
    pub amount: Money,
    pub date: NaiveDate,
    pub act: String,
    pub kind: TrancheKind,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CallId;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 9, 1).expect("date") + chrono::Duration::days(n)
    }

    fn at(n: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_600_000_000 + n, 0).expect("time")
    }

    fn project() -> ProjectData {
        ProjectData {
            call_id: CallId(1),
            title: "P".into(),
            cup: None,
            lead_entity: "U".into(),
            granted_contribution: Money::from_cents(700_000),
            start_date: day(0),
            end_date: day(120),
            payment_deadline: Some(day(150)),
            reporting_deadline: Some(day(180)),
            budget: Vec::new(),
            signatory: Default::default(),
            grant_act: None,
        }
    }

    /// An act: (is an extension, which date it moves, its value, its act date).
    fn acts() -> impl Strategy<Value = Vec<(bool, u8, i64, i64)>> {
        prop::collection::vec((any::<bool>(), 0u8..3, 60i64..400, 0i64..300), 0..8)
    }

    /// Records acts as the services do: a change moves the project's own date and keeps where it
    /// was; an extension is kept apart.
    fn record(
        acts: &[(bool, u8, i64, i64)],
        p: &mut ProjectData,
        history: &mut Vec<DateChange>,
        extensions: &mut Vec<Extension>,
    ) {
        for (i, &(extension, which, value, act_day)) in acts.iter().enumerate() {
            let n = i64::try_from(history.len() + extensions.len() + i).expect("small");
            let field = [
                ProjectDate::EndDate,
                ProjectDate::PaymentDeadline,
                ProjectDate::ReportingDeadline,
            ][usize::from(which)];
            if extension {
                extensions.push(Extension {
                    id: n,
                    act: format!("proroga {n}"),
                    date: day(act_day),
                    end_date: (field == ProjectDate::EndDate).then(|| day(value)),
                    payment_deadline: (field == ProjectDate::PaymentDeadline).then(|| day(value)),
                    reporting_deadline: (field == ProjectDate::ReportingDeadline)
                        .then(|| day(value)),
                    created_at: at(n),
                });
            } else {
                let own = match field {
                    ProjectDate::EndDate => Some(std::mem::replace(&mut p.end_date, day(value))),
                    ProjectDate::PaymentDeadline => p.payment_deadline.replace(day(value)),
                    _ => p.reporting_deadline.replace(day(value)),
                };
                history.push(DateChange {
                    field,
                    from: own,
                    to: day(value),
                    act: format!("atto {n}"),
                    act_date: day(act_day),
                    recorded_at: at(n),
                });
            }
        }
    }

    proptest! {
        /// Decisions 1 and 5: whatever acts were recorded, recording more acts dated after D —
        /// changes, extensions, approved variations — leaves the dates and the budget as of D as
        /// they were.
        #[test]
        fn figures_for_a_past_date_never_move_with_later_acts(
            before in acts(),
            later in acts(),
            as_of in 0i64..300,
            decided in prop::collection::vec((0i64..300, -500i64..500), 0..5),
        ) {
            let mut p = project();
            let (mut history, mut extensions) = (Vec::new(), Vec::new());
            record(&before, &mut p, &mut history, &mut extensions);
            let original = vec![(CategoryCode::parse("a").expect("code"), Money::from_cents(1_000_000))];
            let variation = |(i, (d, cents)): (usize, (i64, i64))| Variation {
                id: i64::try_from(i).expect("small"),
                act: "v".into(),
                date: day(0),
                status: VariationStatus::Approved,
                decision_date: Some(day(d)),
                changes: vec![(original[0].0.clone(), Money::from_cents(cents))],
                version: 1,
                created_at: at(0),
            };
            let mut variations: Vec<Variation> =
                decided.iter().copied().enumerate().map(variation).collect();
            let d = day(as_of);
            let dates = effective_dates(&p, &history, &extensions, d);
            let budget = current_budget(&original, &variations, d);

            // The later acts, all dated after D (recorded after everything else).
            let shifted: Vec<_> = later
                .iter()
                .map(|&(e, w, v, a)| (e, w, v, as_of + 1 + a % 100))
                .collect();
            record(&shifted, &mut p, &mut history, &mut extensions);
            variations.extend(
                shifted
                    .iter()
                    .map(|&(_, _, v, a)| (a, v))
                    .enumerate()
                    .map(|(i, x)| variation((i + 100, x))),
            );
            prop_assert_eq!(effective_dates(&p, &history, &extensions, d), dates);
            prop_assert_eq!(current_budget(&original, &variations, d), budget);
        }
    }

    #[test]
    fn a_change_dated_after_an_extension_wins_and_the_other_way_round() {
        let p = project();
        let extension = Extension {
            id: 1,
            act: "proroga".into(),
            date: day(130),
            end_date: Some(day(450)),
            payment_deadline: None,
            reporting_deadline: None,
            created_at: at(1),
        };
        let change = DateChange {
            field: ProjectDate::EndDate,
            from: Some(day(120)),
            to: day(480),
            act: "modifica".into(),
            act_date: day(200),
            recorded_at: at(2),
        };
        let history = vec![change.clone()];
        let dates =
            |as_of| effective_dates(&p, &history, std::slice::from_ref(&extension), day(as_of));
        assert_eq!(dates(100).end_date, day(120), "before any act");
        assert_eq!(dates(150).end_date, day(450), "the extension");
        assert_eq!(dates(250).end_date, day(480), "the later change wins");
        assert_eq!(
            dates(250).payment_deadline,
            Some(day(150)),
            "not moved by either"
        );
        // An extension dated after the change wins over it.
        let later = Extension {
            date: day(220),
            end_date: Some(day(400)),
            created_at: at(3),
            ..extension.clone()
        };
        let both = [extension.clone(), later];
        assert_eq!(
            effective_dates(&p, &history, &both, day(250)).end_date,
            day(400)
        );
    }
}
