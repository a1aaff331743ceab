//! `rendiconto.pdf`, the document the legal representative signs: the heading, the summary per
//! category with its drift, the computation of the contribution, every counted expense with its
//! payment details, the exclusions, the split among the partners, the declaration and the
//! signature.

use super::assemble::{finish, Finished};
use super::euro;
use super::expenses::ExpenseTable;
use super::layout::{col, Align, Paper, Weight, Writer};
use crate::domain::text::italian_date;
use crate::domain::{ExpenseStatus, Money};
use crate::reports::model::ReportModel;
use crate::reports::ReportError;

/// The rendiconto laid out, ready to be written.
pub(super) fn layout(model: &ReportModel<'_>) -> Result<Finished, ReportError> {
    let mut w = Writer::new(Paper::LANDSCAPE)?;
    w.title_block(model, model.text("title"));
    summary_per_category(&mut w, model);
    contribution(&mut w, model);
    expense_details(&mut w, model);
    exclusions(&mut w, model);
    adjustments(&mut w, model);
    split_among_partners(&mut w, model);
    declaration(&mut w, model);
    finish(w, model, model.text("title"))
}

/// The budget per category beside what is eligible and recognised, and the drift.
fn summary_per_category(w: &mut Writer, model: &ReportModel<'_>) {
    let s = &model.snapshot.summary;
    w.heading("Riepilogo per categoria");
    let rules = &model.snapshot.call.rules;
    let drift_header = match rules.drift_tolerance {
        Some(t) => format!("Scostamento (tolleranza {})", t.italian_percent()),
        None => "Scostamento".to_owned(),
    };
    w.table(vec![
        col("Categoria", 190.0, Align::Left),
        col("Approvato originale", 95.0, Align::Right),
        col("Approvato attuale", 95.0, Align::Right),
        col("Ammissibile", 95.0, Align::Right),
        col("Massimale", 95.0, Align::Right),
        col("Riconosciuto", 95.0, Align::Right),
        col(&drift_header, 90.0, Align::Right),
    ]);
    for c in &s.categories {
        w.row(
            &[
                c.name.clone(),
                euro(c.approved_original),
                euro(c.approved),
                euro(c.eligible),
                c.ceiling.map_or_else(|| "—".to_owned(), euro),
                euro(c.recognised),
                drift(c.eligible, c.approved),
            ],
            Weight::Regular,
        );
    }
    w.row(
        &[
            "Totale".into(),
            euro(s.approved_original_total),
            euro(s.approved_total),
            euro(s.eligible_total),
            String::new(),
            euro(s.recognised_total),
            String::new(),
        ],
        Weight::Bold,
    );
    w.end_table();
}

/// The contribution computed step by step, as the rules compute it, and the balance.
fn contribution(w: &mut Writer, model: &ReportModel<'_>) {
    let s = &model.snapshot.summary;
    let rules = &model.snapshot.call.rules;
    w.heading("Calcolo del contributo");
    w.figure(
        "Spesa riconosciuta",
        &euro(s.recognised_total),
        Weight::Regular,
    );
    w.figure(
        &format!(
            "Contributo calcolato ({} della spesa riconosciuta, arrotondato al centesimo)",
            s.contribution_rate.italian_percent()
        ),
        &euro(s.contribution_computed),
        Weight::Regular,
    );
    w.figure("Massimo concedibile", &euro(s.cap), Weight::Regular);
    if let Some(threshold) = s.revocation_threshold {
        w.figure(
            "Soglia minima di realizzazione",
            &euro(threshold),
            Weight::Regular,
        );
        let share = rules
            .min_realisation_share
            .map(|r| format!(" (soglia {})", r.italian_percent()))
            .unwrap_or_default();
        w.figure(
            &format!("Quota di realizzazione sul costo approvato{share}"),
            &percent(s.realisation_share),
            Weight::Regular,
        );
        w.figure(
            "Contributo revocato",
            if s.revoked { "sì" } else { "no" },
            Weight::Regular,
        );
    }
    w.figure("Contributo dovuto", &euro(s.contribution_due), Weight::Bold);
    for t in &model.snapshot.tranches {
        let kind = match t.kind {
            crate::domain::funding::TrancheKind::Advance => "Anticipo ricevuto",
            crate::domain::funding::TrancheKind::Balance => "Saldo ricevuto",
        };
        w.figure(
            &format!("{kind} – {} del {}", t.act, italian_date(t.date)),
            &euro(t.amount),
            Weight::Regular,
        );
    }
    w.figure(
        "Totale ricevuto",
        &euro(s.advances_received),
        Weight::Regular,
    );
    let (label, value) = if s.balance_due.is_negative() {
        ("Da restituire al finanziatore", euro(s.balance_due.abs()))
    } else {
        ("Saldo da ricevere", euro(s.balance_due))
    };
    w.figure(label, &value, Weight::Bold);
}

/// Every counted expense, by category, with the unverified ones marked.
fn expense_details(w: &mut Writer, model: &ReportModel<'_>) {
    w.heading("Dettaglio delle spese rendicontate");
    ExpenseTable::new(w, model).write(w, &model.sections);

    let unverified = model.sections.iter().flat_map(|s| &s.lines).any(|l| {
        !matches!(
            l.expense.status,
            ExpenseStatus::Verified | ExpenseStatus::Included
        )
    });
    if unverified {
        w.paragraph(
            "* spesa non ancora verificata dal servizio finanziario: conteggiata in questa bozza, \
             non in una rendicontazione presentata",
            8.0,
        );
    }
}

/// The expenses not counted, with their entity and reason.
fn exclusions(w: &mut Writer, model: &ReportModel<'_>) {
    if !model.excluded.is_empty() || !model.pending.is_empty() {
        w.heading("Spese non ammissibili o in attesa di verifica");
        w.table(vec![
            col("N.", 26.0, Align::Right),
            col("Ente", 110.0, Align::Left),
            col("Fornitore", 120.0, Align::Left),
            col("Documento", 100.0, Align::Left),
            col("Data", 52.0, Align::Left),
            col("Rendicontato", 68.0, Align::Right),
            col("Motivo", 280.0, Align::Left),
        ]);
        let pending = model.pending.iter().map(|l| {
            (
                l,
                "in attesa di verifica: non inclusa nel calcolo".to_owned(),
            )
        });
        for (l, reason) in model
            .excluded
            .iter()
            .map(|x| (&x.line, x.message.to_owned()))
            .chain(pending)
        {
            let d = &l.expense.data;
            w.row(
                &[
                    l.row.to_string(),
                    l.entity.to_owned(),
                    d.document.supplier_name.clone(),
                    format!("{} {}", d.document.kind.italian(), d.document.number),
                    italian_date(d.document.date),
                    euro(l.signed(d.amounts.claimed())),
                    reason,
                ],
                Weight::Regular,
            );
        }
        w.end_table();
    }
}

/// What changed against the earlier submissions.
fn adjustments(w: &mut Writer, model: &ReportModel<'_>) {
    if !model.adjustments.is_empty() {
        w.heading("Rettifiche rispetto alle rendicontazioni precedenti");
        w.table(vec![
            col("Documento", 330.0, Align::Left),
            col("Rendicontazione", 80.0, Align::Left),
            col("Allora", 80.0, Align::Right),
            col("Ora", 80.0, Align::Right),
            col("Differenza", 80.0, Align::Right),
        ]);
        for (a, expense) in &model.adjustments {
            let cells = ReportModel::adjustment_cells(a, expense.as_ref());
            w.row(&cells, Weight::Regular);
        }
        w.end_table();
    }
}

/// The declaration and the signature, kept on one page: a signature alone under a stray line of
/// the text it signs is what a reviewer refuses.
fn declaration(w: &mut Writer, model: &ReportModel<'_>) {
    // The declaration and the signature on one page: a signature alone under a stray line of the
    // text it signs is what a reviewer refuses.
    let declaration = model.text("declaration");
    let height = w.block_height(declaration, 9.0);
    w.need(60.0 + height + 100.0);
    w.heading("Dichiarazione sostitutiva di atto di notorietà (artt. 47 e 76 DPR 445/2000)");
    w.text_block(declaration, 9.0);
    w.signature_block(model);
}

/// A share as a percentage with one decimal, rounded half-up: `109,1 %`.
fn percent(share: rust_decimal::Decimal) -> String {
    let pct = (share * rust_decimal::Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{pct:.1} %").replace('.', ",")
}

/// How far the eligible spending moved from the approved line, signed: `+13,9 %`; "—" for a line
/// approved at zero (any spending there is a drift, and the summary warns of it).
fn drift(eligible: Money, approved: Money) -> String {
    if !approved.is_positive() {
        return "—".to_owned();
    }
    let share = (eligible - approved).to_decimal() / approved.to_decimal();
    let sign = if share.is_sign_positive() && !share.is_zero() {
        "+"
    } else {
        ""
    };
    format!("{sign}{}", percent(share))
}

/// The riparto: each partner's eligible spending per category and in total, what was recognised
/// of it, and its share of the contribution.
fn split_among_partners(w: &mut Writer, model: &ReportModel<'_>) {
    let s = &model.snapshot.summary;
    w.heading("Riparto fra gli enti");
    let categories = &s.categories;
    let mut columns = vec![col("Ente", 170.0, Align::Left)];
    for c in categories {
        columns.push(col(
            &format!("Ammissibile – {}", c.name),
            100.0,
            Align::Right,
        ));
    }
    columns.extend([
        col("Totale ammissibile", 95.0, Align::Right),
        col("Spesa riconosciuta", 95.0, Align::Right),
        col("Quota di contributo", 95.0, Align::Right),
    ]);
    w.table(columns);
    // Eligible per entity and category, from the rows the document lists (one pass).
    let mut by_pair: std::collections::HashMap<(&str, &str), Money> = Default::default();
    for section in &model.sections {
        for l in &section.lines {
            *by_pair.entry((l.entity, section.name)).or_default() += l.eligible;
        }
    }
    let eligible_in = |entity: &str, category: &str| -> Money {
        by_pair
            .get(&(entity, category))
            .copied()
            .unwrap_or_default()
    };
    for e in &s.entities {
        let mut cells = vec![e.name.clone()];
        cells.extend(
            categories
                .iter()
                .map(|c| euro(eligible_in(&e.name, &c.name))),
        );
        cells.extend([
            euro(e.eligible),
            euro(e.recognised),
            euro(e.contribution_share),
        ]);
        w.row(&cells, Weight::Regular);
    }
    let mut totals = vec!["Totale".to_owned()];
    totals.extend(categories.iter().map(|c| {
        euro(
            s.entities
                .iter()
                .map(|e| eligible_in(&e.name, &c.name))
                .sum(),
        )
    }));
    totals.extend([
        euro(s.entities.iter().map(|e| e.eligible).sum()),
        euro(s.entities.iter().map(|e| e.recognised).sum()),
        euro(s.entities.iter().map(|e| e.contribution_share).sum()),
    ]);
    w.row(&totals, Weight::Bold);
    w.end_table();
}
