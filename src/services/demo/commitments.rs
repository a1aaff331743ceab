//! The demo's commitments: one per determina, entity and budget line its invoices were charged
//! to, each fully drawn, but for two partly invoiced (one expected in time, one after the
//! project's end) and one not yet invoiced whose payment is expected after the deadline — so
//! the forecast shows a gap and its causes.

use std::collections::{BTreeMap, HashSet};

use super::{code, date, ServiceError};
use crate::domain::access::Actor;
use crate::domain::commitment::CommitmentData;
use crate::domain::{EntityId, ExpenseData, Money, Nature, ProjectId};
use crate::services::{commitments, App};

type Line = (String, EntityId, String, &'static str);

/// Records the commitments the expenses draw on and links each expense to its own.
pub(super) async fn plan(
    app: &App,
    who: &Actor,
    project: ProjectId,
    entities: &[EntityId],
    expenses: &mut [ExpenseData],
) -> Result<(), ServiceError> {
    let mut lines: BTreeMap<Line, Money> = BTreeMap::new();
    let mut seen = HashSet::new();
    for e in expenses.iter() {
        // A document recorded twice is refused on its second attempt: it draws nothing.
        if let Some(key) = e.document_key() {
            if !seen.insert(key) {
                continue;
            }
        }
        if let (Some(act), Some(category)) = (&e.payment.commitment_act, &e.category) {
            let key = (
                act.clone(),
                e.entity_id,
                category.as_str().to_owned(),
                e.nature.as_str(),
            );
            *lines.entry(key).or_default() += e.signed(e.amounts.claimed());
        }
    }
    let mut ids = BTreeMap::new();
    let (mut late_technology, mut late_training) = (true, true);
    for (line, drawn) in lines {
        let (act, entity, category, nature) = line.clone();
        let nature = Nature::parse(nature).unwrap_or(Nature::Current);
        let mut data = CommitmentData {
            entity_id: entity,
            category: code(&category)?,
            nature,
            supplier_name: None,
            supplier_vat: None,
            act_date: date(2020, 9, 7)?,
            act,
            cig: None,
            amount: drawn,
            expected_invoice_date: None,
            expected_payment_date: None,
        };
        if !drawn.is_positive() {
            continue;
        }
        if nature == Nature::Current && category == "technology" && late_technology {
            // 500 € still to be invoiced in December and paid in January: counted.
            late_technology = false;
            data.amount = drawn + Money::from_cents(50_000);
            data.expected_invoice_date = Some(date(2020, 12, 15)?);
            data.expected_payment_date = Some(date(2021, 1, 20)?);
        } else if category == "design_training" && late_training {
            // 100 € of a follow-up day invoiced after the project's end: at risk.
            late_training = false;
            data.amount = drawn + Money::from_cents(10_000);
            data.expected_invoice_date = Some(date(2021, 1, 10)?);
            data.expected_payment_date = Some(date(2021, 1, 25)?);
        }
        let made = commitments::create(app, who, project, data).await?;
        ids.insert(line, made.commitment.id);
    }
    for e in expenses.iter_mut() {
        if let (Some(act), Some(category)) = (&e.payment.commitment_act, &e.category) {
            let key = (
                act.clone(),
                e.entity_id,
                category.as_str().to_owned(),
                e.nature.as_str(),
            );
            e.payment.commitment_id = ids.get(&key).copied();
        }
    }
    // Licences committed in November, paid only after the payment deadline: at risk.
    commitments::create(
        app,
        who,
        project,
        CommitmentData {
            entity_id: entities[0],
            category: code("technology")?,
            nature: Nature::Current,
            supplier_name: Some("Rete Sicura S.r.l.".into()),
            supplier_vat: None,
            act: "Determina n. 330 del 16/11/2020".into(),
            act_date: date(2020, 11, 16)?,
            cig: None,
            amount: Money::from_cents(150_000),
            expected_invoice_date: Some(date(2020, 12, 20)?),
            expected_payment_date: Some(date(2021, 2, 15)?),
        },
    )
    .await?;
    Ok(())
}
