//! Makes the file from the laid-out pages. printpdf makes the document around them — the fonts
//! embedded as CID fonts with their widths and the `ToUnicode` map of the characters used, the
//! metadata — from a stand-in page that shows every character used once; our pages, already
//! compressed, then take its place. The same data gives the same bytes: dates come from the as-of
//! date and the file identifier from the data's fingerprint.

use lopdf::{Dictionary, Object, ObjectId, Stream};
use printpdf::{
    FontId, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem,
};

use super::face::Face;
use super::layout::{Paper, Weight, Writer, MARGIN};
use super::pdfa;
use crate::domain::text::italian_date;
use crate::reports::model::ReportModel;
use crate::reports::ReportError;

/// A document made, ready to be written: whole into memory (an HTTP answer, a submission's
/// stored copy) or straight to a file, never held twice.
pub struct Finished {
    lo: lopdf::Document,
    /// About the file's size: its compressed pages.
    size: usize,
}

impl Finished {
    pub fn into_bytes(mut self) -> Result<Vec<u8>, ReportError> {
        let mut bytes = Vec::with_capacity(self.size);
        self.lo
            .save_to(&mut bytes)
            .map_err(|_| ReportError::Pdf("save"))?;
        Ok(bytes)
    }

    pub fn write_to(mut self, out: &mut dyn std::io::Write) -> Result<(), ReportError> {
        self.lo
            .save_to(&mut &mut *out)
            .map_err(|e| ReportError::Write(e.to_string()))?;
        Ok(())
    }
}

/// Numbers the pages, adds the footer and makes the file.
/// `title` is the document's own (the metadata a reader shows), not always the template's.
pub(super) fn finish(
    mut w: Writer,
    model: &ReportModel<'_>,
    title: &str,
) -> Result<Finished, ReportError> {
    let s = &model.snapshot.summary;
    // The footer of every page, as its own content stream, now that the number of pages is known.
    let total = w.pages.len();
    let footer = format!(
        "Dati al {} – impronta SHA-256 dei dati: {}",
        italian_date(s.as_of),
        model.fingerprint
    );
    // A submission's pages name the audit trail's head; any other document is a draft, and every
    // page says so where that line would be.
    let audit_line = model
        .audit_line()
        .or_else(|| Some(crate::reports::model::DRAFT_MARK.to_owned()));
    let mut footers = Vec::with_capacity(total);
    for i in 1..=total {
        // Two footer lines above the bottom margin (descenders included).
        let page_w = w.paper.w;
        w.rule(MARGIN, page_w - MARGIN, MARGIN + 20.0, 0.3);
        w.text(MARGIN, MARGIN + 11.0, &footer, 6.5, Weight::Regular);
        if let Some(line) = &audit_line {
            w.text(MARGIN, MARGIN + 3.0, line, 6.5, Weight::Regular);
        }
        let number = format!("Pagina {i} di {total}");
        let nx = page_w - MARGIN - w.regular.width(&number, 8.0);
        w.text(nx, MARGIN + 11.0, &number, 8.0, Weight::Regular);
        let content = w.take_content();
        footers.push(w.deflater.deflate(&content));
    }

    let mut doc = PdfDocument::new(title);
    for face in [&w.regular, &w.bold] {
        doc.resources.fonts.map.insert(
            FontId(face.name.to_owned()),
            printpdf::PdfFont::new(face.font.clone()),
        );
    }
    doc.with_pages(vec![stand_in(&[&w.regular, &w.bold], w.paper)]);
    let opts = PdfSaveOptions {
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    let mut lo = doc.to_lopdf_document(&opts, &mut Vec::new());
    let resources = stand_in_resources(&lo)?;
    pdfa::subset_fonts(&mut lo, &resources, &[&w.regular, &w.bold])?;
    // The file is about the size of its compressed pages: one allocation for it.
    let size: usize = w.pages.iter().chain(&footers).map(Vec::len).sum::<usize>() + 256 * 1024;
    put_pages(&mut lo, w.pages, footers)?;
    let date = s.as_of.and_hms_opt(12, 0, 0).unwrap_or_default();
    let subject = format!("Impronta SHA-256 dei dati: {}", model.fingerprint);
    pdfa::declare(
        &mut lo,
        &pdfa::Description {
            title,
            author: &model.snapshot.project.data.lead_entity,
            subject: &subject,
            date,
        },
    )?;
    // printpdf draws the file identifier at random: derive it from the data instead.
    let id = Object::String(
        model.fingerprint.get().as_bytes()[..32].to_vec(),
        lopdf::StringFormat::Literal,
    );
    lo.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    lo.compress();
    Ok(Finished { lo, size })
}

/// One page of the document's size showing every character each font showed, so that printpdf embeds the
/// fonts with the widths and `ToUnicode` entries of exactly those.
fn stand_in(faces: &[&Face], paper: Paper) -> PdfPage {
    let mut ops = Vec::new();
    for face in faces {
        let used = face.used();
        if used.is_empty() {
            continue;
        }
        ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(FontId(face.name.to_owned())),
                size: Pt(10.0),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: Pt(MARGIN),
                    y: Pt(MARGIN),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(used)],
            },
            Op::EndTextSection,
        ]);
    }
    let mm = |pt: f32| printpdf::Mm(pt * 25.4 / 72.0);
    PdfPage::new(mm(paper.w), mm(paper.h), ops)
}

/// Replaces the stand-in page with ours: same size, same resources, each page's body and footer
/// as two compressed content streams.
fn put_pages(
    lo: &mut lopdf::Document,
    bodies: Vec<Vec<u8>>,
    footers: Vec<Vec<u8>>,
) -> Result<(), ReportError> {
    let broken = || ReportError::Pdf("pages");
    let stand_in: ObjectId = *lo.get_pages().get(&1).ok_or_else(broken)?;
    let template = lo.get_dictionary(stand_in).map_err(|_| broken())?.clone();
    let parent = template
        .get(b"Parent")
        .and_then(Object::as_reference)
        .map_err(|_| broken())?;
    if let Ok(contents) = template.get(b"Contents").and_then(Object::as_reference) {
        lo.objects.remove(&contents);
    }
    lo.objects.remove(&stand_in);

    let mut kids = Vec::with_capacity(bodies.len());
    for (body, footer) in bodies.into_iter().zip(footers) {
        let mut contents = Vec::with_capacity(2);
        for compressed in [body, footer] {
            let dict =
                Dictionary::from_iter(vec![("Filter", Object::Name(b"FlateDecode".to_vec()))]);
            contents.push(Object::Reference(
                lo.add_object(Stream::new(dict, compressed)),
            ));
        }
        let mut page = Dictionary::new();
        for key in [
            b"Type".as_slice(),
            b"MediaBox",
            b"TrimBox",
            b"CropBox",
            b"Parent",
            b"Resources",
        ] {
            if let Ok(value) = template.get(key) {
                page.set(key.to_vec(), value.clone());
            }
        }
        page.set("Contents", Object::Array(contents));
        kids.push(Object::Reference(lo.add_object(page)));
    }
    let count = i64::try_from(kids.len()).map_err(|_| broken())?;
    let pages = lo
        .get_object_mut(parent)
        .and_then(Object::as_dict_mut)
        .map_err(|_| broken())?;
    pages.set("Kids", Object::Array(kids));
    pages.set("Count", Object::Integer(count));
    Ok(())
}

/// The resources of printpdf's one page: the fonts, as the pages name them.
fn stand_in_resources(lo: &lopdf::Document) -> Result<Dictionary, ReportError> {
    let broken = || ReportError::Pdf("resources");
    let page: ObjectId = *lo.get_pages().get(&1).ok_or_else(broken)?;
    let resources = lo
        .get_dictionary(page)
        .and_then(|p| p.get(b"Resources"))
        .map_err(|_| broken())?;
    match resources {
        Object::Reference(id) => lo.get_dictionary(*id).cloned().map_err(|_| broken()),
        Object::Dictionary(d) => Ok(d.clone()),
        _ => Err(broken()),
    }
}
