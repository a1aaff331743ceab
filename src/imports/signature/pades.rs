//! PAdES: signatures inside a PDF. Each signature dictionary names the bytes it covers
//! (`/ByteRange [0 b c d]`: the file from 0 to b and from c to c+d, the gap between being its own
//! `/Contents <hex CMS>`); a signer appends its signature as an incremental update, so the revision
//! it signed is the file up to c+d. We find every signature by its byte range, check each CMS
//! signature over its bytes, and that the latest covers the whole file.

use super::cms;
use super::SignedCopyError;
use crate::domain::signed_copy::Signer;

/// One signature: the byte range it covers and its CMS envelope.
struct Signature {
    range: [usize; 4],
    cms: Vec<u8>,
}

impl Signature {
    /// The end of the revision it signed.
    fn end(&self) -> usize {
        self.range[2] + self.range[3]
    }
}

pub(super) fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// The signers of a signed PDF whose first signed revision begins with `submitted`, earliest
/// first. Refused: no signature, a signature that does not verify, bytes after the latest one.
pub(super) fn check(submitted: &[u8], file: &[u8]) -> Result<Vec<Signer>, SignedCopyError> {
    let mut signatures = signatures(file)?;
    if signatures.is_empty() {
        return Err(SignedCopyError::NotSigned);
    }
    signatures.sort_by_key(Signature::end);
    let mut signers = Vec::new();
    for signature in &signatures {
        let [_, b, c, d] = signature.range;
        let mut covered = Vec::with_capacity(b + d);
        covered.extend_from_slice(&file[..b]);
        covered.extend_from_slice(&file[c..c + d]);
        let envelope = cms::open(&signature.cms)?;
        signers.extend(envelope.verify(&covered)?);
    }
    if signatures.last().map(Signature::end) != Some(file.len()) {
        return Err(SignedCopyError::NotCovered);
    }
    // The revision each signer signed starts with the submitted PDF, untouched and covered.
    let first = &signatures[0];
    if first.range[1] < submitted.len() || !file.starts_with(submitted) {
        return Err(SignedCopyError::OtherDocument);
    }
    Ok(signers)
}

const BYTE_RANGE: &[u8] = b"/ByteRange";

/// Every `/ByteRange` of the file with the CMS envelope in its gap.
fn signatures(file: &[u8]) -> Result<Vec<Signature>, SignedCopyError> {
    let mut found: Vec<Signature> = Vec::new();
    let mut from = 0;
    while let Some(at) = find(&file[from..], BYTE_RANGE) {
        let start = from + at + BYTE_RANGE.len();
        from = start;
        let range = byte_range(&file[start..]).ok_or(SignedCopyError::Malformed(
            "intervallo firmato (/ByteRange) illeggibile",
        ))?;
        if found.iter().any(|s| s.range == range) {
            continue;
        }
        let [a, b, c, d] = range;
        let consistent = a == 0 && b < c && c.checked_add(d).is_some_and(|end| end <= file.len());
        if !consistent {
            return Err(SignedCopyError::Malformed(
                "intervallo firmato (/ByteRange) fuori dal file",
            ));
        }
        let cms = hex_contents(&file[b..c]).ok_or(SignedCopyError::Malformed(
            "la firma (/Contents) non è dove l'intervallo firmato la indica",
        ))?;
        found.push(Signature { range, cms });
    }
    Ok(found)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `[a b c d]` after optional whitespace.
fn byte_range(text: &[u8]) -> Option<[usize; 4]> {
    let text = text.trim_ascii_start().strip_prefix(b"[")?;
    let end = text.iter().position(|b| *b == b']')?;
    let numbers: Vec<usize> = std::str::from_utf8(&text[..end])
        .ok()?
        .split_ascii_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    numbers.try_into().ok()
}

/// The bytes of a hex string `<…>` filling exactly the gap (zero padding included).
fn hex_contents(gap: &[u8]) -> Option<Vec<u8>> {
    let inner = gap.strip_prefix(b"<")?.strip_suffix(b">")?;
    let digits: Vec<u8> = inner
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_are_read_with_any_spacing() {
        assert_eq!(byte_range(b" [0 976 5922 578]"), Some([0, 976, 5922, 578]));
        assert_eq!(byte_range(b"[ 0  10\n20 5 ] "), Some([0, 10, 20, 5]));
        assert_eq!(byte_range(b"[0 10 20]"), None);
        assert_eq!(byte_range(b"[0 -1 20 5]"), None);
        assert_eq!(hex_contents(b"<3082 00>"), Some(vec![0x30, 0x82, 0x00]));
        assert_eq!(hex_contents(b"<308>"), None);
        assert_eq!(hex_contents(b"(30)"), None);
    }
}
