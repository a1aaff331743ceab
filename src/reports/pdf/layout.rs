//! Page layout for our PDFs. printpdf 0.12 draws operations and nothing more, so this is ours:
//! text measured with the embedded font's advance widths, tables that repeat their header row after
//! every page break, and — once every page is laid out — "Pagina N di M", the footer with the as-of
//! date and the data's fingerprint, and reproducible file metadata.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rgb, TextItem, TextMatrix,
};

use crate::domain::text::italian_date;
use crate::reports::model::ReportModel;
use crate::reports::ReportError;

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 landscape, in points.
pub(super) const PAGE_W: f32 = 841.89;
pub(super) const PAGE_H: f32 = 595.28;
pub(super) const MARGIN: f32 = 36.0;
/// Content stops above the footer.
pub(super) const BOTTOM: f32 = MARGIN + 22.0;
pub(super) const ROW_H: f32 = 11.0;
pub(super) const TABLE_SIZE: f32 = 7.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Right,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Weight {
    Regular,
    Bold,
}

pub(super) struct Face {
    pub(super) id: FontId,
    pub(super) font: ParsedFont,
}

impl Face {
    /// The advance width of `text` at `size`, in points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
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
    pub(super) fn fit(&self, text: &str, size: f32, max: f32) -> String {
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

pub(super) struct Column {
    pub(super) header: &'static str,
    pub(super) width: f32,
    pub(super) align: Align,
}

pub(super) fn col(header: &'static str, width: f32, align: Align) -> Column {
    Column {
        header,
        width,
        align,
    }
}

/// Lays text out page by page, top to bottom.
pub(super) struct Writer {
    pub(super) regular: Face,
    pub(super) bold: Face,
    pub(super) pages: Vec<Vec<Op>>,
    pub(super) ops: Vec<Op>,
    pub(super) y: f32,
    /// The header of the table being written, repeated after a page break.
    pub(super) header: Option<Vec<Column>>,
}

impl Writer {
    pub(super) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub(super) fn text(&mut self, x: f32, y: f32, s: &str, size: f32, weight: Weight) {
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

    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32) {
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

    pub(super) fn new_page(&mut self) {
        let done = std::mem::take(&mut self.ops);
        self.pages.push(done);
        self.y = PAGE_H - MARGIN;
        if let Some(columns) = self.header.take() {
            self.table_header(&columns);
            self.header = Some(columns);
        }
    }

    /// Makes room for `height` points, breaking the page when needed.
    pub(super) fn need(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    pub(super) fn heading(&mut self, s: &str) {
        self.header = None;
        self.need(40.0);
        self.y -= 14.0;
        self.text(MARGIN, self.y, s, 11.0, Weight::Bold);
        self.y -= 6.0;
    }

    pub(super) fn line(&mut self, s: &str, size: f32, weight: Weight) {
        self.need(size + 4.0);
        self.y -= size + 3.0;
        self.text(MARGIN, self.y, s, size, weight);
    }

    /// A paragraph wrapped to the page width.
    pub(super) fn paragraph(&mut self, s: &str, size: f32) {
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
    pub(super) fn figure(&mut self, label: &str, value: &str, weight: Weight) {
        self.need(14.0);
        self.y -= 13.0;
        self.text(MARGIN, self.y, label, 9.0, weight);
        let x = MARGIN + 560.0 - self.face(weight).width(value, 9.0);
        self.text(x, self.y, value, 9.0, weight);
    }

    pub(super) fn table_header(&mut self, columns: &[Column]) {
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

    pub(super) fn table(&mut self, columns: Vec<Column>) {
        self.need(3.0 * ROW_H);
        self.table_header(&columns);
        self.header = Some(columns);
    }

    /// One table row: a single text object for all its cells (positions set with the absolute
    /// text matrix), which keeps a 100,000-row table small in memory.
    pub(super) fn row(&mut self, cells: &[String], weight: Weight) {
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

    pub(super) fn end_table(&mut self) {
        self.header = None;
        self.y -= 6.0;
    }
}

impl Writer {
    pub(super) fn new() -> Result<Writer, ReportError> {
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
    pub(super) fn title_block(&mut self, model: &ReportModel<'_>, title: &str) {
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
    pub(super) fn signature_block(&mut self, model: &ReportModel<'_>) {
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

/// Numbers the pages, adds the footer and writes the file with reproducible metadata.
pub(super) fn finish(mut w: Writer, model: &ReportModel<'_>) -> Result<Vec<u8>, ReportError> {
    let s = &model.snapshot.summary;
    // Page numbers and footer, now that the number of pages is known.
    let total = w.pages.len();
    let footer = format!(
        "Dati al {} – impronta SHA-256 dei dati: {}",
        italian_date(s.as_of),
        model.fingerprint
    );
    let audit_line = model.audit_line();
    let pages: Vec<Vec<Op>> = std::mem::take(&mut w.pages);
    let mut finished = Vec::with_capacity(total);
    for (i, mut ops) in pages.into_iter().enumerate() {
        std::mem::swap(&mut w.ops, &mut ops);
        w.rule(MARGIN, PAGE_W - MARGIN, MARGIN + 12.0, 0.3);
        w.text(MARGIN, MARGIN, &footer, 6.5, Weight::Regular);
        if let Some(line) = &audit_line {
            w.text(MARGIN, MARGIN - 8.0, line, 6.5, Weight::Regular);
        }
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

pub(super) fn load_face(bytes: &[u8], id: &str) -> Result<Face, ReportError> {
    let font = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(ReportError::Pdf("font"))?;
    Ok(Face {
        id: FontId(id.to_owned()),
        font,
    })
}
