//! Page layout for our PDFs: text measured with the embedded font's advance widths, tables that
//! repeat their header row after every page break. Each page is written as a PDF content stream
//! while it is laid out and kept compressed (a few KB), so a 2,000-page rendiconto never holds its
//! pages as objects; `assemble` numbers them and makes the file.

use std::fmt::Write as _;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::face::Face;
use crate::reports::model::ReportModel;
use crate::reports::ReportError;

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 landscape, in points.
pub(super) const PAGE_W: f32 = 841.89;
pub(super) const PAGE_H: f32 = 595.28;
/// 15 mm and a little: printers clip closer to the edge, and a signed page must lose nothing.
pub(super) const MARGIN: f32 = 43.0;
/// Content stops above the footer.
pub(super) const BOTTOM: f32 = MARGIN + 28.0;
pub(super) const ROW_H: f32 = 11.0;
/// The step between the lines of a wrapped table cell.
const CELL_LINE: f32 = 8.5;
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
    /// The finished pages' content streams, zlib-compressed.
    pub(super) pages: Vec<Vec<u8>>,
    /// The content stream of the page being written.
    content: String,
    pub(super) y: f32,
    /// The header of the table being written, repeated after a page break.
    pub(super) header: Option<Vec<Column>>,
    /// What the table being written is (a category), repeated above its header after a page
    /// break as "… (segue)", so a page read alone says whose rows these are.
    caption: Option<String>,
}

/// Compresses a content stream (zlib, as the PDF `FlateDecode` filter reads it). Writing into a
/// vector cannot fail, hence no error to report.
pub(super) fn deflate(content: &str) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::with_capacity(content.len() / 4), Compression::new(6));
    let _ = z.write_all(content.as_bytes());
    z.finish().unwrap_or_default()
}

impl Writer {
    pub(super) fn new() -> Result<Writer, ReportError> {
        Ok(Writer {
            regular: Face::load(REGULAR_TTF, "F1", "DejaVuSans")?,
            bold: Face::load(BOLD_TTF, "F2", "DejaVuSans-Bold")?,
            pages: Vec::new(),
            content: String::new(),
            y: PAGE_H - MARGIN,
            header: None,
            caption: None,
        })
    }

    pub(super) fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    fn face_mut(&mut self, weight: Weight) -> &mut Face {
        match weight {
            Weight::Regular => &mut self.regular,
            Weight::Bold => &mut self.bold,
        }
    }

    /// One line of text at (x, y), its baseline at y.
    pub(super) fn text(&mut self, x: f32, y: f32, s: &str, size: f32, weight: Weight) {
        let mut out = std::mem::take(&mut self.content);
        let face = self.face_mut(weight);
        let _ = write!(out, "BT /{} {size:.1} Tf {x:.2} {y:.2} Td ", face.name);
        face.show(s, &mut out);
        out.push_str(" Tj ET\n");
        self.content = out;
    }

    /// A horizontal rule in dark grey.
    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32) {
        let _ = writeln!(
            self.content,
            "q 0.3 0.3 0.3 RG {thickness:.2} w {x1:.2} {y:.2} m {x2:.2} {y:.2} l S Q"
        );
    }

    /// The page being written, as it stands (for the footer of every page, written last).
    pub(super) fn take_content(&mut self) -> String {
        std::mem::take(&mut self.content)
    }

    /// Closes the page (compressed at once) and starts the next, repeating the table header.
    pub(super) fn new_page(&mut self) {
        let content = std::mem::take(&mut self.content);
        self.pages.push(deflate(&content));
        self.y = PAGE_H - MARGIN;
        if let Some(columns) = self.header.take() {
            if let Some(caption) = self.caption.take() {
                self.line(&format!("{caption} (segue)"), 9.0, Weight::Bold);
                self.caption = Some(caption);
            }
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
        self.caption = None;
        self.need(48.0);
        // A heading stands apart from what precedes it, except at the top of a page.
        self.y -= if self.y < PAGE_H - MARGIN { 22.0 } else { 14.0 };
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
        // One paragraph: its line breaks are the wrapping's, not the writer's.
        let flowing = s.split_whitespace().collect::<Vec<_>>().join(" ");
        for l in self.regular.wrap(&flowing, size, max) {
            if !l.is_empty() {
                self.line(&l, size, Weight::Regular);
            }
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
        let y = self.y + 3.0;
        self.cells(columns, columns.iter().map(|c| c.header), y, Weight::Bold);
        let right = MARGIN + columns.iter().map(|c| c.width).sum::<f32>();
        self.rule(MARGIN, right, self.y, 0.6);
    }

    /// The cells of one table row as a single text object: each cell placed with the text matrix.
    fn cells<'s>(
        &mut self,
        columns: &[Column],
        values: impl Iterator<Item = &'s str>,
        y: f32,
        weight: Weight,
    ) {
        let mut out = std::mem::take(&mut self.content);
        let face = self.face_mut(weight);
        let _ = write!(out, "BT /{} {TABLE_SIZE:.1} Tf", face.name);
        let mut x = MARGIN;
        for (c, value) in columns.iter().zip(values) {
            if !value.is_empty() {
                let tx = match c.align {
                    Align::Left => x + 2.0,
                    Align::Right => x + c.width - 2.0 - face.width(value, TABLE_SIZE),
                };
                let _ = write!(out, " 1 0 0 1 {tx:.2} {y:.2} Tm ");
                face.show(value, &mut out);
                out.push_str(" Tj");
            }
            x += c.width;
        }
        out.push_str(" ET\n");
        self.content = out;
    }

    /// Starts a table; columns wider together than the frame are narrowed in proportion (their
    /// text wraps), so nothing runs into the margin.
    pub(super) fn table(&mut self, mut columns: Vec<Column>) {
        let frame = PAGE_W - 2.0 * MARGIN;
        let columns_width: f32 = columns.iter().map(|c| c.width).sum();
        if columns_width > frame {
            for c in &mut columns {
                c.width *= frame / columns_width;
            }
        }
        self.need(3.0 * ROW_H);
        self.table_header(&columns);
        self.header = Some(columns);
    }

    /// One table row, each cell wrapped to its column over as many lines as it needs (never cut);
    /// a bold row (a total) gets a rule above it.
    pub(super) fn row(&mut self, cells: &[String], weight: Weight) {
        let Some(columns) = self.header.as_ref() else {
            return;
        };
        let face = self.face(weight);
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(c, value)| face.wrap(value, TABLE_SIZE, c.width - 4.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = ROW_H + CELL_LINE * (lines - 1) as f32;
        self.need(height);
        self.y -= height;
        let Some(columns) = self.header.take() else {
            return;
        };
        let top = self.y + height;
        for k in 0..lines {
            let y = top - ROW_H + 3.0 - CELL_LINE * k as f32;
            let line = wrapped
                .iter()
                .map(|cell| cell.get(k).map_or("", String::as_str));
            self.cells(&columns, line, y, weight);
        }
        if weight == Weight::Bold {
            let right = MARGIN + columns.iter().map(|c| c.width).sum::<f32>();
            self.rule(MARGIN, right, top - 1.0, 0.3);
        }
        self.header = Some(columns);
    }

    /// A table under its own caption line, the caption repeated on the pages it continues on.
    pub(super) fn captioned_table(&mut self, caption: &str, columns: Vec<Column>) {
        self.need(3.0 * ROW_H + 13.0);
        self.line(caption, 9.0, Weight::Bold);
        self.caption = Some(caption.to_owned());
        self.table(columns);
    }

    pub(super) fn end_table(&mut self) {
        self.header = None;
        self.caption = None;
        self.y -= 6.0;
    }
}

impl Writer {
    /// The title block every document opens with.
    pub(super) fn title_block(&mut self, model: &ReportModel<'_>, title: &str) {
        self.line(title, 16.0, Weight::Bold);
        if !model.is_submission() {
            self.line(crate::reports::model::DRAFT_MARK, 11.0, Weight::Bold);
        }
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
        self.y -= 11.0;
        // The signatory's printed name under the line, as a declaration requires.
        let name = model.text("signatory_name");
        let under = if name.is_empty() {
            "(firma)".to_owned()
        } else {
            format!("{name} (firma)")
        };
        self.text(x, self.y, &under, 9.0, Weight::Regular);
        self.new_page();
    }
}
