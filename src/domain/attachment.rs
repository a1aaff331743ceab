//! The evidence of an expense: its files (the e-invoice, the payment order, the quietanza…).
//! A file is known by the SHA-256 of its bytes, so the same file is stored once however many
//! expenses it proves; its name is made safe and its type is read from its bytes, never trusted
//! from the uploader.

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::ids::{ExpenseId, ProjectId};
use super::validation::FieldError;

string_enum!(
    /// What a file proves about an expense.
    AttachmentKind {
        Invoice = "invoice",
        PaymentOrder = "payment_order",
        Receipt = "receipt",
        Other = "other",
    }
);

impl AttachmentKind {
    /// The kind in one Italian word, for file and folder names.
    pub fn slug(self) -> &'static str {
        match self {
            AttachmentKind::Invoice => "fattura",
            AttachmentKind::PaymentOrder => "mandato",
            AttachmentKind::Receipt => "quietanza",
            AttachmentKind::Other => "altro",
        }
    }

    pub fn italian(self) -> &'static str {
        match self {
            AttachmentKind::Invoice => "fattura",
            AttachmentKind::PaymentOrder => "mandato di pagamento",
            AttachmentKind::Receipt => "quietanza",
            AttachmentKind::Other => "altro documento",
        }
    }
}

/// The largest file accepted by default (a scanned multi-page quietanza fits many times over).
pub const DEFAULT_MAX_BYTES: usize = 20 * 1024 * 1024;

/// The SHA-256 of a file's bytes, as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Digest(String);

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        let hash = Sha256::digest(bytes);
        Digest(hash.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn parse(hex: &str) -> Option<Digest> {
        (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Digest(hex.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kinds of file accepted as evidence, as recognised from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    Pdf,
    Png,
    Jpeg,
    Tiff,
    /// FatturaPA and other XML (never HTML or SVG, which a browser would run).
    Xml,
    /// A CAdES-signed envelope (`.p7m`), binary or Base64.
    P7m,
    /// Office documents and archives; served for download only.
    Zip,
}

impl ContentType {
    const ALL: [ContentType; 7] = [
        ContentType::Pdf,
        ContentType::Png,
        ContentType::Jpeg,
        ContentType::Tiff,
        ContentType::Xml,
        ContentType::P7m,
        ContentType::Zip,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Png => "image/png",
            ContentType::Jpeg => "image/jpeg",
            ContentType::Tiff => "image/tiff",
            ContentType::Xml => "application/xml",
            ContentType::P7m => "application/pkcs7-mime",
            ContentType::Zip => "application/zip",
        }
    }

    pub fn from_mime(mime: &str) -> Option<ContentType> {
        ContentType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    /// The extensions a file of this type may carry; the first is added when the name has none.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            ContentType::Pdf => &["pdf"],
            ContentType::Png => &["png"],
            ContentType::Jpeg => &["jpg", "jpeg"],
            ContentType::Tiff => &["tif", "tiff"],
            ContentType::Xml => &["xml"],
            ContentType::P7m => &["p7m"],
            ContentType::Zip => &["zip", "docx", "xlsx", "odt", "ods"],
        }
    }

    /// Reads the type from the bytes. `None` for anything else, HTML and SVG included.
    pub fn sniff(bytes: &[u8]) -> Option<ContentType> {
        const SIGNED_DATA_OID: &[u8] = &[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        let head = &bytes[..bytes.len().min(64)];
        if bytes.starts_with(b"%PDF-") {
            Some(ContentType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ContentType::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(ContentType::Jpeg)
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            Some(ContentType::Tiff)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(ContentType::Zip)
        } else if (bytes.first() == Some(&0x30)
            && head
                .windows(SIGNED_DATA_OID.len())
                .any(|w| w == SIGNED_DATA_OID))
            || (bytes.starts_with(b"MI") && is_base64_p7m(bytes, SIGNED_DATA_OID))
        {
            // Binary DER/BER, or the same in Base64.
            Some(ContentType::P7m)
        } else if is_plain_xml(bytes) {
            Some(ContentType::Xml)
        } else {
            None
        }
    }

    /// The accepted kinds, for error messages.
    pub fn choices() -> &'static str {
        "PDF, PNG, JPEG, TIFF, XML (FatturaPA), P7M firmato, ZIP/documenti Office"
    }
}

impl serde::Serialize for ContentType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.mime())
    }
}

fn is_base64_p7m(bytes: &[u8], oid: &[u8]) -> bool {
    use base64::Engine as _;
    let prefix: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .take(64)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&prefix)
        .is_ok_and(|der| der.windows(oid.len()).any(|w| w == oid))
}

/// XML whose root is not HTML or SVG (a browser would run their scripts).
fn is_plain_xml(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if !text.starts_with(b"<") {
        return false;
    }
    let head = String::from_utf8_lossy(&text[..text.len().min(4096)]).to_ascii_lowercase();
    !(head.contains("<html")
        || head.contains("<!doctype html")
        || head.contains("<svg")
        || head.contains("<script")
        || head.contains("xhtml"))
        && (head.starts_with("<?xml") || head[1..].starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// A file name safe to store, show and send back: the last path component, no control or
/// reserved characters, NFC, at most 120 characters, and an extension that matches its type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileName(String);

impl FileName {
    pub fn safe(raw: &str, kind: ContentType) -> FileName {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
        let cleaned: String = last
            .nfc()
            .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
            .collect();
        let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
        let (stem, ext) = match cleaned.rsplit_once('.') {
            Some((stem, ext)) if kind.extensions().contains(&ext.to_lowercase().as_str()) => {
                (stem.to_owned(), ext.to_lowercase())
            }
            _ => (cleaned.to_owned(), kind.extensions()[0].to_owned()),
        };
        let stem = stem.trim();
        let stem: String = if stem.is_empty() {
            "documento".into()
        } else {
            stem.chars().take(110).collect()
        };
        FileName(format!("{stem}.{ext}"))
    }

    /// A name already made safe (read back from storage).
    pub fn stored(name: String) -> FileName {
        FileName(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name with only ASCII letters, digits, `.`, `-` and `_` (for `filename=` and ZIP entries).
    pub fn ascii(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        let unaccented = self
            .0
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c));
        for c in unaccented {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                out.push(c);
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        out
    }
}

/// A file checked and ready to attach: its bytes are stored under `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub kind: AttachmentKind,
    pub file_name: FileName,
    pub content_type: ContentType,
    pub size: i64,
    pub digest: Digest,
}

impl NewAttachment {
    /// Checks an uploaded file: not empty, not larger than `max_bytes`, of an accepted type.
    pub fn check(
        kind: AttachmentKind,
        raw_name: &str,
        bytes: &[u8],
        max_bytes: usize,
    ) -> Result<NewAttachment, FieldError> {
        let error = |code: &str, message: String| FieldError {
            field: "file".into(),
            code: code.into(),
            message,
        };
        if bytes.is_empty() {
            return Err(error("empty_file", "il file è vuoto".into()));
        }
        if bytes.len() > max_bytes {
            return Err(error(
                "file_too_large",
                format!(
                    "il file supera la dimensione massima di {} MB",
                    max_bytes / (1024 * 1024)
                ),
            ));
        }
        let content_type = ContentType::sniff(bytes).ok_or_else(|| {
            error(
                "unsupported_type",
                format!(
                    "tipo di file non accettato: sono ammessi {}",
                    ContentType::choices()
                ),
            )
        })?;
        Ok(NewAttachment {
            kind,
            file_name: FileName::safe(raw_name, content_type),
            content_type,
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            digest: Digest::of(bytes),
        })
    }
}

/// A file attached to an expense.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    pub id: i64,
    pub project_id: ProjectId,
    pub expense_id: ExpenseId,
    pub kind: AttachmentKind,
    pub file_name: FileName,
    pub content_type: ContentType,
    pub size: i64,
    pub digest: Digest,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_types_from_bytes_not_names() {
        assert_eq!(ContentType::sniff(b"%PDF-1.7\n..."), Some(ContentType::Pdf));
        assert_eq!(
            ContentType::sniff(b"\xef\xbb\xbf<?xml version=\"1.0\"?><p:FatturaElettronica/>"),
            Some(ContentType::Xml)
        );
        assert_eq!(
            ContentType::sniff(b"  <ns2:FatturaElettronica/>"),
            Some(ContentType::Xml)
        );
        for hostile in [
            &b"<html><script>alert(1)</script></html>"[..],
            b"<?xml version=\"1.0\"?><svg onload=\"alert(1)\"/>",
            b"<!DOCTYPE html><p>x</p>",
            b"MZ\x90\0\x03",
            b"#!/bin/sh\nrm -rf /",
            b"",
        ] {
            assert_eq!(ContentType::sniff(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn names_are_made_safe_and_match_the_type() {
        let pdf = ContentType::Pdf;
        assert_eq!(
            FileName::safe("../../etc/passwd", pdf).as_str(),
            "passwd.pdf"
        );
        assert_eq!(
            FileName::safe("C:\\tmp\\Fattura 12.PDF", pdf).as_str(),
            "Fattura 12.pdf"
        );
        assert_eq!(FileName::safe("virus.exe", pdf).as_str(), "virus.exe.pdf");
        assert_eq!(FileName::safe("...", pdf).as_str(), "documento.pdf");
        assert_eq!(
            FileName::safe("a\u{0}b\r\n<c>.pdf", pdf).as_str(),
            "abc.pdf"
        );
        let long = "x".repeat(500);
        assert!(FileName::safe(&long, pdf).as_str().chars().count() <= 120);
        assert_eq!(
            FileName::safe("quietanza n° 3 €.pdf", pdf).ascii(),
            "quietanza_n_3_.pdf"
        );
    }

    #[test]
    fn checks_size_and_emptiness() {
        let kind = AttachmentKind::Receipt;
        assert_eq!(
            NewAttachment::check(kind, "a.pdf", b"", 10).map_err(|e| e.code),
            Err("empty_file".to_string())
        );
        assert_eq!(
            NewAttachment::check(kind, "a.pdf", b"%PDF-1.4 0123456789", 10).map_err(|e| e.code),
            Err("file_too_large".to_string())
        );
        let ok = NewAttachment::check(kind, "a.pdf", b"%PDF-1.4", 10).expect("accepted");
        assert_eq!(ok.size, 8);
        assert_eq!(ok.digest, Digest::of(b"%PDF-1.4"));
        assert!(Digest::parse(ok.digest.as_str()).is_some());
        assert!(Digest::parse("../x").is_none());
    }
}
