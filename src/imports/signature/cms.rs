//! CMS SignedData envelopes (RFC 5652), as CAdES `.p7m` files and PAdES signatures carry them: the
//! content (when attached), and for each signer the check that it signed exactly this content —
//! the SHA-256 of the content must equal the signed `messageDigest` attribute, and the RSA
//! signature over the signed attributes must verify with the public key of the signer's
//! certificate in the envelope — and who the signer is (the certificate's subject).
//!
//! Not checked here: whether that certificate is a qualified one issued by an Italian CA, and its
//! revocation status, which need the AgID trust list and network access.

use std::borrow::Cow;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::ber::{
    children, encode, octets, read, unsigned, Tlv, BIT_STRING, CONTEXT_0, INTEGER, OCTET_STRING,
    OID, SEQUENCE, SET,
};
use crate::domain::signed_copy::Signer;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
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

const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_SIGNING_CERTIFICATE_V2: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f,
];
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SURNAME: &[u8] = &[0x55, 0x04, 0x04];
const OID_SERIAL_NUMBER: &[u8] = &[0x55, 0x04, 0x05];
const OID_GIVEN_NAME: &[u8] = &[0x55, 0x04, 0x2a];

/// Does this look like a signed envelope? DER starts with a SEQUENCE; Base64 of one with `MI`.
pub fn looks_signed(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii_start();
    trimmed.first() == Some(&SEQUENCE) || trimmed.starts_with(b"MI")
}

/// The envelope's DER (or BER) bytes, from binary or Base64 input.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, [u8]>, CmsError> {
    // Binary DER is taken as it is: its last byte (of a signature value, say) may well be 0x0a or
    // 0x20, which trimming "whitespace" would cut off. Only Base64 text is trimmed.
    if bytes.first() == Some(&SEQUENCE) {
        return Ok(Cow::Borrowed(bytes));
    }
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Cow::Owned)
        .map_err(|_| CmsError::Malformed("né binario né Base64"))
}

/// A SignedData envelope, read but not yet checked.
pub struct Envelope<'a> {
    content: Option<Vec<u8>>,
    /// The encapsulated content's type, which each signer's signed `contentType` must repeat.
    content_type: &'a [u8],
    signer_infos: Vec<Tlv<'a>>,
    certificates: Vec<Tlv<'a>>,
}

/// Reads a SignedData envelope (ContentInfo) from DER/BER bytes; what follows it (the zero
/// padding of a PDF's `/Contents`) is ignored.
pub fn open(der: &[u8]) -> Result<Envelope<'_>, CmsError> {
    let (info, _) = read(der, 0, 0)?;
    let info = children(&info, 0)?;
    match info.first() {
        Some(oid) if oid.tag == OID && oid.content == OID_SIGNED_DATA => {}
        _ => return Err(CmsError::Malformed("non è una busta CMS firmata")),
    }
    let explicit = info.get(1).ok_or(CmsError::Malformed("busta vuota"))?;
    let signed_data = children(explicit, 1)?
        .into_iter()
        .next()
        .ok_or(CmsError::Malformed("busta vuota"))?;
    let parts = children(&signed_data, 2)?;
    let encap = parts
        .get(2)
        .ok_or(CmsError::Malformed("manca il contenuto"))?;
    let encap = children(encap, 3)?;
    let content_type = encap
        .first()
        .filter(|oid| oid.tag == OID)
        .ok_or(CmsError::Malformed("manca il tipo del contenuto"))?
        .content;
    let content = match encap.get(1) {
        Some(explicit) => {
            let inner = children(explicit, 4)?;
            let mut bytes = Vec::new();
            octets(
                inner
                    .first()
                    .ok_or(CmsError::Malformed("contenuto vuoto"))?,
                5,
                &mut bytes,
            )?;
            Some(bytes)
        }
        None => None,
    };
    let signer_infos = parts
        .last()
        .filter(|p| p.tag == SET)
        .ok_or(CmsError::Malformed("mancano i firmatari"))?;
    let signer_infos = children(signer_infos, 3)?;
    if signer_infos.is_empty() {
        return Err(CmsError::Malformed("mancano i firmatari"));
    }
    let certificates = match parts.iter().find(|p| p.tag == CONTEXT_0) {
        Some(set) => children(set, 3)?,
        None => Vec::new(),
    };
    Ok(Envelope {
        content,
        content_type,
        signer_infos,
        certificates,
    })
}

impl Envelope<'_> {
    /// The signed content, when the envelope holds it (not a detached signature).
    pub fn content(&self) -> Option<&[u8]> {
        self.content.as_deref()
    }

    pub fn into_content(self) -> Option<Vec<u8>> {
        self.content
    }

    /// Checks every signer's signature over `content` (the attached content, or the bytes a
    /// detached signature covers); returns the signers in the envelope's order.
    pub fn verify(&self, content: &[u8]) -> Result<Vec<Signer>, CmsError> {
        let digest = Sha256::digest(content);
        self.signer_infos
            .iter()
            .map(|info| self.verify_one(info, digest.as_slice()))
            .collect()
    }

    fn verify_one(&self, info: &Tlv<'_>, digest: &[u8]) -> Result<Signer, CmsError> {
        let unverifiable = CmsError::Unverifiable;
        let fields = children(info, 4)?;
        // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, …
        let uses_sha256 = fields
            .get(2)
            .filter(|f| f.tag == SEQUENCE)
            .and_then(|f| children(f, 5).ok())
            .and_then(|c| c.into_iter().next())
            .is_some_and(|oid| oid.tag == OID && oid.content == OID_SHA256);
        if !uses_sha256 {
            return Err(CmsError::NoDigest);
        }
        let attrs = fields
            .get(3)
            .filter(|f| f.tag == CONTEXT_0)
            .ok_or(CmsError::NoDigest)?;
        if message_digest(attrs)? != digest {
            return Err(CmsError::DigestMismatch);
        }
        let signed_type = attribute(attrs, OID_CONTENT_TYPE)?;
        if signed_type.is_some_and(|t| t.content != self.content_type) {
            return Err(CmsError::BadSignature);
        }
        let algorithm = fields
            .get(4)
            .filter(|f| f.tag == SEQUENCE)
            .and_then(|f| children(f, 5).ok())
            .and_then(|c| c.into_iter().next())
            .map(|oid| oid.content)
            .ok_or(unverifiable("algoritmo di firma mancante"))?;
        if algorithm != OID_RSA && algorithm != OID_SHA256_RSA {
            return Err(unverifiable("algoritmo di firma non RSA (non supportato)"));
        }
        let mut signature = Vec::new();
        octets(
            fields
                .get(5)
                .filter(|f| f.tag == OCTET_STRING)
                .ok_or(unverifiable("valore della firma mancante"))?,
            5,
            &mut signature,
        )?;
        // issuerAndSerialNumber: SEQUENCE { issuer, serialNumber }.
        let sid = fields
            .get(1)
            .filter(|f| f.tag == SEQUENCE)
            .ok_or(unverifiable(
                "firmatario indicato per chiave, non per certificato",
            ))?;
        let sid = children(sid, 5)?;
        let [issuer, serial, ..] = sid.as_slice() else {
            return Err(unverifiable("certificato del firmatario non indicato"));
        };
        if serial.tag != INTEGER {
            return Err(unverifiable("numero di serie del certificato mancante"));
        }
        let certificate = self.certificate(issuer.content, unsigned(serial))?;
        // What was signed is the DER of the attributes under the SET tag, not the envelope's [0].
        verify_rsa(&certificate.key, &encode(SET, attrs.content), &signature)?;
        self.bound(&certificate, attrs)?;
        Ok(certificate.signer)
    }

    /// The envelope's certificate of this issuer and serial number.
    fn certificate(&self, issuer: &[u8], serial: &[u8]) -> Result<Certificate, CmsError> {
        for cert in &self.certificates {
            let parsed = Certificate::parse(cert)?;
            if parsed.serial == serial && same_name(&parsed.issuer, issuer) {
                return Ok(parsed);
            }
        }
        Err(CmsError::Unverifiable(
            "il certificato del firmatario non è nella busta",
        ))
    }

    /// Is the certificate the one the signer signed with? The signed `signingCertificateV2`
    /// attribute names it by its SHA-256; without it, the certificate must carry a valid signature
    /// of an issuer in the envelope (itself, when self-signed). Otherwise its subject — the name
    /// we record — could be altered unseen.
    fn bound(&self, certificate: &Certificate, attrs: &Tlv<'_>) -> Result<(), CmsError> {
        if let Some(hash) = signing_certificate_hash(attrs)? {
            return if Sha256::digest(&certificate.der).as_slice() == hash.as_slice() {
                Ok(())
            } else {
                Err(CmsError::BadSignature)
            };
        }
        for cert in &self.certificates {
            let issuer = Certificate::parse(cert)?;
            if same_name(&issuer.subject, &certificate.issuer) {
                return verify_rsa(&issuer.key, &certificate.tbs, &certificate.signature);
            }
        }
        Err(CmsError::Unverifiable(
            "il certificato del firmatario non è legato alla firma (manca signingCertificateV2)",
        ))
    }
}

/// A certificate's parts the checks need.
struct Certificate {
    /// The whole certificate and its to-be-signed part, DER.
    der: Vec<u8>,
    tbs: Vec<u8>,
    serial: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    key: rsa::RsaPublicKey,
    signature: Vec<u8>,
    signer: Signer,
}

impl Certificate {
    /// Certificate: SEQUENCE { tbsCertificate SEQUENCE { [0] version, serialNumber, signature,
    /// issuer, validity, subject, subjectPublicKeyInfo, … }, signatureAlgorithm, BIT STRING }.
    fn parse(cert: &Tlv<'_>) -> Result<Certificate, CmsError> {
        let unverifiable = CmsError::Unverifiable;
        let parts = children(cert, 4)?;
        let [tbs, _, signature, ..] = parts.as_slice() else {
            return Err(unverifiable("certificato illeggibile"));
        };
        let fields = children(tbs, 5)?;
        let offset = usize::from(fields.first().is_some_and(|f| f.tag == CONTEXT_0));
        let field = |i: usize| {
            fields
                .get(offset + i)
                .ok_or(unverifiable("certificato incompleto"))
        };
        let signature = signature
            .content
            .split_first()
            .filter(|(unused, _)| signature.tag == BIT_STRING && **unused == 0)
            .map(|(_, bits)| bits.to_vec())
            .ok_or(unverifiable("firma del certificato illeggibile"))?;
        Ok(Certificate {
            der: encode(SEQUENCE, cert.content),
            tbs: encode(SEQUENCE, tbs.content),
            serial: unsigned(field(0)?).to_vec(),
            issuer: field(2)?.content.to_vec(),
            subject: field(4)?.content.to_vec(),
            key: rsa_key(field(5)?)?,
            signature,
            signer: signer(field(4)?)?,
        })
    }
}

/// An RSA PKCS#1 v1.5 signature with SHA-256 over `message`.
fn verify_rsa(key: &rsa::RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), CmsError> {
    key.verify(
        rsa::Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(message),
        signature,
    )
    .map_err(|_| CmsError::BadSignature)
}

fn rsa_key(spki: &Tlv<'_>) -> Result<rsa::RsaPublicKey, CmsError> {
    use rsa::{BigUint, RsaPublicKey};
    let unverifiable = CmsError::Unverifiable;
    let spki = children(spki, 6)?;
    let is_rsa = spki
        .first()
        .and_then(|alg| children(alg, 7).ok())
        .and_then(|c| c.into_iter().next())
        .is_some_and(|oid| oid.content == OID_RSA);
    if !is_rsa {
        return Err(unverifiable(
            "chiave del firmatario non RSA (non supportata)",
        ));
    }
    let bits = spki
        .get(1)
        .filter(|b| b.tag == BIT_STRING && b.content.first() == Some(&0))
        .ok_or(unverifiable("chiave pubblica illeggibile"))?;
    let (key, _) = read(&bits.content[1..], 0, 7)?;
    match children(&key, 7)?.as_slice() {
        [n, e, ..] => RsaPublicKey::new(
            BigUint::from_bytes_be(unsigned(n)),
            BigUint::from_bytes_be(unsigned(e)),
        )
        .map_err(|_| unverifiable("chiave pubblica RSA non valida")),
        _ => Err(unverifiable("chiave pubblica illeggibile")),
    }
}

/// Are these two encoded Names (their SEQUENCE content) the same name? Signing tools re-encode
/// names (a PrintableString where the certificate has UTF8String), so each attribute's text is
/// compared, without regard to case or repeated spaces (RFC 5280, 7.1).
fn same_name(a: &[u8], b: &[u8]) -> bool {
    fn key(content: &[u8]) -> Option<Vec<(Vec<u8>, String)>> {
        let name = Tlv {
            tag: SEQUENCE,
            content,
            constructed: true,
        };
        let mut out = Vec::new();
        for rdn in children(&name, 6).ok()? {
            for attribute in children(&rdn, 7).ok()? {
                let parts = children(&attribute, 8).ok()?;
                let [oid, value, ..] = parts.as_slice() else {
                    return None;
                };
                let text = directory_string(value)?;
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push((oid.content.to_vec(), text.to_lowercase()));
            }
        }
        Some(out)
    }
    a == b || matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

/// The signer named by a certificate subject (Name: SEQUENCE OF SET OF { type, value }).
fn signer(subject: &Tlv<'_>) -> Result<Signer, CmsError> {
    let (mut common, mut given, mut surname, mut serial) = (None, None, None, None);
    for rdn in children(subject, 6)? {
        for attribute in children(&rdn, 7)? {
            let parts = children(&attribute, 8)?;
            let [oid, value, ..] = parts.as_slice() else {
                continue;
            };
            let slot = match oid.content {
                OID_COMMON_NAME => &mut common,
                OID_GIVEN_NAME => &mut given,
                OID_SURNAME => &mut surname,
                OID_SERIAL_NUMBER => &mut serial,
                _ => continue,
            };
            *slot = directory_string(value);
        }
    }
    Ok(Signer::from_subject(
        common.as_deref(),
        given.as_deref(),
        surname.as_deref(),
        serial.as_deref(),
    ))
}

/// A DirectoryString's text: UTF-8, printable, IA5 and Teletex (read as Latin-1), BMP (UTF-16).
fn directory_string(value: &Tlv<'_>) -> Option<String> {
    match value.tag {
        0x0c | 0x13 | 0x16 => String::from_utf8(value.content.to_vec()).ok(),
        0x14 => Some(value.content.iter().map(|b| char::from(*b)).collect()),
        0x1e => {
            let units: Vec<u16> = value
                .content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// The first value of the signed attribute `oid`, if present.
fn attribute<'a>(attrs: &Tlv<'a>, oid: &[u8]) -> Result<Option<Tlv<'a>>, CmsError> {
    for attr in children(attrs, 5)? {
        let parts = children(&attr, 6)?;
        if let [name, values, ..] = parts.as_slice() {
            if name.tag == OID && name.content == oid {
                return Ok(children(values, 7)?.into_iter().next());
            }
        }
    }
    Ok(None)
}

/// The `messageDigest` signed attribute.
fn message_digest(attrs: &Tlv<'_>) -> Result<Vec<u8>, CmsError> {
    let value = attribute(attrs, OID_MESSAGE_DIGEST)?.ok_or(CmsError::NoDigest)?;
    let mut digest = Vec::new();
    octets(&value, 8, &mut digest)?;
    Ok(digest)
}

/// The SHA-256 of the signer's certificate named by `signingCertificateV2` (RFC 5035:
/// SEQUENCE { certs SEQUENCE OF ESSCertIDv2 { hashAlgorithm DEFAULT sha256, certHash, … } }).
fn signing_certificate_hash(attrs: &Tlv<'_>) -> Result<Option<Vec<u8>>, CmsError> {
    let Some(value) = attribute(attrs, OID_SIGNING_CERTIFICATE_V2)? else {
        return Ok(None);
    };
    let unreadable = CmsError::Unverifiable("attributo signingCertificateV2 illeggibile");
    let certs = children(&value, 8)?
        .into_iter()
        .next()
        .ok_or(unreadable.clone())?;
    let first = children(&certs, 9)?
        .into_iter()
        .next()
        .ok_or(unreadable.clone())?;
    let id = children(&first, 10)?;
    let hash = match id.as_slice() {
        [algorithm, hash, ..] if algorithm.tag == SEQUENCE => {
            let sha256 = children(algorithm, 11)?
                .first()
                .is_some_and(|oid| oid.content == OID_SHA256);
            if !sha256 {
                return Err(CmsError::Unverifiable(
                    "impronta del certificato non SHA-256 (non supportata)",
                ));
            }
            hash
        }
        [hash, ..] => hash,
        [] => return Err(unreadable),
    };
    let mut out = Vec::new();
    octets(hash, 11, &mut out)?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_envelopes_keep_a_last_byte_that_looks_like_whitespace() {
        // A DER SEQUENCE whose last content byte is a newline, as a signature value may end.
        let der = [0x30, 0x03, 0x04, 0x01, b'\n'];
        let decoded = decode(&der).expect("der");
        assert_eq!(&decoded[..], &der[..]);
        let (tlv, end) = read(&decoded, 0, 0).expect("whole");
        assert_eq!((tlv.content.len(), end), (3, 5));
    }

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
            let opened = decode(input).and_then(|der| open(&der).map(|_| ()));
            assert!(opened.is_err(), "{input:?}");
        }
        let deep: Vec<u8> = std::iter::repeat([0x30u8, 0x80])
            .take(500)
            .flatten()
            .collect();
        assert!(open(&deep).is_err());
    }
}
