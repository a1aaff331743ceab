//! Reading our PDFs back with independent tools: poppler's `pdftotext`, and pikepdf (qpdf's
//! library) for what PDF/A-2b requires.

use std::process::Command;

use serde_json::Value;

pub fn tool(name: &str, args: &[&str], file: &std::path::Path) -> Option<String> {
    let out = Command::new(name).args(args).arg(file).arg("-").output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("RENDICONTA_REQUIRE_POSTGRES").is_none(),
                "{name} is missing: install poppler-utils and qpdf ({e})"
            );
            return None;
        }
    };
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A document's text, page by page (pdftotext separates pages with a form feed).
pub fn pdf_pages(bytes: &[u8]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("documento.pdf");
    std::fs::write(&file, bytes).expect("write");
    let text = tool("pdftotext", &["-layout"], &file)?;
    Some(
        text.split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Every word of every page at least `mm` from each edge (`pdftotext -bbox`), footers included.
pub fn assert_margins(pdf: &[u8], mm: f32) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("m.pdf");
    std::fs::write(&file, pdf).expect("write");
    let Some(html) = tool("pdftotext", &["-bbox"], &file) else {
        return;
    };
    let min = mm / 25.4 * 72.0;
    let number = |tag: &str, key: &str| -> f32 {
        tag.split(&format!("{key}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let mut page = (0.0, 0.0);
    for tag in html.split('<').skip(1) {
        if tag.starts_with("page ") {
            page = (number(tag, "width"), number(tag, "height"));
        } else if tag.starts_with("word ") {
            let word = tag.split('>').nth(1).unwrap_or("");
            let (x1, y1, x2, y2) = (
                number(tag, "xMin"),
                number(tag, "yMin"),
                number(tag, "xMax"),
                number(tag, "yMax"),
            );
            let closest = x1.min(y1).min(page.0 - x2).min(page.1 - y2);
            assert!(
                closest >= min,
                "«{word}» lies {closest:.1} pt from the edge"
            );
        }
    }
}

/// What `tests/readers/pdfa_check.py` reads of a PDF (see there), or `None` without the readers.
pub fn pdfa_report(pdf: &[u8]) -> Option<Value> {
    let python = super::python()?;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("a.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = std::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/readers/pdfa_check.py"
        ))
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "pdfa_check.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

/// The PDF/A-2b requirements a reader can check, asserted on one document titled `title`.
pub fn assert_pdfa_2b(pdf: &[u8], title: &str) {
    let Some(r) = pdfa_report(pdf) else {
        return;
    };
    assert_eq!(r["part"], "2", "{r}");
    assert_eq!(r["conformance"], "B", "{r}");
    assert_eq!(r["xmp_title"], title, "{r}");
    assert_eq!(r["info_title"], title, "{r}");
    assert_eq!(r["xmp_create"], r["info_create"], "{r}");
    assert_eq!(r["xmp_modify"], r["info_modify"], "{r}");
    assert_eq!(r["xmp_producer"], r["info_producer"], "{r}");
    assert_eq!(r["empty_info_keys"], serde_json::json!([]), "{r}");
    assert!(
        !r["info_keys"].to_string().contains("GTS_PDFX"),
        "a PDF/X key: {r}"
    );
    assert_eq!(r["version"], "1.7", "{r}");
    let intents = r["intents"].as_array().expect("intents");
    assert_eq!(intents.len(), 1, "{r}");
    assert_eq!(intents[0]["S"], "/GTS_PDFA1", "{r}");
    assert_eq!(intents[0]["N"], 3, "an RGB profile: {r}");
    assert!(intents[0]["icc_bytes"].as_u64() > Some(0), "{r}");
    let fonts = r["fonts"].as_object().expect("fonts");
    assert!(!fonts.is_empty(), "{r}");
    for (name, font) in fonts {
        assert_eq!(font["embedded"], true, "{name} not embedded: {r}");
        assert_eq!(font["subset"], true, "{name} not subset: {r}");
    }
    assert_eq!(r["encrypted"], false, "{r}");
    assert_eq!(r["transparency"], serde_json::json!([]), "{r}");
    assert_eq!(r["trailer_id"], 2, "{r}");
}

/// For each occurrence of one of `headings` (matched by its first two words), the room left
/// under it on its page, in points: from the heading's baseline to the page's bottom edge.
pub fn room_under_headings(pdf: &[u8], headings: &[&str]) -> Vec<(String, usize, f32)> {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("h.pdf");
    std::fs::write(&file, pdf).expect("write");
    let Some(html) = tool("pdftotext", &["-bbox"], &file) else {
        return Vec::new();
    };
    let attr = |tag: &str, key: &str| -> f32 {
        tag.split(&format!("{key}=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let mut out = Vec::new();
    let (mut page, mut height) = (0usize, 0.0f32);
    let mut words: Vec<(String, f32)> = Vec::new();
    let mut flush = |words: &mut Vec<(String, f32)>, page: usize, height: f32| {
        for pair in words.windows(2) {
            for h in headings {
                let mut first_two = h.split_whitespace();
                if first_two.next() == Some(pair[0].0.as_str())
                    && first_two.next() == Some(pair[1].0.as_str())
                {
                    out.push(((*h).to_owned(), page, height - pair[0].1));
                }
            }
        }
        words.clear();
    };
    for tag in html.split('<').skip(1) {
        if tag.starts_with("page ") {
            flush(&mut words, page, height);
            page += 1;
            height = attr(tag, "height");
        } else if tag.starts_with("word ") {
            let word = tag.split('>').nth(1).unwrap_or("").to_owned();
            words.push((word, attr(tag, "yMax")));
        }
    }
    flush(&mut words, page, height);
    out
}
