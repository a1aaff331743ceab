//! Signed FatturaPA files (`.xml.p7m`): a CMS SignedData envelope (CAdES), binary DER/BER or the
//! same as Base64 text. We take the signed XML out of it and check that it is what the signer
//! signed: the SHA-256 of the XML must equal the `messageDigest` among the signed attributes, and
//! the RSA signature over those attributes must verify with the public key of the signer's
//! certificate in the envelope. Content altered after signing, or signed attributes forged to
//! match altered content, are refused.
//!
//! Not checked here: whether that certificate is a qualified one issued by an Italian CA, and
//! its revocation status, which need the AgID trust list and network access.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A BER element: its tag byte and where its content lies.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    /// The content's elements, when constructed.
    constructed: bool,
}

const EOC: u8 = 0x00;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum P7mError {
    #[error("busta firmata illeggibile o alterata: {0}")]
    Malformed(&'static str),
    #[error("il contenuto firmato è stato alterato: non corrisponde all'impronta firmata")]
    DigestMismatch,
    #[error("busta firmata senza impronta SHA-256 del contenuto: impossibile verificarla")]
    NoDigest,
    #[error("la firma digitale non è valida: la busta è stata alterata dopo la firma")]
    BadSignature,
    #[error("firma digitale non verificabile: {0}")]
    Unverifiable(&'static str),
}

/// Reads one element at `data[pos..]`; returns it and the position after it. Indefinite lengths
/// (BER, as the signing tools write) end at the end-of-contents marker.
fn read(data: &[u8], pos: usize, depth: usize) -> Result<(Tlv<'_>, usize), P7mError> {
    if depth > MAX_DEPTH {
        return Err(P7mError::Malformed("struttura troppo annidata"));
    }
    let tag = *data.get(pos).ok_or(P7mError::Malformed("fine inattesa"))?;
    if tag & 0x1f == 0x1f {
        return Err(P7mError::Malformed("etichetta non prevista"));
    }
    let constructed = tag & 0x20 != 0;
    let first = *data
        .get(pos + 1)
        .ok_or(P7mError::Malformed("fine inattesa"))?;
    let mut at = pos + 2;
    if first == 0x80 {
        if !constructed {
            return Err(P7mError::Malformed(
                "lunghezza indefinita su un valore semplice",
            ));
        }
        let start = at;
        loop {
            if data.get(at..at + 2) == Some(&[EOC, EOC]) {
                return Ok((
                    Tlv {
                        tag,
                        content: &data[start..at],
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
            return Err(P7mError::Malformed("lunghezza non valida"));
        }
        let raw = data
            .get(at..at + bytes)
            .ok_or(P7mError::Malformed("fine inattesa"))?;
        at += bytes;
        raw.iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let end = at
        .checked_add(length)
        .filter(|end| *end <= data.len())
        .ok_or(P7mError::Malformed("lunghezza oltre la fine del file"))?;
    Ok((
        Tlv {
            tag,
            content: &data[at..end],
            constructed,
        },
        end,
    ))
}

/// The elements inside a constructed one.
fn children<'a>(tlv: &Tlv<'a>, depth: usize) -> Result<Vec<Tlv<'a>>, P7mError> {
    if !tlv.constructed {
        return Err(P7mError::Malformed("atteso un elemento composto"));
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
fn octets(tlv: &Tlv<'_>, depth: usize, out: &mut Vec<u8>) -> Result<(), P7mError> {
    match tlv.tag {
        0x04 => {
            out.extend_from_slice(tlv.content);
            Ok(())
        }
        0x24 => {
            for chunk in children(tlv, depth)? {
                octets(&chunk, depth + 1, out)?;
            }
            Ok(())
        }
        _ => Err(P7mError::Malformed("atteso il contenuto firmato")),
    }
}

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];

/// Does this look like a signed envelope rather than XML? DER starts with a SEQUENCE; Base64
/// of one starts with `MI`.
pub fn looks_signed(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii_start();
    trimmed.first() == Some(&0x30) || trimmed.starts_with(b"MI")
}

/// The signed XML inside the envelope, after checking it against the signed digest.
pub fn unwrap(bytes: &[u8]) -> Result<Vec<u8>, P7mError> {
    let trimmed = bytes.trim_ascii();
    let der;
    let data: &[u8] = if trimmed.first() == Some(&0x30) {
        trimmed
    } else {
        let text: Vec<u8> = trimmed
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| P7mError::Malformed("né binario né Base64"))?;
        &der
    };
    let (info, _) = read(data, 0, 0)?;
    let info = children(&info, 0)?;
    match info.first() {
        Some(oid) if oid.tag == 0x06 && oid.content == OID_SIGNED_DATA => {}
        _ => return Err(P7mError::Malformed("non è una busta CMS firmata")),
    }
    let explicit = info.get(1).ok_or(P7mError::Malformed("busta vuota"))?;
    let signed_data = children(explicit, 1)?;
    let signed_data = signed_data
        .first()
        .ok_or(P7mError::Malformed("busta vuota"))?;
    let parts = children(signed_data, 2)?;
    let encap = parts
        .get(2)
        .ok_or(P7mError::Malformed("manca il contenuto"))?;
    let encap = children(encap, 3)?;
    let econtent = encap
        .get(1)
        .ok_or(P7mError::Malformed("contenuto staccato dalla firma"))?;
    let econtent = children(econtent, 4)?;
    let mut xml = Vec::new();
    octets(
        econtent
            .first()
            .ok_or(P7mError::Malformed("contenuto vuoto"))?,
        5,
        &mut xml,
    )?;
    let signer_infos = parts
        .last()
        .filter(|p| p.tag == 0x31)
        .ok_or(P7mError::Malformed("mancano i firmatari"))?;
    let expected = message_digest(signer_infos)?;
    if Sha256::digest(&xml).as_slice() != expected.as_slice() {
        return Err(P7mError::DigestMismatch);
    }
    let certificates = parts
        .iter()
        .find(|p| p.tag == 0xa0)
        .ok_or(P7mError::Unverifiable(
            "manca il certificato del firmatario",
        ))?;
    verify_signature(signer_infos, certificates)?;
    Ok(xml)
}

/// An INTEGER's magnitude without the sign-padding zero.
fn unsigned<'a>(int: &Tlv<'a>) -> &'a [u8] {
    let bytes = int.content;
    match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &bytes[bytes.len().saturating_sub(1)..],
    }
}

/// The RSA signature of the first signer over its signed attributes (DER, as a SET), checked with
/// the public key of the envelope's certificate whose serial number the signer names.
fn verify_signature(signer_infos: &Tlv<'_>, certificates: &Tlv<'_>) -> Result<(), P7mError> {
    use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
    let unverifiable = P7mError::Unverifiable;
    let signers = children(signer_infos, 3)?;
    let signer = signers.first().ok_or(unverifiable("nessun firmatario"))?;
    let fields = children(signer, 4)?;
    // issuerAndSerialNumber: SEQUENCE { issuer, serialNumber }.
    let sid = fields.get(1).filter(|f| f.tag == 0x30).ok_or(unverifiable(
        "firmatario indicato per chiave, non per certificato",
    ))?;
    let sid = children(sid, 5)?;
    let serial = sid
        .get(1)
        .filter(|s| s.tag == 0x02)
        .ok_or(unverifiable("numero di serie del certificato mancante"))?;
    let attrs = fields
        .iter()
        .find(|f| f.tag == 0xa0)
        .ok_or(P7mError::NoDigest)?;
    let after_attrs = fields
        .iter()
        .skip_while(|f| f.tag != 0xa0)
        .skip(1)
        .collect::<Vec<_>>();
    let algorithm = after_attrs
        .first()
        .filter(|f| f.tag == 0x30)
        .and_then(|f| children(f, 5).ok())
        .and_then(|c| c.into_iter().next())
        .map(|oid| oid.content)
        .ok_or(unverifiable("algoritmo di firma mancante"))?;
    if algorithm != OID_RSA && algorithm != OID_SHA256_RSA {
        return Err(unverifiable("algoritmo di firma non RSA (non supportato)"));
    }
    let signature = after_attrs
        .get(1)
        .filter(|f| f.tag == 0x04)
        .ok_or(unverifiable("valore della firma mancante"))?;
    let mut signature_bytes = Vec::new();
    octets(signature, 5, &mut signature_bytes)?;

    // The certificate: SEQUENCE { tbsCertificate SEQUENCE { [0] version, serialNumber, signature,
    // issuer, validity, subject, subjectPublicKeyInfo, … }, … }.
    let mut key = None;
    for cert in children(certificates, 3)? {
        let Some(tbs) = children(&cert, 4)?.into_iter().next() else {
            continue;
        };
        let tbs = children(&tbs, 5)?;
        let offset = usize::from(tbs.first().is_some_and(|f| f.tag == 0xa0));
        let Some(cert_serial) = tbs.get(offset) else {
            continue;
        };
        if unsigned(cert_serial) != unsigned(serial) {
            continue;
        }
        let spki = tbs
            .get(offset + 5)
            .ok_or(unverifiable("chiave pubblica del certificato mancante"))?;
        let spki = children(spki, 6)?;
        let bits = spki
            .get(1)
            .filter(|b| b.tag == 0x03 && b.content.first() == Some(&0))
            .ok_or(unverifiable("chiave pubblica illeggibile"))?;
        let (rsa_key, _) = read(&bits.content[1..], 0, 7)?;
        let numbers = children(&rsa_key, 7)?;
        if let [n, e, ..] = numbers.as_slice() {
            key = Some(
                RsaPublicKey::new(
                    BigUint::from_bytes_be(unsigned(n)),
                    BigUint::from_bytes_be(unsigned(e)),
                )
                .map_err(|_| unverifiable("chiave pubblica RSA non valida"))?,
            );
        }
        break;
    }
    let key = key.ok_or(unverifiable(
        "il certificato del firmatario non è nella busta",
    ))?;
    // What was signed is the DER of the attributes with the SET tag, not the [0] of the envelope.
    let mut signed = vec![0x31];
    let len = attrs.content.len();
    if len < 0x80 {
        signed.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        signed.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
        signed.extend(bytes);
    }
    signed.extend_from_slice(attrs.content);
    let hashed = Sha256::digest(&signed);
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &signature_bytes)
        .map_err(|_| P7mError::BadSignature)
}

/// The SHA-256 `messageDigest` signed attribute of the first signer.
fn message_digest(signer_infos: &Tlv<'_>) -> Result<Vec<u8>, P7mError> {
    let signers = children(signer_infos, 3)?;
    let signer = signers.first().ok_or(P7mError::NoDigest)?;
    let fields = children(signer, 4)?;
    let uses_sha256 = fields.iter().any(|f| {
        f.tag == 0x30
            && children(f, 5)
                .ok()
                .and_then(|c| c.into_iter().next())
                .is_some_and(|oid| oid.tag == 0x06 && oid.content == OID_SHA256)
    });
    if !uses_sha256 {
        return Err(P7mError::NoDigest);
    }
    let attrs = fields
        .iter()
        .find(|f| f.tag == 0xa0)
        .ok_or(P7mError::NoDigest)?;
    for attr in children(attrs, 5)? {
        let parts = children(&attr, 6)?;
        if let [oid, values, ..] = parts.as_slice() {
            if oid.tag == 0x06 && oid.content == OID_MESSAGE_DIGEST {
                let values = children(values, 7)?;
                let mut digest = Vec::new();
                octets(values.first().ok_or(P7mError::NoDigest)?, 8, &mut digest)?;
                return Ok(digest);
            }
        }
    }
    Err(P7mError::NoDigest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncations_are_errors_not_panics() {
        for input in [
            &b""[..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x80, 0x30, 0x80],
            &[0x04, 0x80, 0x00, 0x00],
            b"MIAG!!",
        ] {
            assert!(unwrap(input).is_err(), "{input:?}");
        }
        let deep: Vec<u8> = std::iter::repeat([0x30u8, 0x80])
            .take(500)
            .flatten()
            .collect();
        assert!(unwrap(&deep).is_err());
    }
}
