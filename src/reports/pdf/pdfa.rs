//! What makes our PDFs PDF/A-2b (ISO 19005-2, level B), the archival form a Region files and a
//! signature is applied to:
//! - each font embedded as the subset of the glyphs shown (`subsetter`, which renumbers glyphs; the
//!   pages keep the full font's glyph ids as character codes, and a `/CIDToGIDMap` stream sends each
//!   to its glyph in the subset, so no content stream is rewritten and `/W` and `/ToUnicode` stay
//!   keyed as printpdf wrote them);
//! - an sRGB output intent with its ICC profile (`assets/icc/sRGB.icc`, zlib licence);
//! - the document information dictionary and the XMP packet, written from the same values (title,
//!   author, subject, dates from the data, never from the clock) and declaring part 2, level B.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

use super::face::Face;
use crate::reports::ReportError;

const SRGB_ICC: &[u8] = include_bytes!("../../../assets/icc/sRGB.icc");

/// What the document says of itself, in its Info dictionary and XMP packet alike.
pub(super) struct Description<'a> {
    pub(super) title: &'a str,
    pub(super) author: &'a str,
    pub(super) subject: &'a str,
    /// Both the creation and the modification date, UTC.
    pub(super) date: chrono::NaiveDateTime,
}

/// Replaces each embedded font (the resource named after the face) by its subset.
pub(super) fn subset_fonts(
    lo: &mut lopdf::Document,
    resources: &Dictionary,
    faces: &[&Face],
) -> Result<(), ReportError> {
    let broken = |what| move |_| ReportError::Pdf(what);
    let fonts = resources
        .get(b"Font")
        .and_then(|f| resolve(lo, f))
        .map_err(broken("font resources"))?
        .clone();
    for face in faces {
        let glyphs = face.used_glyphs();
        if glyphs.is_empty() {
            continue;
        }
        let type0_id = fonts
            .get(face.name.as_bytes())
            .and_then(Object::as_reference)
            .map_err(broken("font resource"))?;
        let tagged = tagged_name(face, &glyphs);
        let descendant = lo
            .get_dictionary(type0_id)
            .and_then(|d| d.get(b"DescendantFonts"))
            .and_then(Object::as_array)
            .map_err(broken("descendant font"))?
            .first()
            .cloned()
            .ok_or(ReportError::Pdf("descendant font"))?;
        let mut cid_font = resolve(lo, &descendant)
            .map_err(broken("descendant font"))?
            .clone();
        let descriptor_id = cid_font
            .get(b"FontDescriptor")
            .and_then(Object::as_reference)
            .map_err(broken("font descriptor"))?;
        let file_id = lo
            .get_dictionary(descriptor_id)
            .and_then(|d| d.get(b"FontFile2"))
            .and_then(Object::as_reference)
            .map_err(broken("font file"))?;

        let (program, map) = subset(face, &glyphs)?;
        let length = i64::try_from(program.len()).map_err(|_| ReportError::Pdf("font size"))?;
        let file = Stream::new(
            Dictionary::from_iter(vec![("Length1", length.into())]),
            program,
        );
        lo.objects.insert(file_id, Object::Stream(file));
        let map_id = lo.add_object(Stream::new(Dictionary::new(), map));

        cid_font.set("CIDToGIDMap", Object::Reference(map_id));
        cid_font.set("BaseFont", Object::Name(tagged.clone().into_bytes()));
        let descendant_ref = match descendant {
            Object::Reference(id) => {
                lo.objects.insert(id, Object::Dictionary(cid_font));
                Object::Reference(id)
            }
            _ => Object::Dictionary(cid_font),
        };
        let type0 = lo
            .get_object_mut(type0_id)
            .and_then(Object::as_dict_mut)
            .map_err(broken("font"))?;
        type0.set("BaseFont", Object::Name(tagged.clone().into_bytes()));
        type0.set("DescendantFonts", Object::Array(vec![descendant_ref]));
        lo.get_object_mut(descriptor_id)
            .and_then(Object::as_dict_mut)
            .map_err(broken("font descriptor"))?
            .set("FontName", Object::Name(tagged.into_bytes()));
    }
    Ok(())
}

fn resolve<'a>(lo: &'a lopdf::Document, o: &'a Object) -> lopdf::Result<&'a Dictionary> {
    match o {
        Object::Reference(id) => lo.get_dictionary(*id),
        other => other.as_dict(),
    }
}

/// The subset font program, and the `/CIDToGIDMap` stream: for each character code (the full
/// font's glyph id) up to the highest used, two bytes giving its glyph in the subset.
fn subset(face: &Face, glyphs: &BTreeSet<u16>) -> Result<(Vec<u8>, Vec<u8>), ReportError> {
    let mut remapper = subsetter::GlyphRemapper::new();
    for &gid in glyphs {
        remapper.remap(gid);
    }
    let program =
        subsetter::subset(face.bytes, 0, &remapper).map_err(|_| ReportError::Pdf("font subset"))?;
    let highest = glyphs.last().copied().unwrap_or(0);
    let mut map = vec![0u8; (usize::from(highest) + 1) * 2];
    for &gid in glyphs {
        let new = remapper.get(gid).unwrap_or(0).to_be_bytes();
        let at = usize::from(gid) * 2;
        map[at..at + 2].copy_from_slice(&new);
    }
    Ok((program, map))
}

/// A subset font's name carries a six-letter tag (ISO 32000-1, 9.6.4), here drawn from the glyphs
/// it holds: the same text gives the same name.
fn tagged_name(face: &Face, glyphs: &BTreeSet<u16>) -> String {
    let mut hash = Sha256::new();
    hash.update(face.name.as_bytes());
    for g in glyphs {
        hash.update(g.to_be_bytes());
    }
    let tag: String = hash
        .finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    format!("{tag}+{}", face.postscript)
}

/// Writes the Info dictionary, the XMP packet and the sRGB output intent.
pub(super) fn declare(lo: &mut lopdf::Document, d: &Description<'_>) -> Result<(), ReportError> {
    // PDF/A-2 is built on PDF 1.7 (ISO 32000-1).
    lo.version = "1.7".to_owned();
    let pdf_date = format!("D:{}Z", d.date.format("%Y%m%d%H%M%S"));
    let info = Dictionary::from_iter(vec![
        ("Title", text_string(d.title)),
        ("Author", text_string(d.author)),
        ("Subject", text_string(d.subject)),
        ("Creator", text_string("rendiconta")),
        ("Producer", text_string("rendiconta")),
        ("CreationDate", text_string(&pdf_date)),
        ("ModDate", text_string(&pdf_date)),
    ]);
    // printpdf's Info dictionary is replaced, not left behind unreferenced.
    if let Ok(old) = lo.trailer.get(b"Info").and_then(Object::as_reference) {
        lo.objects.remove(&old);
    }
    let info_id = lo.add_object(info);
    lo.trailer.set("Info", Object::Reference(info_id));

    let mut xmp = Stream::new(
        Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Metadata".to_vec())),
            ("Subtype", Object::Name(b"XML".to_vec())),
        ]),
        xmp_packet(d).into_bytes(),
    );
    // Readers that look for the packet by scanning the file find it only uncompressed.
    xmp.allows_compression = false;
    let xmp_id = lo.add_object(xmp);

    let icc = Stream::new(
        Dictionary::from_iter(vec![("N", Object::Integer(3))]),
        SRGB_ICC.to_vec(),
    );
    let icc_id = lo.add_object(icc);
    let intent = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        (
            "OutputConditionIdentifier",
            text_string("sRGB IEC61966-2.1"),
        ),
        ("Info", text_string("sRGB IEC61966-2.1")),
        ("RegistryName", text_string("http://www.color.org")),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);
    let catalog: ObjectId = lo
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| ReportError::Pdf("catalog"))?;
    let catalog = lo
        .get_object_mut(catalog)
        .and_then(Object::as_dict_mut)
        .map_err(|_| ReportError::Pdf("catalog"))?;
    catalog.set("Metadata", Object::Reference(xmp_id));
    catalog.set(
        "OutputIntents",
        Object::Array(vec![Object::Dictionary(intent)]),
    );
    catalog.set("Lang", text_string("it-IT"));
    catalog.set(
        "ViewerPreferences",
        Dictionary::from_iter(vec![("DisplayDocTitle", Object::Boolean(true))]),
    );
    Ok(())
}

/// A PDF text string: PDFDocEncoding covers ASCII alone safely, anything else is UTF-16BE with
/// its byte order mark.
fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        return Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in s.encode_utf16() {
        bytes.extend(unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn xmp_packet(d: &Description<'_>) -> String {
    let date = d.date.format("%Y-%m-%dT%H:%M:%SZ");
    let (title, author, subject) = (
        xml_escape(d.title),
        xml_escape(d.author),
        xml_escape(d.subject),
    );
    format!(
        r#"<?xpacket begin="{bom}" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>it-IT</rdf:li></rdf:Bag></dc:language>
   <xmp:CreatorTool>rendiconta</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <pdf:Producer>rendiconta</pdf:Producer>
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"#,
        bom = '\u{FEFF}'
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
