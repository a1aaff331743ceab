//! A reader of BER/DER elements (ITU-T X.690), enough for CMS envelopes and X.509 certificates:
//! one-byte tags, definite lengths up to four bytes, and the indefinite lengths signing tools write.
//! Every read is bounded by the input and by a nesting depth, so hostile input is an error.

use super::cms::CmsError;

/// A BER element: its tag byte and where its content lies.
pub(super) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// The content's elements, when constructed.
    pub constructed: bool,
}

pub(super) const SEQUENCE: u8 = 0x30;
pub(super) const SET: u8 = 0x31;
pub(super) const OID: u8 = 0x06;
pub(super) const INTEGER: u8 = 0x02;
pub(super) const OCTET_STRING: u8 = 0x04;
pub(super) const BIT_STRING: u8 = 0x03;
/// `[0]`, constructed: the explicit or implicit first optional field.
pub(super) const CONTEXT_0: u8 = 0xa0;

const EOC: u8 = 0x00;
const MAX_DEPTH: usize = 64;

fn malformed(what: &'static str) -> CmsError {
    CmsError::Malformed(what)
}

/// Reads one element at `data[pos..]`; returns it and the position after it. Indefinite lengths
/// end at the end-of-contents marker.
pub(super) fn read(data: &[u8], pos: usize, depth: usize) -> Result<(Tlv<'_>, usize), CmsError> {
    if depth > MAX_DEPTH {
        return Err(malformed("struttura troppo annidata"));
    }
    let tag = *data.get(pos).ok_or(malformed("fine inattesa"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed("etichetta non prevista"));
    }
    let constructed = tag & 0x20 != 0;
    let first = *data.get(pos + 1).ok_or(malformed("fine inattesa"))?;
    let mut at = pos + 2;
    if first == 0x80 {
        if !constructed {
            return Err(malformed("lunghezza indefinita su un valore semplice"));
        }
        let start = at;
        loop {
            if data.get(at..at + 2) == Some(&[EOC, EOC]) {
                let content = &data[start..at];
                return Ok((
                    Tlv {
                        tag,
                        content,
                        constructed,
                    },
                    at + 2,
                ));
            }
            let (_, next) = read(data, at, depth + 1)?;
            at = next;
        }
    }
    let length = if first & 0x80 == 0 {
        usize::from(first)
    } else {
        let bytes = usize::from(first & 0x7f);
        if bytes == 0 || bytes > 4 {
            return Err(malformed("lunghezza non valida"));
        }
        let raw = data.get(at..at + bytes).ok_or(malformed("fine inattesa"))?;
        at += bytes;
        raw.iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let end = at
        .checked_add(length)
        .filter(|end| *end <= data.len())
        .ok_or(malformed("lunghezza oltre la fine del file"))?;
    let content = &data[at..end];
    Ok((
        Tlv {
            tag,
            content,
            constructed,
        },
        end,
    ))
}

/// The elements inside a constructed one.
pub(super) fn children<'a>(tlv: &Tlv<'a>, depth: usize) -> Result<Vec<Tlv<'a>>, CmsError> {
    if !tlv.constructed {
        return Err(malformed("atteso un elemento composto"));
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < tlv.content.len() {
        let (child, next) = read(tlv.content, at, depth + 1)?;
        out.push(child);
        at = next;
    }
    Ok(out)
}

/// An OCTET STRING's bytes, joining the chunks of a constructed one.
pub(super) fn octets(tlv: &Tlv<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), CmsError> {
    match tlv.tag {
        OCTET_STRING => {
            out.extend_from_slice(tlv.content);
            Ok(())
        }
        0x24 => {
            for chunk in children(tlv, depth)? {
                octets(&chunk, depth + 1, out)?;
            }
            Ok(())
        }
        _ => Err(malformed("atteso il contenuto firmato")),
    }
}

/// An INTEGER's magnitude without the sign-padding zero.
pub(super) fn unsigned<'a>(int: &Tlv<'a>) -> &'a [u8] {
    let bytes = int.content;
    match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &bytes[bytes.len().saturating_sub(1)..],
    }
}

/// The DER encoding of `content` under `tag` (definite length).
pub(super) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}
