//! Page layout for our PDFs: text measured with the embedded font's advance widths, tables that
//! repeat their header row after every page break. Each page is written as a PDF content stream
//! while it is laid out and kept compressed (a few KB), so a 2,000-page rendiconto never holds its
//! pages as objects; `assemble` numbers them and makes the file.

use std::io::Write as _;

use flate2::{Compress, Compression, FlushCompress, Status};

use super::face::Face;
use crate::reports::model::ReportModel;
use crate::reports::ReportError;

pub(super) const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub(super) const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4's sides, in points.
const A4_LONG: f32 = 841.89;
const A4_SHORT: f32 = 595.28;
/// 15 mm and a little: printers clip closer to the edge, and a signed page must lose nothing.
pub(super) const MARGIN: f32 = 43.0;
/// Content stops above the footer.
pub(super) const BOTTOM: f32 = MARGIN + 28.0;
pub(super) const ROW_H: f32 = 11.5;
/// The step between the lines of a wrapped table cell.
const CELL_LINE: f32 = 9.0;
/// Tables' text: the smallest a signed document should carry.
pub(super) const TABLE_SIZE: f32 = 7.5;

/// The sheet a document is printed on: A4, landscape for the wide expense tables, portrait for
/// reading.
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Paper {
    pub(super) w: f32,
    pub(super) h: f32,
}

impl Paper {
    pub(super) const LANDSCAPE: Paper = Paper {
        w: A4_LONG,
        h: A4_SHORT,
    };
    pub(super) const PORTRAIT: Paper = Paper {
        w: A4_SHORT,
        h: A4_LONG,
    };

    /// The width tables and paragraphs may fill.
    pub(super) fn frame_w(self) -> f32 {
        self.w - 2.0 * MARGIN
    }

    pub(super) fn top(self) -> f32 {
        self.h - MARGIN
    }
}

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
    pub(super) header: String,
    pub(super) width: f32,
    pub(super) align: Align,
}

pub(super) fn col(header: &str, width: f32, align: Align) -> Column {
    Column {
        header: header.to_owned(),
        width,
        align,
    }
}

/// Lays text out page by page, top to bottom.
pub(super) struct Writer {
    pub(super) paper: Paper,
    pub(super) deflater: Deflater,
    pub(super) regular: Face,
    pub(super) bold: Face,
    /// The finished pages' content streams, zlib-compressed.
    pub(super) pages: Vec<Vec<u8>>,
    /// The content stream of the page being written (bytes: shown text is binary, two bytes a
    /// glyph).
    content: Vec<u8>,
    pub(super) y: f32,
    /// The header of the table being written, repeated after a page break.
    pub(super) header: Option<Vec<Column>>,
    /// What the table being written is (a category), repeated above its header after a page
    /// break as "… (segue)", so a page read alone says whose rows these are.
    caption: Option<String>,
}

/// Compresses content streams (zlib, as the PDF `FlateDecode` filter reads it) with one
/// compressor reused: a 10,000-page document would otherwise set up (and zero) a new one for each
/// page and each footer. Level 2: content streams are repetitive text, and the fast levels keep
/// most of the gain (measured at 100,000 expenses: level 6 spent a third of the time compressing).
pub(super) struct Deflater(Compress);

impl Deflater {
    pub(super) fn new() -> Deflater {
        Deflater(Compress::new(Compression::new(2), true))
    }

    /// Writing into a vector cannot fail, hence no error to report.
    pub(super) fn deflate(&mut self, input: &[u8]) -> Vec<u8> {
        self.0.reset();
        let mut out = Vec::with_capacity(input.len() / 3 + 64);
        loop {
            let read = usize::try_from(self.0.total_in()).unwrap_or(input.len());
            let status = self.0.compress_vec(
                &input[read.min(input.len())..],
                &mut out,
                FlushCompress::Finish,
            );
            match status {
                Ok(Status::StreamEnd) | Err(_) => break,
                Ok(_) => out.reserve(out.capacity().max(64)),
            }
        }
        // Kept until the file is written: only the bytes, not the room guessed for them.
        out.shrink_to_fit();
        out
    }
}

/// A number as content streams write it: two decimals, by integer arithmetic (formatting floats
/// is a large part of laying out a 10,000-page document).
pub(super) struct Num(pub(super) f32);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = (f64::from(self.0) * 100.0).round() as i64;
        let sign = if hundredths < 0 { "-" } else { "" };
        let abs = hundredths.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Writer {
    pub(super) fn new(paper: Paper) -> Result<Writer, ReportError> {
        Ok(Writer {
            paper,
            deflater: Deflater::new(),
            regular: Face::load(REGULAR_TTF, "F1", "DejaVuSans")?,
            bold: Face::load(BOLD_TTF, "F2", "DejaVuSans-Bold")?,
            pages: Vec::new(),
            content: Vec::new(),
            y: paper.top(),
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
        let _ = write!(
            out,
            "BT /{} {} Tf {} {} Td ",
            face.name,
            Num(size),
            Num(x),
            Num(y)
        );
        face.show(s, &mut out);
        out.extend_from_slice(b" Tj ET\n");
        self.content = out;
    }

    /// A horizontal rule in dark grey.
    pub(super) fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32) {
        let _ = writeln!(
            self.content,
            "q 0.3 0.3 0.3 RG {} w {} {} m {} {} l S Q",
            Num(thickness),
            Num(x1),
            Num(y),
            Num(x2),
            Num(y)
        );
    }

    /// A thin light-grey rule between rows.
    fn hairline(&mut self, x1: f32, x2: f32, y: f32) {
        let _ = writeln!(
            self.content,
            "q 0.75 0.75 0.75 RG 0.25 w {} {} m {} {} l S Q",
            Num(x1),
            Num(y),
            Num(x2),
            Num(y)
        );
    }

    /// The page being written, as it stands (for the footer of every page, written last).
    pub(super) fn take_content(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.content)
    }

    /// Closes the page (compressed at once) and starts the next, repeating the table header.
    pub(super) fn new_page(&mut self) {
        let content = std::mem::take(&mut self.content);
        self.pages.push(self.deflater.deflate(&content));
        self.y = self.paper.top();
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
        // Room for the heading and the start of what it heads (a table's header and first row):
        // a heading never ends a page alone.
        self.need(110.0);
        // A heading stands apart from what precedes it, except at the top of a page.
        self.y -= if self.y < self.paper.top() {
            22.0
        } else {
            14.0
        };
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
        let max = self.paper.frame_w();
        // One paragraph: its line breaks are the wrapping's, not the writer's.
        let flowing = s.split_whitespace().collect::<Vec<_>>().join(" ");
        for l in self.regular.wrap(&flowing, size, max) {
            if !l.is_empty() {
                self.line(&l, size, Weight::Regular);
            }
        }
    }

    /// Text as typed: a blank line separates paragraphs, each line break is kept, and a line
    /// that starts with a list marker ("- ", "• ", "* ", "a) ", "1. ") is a list item, printed
    /// with its marker ("•" for a dash) and a hanging indent.
    pub(super) fn text_block(&mut self, text: &str, size: f32) {
        for line in block_lines(&self.regular, text, size, self.paper.frame_w()) {
            match line {
                BlockLine::Gap => self.y -= size * 0.5,
                BlockLine::Text {
                    marker,
                    indent,
                    text,
                } => {
                    self.need(size + 4.0);
                    self.y -= size + 3.0;
                    if let Some(marker) = marker {
                        self.text(
                            MARGIN + indent - LIST_INDENT,
                            self.y,
                            &marker,
                            size,
                            Weight::Regular,
                        );
                    }
                    self.text(MARGIN + indent, self.y, &text, size, Weight::Regular);
                }
            }
        }
    }

    /// The height `text_block` will take.
    pub(super) fn block_height(&self, text: &str, size: f32) -> f32 {
        block_lines(&self.regular, text, size, self.paper.frame_w())
            .iter()
            .map(|l| match l {
                BlockLine::Gap => size * 0.5,
                BlockLine::Text { .. } => size + 3.0,
            })
            .sum()
    }

    /// A label and its amount, right-aligned in a column.
    pub(super) fn figure(&mut self, label: &str, value: &str, weight: Weight) {
        self.need(14.0);
        self.y -= 13.0;
        self.text(MARGIN, self.y, label, 9.0, weight);
        let right = (MARGIN + 560.0).min(self.paper.w - MARGIN);
        let x = right - self.face(weight).width(value, 9.0);
        self.text(x, self.y, value, 9.0, weight);
    }

    /// The header row, each header wrapped to its column.
    pub(super) fn table_header(&mut self, columns: &[Column]) {
        let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        let (wrapped, lines) = self.wrap_cells(columns, &headers, Weight::Bold);
        self.y -= ROW_H + 2.0 + CELL_LINE * (lines - 1) as f32;
        let top = self.y + ROW_H + 2.0 + CELL_LINE * (lines - 1) as f32;
        for k in 0..lines {
            let y = top - ROW_H + 1.0 - CELL_LINE * k as f32;
            let line = wrapped
                .iter()
                .map(|cell| cell.get(k).map_or("", String::as_str));
            self.cells(columns, line, y, Weight::Bold);
        }
        let right = MARGIN + columns.iter().map(|c| c.width).sum::<f32>();
        self.rule(MARGIN, right, self.y, 0.6);
    }

    /// Each cell wrapped to its column, and the number of lines the tallest takes.
    fn wrap_cells<S: AsRef<str>>(
        &self,
        columns: &[Column],
        cells: &[S],
        weight: Weight,
    ) -> (Vec<Vec<String>>, usize) {
        let face = self.face(weight);
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(c, value)| face.wrap(value.as_ref(), TABLE_SIZE, c.width - 4.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        (wrapped, lines)
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
        let _ = write!(out, "BT /{} {} Tf", face.name, Num(TABLE_SIZE));
        let mut x = MARGIN;
        for (c, value) in columns.iter().zip(values) {
            if !value.is_empty() {
                let tx = match c.align {
                    Align::Left => x + 2.0,
                    Align::Right => x + c.width - 2.0 - face.width(value, TABLE_SIZE),
                };
                let _ = write!(out, " 1 0 0 1 {} {} Tm ", Num(tx), Num(y));
                face.show(value, &mut out);
                out.extend_from_slice(b" Tj");
            }
            x += c.width;
        }
        out.extend_from_slice(b" ET\n");
        self.content = out;
    }

    /// Starts a table; columns wider together than the frame are narrowed in proportion (their
    /// text wraps), so nothing runs into the margin.
    pub(super) fn table(&mut self, mut columns: Vec<Column>) {
        let columns_width: f32 = columns.iter().map(|c| c.width).sum();
        let frame = self.paper.frame_w();
        if columns_width > frame {
            for c in &mut columns {
                c.width *= frame / columns_width;
            }
        }
        self.need(4.0 * ROW_H);
        self.table_header(&columns);
        self.header = Some(columns);
    }

    /// One table row, each cell wrapped to its column over as many lines as it needs (never cut);
    /// a bold row (a total) gets a rule above it.
    pub(super) fn row(&mut self, cells: &[String], weight: Weight) {
        self.row_with_details(cells, "", weight);
    }

    /// A row and, under it from the second column on, a line of details (wrapped as needed) that
    /// stays on the same page as its row.
    pub(super) fn row_with_details(&mut self, cells: &[String], details: &str, weight: Weight) {
        let Some(columns) = self.header.take() else {
            return;
        };
        let (wrapped, lines) = self.wrap_cells(&columns, cells, weight);
        let indent = columns.first().map_or(0.0, |c| c.width);
        let table_w: f32 = columns.iter().map(|c| c.width).sum();
        let details = if details.is_empty() {
            Vec::new()
        } else {
            self.regular
                .wrap(details, TABLE_SIZE, table_w - indent - 4.0)
        };
        // A row with details stands a little apart from the next.
        let gap = if details.is_empty() { 0.0 } else { 3.0 };
        let height = ROW_H + CELL_LINE * (lines - 1 + details.len()) as f32 + gap;
        self.header = Some(columns);
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
        if !details.is_empty() && self.y > BOTTOM + 1.0 {
            self.hairline(MARGIN, MARGIN + table_w, self.y + 1.0);
        }
        for (k, text) in details.iter().enumerate() {
            let y = top - ROW_H + 3.0 - CELL_LINE * (lines + k) as f32;
            self.text(MARGIN + indent + 2.0, y, text, TABLE_SIZE, Weight::Regular);
        }
        if weight == Weight::Bold {
            self.rule(MARGIN, MARGIN + table_w, top - 1.0, 0.3);
        }
        self.header = Some(columns);
    }

    /// Goes on with rows under the columns of the table before, without repeating its header
    /// (a grand total under the last category's table).
    pub(super) fn resume_table(&mut self, columns: Vec<Column>) {
        self.header = Some(columns);
    }

    /// A table under its own caption line, the caption repeated on the pages it continues on.
    pub(super) fn captioned_table(&mut self, caption: &str, columns: Vec<Column>) {
        // The caption, a header of up to three lines and a first row with its details: a
        // caption never ends a page alone.
        self.need(13.0 + 3.0 * CELL_LINE + 5.0 * ROW_H);
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

/// How far a list item's text stands from its marker.
const LIST_INDENT: f32 = 18.0;

/// A printed line of a text block.
enum BlockLine {
    Gap,
    Text {
        /// A list item's marker, on its first line.
        marker: Option<String>,
        indent: f32,
        text: String,
    },
}

/// The list marker a line starts with ("- " and "* " print as "•"), and the rest.
fn list_marker(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    for bullet in ["- ", "• ", "* ", "– "] {
        if let Some(rest) = t.strip_prefix(bullet) {
            return Some(("•".to_owned(), rest));
        }
    }
    // "a) ", "b) ", "1) ", "1. ", "12. ": short enumerators only.
    let (head, rest) = t.split_once(' ')?;
    let body = head.strip_suffix(')').or_else(|| head.strip_suffix('.'))?;
    let enumerator = (body.len() == 1 && body.chars().all(|c| c.is_ascii_lowercase()))
        || (!body.is_empty() && body.len() <= 2 && body.chars().all(|c| c.is_ascii_digit()));
    enumerator.then(|| (head.to_owned(), rest))
}

fn block_lines(face: &Face, text: &str, size: f32, max: f32) -> Vec<BlockLine> {
    let mut out = Vec::new();
    let text = text.replace("\r\n", "\n");
    for (i, paragraph) in text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(BlockLine::Gap);
        }
        // Each typed line stays a line of its own (a line break is the writer's); a list item
        // gets its marker and a hanging indent.
        let items: Vec<(Option<String>, String)> = paragraph
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| match list_marker(line) {
                Some((marker, rest)) => (Some(marker), rest.trim().to_owned()),
                None => (None, line.trim().to_owned()),
            })
            .collect();
        for (marker, item) in items {
            let indent = if marker.is_some() { LIST_INDENT } else { 0.0 };
            let flowing = item.split_whitespace().collect::<Vec<_>>().join(" ");
            for (k, l) in face
                .wrap(&flowing, size, max - indent)
                .into_iter()
                .enumerate()
            {
                out.push(BlockLine::Text {
                    marker: if k == 0 { marker.clone() } else { None },
                    indent,
                    text: l,
                });
            }
        }
    }
    out
}

impl Writer {
    /// The title block every document opens with.
    pub(super) fn title_block(&mut self, model: &ReportModel<'_>, title: &str) {
        self.line(title, 16.0, Weight::Bold);
        if !model.is_submission() {
            self.line(crate::reports::model::DRAFT_MARK, 11.0, Weight::Bold);
        }
        self.y -= 4.0;
        for line in model.heading_lines() {
            for l in self.regular.wrap(&line, 9.5, self.paper.frame_w()) {
                self.line(&l, 9.5, Weight::Regular);
            }
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
        let x = self.paper.w - MARGIN - 240.0;
        self.text(x, self.y, "Il legale rappresentante", 9.0, Weight::Regular);
        self.y -= 36.0;
        self.rule(x, self.paper.w - MARGIN, self.y, 0.5);
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
