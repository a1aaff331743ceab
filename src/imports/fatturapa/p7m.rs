//! Signed FatturaPA files (`.xml.p7m`): a CAdES envelope, binary DER/BER or the same as Base64
//! text. We take the signed XML out of it after checking that it is what the signer signed (see
//! [`crate::imports::signature::cms`]): content altered after signing, or signed attributes forged
//! to match altered content, are refused.

use crate::imports::signature::cms;
pub use crate::imports::signature::cms::{looks_signed, CmsError as P7mError};

/// The signed XML inside the envelope, after checking every signature over it.
pub fn unwrap(bytes: &[u8]) -> Result<Vec<u8>, P7mError> {
    let der = cms::decode(bytes)?;
    let envelope = cms::open(&der)?;
    let xml = envelope
        .content()
        .ok_or(P7mError::Malformed("contenuto staccato dalla firma"))?;
    envelope.verify(xml)?;
    Ok(envelope.into_content().unwrap_or_default())
}
