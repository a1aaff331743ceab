//! `rendiconto.pdf`: A4 landscape, for signature. printpdf 0.12 draws operations and nothing more,
//! so the layout is ours: text is measured with the embedded font's advance widths, tables repeat
//! their header row on every page, and "Pagina N di M" and the footer (as-of date and SHA-256
//! fingerprint of the data) are added once every page is laid out. DejaVu Sans (free licence,
//! `assets/fonts/`) is embedded: every Italian glyph and `€`. Fonts, dates and the file identifier
//! are fixed from the data, so the same data and date give the same bytes.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem, TextMatrix,
};

use super::model::{document_type_it, Line as ExpenseLine, ReportModel};
use super::ReportError;
use crate::domain::narrative::{italian_value, Indicator, Section};
use crate::domain::text::italian_date;
use crate::domain::Money;

const REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 landscape, in points.
const PAGE_W: f32 = 841.89;
const PAGE_H: f32 = 595.28;
const MARGIN: f32 = 36.0;
/// Content stops above the footer.
const BOTTOM: f32 = MARGIN + 22.0;
const ROW_H: f32 = 11.0;
const TABLE_SIZE: f32 = 7.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

struct Face {
    id: FontId,
    font: ParsedFont,
}

impl Face {
    /// The advance width of `text` at `size`, in points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units = f32::from(self.font.units_per_em.max(1));
        let sum: f32 = text
            .chars()
            .map(|c| {
                let gid = self.font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                f32::from(
                    self.font
                        .get_glyph_width(gid)
                        .unwrap_or(self.font.units_per_em / 2),
                )
            })
            .sum();
        sum * size / units
    }

    /// `text` cut to fit `max` points, with an ellipsis when cut.
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut out = String::new();
        for c in text.chars() {
            out.push(c);
            if self.width(&out, size) + self.width("…", size) > max {
                out.pop();
                break;
            }
        }
        out.push('…');
        out
    }
}

struct Column {
    header: &'static str,
    width: f32,
    align: Align,
}

fn col(header: &'static str, width: f32, align: Align) -> Column {
    Column {
        header,
        width,
        align,
    }
}

/// Lays text out page by page, top to bottom.
struct Writer {
    regular: Face,
    bold: Face,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
    /// The header of the table being written, repeated after a page break.
    header: Option<Vec<Column>>,
}

impl Writer {
    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    fn text(&mut self, x: f32, y: f32, s: &str, size: f32, weight: Weight) {
        let id = self.face(weight).id.clone();
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32) {
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Rgb(Rgb {
                    r: 0.3,
                    g: 0.3,
                    b: 0.3,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point {
                                x: Pt(x1),
                                y: Pt(y),
                            },
                            bezier: false,
                        },
                        LinePoint {
                            p: Point {
                                x: Pt(x2),
                                y: Pt(y),
                            },
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }

    fn new_page(&mut self) {
        let done = std::mem::take(&mut self.ops);
        self.pages.push(done);
        self.y = PAGE_H - MARGIN;
        if let Some(columns) = self.header.take() {
            self.table_header(&columns);
            self.header = Some(columns);
        }
    }

    /// Makes room for `height` points, breaking the page when needed.
    fn need(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn heading(&mut self, s: &str) {
        self.header = None;
        self.need(40.0);
        self.y -= 14.0;
        self.text(MARGIN, self.y, s, 11.0, Weight::Bold);
        self.y -= 6.0;
    }

    fn line(&mut self, s: &str, size: f32, weight: Weight) {
        self.need(size + 4.0);
        self.y -= size + 3.0;
        self.text(MARGIN, self.y, s, size, weight);
    }

    /// A paragraph wrapped to the page width.
    fn paragraph(&mut self, s: &str, size: f32) {
        let max = PAGE_W - 2.0 * MARGIN;
        let mut current = String::new();
        let mut lines = Vec::new();
        for word in s.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_owned()
            } else {
                format!("{current} {word}")
            };
            if self.regular.width(&candidate, size) > max && !current.is_empty() {
                lines.push(std::mem::replace(&mut current, word.to_owned()));
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        for l in lines {
            self.line(&l, size, Weight::Regular);
        }
    }

    /// A label and its amount, right-aligned in a column.
    fn figure(&mut self, label: &str, value: &str, weight: Weight) {
        self.need(14.0);
        self.y -= 13.0;
        self.text(MARGIN, self.y, label, 9.0, weight);
        let x = MARGIN + 560.0 - self.face(weight).width(value, 9.0);
        self.text(x, self.y, value, 9.0, weight);
    }

    fn table_header(&mut self, columns: &[Column]) {
        self.y -= ROW_H + 2.0;
        let mut x = MARGIN;
        for c in columns {
            let t = self.bold.fit(c.header, TABLE_SIZE, c.width - 4.0);
            let tx = match c.align {
                Align::Left => x + 2.0,
                Align::Right => x + c.width - 2.0 - self.bold.width(&t, TABLE_SIZE),
            };
            self.text(tx, self.y + 3.0, &t, TABLE_SIZE, Weight::Bold);
            x += c.width;
        }
        self.rule(MARGIN, x, self.y, 0.6);
    }

    fn table(&mut self, columns: Vec<Column>) {
        self.need(3.0 * ROW_H);
        self.table_header(&columns);
        self.header = Some(columns);
    }

    /// One table row: a single text object for all its cells (positions set with the absolute
    /// text matrix), which keeps a 100,000-row table small in memory.
    fn row(&mut self, cells: &[String], weight: Weight) {
        self.need(ROW_H);
        self.y -= ROW_H;
        let Some(columns) = self.header.take() else {
            return;
        };
        let face = self.face(weight);
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(face.id.clone()),
                size: Pt(TABLE_SIZE),
            },
        ];
        let mut x = MARGIN;
        for (c, value) in columns.iter().zip(cells) {
            if !value.is_empty() {
                let t = face.fit(value, TABLE_SIZE, c.width - 4.0);
                let tx = match c.align {
                    Align::Left => x + 2.0,
                    Align::Right => x + c.width - 2.0 - face.width(&t, TABLE_SIZE),
                };
                ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(Pt(tx), Pt(self.y + 3.0)),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(t)],
                });
            }
            x += c.width;
        }
        ops.push(Op::EndTextSection);
        self.ops.extend(ops);
        if weight == Weight::Bold {
            self.rule(MARGIN, x, self.y + ROW_H - 1.0, 0.3);
        }
        self.header = Some(columns);
    }

    fn end_table(&mut self) {
        self.header = None;
        self.y -= 6.0;
    }
}

impl Writer {
    fn new() -> Result<Writer, ReportError> {
        Ok(Writer {
            regular: load_face(REGULAR_TTF, "F1")?,
            bold: load_face(BOLD_TTF, "F2")?,
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_H - MARGIN,
            header: None,
        })
    }

    /// The title block every document opens with.
    fn title_block(&mut self, model: &ReportModel<'_>, title: &str) {
        self.line(title, 16.0, Weight::Bold);
        self.y -= 4.0;
        for key in [
            "funder_line",
            "act_line",
            "project_line",
            "beneficiary_line",
            "as_of_line",
        ] {
            self.line(model.text(key), 10.0, Weight::Regular);
        }
    }

    /// The place and date, and the line for the signature; closes the last page.
    fn signature_block(&mut self, model: &ReportModel<'_>) {
        self.need(80.0);
        self.y -= 24.0;
        self.text(
            MARGIN,
            self.y,
            model.text("signature"),
            9.0,
            Weight::Regular,
        );
        let x = PAGE_W - MARGIN - 240.0;
        self.text(x, self.y, "Il legale rappresentante", 9.0, Weight::Regular);
        self.y -= 36.0;
        self.rule(x, PAGE_W - MARGIN, self.y, 0.5);
        self.y -= 10.0;
        self.text(x, self.y, "(firma)", 7.0, Weight::Regular);
        self.new_page();
    }
}

/// `relazione.pdf`: the final activity report, from the sections and indicators the project manager
/// recorded, with the financial outcome and the signature block.
pub fn render_relazione(
    model: &ReportModel<'_>,
    sections: &[Section],
    indicators: &[Indicator],
) -> Result<Vec<u8>, ReportError> {
    let s = &model.snapshot.summary;
    let mut w = Writer::new()?;
    w.title_block(model, "Relazione finale sulle attività svolte");
    if sections.is_empty() {
        w.heading("Attività svolte e risultati");
        w.paragraph("(nessuna sezione descrittiva registrata)", 9.0);
    }
    for section in sections {
        w.heading(&section.title);
        for paragraph in section.body.split("\n\n") {
            w.paragraph(paragraph, 9.0);
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
    finish(w, model)
}

/// Numbers the pages, adds the footer and writes the file with reproducible metadata.
fn finish(mut w: Writer, model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    let s = &model.snapshot.summary;
    // Page numbers and footer, now that the number of pages is known.
    let total = w.pages.len();
    let footer = format!(
        "Dati al {} – impronta SHA-256 dei dati: {}",
        italian_date(s.as_of),
        model.fingerprint
    );
    let pages: Vec<Vec<Op>> = std::mem::take(&mut w.pages);
    let mut finished = Vec::with_capacity(total);
    for (i, mut ops) in pages.into_iter().enumerate() {
        std::mem::swap(&mut w.ops, &mut ops);
        w.rule(MARGIN, PAGE_W - MARGIN, MARGIN + 12.0, 0.3);
        w.text(MARGIN, MARGIN, &footer, 6.5, Weight::Regular);
        let number = format!("Pagina {} di {}", i + 1, total);
        let nx = PAGE_W - MARGIN - w.regular.width(&number, 8.0);
        w.text(nx, MARGIN, &number, 8.0, Weight::Regular);
        finished.push(PdfPage::new(
            printpdf::Mm(297.0),
            printpdf::Mm(210.0),
            std::mem::take(&mut w.ops),
        ));
    }

    let mut doc = PdfDocument::new(model.text("title"));
    doc.resources.fonts.map.insert(
        w.regular.id.clone(),
        printpdf::PdfFont::new(w.regular.font.clone()),
    );
    doc.resources.fonts.map.insert(
        w.bold.id.clone(),
        printpdf::PdfFont::new(w.bold.font.clone()),
    );
    let dated = printpdf::OffsetDateTime::from_unix_timestamp(
        s.as_of
            .and_hms_opt(12, 0, 0)
            .map_or(0, |d| d.and_utc().timestamp()),
    )
    .map_err(|_| ReportError::Pdf("date"))?;
    let info = &mut doc.metadata.info;
    info.creation_date = dated;
    info.modification_date = dated;
    info.metadata_date = dated;
    info.author = model.snapshot.project.data.lead_entity.clone();
    info.creator = "rendiconta".into();
    info.producer = "rendiconta".into();
    info.subject = format!("Impronta SHA-256 dei dati: {}", model.fingerprint);
    doc.with_pages(finished);
    let opts = PdfSaveOptions {
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    let mut lo = doc.to_lopdf_document(&opts, &mut Vec::new());
    // printpdf draws the file identifier at random: derive it from the data instead.
    let id = lopdf::Object::String(
        model.fingerprint.as_bytes()[..32].to_vec(),
        lopdf::StringFormat::Literal,
    );
    lo.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    lo.compress();
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|_| ReportError::Pdf("save"))?;
    Ok(bytes)
}

fn euro(m: Money) -> String {
    m.italian()
}

fn expense_cells(l: &ExpenseLine) -> Vec<String> {
    let d = &l.expense.data;
    vec![
        l.row.to_string(),
        l.entity.clone(),
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

fn expense_columns() -> Vec<Column> {
    vec![
        col("N.", 26.0, Align::Right),
        col("Ente", 92.0, Align::Left),
        col("Fornitore", 110.0, Align::Left),
        col("Documento", 84.0, Align::Left),
        col("Data", 46.0, Align::Left),
        col("Descrizione", 166.0, Align::Left),
        col("Imponibile", 60.0, Align::Right),
        col("IVA", 52.0, Align::Right),
        col("Rendicontato", 60.0, Align::Right),
        col("Ammissibile", 60.0, Align::Right),
        col("Pagata il", 48.0, Align::Left),
    ]
}

fn load_face(bytes: &[u8], id: &str) -> Result<Face, ReportError> {
    let font = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(ReportError::Pdf("font"))?;
    Ok(Face {
        id: FontId(id.to_owned()),
        font,
    })
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
        w.line(&section.name, 9.0, Weight::Bold);
        w.table(expense_columns());
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
            .map(|x| (&x.line, x.message.clone()))
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

    if !s.warnings.is_empty() {
        w.heading("Avvertenze");
        for warning in &s.warnings {
            let on = warning
                .expense_id
                .map(|id| format!("spesa {id}: "))
                .unwrap_or_default();
            w.paragraph(&format!("• {on}{}", warning.message), 8.0);
        }
    }

    w.heading("Dichiarazione sostitutiva (DPR 445/2000)");
    w.paragraph(model.text("declaration"), 9.0);
    w.signature_block(model);
    finish(w, model)
}
