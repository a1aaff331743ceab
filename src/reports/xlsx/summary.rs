//! Riepilogo and Per ente: the figures of the summary, each as a formula over Spese or over the
//! cells above it, with its cached result set from the exact decimal figure.

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{Chart, ChartType, Formula, Worksheet};

use super::expenses::SpeseRanges;
use super::{number, sum_formula, Styles};
use crate::domain::text::italian_date;
use crate::domain::Money;
use crate::reports::model::ReportModel;
use crate::reports::template::Field;
use crate::reports::ReportError;

/// A step's label in the first column.
fn step(ws: &mut Worksheet, row: u32, label: &str) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.write_string(row, 0, label).map(|_| ())
}

/// Writes Riepilogo; returns the row left for the data's fingerprint, written last by `render`.
pub(super) fn summary_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<u32, ReportError> {
    ws.set_name("Riepilogo")?;
    ws.set_column_width(0, 44)?;
    for c in 1..=5 {
        ws.set_column_width(c, 18)?;
    }
    let fingerprint_row = heading(ws, model, st)?;
    let (first, last, total_row) = categories(ws, model, st, fingerprint_row + 3)?;
    let (row, due_at) = contribution(ws, model, st, total_row)?;
    let row = tranches_and_balance(ws, model, st, row, &due_at)?;
    // Warnings and reminders are for the office (workspace, summary API), never in a document
    // that is signed and sent.
    budget_chart(ws, first, last, row)?;
    Ok(fingerprint_row)
}

/// The title and the documents' heading, a line to a row (a draft says so first); returns the
/// row left for the fingerprint.
fn heading(ws: &mut Worksheet, model: &ReportModel<'_>, st: &Styles) -> Result<u32, ReportError> {
    ws.write_string_with_format(0, 0, model.text("title"), &st.title)?;
    let mut row = 1u32;
    if !model.is_submission() {
        ws.write_string_with_format(row, 0, crate::reports::model::DRAFT_MARK, &st.bold)?;
        row += 1;
    }
    for line in model.heading_lines() {
        ws.write_string(row, 0, line)?;
        row += 1;
    }
    let fingerprint_row = row;
    if let Some(line) = model.audit_line() {
        ws.write_string(fingerprint_row + 1, 0, line)?;
    }

    Ok(fingerprint_row)
}

/// The budget per category from row `top`, each figure a formula over Spese; returns the first
/// and last category rows and the total row.
fn categories(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
    top: u32,
) -> Result<(u32, u32, u32), ReportError> {
    let s = &model.snapshot.summary;
    for (col, header) in (0u16..).zip([
        "Categoria",
        "Approvato originale",
        "Approvato attuale",
        "Ammissibile",
        "Massimale",
        "Riconosciuto",
    ]) {
        ws.write_string_with_format(top, col, header, &st.header)?;
    }
    let first = top + 1;
    let spese = SpeseRanges::new(model);
    for (row, c) in (first..).zip(&s.categories) {
        ws.write_string(row, 0, &c.name)?;
        ws.write_number_with_format(row, 1, number(c.approved_original.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 2, number(c.approved.to_decimal()), &st.euro)?;
        // Eligible: the category's rows of Spese (never below zero); recognised: up to the
        // ceiling, where there is one.
        match spese.sum_where(Field::EligibleAmount, Field::Category, &c.name) {
            Some(sumifs) => ws.write_formula_with_format(
                row,
                3,
                Formula::new(format!("=MAX(0,{sumifs})")).set_result(c.eligible.to_string()),
                &st.euro,
            )?,
            None => {
                ws.write_number_with_format(row, 3, number(c.eligible.to_decimal()), &st.euro)?
            }
        };
        match c.ceiling {
            Some(limit) => {
                ws.write_number_with_format(row, 4, number(limit.to_decimal()), &st.euro)?
            }
            None => ws.write_string(row, 4, "—")?,
        };
        let (eligible, ceiling) = (row_col_to_cell(row, 3), row_col_to_cell(row, 4));
        ws.write_formula_with_format(
            row,
            5,
            Formula::new(format!(
                "=IF(ISNUMBER({ceiling}),MIN({eligible},{ceiling}),{eligible})"
            ))
            .set_result(c.recognised.to_string()),
            &st.euro,
        )?;
    }
    let last = first + u32::try_from(s.categories.len()).unwrap_or(0) - 1;
    let total_row = last + 1;
    ws.write_string_with_format(total_row, 0, "Totale", &st.bold)?;
    let totals = [
        (1, s.approved_original_total),
        (2, s.approved_total),
        (3, s.eligible_total),
        (5, s.recognised_total),
    ];
    for (col, value) in totals {
        let range = format!(
            "{}:{}",
            row_col_to_cell(first, col),
            row_col_to_cell(last, col)
        );
        ws.write_formula_with_format(total_row, col, sum_formula(&range, value), &st.euro_bold)?;
    }

    Ok((first, last, total_row))
}

/// The contribution, step by step, each step a formula over the ones above; returns the next row
/// and the cell of the contribution due.
fn contribution(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
    total_row: u32,
) -> Result<(u32, String), ReportError> {
    let s = &model.snapshot.summary;
    let mut row = total_row + 2;
    ws.write_string_with_format(row, 0, "Calcolo del contributo", &st.bold)?;
    row += 1;
    let recognised_cell = row_col_to_cell(total_row, 5);
    step(ws, row, "Spesa riconosciuta")?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("={recognised_cell}")).set_result(s.recognised_total.to_string()),
        &st.euro,
    )?;
    let recognised_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Tasso di contributo")?;
    ws.write_number_with_format(
        row,
        1,
        number(s.contribution_rate.to_decimal()),
        &st.percent,
    )?;
    let rate_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Contributo calcolato (arrotondato al centesimo)")?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("=ROUND({recognised_at}*{rate_at},2)"))
            .set_result(s.contribution_computed.to_string()),
        &st.euro,
    )?;
    let computed_at = row_col_to_cell(row, 1);
    row += 1;
    step(ws, row, "Massimo concedibile")?;
    ws.write_number_with_format(row, 1, number(s.cap.to_decimal()), &st.euro)?;
    let cap_at = row_col_to_cell(row, 1);
    row += 1;
    let approved_total_at = row_col_to_cell(total_row, 2);
    let share = model.snapshot.call.rules.min_realisation_share;
    let revoked_at = match (s.revocation_threshold, share) {
        (Some(threshold), Some(share)) => {
            step(ws, row, "Quota minima di realizzazione")?;
            ws.write_number_with_format(row, 1, number(share.to_decimal()), &st.percent)?;
            let share_at = row_col_to_cell(row, 1);
            row += 1;
            // Rounded up to the cent as the rules show it (`revocation_threshold`: the smallest
            // amount not revoked); the test below is exact.
            step(ws, row, "Soglia minima di realizzazione")?;
            ws.write_formula_with_format(
                row,
                1,
                Formula::new(format!("=ROUNDUP({share_at}*{approved_total_at},2)"))
                    .set_result(threshold.to_string()),
                &st.euro,
            )?;
            row += 1;
            step(ws, row, "Contributo revocato")?;
            ws.write_formula(
                row,
                1,
                Formula::new(format!(
                    "=IF({recognised_at}<{share_at}*{approved_total_at},\"Sì\",\"No\")"
                ))
                .set_result(if s.revoked { "Sì" } else { "No" }),
            )?;
            let at = row_col_to_cell(row, 1);
            row += 1;
            Some(at)
        }
        _ => None,
    };
    step(ws, row, "Contributo dovuto")?;
    let due_formula = match &revoked_at {
        Some(at) => format!("=IF({at}=\"Sì\",0,MIN({cap_at},{computed_at}))"),
        None => format!("=MIN({cap_at},{computed_at})"),
    };
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(due_formula).set_result(s.contribution_due.to_string()),
        &st.euro_bold,
    )?;
    let due_at = row_col_to_cell(row, 1);
    row += 2;
    Ok((row, due_at))
}

/// The tranches received and the balance; returns the balance's row.
fn tranches_and_balance(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
    mut row: u32,
    due_at: &str,
) -> Result<u32, ReportError> {
    let s = &model.snapshot.summary;
    ws.write_string_with_format(row, 0, "Erogazioni ricevute", &st.bold)?;
    row += 1;
    let tranche_first = row;
    for t in &model.snapshot.tranches {
        let kind = match t.kind {
            crate::domain::funding::TrancheKind::Advance => "Anticipo",
            crate::domain::funding::TrancheKind::Balance => "Saldo",
        };
        ws.write_string(
            row,
            0,
            format!("{kind} – {} del {}", t.act, italian_date(t.date)),
        )?;
        ws.write_number_with_format(row, 1, number(t.amount.to_decimal()), &st.euro)?;
        row += 1;
    }
    step(ws, row, "Totale ricevuto")?;
    let received = if row > tranche_first {
        Formula::new(format!(
            "=SUM({}:{})",
            row_col_to_cell(tranche_first, 1),
            row_col_to_cell(row - 1, 1)
        ))
    } else {
        Formula::new("=0")
    };
    ws.write_formula_with_format(
        row,
        1,
        received.set_result(s.advances_received.to_string()),
        &st.euro,
    )?;
    let received_at = row_col_to_cell(row, 1);
    row += 1;
    let balance_label = if s.balance_due.is_negative() {
        "Da restituire al finanziatore (saldo negativo)"
    } else {
        "Saldo da ricevere"
    };
    step(ws, row, balance_label)?;
    ws.write_formula_with_format(
        row,
        1,
        Formula::new(format!("={due_at}-{received_at}")).set_result(s.balance_due.to_string()),
        &st.euro_bold,
    )?;
    Ok(row)
}

/// Approved and recognised per category, under the computation across the table's width: seen on
/// opening and printed whole on the sheet's one page.
fn budget_chart(ws: &mut Worksheet, first: u32, last: u32, row: u32) -> Result<(), ReportError> {
    let mut chart = Chart::new(ChartType::Column);
    chart
        .title()
        .set_name("Approvato e riconosciuto per categoria");
    chart
        .add_series()
        .set_name("Approvato")
        .set_categories(("Riepilogo", first, 0, last, 0))
        .set_values(("Riepilogo", first, 2, last, 2));
    chart
        .add_series()
        .set_name("Riconosciuto")
        .set_categories(("Riepilogo", first, 0, last, 0))
        .set_values(("Riepilogo", first, 5, last, 5));
    chart.y_axis().set_num_format("#,##0 \"€\"");
    chart.set_width(900).set_height(300);
    ws.insert_chart(row + 3, 0, &chart)?;
    Ok(())
}

pub(super) fn entities_sheet(
    ws: &mut Worksheet,
    model: &ReportModel<'_>,
    st: &Styles,
) -> Result<(), ReportError> {
    let s = &model.snapshot.summary;
    ws.set_name("Per ente")?;
    for (col, (header, width)) in (0u16..).zip([
        ("Ente", 40),
        ("Spesa ammissibile", 18),
        ("Spesa riconosciuta", 18),
        ("Quota di contributo", 18),
    ]) {
        ws.write_string_with_format(0, col, header, &st.header)?;
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let spese = SpeseRanges::new(model);
    let mut row = 1u32;
    for e in &s.entities {
        ws.write_string(row, 0, &e.name)?;
        // Eligible: the entity's rows of Spese. Its recognised part and its share of the
        // contribution are split at the cent by the largest remainders (domain.md): figures.
        match spese.sum_where(Field::EligibleAmount, Field::Entity, &e.name) {
            Some(sumifs) => ws.write_formula_with_format(
                row,
                1,
                Formula::new(format!("={sumifs}")).set_result(e.eligible.to_string()),
                &st.euro,
            )?,
            None => {
                ws.write_number_with_format(row, 1, number(e.eligible.to_decimal()), &st.euro)?
            }
        };
        ws.write_number_with_format(row, 2, number(e.recognised.to_decimal()), &st.euro)?;
        ws.write_number_with_format(row, 3, number(e.contribution_share.to_decimal()), &st.euro)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Totale", &st.bold)?;
    let sums = [
        (1u16, s.entities.iter().map(|e| e.eligible).sum::<Money>()),
        (2, s.entities.iter().map(|e| e.recognised).sum()),
        (3, s.entities.iter().map(|e| e.contribution_share).sum()),
    ];
    for (col, value) in sums {
        let formula = if row > 1 {
            sum_formula(
                &format!(
                    "{}:{}",
                    row_col_to_cell(1, col),
                    row_col_to_cell(row - 1, col)
                ),
                value,
            )
        } else {
            Formula::new("=0").set_result("0.00")
        };
        ws.write_formula_with_format(row, col, formula, &st.euro_bold)?;
    }
    Ok(())
}
