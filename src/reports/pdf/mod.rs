//! The PDF documents: `rendiconto.pdf` (A4 landscape, for signature) and `relazione.pdf`. DejaVu
//! Sans (free licence, `assets/fonts/`) is embedded: every Italian glyph and `€`. Fonts, dates and the
//! file identifier are fixed from the data, so the same data and date give the same bytes. The page
//! layout is in `layout.rs` (measured with `face.rs`), the making of the file in `assemble.rs`.

use super::model::{document_type_it, Line as ExpenseLine, ReportModel};
use super::ReportError;
use crate::domain::narrative::{italian_value, Indicator, Section};
use crate::domain::text::italian_date;
use crate::domain::{ExpenseStatus, Money};

mod assemble;
mod face;
mod layout;
mod pdfa;

use assemble::finish;
use layout::{col, Align, Column, Weight, Writer};

/// The final report's title, on its first page and in its metadata.
const RELAZIONE_TITLE: &str = "Relazione finale sulle attività svolte";

/// `relazione.pdf`: the final activity report, from the sections and indicators the project manager
/// recorded, with the financial outcome and the signature block.
pub fn render_relazione(
    model: &ReportModel<'_>,
    sections: &[Section],
    indicators: &[Indicator],
) -> Result<Vec<u8>, ReportError> {
    let s = &model.snapshot.summary;
    let mut w = Writer::new()?;
    w.title_block(model, RELAZIONE_TITLE);
    if sections.is_empty() {
        w.heading("Attività svolte e risultati");
        w.paragraph("(nessuna sezione descrittiva registrata)", 9.0);
    }
    for section in sections {
        w.heading(&section.title);
        // A blank line separates paragraphs; a single line break (a list typed line by line)
        // is kept, not run into the line before.
        let body = section.body.replace("\r\n", "\n");
        for paragraph in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
            for line in paragraph.lines() {
                w.paragraph(line, 9.0);
            }
            w.y -= 4.0;
        }
    }
    w.heading("Indicatori di risultato");
    w.table(vec![
        col("Indicatore", 380.0, Align::Left),
        col("Valore", 100.0, Align::Right),
        col("Unità di misura", 150.0, Align::Left),
    ]);
    for i in indicators {
        w.row(
            &[
                i.name.clone(),
                italian_value(i.value),
                i.unit.clone().unwrap_or_default(),
            ],
            Weight::Regular,
        );
    }
    w.end_table();
    w.heading("Sintesi finanziaria");
    w.figure("Costo approvato", &euro(s.approved_total), Weight::Regular);
    w.figure(
        "Spesa riconosciuta",
        &euro(s.recognised_total),
        Weight::Regular,
    );
    w.figure("Contributo dovuto", &euro(s.contribution_due), Weight::Bold);
    w.signature_block(model);
    finish(w, model, RELAZIONE_TITLE)
}

fn euro(m: Money) -> String {
    m.italian()
}

/// A row's cells; the number of an expense the finance office has not verified carries `*` (a
/// draft document counts them, and says which they are).
fn expense_cells(l: &ExpenseLine) -> Vec<String> {
    let d = &l.expense.data;
    let unverified = !matches!(
        l.expense.status,
        ExpenseStatus::Verified | ExpenseStatus::Included
    );
    vec![
        if unverified {
            format!("{}*", l.row)
        } else {
            l.row.to_string()
        },
        l.entity.to_owned(),
        d.document.supplier_name.clone(),
        format!(
            "{} {}",
            document_type_it(d.document.kind),
            d.document.number
        ),
        italian_date(d.document.date),
        d.description.clone(),
        euro(l.signed(d.amounts.net())),
        euro(l.signed(d.amounts.vat())),
        euro(l.signed(d.amounts.claimed())),
        euro(l.eligible),
        d.payment.paid_on.map(italian_date).unwrap_or_default(),
    ]
}

/// Widths that add up to the frame (770 pt): dates and amounts on one line, the texts wrap.
fn expense_columns() -> Vec<Column> {
    vec![
        col("N.", 24.0, Align::Right),
        col("Ente", 84.0, Align::Left),
        col("Fornitore", 100.0, Align::Left),
        col("Documento", 80.0, Align::Left),
        col("Data", 46.0, Align::Left),
        col("Descrizione", 156.0, Align::Left),
        col("Imponibile", 60.0, Align::Right),
        col("IVA", 52.0, Align::Right),
        col("Rendicontato", 60.0, Align::Right),
        col("Ammissibile", 60.0, Align::Right),
        col("Pagata il", 48.0, Align::Left),
    ]
}

pub fn render(model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    let s = &model.snapshot.summary;
    let mut w = Writer::new()?;

    w.title_block(model, model.text("title"));

    w.heading("Riepilogo per categoria");
    w.table(vec![
        col("Categoria", 200.0, Align::Left),
        col("Approvato originale", 100.0, Align::Right),
        col("Approvato attuale", 100.0, Align::Right),
        col("Ammissibile", 100.0, Align::Right),
        col("Massimale", 100.0, Align::Right),
        col("Riconosciuto", 100.0, Align::Right),
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
        ],
        Weight::Bold,
    );
    w.end_table();

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

    w.heading("Dettaglio delle spese rendicontate");
    for section in &model.sections {
        w.captioned_table(section.name, expense_columns());
        for l in &section.lines {
            w.row(&expense_cells(l), Weight::Regular);
        }
        let sum = |f: fn(&ExpenseLine) -> Money| section.lines.iter().map(f).sum::<Money>();
        let mut totals = vec![String::new(); 11];
        totals[5] = format!("Totale {}", section.name);
        totals[6] = euro(sum(|l| l.signed(l.expense.data.amounts.net())));
        totals[7] = euro(sum(|l| l.signed(l.expense.data.amounts.vat())));
        totals[8] = euro(sum(|l| l.signed(l.expense.data.amounts.claimed())));
        totals[9] = euro(sum(|l| l.eligible));
        w.row(&totals, Weight::Bold);
        w.end_table();
    }

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

    if !model.excluded.is_empty() || !model.pending.is_empty() {
        w.heading("Spese non ammissibili o in attesa di verifica");
        w.table(vec![
            col("N.", 26.0, Align::Right),
            col("Fornitore", 120.0, Align::Left),
            col("Documento", 90.0, Align::Left),
            col("Data", 48.0, Align::Left),
            col("Rendicontato", 66.0, Align::Right),
            col("Motivo", 420.0, Align::Left),
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
                    d.document.supplier_name.clone(),
                    format!(
                        "{} {}",
                        document_type_it(d.document.kind),
                        d.document.number
                    ),
                    italian_date(d.document.date),
                    euro(l.signed(d.amounts.claimed())),
                    reason,
                ],
                Weight::Regular,
            );
        }
        w.end_table();
    }

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

    w.heading("Riparto fra gli enti");
    w.table(vec![
        col("Ente", 260.0, Align::Left),
        col("Spesa ammissibile", 110.0, Align::Right),
        col("Spesa riconosciuta", 110.0, Align::Right),
        col("Quota di contributo", 110.0, Align::Right),
    ]);
    for e in &s.entities {
        w.row(
            &[
                e.name.clone(),
                euro(e.eligible),
                euro(e.recognised),
                euro(e.contribution_share),
            ],
            Weight::Regular,
        );
    }
    w.row(
        &[
            "Totale".into(),
            euro(s.entities.iter().map(|e| e.eligible).sum()),
            euro(s.entities.iter().map(|e| e.recognised).sum()),
            euro(s.entities.iter().map(|e| e.contribution_share).sum()),
        ],
        Weight::Bold,
    );
    w.end_table();

    // The declaration and the signature on one page: a signature alone under a stray line of the
    // text it signs is what a reviewer refuses.
    let declaration = model.text("declaration");
    let lines = w
        .regular
        .wrap(declaration, 9.0, layout::PAGE_W - 2.0 * layout::MARGIN)
        .len();
    w.need(60.0 + 12.0 * lines as f32 + 90.0);
    w.heading("Dichiarazione sostitutiva (DPR 445/2000)");
    w.paragraph(declaration, 9.0);
    w.signature_block(model);
    finish(w, model, model.text("title"))
}
