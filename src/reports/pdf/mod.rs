//! The PDF documents: `rendiconto.pdf` (A4 landscape, for signature) and `relazione.pdf`. DejaVu
//! Sans (free licence, `assets/fonts/`) is embedded: every Italian glyph and `€`. Fonts, dates and the
//! file identifier are fixed from the data, so the same data and date give the same bytes. The page
//! layout is in `layout.rs` (measured with `face.rs`), the making of the file in `assemble.rs`.

use super::model::ReportModel;
use super::ReportError;
use crate::domain::narrative::{italian_value, Indicator, Section};
use crate::domain::Money;

mod assemble;
mod expenses;
mod face;
mod layout;
mod pdfa;
mod rendiconto;

use assemble::{finish, Finished};
use layout::{col, Align, Paper, Weight, Writer};

/// The final report's text size: it is read, not scanned.
const BODY_SIZE: f32 = 10.5;

/// The final report's title, on its first page and in its metadata.
const RELAZIONE_TITLE: &str = "Relazione finale sulle attività svolte";

/// `rendiconto.pdf`, whole in memory.
pub fn render(model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    rendiconto::layout(model)?.into_bytes()
}

/// `rendiconto.pdf`, written to `out` as it is made (never whole in memory twice).
pub fn render_to(model: &ReportModel<'_>, out: &mut dyn std::io::Write) -> Result<(), ReportError> {
    rendiconto::layout(model)?.write_to(out)
}

/// `relazione.pdf`, whole in memory.
pub fn render_relazione(
    model: &ReportModel<'_>,
    sections: &[Section],
    indicators: &[Indicator],
) -> Result<Vec<u8>, ReportError> {
    relazione(model, sections, indicators)?.into_bytes()
}

/// `relazione.pdf`, written to `out`.
pub fn render_relazione_to(
    model: &ReportModel<'_>,
    sections: &[Section],
    indicators: &[Indicator],
    out: &mut dyn std::io::Write,
) -> Result<(), ReportError> {
    relazione(model, sections, indicators)?.write_to(out)
}

/// `relazione.pdf`: the final activity report, from the sections and indicators the project manager
/// recorded, with the financial outcome and the signature block.
fn relazione(
    model: &ReportModel<'_>,
    sections: &[Section],
    indicators: &[Indicator],
) -> Result<Finished, ReportError> {
    let s = &model.snapshot.summary;
    let mut w = Writer::new(Paper::PORTRAIT)?;
    w.title_block(model, RELAZIONE_TITLE);
    if sections.is_empty() {
        w.heading("Attività svolte e risultati");
        w.paragraph("(nessuna sezione descrittiva registrata)", BODY_SIZE);
    }
    for section in sections {
        w.heading(&section.title);
        w.text_block(&section.body, BODY_SIZE);
    }
    w.heading("Indicatori di risultato");
    w.table(vec![
        col("Indicatore", 245.0, Align::Left),
        col("Valore atteso", 80.0, Align::Right),
        col("Valore raggiunto", 80.0, Align::Right),
        col("Unità di misura", 104.0, Align::Left),
    ]);
    for i in indicators {
        w.row(
            &[
                i.name.clone(),
                i.target
                    .map(italian_value)
                    .unwrap_or_else(|| "—".to_owned()),
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
