//! Signed files: CMS envelopes ([`cms`], shared with the FatturaPA `.p7m` importer) and the check
//! that a signed copy of a submission's rendiconto signs exactly the submitted PDF — as a CAdES
//! `.pdf.p7m` (the PDF inside, byte for byte; a `.p7m` of a `.p7m` or of a PAdES PDF is a
//! countersignature, each layer checked) or as a PAdES PDF (signatures appended as incremental
//! updates to the submitted PDF, the latest covering the whole file).
//!
//! Not checked: the certificates' chain of trust and their revocation (they need the AgID trust
//! list and network access); nor which objects a PAdES update redefines after the submitted bytes.

mod ber;
pub mod cms;
mod pades;

use crate::domain::signed_copy::{SignatureFormat, Signer};

/// Why a file is not a signed copy of the submission, in Italian; `code` is the API's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedCopyError {
    #[error(
        "il file non è firmato digitalmente: né un PDF con firma (PAdES) né una busta .p7m (CAdES)"
    )]
    NotSigned,
    #[error(
        "il documento firmato non è il rendiconto di questa presentazione: il PDF firmato deve \
         essere, byte per byte, quello scaricato dalla presentazione"
    )]
    OtherDocument,
    #[error("il file è stato modificato dopo l'ultima firma: la firma non copre tutto il file")]
    NotCovered,
    #[error(
        "firma staccata (.p7s) senza il documento: carica la busta .p7m che contiene il PDF, o il \
         PDF firmato"
    )]
    Detached,
    #[error("file firmato illeggibile: {0}")]
    Malformed(&'static str),
    #[error("{0}")]
    Signature(#[from] cms::CmsError),
}

impl SignedCopyError {
    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        use cms::CmsError;
        match self {
            SignedCopyError::NotSigned => "signed_copy_not_signed",
            SignedCopyError::OtherDocument => "signed_copy_other_document",
            SignedCopyError::NotCovered => "signed_copy_not_covered",
            SignedCopyError::Detached => "signed_copy_detached",
            SignedCopyError::Malformed(_) | SignedCopyError::Signature(CmsError::Malformed(_)) => {
                "signed_copy_malformed"
            }
            SignedCopyError::Signature(CmsError::DigestMismatch) => "signed_copy_altered",
            SignedCopyError::Signature(CmsError::BadSignature) => "signed_copy_bad_signature",
            SignedCopyError::Signature(CmsError::NoDigest | CmsError::Unverifiable(_)) => {
                "signed_copy_unverifiable"
            }
        }
    }
}

/// A signed copy that passed: how it is signed and by whom (innermost signer first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub format: SignatureFormat,
    pub signers: Vec<Signer>,
}

/// How many envelopes inside one another a countersigned `.p7m` may have.
const MAX_LAYERS: usize = 4;

/// Checks that `upload` is `submitted` (the submission's PDF) signed, and says by whom.
pub fn check(submitted: &[u8], upload: &[u8]) -> Result<Verified, SignedCopyError> {
    check_layer(submitted, upload, 0)
}

fn check_layer(submitted: &[u8], upload: &[u8], layer: usize) -> Result<Verified, SignedCopyError> {
    if pades::is_pdf(upload) {
        let signers = pades::check(submitted, upload)?;
        return Ok(Verified {
            format: SignatureFormat::Pades,
            signers,
        });
    }
    if !cms::looks_signed(upload) {
        return Err(SignedCopyError::NotSigned);
    }
    let der = cms::decode(upload).map_err(|_| SignedCopyError::NotSigned)?;
    let envelope = cms::open(&der)?;
    let content = envelope.content().ok_or(SignedCopyError::Detached)?;
    let outer = envelope.verify(content)?;
    let mut signers = if content == submitted {
        Vec::new()
    } else if layer + 1 < MAX_LAYERS && (pades::is_pdf(content) || cms::looks_signed(content)) {
        match check_layer(submitted, content, layer + 1) {
            Ok(inner) => inner.signers,
            // A PDF inside that is neither the submitted one nor a signed copy of it.
            Err(SignedCopyError::NotSigned) => return Err(SignedCopyError::OtherDocument),
            Err(e) => return Err(e),
        }
    } else {
        return Err(SignedCopyError::OtherDocument);
    };
    signers.extend(outer);
    Ok(Verified {
        format: SignatureFormat::Cades,
        signers,
    })
}
