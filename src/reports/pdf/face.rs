//! An embedded font as the layout uses it: advance widths to measure text, glyph ids to show it,
//! and the characters shown, for the font's `ToUnicode` map (what makes the text searchable and
//! copyable).

use std::collections::BTreeSet;

use printpdf::ParsedFont;

use crate::reports::ReportError;

/// A character's glyph in the font and its advance width in font units.
#[derive(Clone, Copy)]
struct Glyph {
    id: u16,
    advance: u16,
}

/// Characters of the Basic Multilingual Plane, one bit each.
const BMP: usize = 0x1_0000;

pub(super) struct Face {
    /// The font's resource name on the pages (`/F1`).
    pub(super) name: &'static str,
    pub(super) font: ParsedFont,
    /// The font's PostScript name, as the file names it.
    pub(super) postscript: &'static str,
    /// The font program, subset from when the file is made.
    pub(super) bytes: &'static [u8],
    units_per_em: f32,
    /// Every BMP character's glyph, looked up once: a 2,000-page table measures and shows
    /// millions of characters.
    bmp: Vec<Glyph>,
    used_bmp: Vec<u64>,
    used_other: BTreeSet<char>,
}

impl Face {
    pub(super) fn load(
        bytes: &'static [u8],
        name: &'static str,
        postscript: &'static str,
    ) -> Result<Face, ReportError> {
        let font =
            ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or(ReportError::Pdf("font"))?;
        let bmp = (0..BMP as u32).map(|c| lookup(&font, c)).collect();
        Ok(Face {
            name,
            postscript,
            bytes,
            units_per_em: f32::from(font.units_per_em.max(1)),
            font,
            bmp,
            used_bmp: vec![0; BMP / 64],
            used_other: BTreeSet::new(),
        })
    }

    fn glyph(&self, c: char) -> Glyph {
        match self.bmp.get(c as usize) {
            Some(g) => *g,
            None => lookup(&self.font, u32::from(c)),
        }
    }

    /// The advance width of `text` at `size`, in points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text.chars().map(|c| u32::from(self.glyph(c).advance)).sum();
        units as f32 * size / self.units_per_em
    }

    /// `text` in lines no wider than `max`: broken between words, and inside a word only when the
    /// word alone is wider (a long IBAN or number). Nothing is ever cut off; an empty text is one
    /// empty line.
    pub(super) fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        // Most cells (amounts, dates, short names) fit: one measurement, no word splitting.
        if !text.contains('\n') && self.width(text, size) <= max {
            return vec![text.to_owned()];
        }
        let mut lines = Vec::new();
        let space = self.width(" ", size);
        for paragraph in text.split('\n') {
            // The line being filled and its width, grown word by word (each word measured once).
            let mut current = String::new();
            let mut current_w = 0.0f32;
            for word in paragraph.split_whitespace() {
                let word_w = self.width(word, size);
                let joined = if current.is_empty() {
                    word_w
                } else {
                    current_w + space + word_w
                };
                if joined <= max {
                    if !current.is_empty() {
                        current.push(' ');
                    }
                    current.push_str(word);
                    current_w = joined;
                    continue;
                }
                if !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                current_w = word_w;
                if word_w <= max {
                    current.push_str(word);
                    continue;
                }
                // The word alone is wider: broken by characters where it does not fit.
                current_w = 0.0;
                for c in word.chars() {
                    let c_w = self.width(c.encode_utf8(&mut [0; 4]), size);
                    if current_w + c_w > max && !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                        current_w = 0.0;
                    }
                    current.push(c);
                    current_w += c_w;
                }
            }
            lines.push(current);
        }
        lines
    }

    /// Appends `text` as a content stream shows it with the Identity-H encoding: a literal string
    /// of glyph ids, two bytes each (the full font's ids; the file maps them to the subset),
    /// half the size of a hex string. Notes the characters shown.
    pub(super) fn show(&mut self, text: &str, out: &mut Vec<u8>) {
        out.push(b'(');
        for c in text.chars() {
            for byte in self.glyph(c).id.to_be_bytes() {
                // In a literal string these three are syntax, and a line end would be read as
                // another one: each escaped.
                match byte {
                    b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    other => out.push(other),
                }
            }
            let code = c as usize;
            if code < BMP {
                self.used_bmp[code / 64] |= 1 << (code % 64);
            } else {
                self.used_other.insert(c);
            }
        }
        out.push(b')');
    }

    /// Every character shown with this font, in order.
    pub(super) fn used(&self) -> String {
        let bmp = (0..BMP)
            .filter(|code| self.used_bmp[code / 64] & (1 << (code % 64)) != 0)
            .filter_map(|code| char::from_u32(code as u32));
        bmp.chain(self.used_other.iter().copied()).collect()
    }

    /// The glyph of every character shown (glyph 0 for those the font lacks).
    pub(super) fn used_glyphs(&self) -> BTreeSet<u16> {
        self.used().chars().map(|c| self.glyph(c).id).collect()
    }
}

/// A missing glyph is glyph 0 (the font's "notdef") with half an em of advance.
fn lookup(font: &ParsedFont, codepoint: u32) -> Glyph {
    let id = font.lookup_glyph_index(codepoint).unwrap_or(0);
    Glyph {
        id,
        advance: font.get_glyph_width(id).unwrap_or(font.units_per_em / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::pdf::layout::REGULAR_TTF;

    #[test]
    fn wrapped_text_keeps_every_character_within_the_width() {
        let face = Face::load(REGULAR_TTF, "F1", "DejaVuSans").expect("font");
        let text = "Società Cooperativa Sociale Àncora – servizi di formazione IT60X0542811101000000123456";
        assert_eq!(
            face.wrap(text, 7.0, 1000.0),
            vec![text.to_owned()],
            "fits: one line"
        );
        let lines = face.wrap(text, 7.0, 60.0);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(face.width(line, 7.0) <= 60.0, "{line}");
        }
        let joined: String = lines.concat();
        let letters: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined.replace(' ', ""), letters, "nothing lost");
        assert_eq!(face.wrap("", 7.0, 60.0), vec![String::new()]);
    }

    fn esc(b: u8) -> Vec<u8> {
        match b {
            b'(' | b')' | b'\\' => vec![b'\\', b],
            b'\r' => b"\\r".to_vec(),
            b'\n' => b"\\n".to_vec(),
            other => vec![other],
        }
    }

    #[test]
    fn shown_text_is_glyph_ids_and_its_characters_are_remembered() {
        let mut face = Face::load(REGULAR_TTF, "F1", "DejaVuSans").expect("font");
        let mut out = Vec::new();
        face.show("è€𝄞", &mut out);
        let euro = face
            .font
            .lookup_glyph_index(u32::from('€'))
            .expect("€ in the font");
        assert!(out.starts_with(b"(") && out.ends_with(b")"));
        assert_eq!(out.len(), 2 + 3 * 2, "{out:?}");
        assert_eq!(out[3..5], euro.to_be_bytes());
        // Bytes that are syntax in a literal string are escaped.
        let mut escaped = Vec::new();
        let paren = face.glyph(')');
        face.show(")", &mut escaped);
        let [hi, lo] = paren.id.to_be_bytes();
        let expected: Vec<u8> = [b"(".as_slice(), &esc(hi), &esc(lo), b")"].concat();
        assert_eq!(escaped, expected);
        assert_eq!(face.used(), ")è€𝄞");
        assert!(face.width("€", 10.0) > 0.0);
    }
}
