//! The heading every document opens with, as the Region's reviewer reads it: funder and call with
//! its act, the grant act, the project and its CUP, the lead beneficiary with codice fiscale,
//! registered office and PEC, every partner with its codice fiscale, the realisation period with
//! each extension and its act, approved cost and granted contribution, and which rendicontazione
//! this is. The template words the first lines; the rest is data.

use super::model::ReportModel;
use crate::domain::funding::ActKind;
use crate::domain::project::ProjectDate;
use crate::domain::text::italian_date;

impl ReportModel<'_> {
    /// The heading's lines, in order.
    pub fn heading_lines(&self) -> Vec<String> {
        let snap = self.snapshot;
        let p = &snap.project.data;
        let mut lines = vec![
            self.text("funder_line").to_owned(),
            self.text("act_line").to_owned(),
        ];
        if let Some(act) = &p.grant_act {
            lines.push(format!(
                "Contributo concesso con {} del {}",
                act.number,
                italian_date(act.date)
            ));
        }
        lines.push(self.text("project_line").to_owned());
        let lead = snap.entities.iter().find(|e| e.name == p.lead_entity);
        lines.push(match lead {
            Some(e) => std::iter::once(self.text("beneficiary_line").to_owned())
                .chain(e.particulars())
                .collect::<Vec<_>>()
                .join(" – "),
            None => self.text("beneficiary_line").to_owned(),
        });
        let partners: Vec<String> = snap
            .entities
            .iter()
            .filter(|e| e.name != p.lead_entity)
            .map(|e| match &e.tax_code {
                Some(cf) => format!("{} (C.F. {cf})", e.name),
                None => e.name.clone(),
            })
            .collect();
        if !partners.is_empty() {
            lines.push(format!("Enti partner: {}", partners.join("; ")));
        }
        lines.push(self.period_line());
        lines.push(format!(
            "Costo approvato: {} – contributo concesso: {}",
            snap.summary.approved_total.italian(),
            p.granted_contribution.italian()
        ));
        if let Some(kind) = self.submission_kind() {
            lines.push(kind);
        }
        lines.push(self.text("as_of_line").to_owned());
        lines
    }

    /// "Periodo di realizzazione: dal … al …", with each extension of the end date in force and
    /// its act, and each change of the project's dates recorded with its act.
    fn period_line(&self) -> String {
        let snap = self.snapshot;
        let p = &snap.project;
        let mut line = format!(
            "Periodo di realizzazione: dal {} al {}",
            italian_date(p.data.start_date),
            italian_date(snap.dates.end_date)
        );
        // Every act dated by then that moved the start or the end, in the order they took effect.
        let acts: Vec<String> =
            crate::domain::funding::date_acts(&p.date_history, &snap.extensions)
                .into_iter()
                .filter(|a| a.act_date <= snap.summary.as_of)
                .filter(|a| matches!(a.field, ProjectDate::StartDate | ProjectDate::EndDate))
                .map(|a| {
                    let what = match (a.field, a.kind) {
                        (ProjectDate::StartDate, _) => "inizio spostato",
                        (_, ActKind::Extension) => "prorogato",
                        _ => "fine spostata",
                    };
                    format!(
                        "{what} al {} con {} del {}",
                        italian_date(a.value),
                        a.act,
                        italian_date(a.act_date)
                    )
                })
                .collect();
        if !acts.is_empty() {
            line.push_str(&format!(" ({})", acts.join("; ")));
        }
        line
    }

    /// "Rendicontazione finale n. 2" for a submission: final when made as of the project's end or
    /// later, interim before it. `None` for a draft (its title says so).
    fn submission_kind(&self) -> Option<String> {
        let number = self.submission_number?;
        let kind = if self.snapshot.summary.as_of >= self.snapshot.dates.end_date {
            "finale"
        } else {
            "intermedia"
        };
        Some(format!("Rendicontazione {kind} n. {number}"))
    }
}
