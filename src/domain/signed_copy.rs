//! The signed copy of a submission's rendiconto: the file the legal representative signed outside
//! rendiconta (PAdES inside the PDF, or CAdES as a `.pdf.p7m`), kept once it is shown to sign
//! exactly the submitted PDF, with who signed it.

use chrono::{DateTime, Utc};

use super::attachment::Digest;
use super::ids::ProjectId;
use super::project::Signatory;

string_enum! {
    /// How the file carries its signature: a CMS envelope holding the PDF (`.pdf.p7m`), or
    /// signatures inside the PDF, each an incremental update.
    SignatureFormat {
        Cades = "cades",
        Pades = "pades",
    }
}

impl SignatureFormat {
    /// The extension a downloaded copy carries.
    pub fn extension(self) -> &'static str {
        match self {
            SignatureFormat::Cades => "pdf.p7m",
            SignatureFormat::Pades => "pdf",
        }
    }
}

/// Who signed, as the signer's certificate names them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    /// The certificate subject's common name (or given name and surname).
    pub name: String,
    /// The subject's `serialNumber` without its `TINIT-` prefix: the codice fiscale in Italian
    /// qualified certificates.
    pub fiscal_code: Option<String>,
}

impl Signer {
    /// From a certificate subject's fields; the `serialNumber` is read as a codice fiscale when it
    /// carries the Italian prefix (`TINIT-`, or the older `IT:`), kept as written otherwise.
    pub fn from_subject(
        common_name: Option<&str>,
        given_name: Option<&str>,
        surname: Option<&str>,
        serial_number: Option<&str>,
    ) -> Signer {
        let name = match (common_name, given_name, surname) {
            (Some(cn), _, _) if !cn.trim().is_empty() => cn.trim().to_owned(),
            (_, Some(g), Some(s)) => format!("{} {}", g.trim(), s.trim()),
            _ => "(nome non indicato nel certificato)".to_owned(),
        };
        let fiscal_code = serial_number
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let upper = s.to_uppercase();
                ["TINIT-", "IT:"]
                    .iter()
                    .find_map(|p| upper.strip_prefix(p).map(str::to_owned))
                    .unwrap_or(upper)
            });
        Signer { name, fiscal_code }
    }

    /// Is this the submission's signatory? By codice fiscale when both have one; by name (words
    /// in any order, any case: certificates write "ROSSI MARIO") otherwise.
    pub fn is(&self, signatory: &Signatory) -> bool {
        if let (Some(ours), Some(theirs)) = (&signatory.tax_code, &self.fiscal_code) {
            return ours.as_str().eq_ignore_ascii_case(theirs);
        }
        signatory
            .name
            .as_deref()
            .is_some_and(|name| words(name) == words(&self.name))
    }
}

fn words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    words.sort();
    words
}

/// A signed copy checked and ready to be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignedCopy {
    pub format: SignatureFormat,
    pub size: i64,
    pub digest: Digest,
    /// Every signature's signer, outermost (latest) last.
    pub signers: Vec<Signer>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignedCopy {
    pub id: i64,
    pub project_id: ProjectId,
    pub submission_id: i64,
    pub format: SignatureFormat,
    pub size: i64,
    pub digest: Digest,
    pub signers: Vec<Signer>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

impl SignedCopy {
    /// The name it downloads under: `rendiconto_firmato_<submission>_<n>.pdf[.p7m]`.
    pub fn file_name(&self) -> String {
        format!(
            "rendiconto_firmato_{}_{}.{}",
            self.submission_id,
            self.id,
            self.format.extension()
        )
    }

    /// Whether none of its signers is the submission's signatory (a warning, not a refusal: a
    /// delegate may sign).
    pub fn signed_by_other_than(&self, signatory: &Signatory) -> bool {
        !self.signers.iter().any(|s| s.is(signatory))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::codes::CodiceFiscale;

    fn signatory(name: &str, cf: Option<&str>) -> Signatory {
        Signatory {
            name: Some(name.into()),
            role: None,
            place: None,
            tax_code: cf.map(|c| CodiceFiscale::parse(c).expect("valid codice fiscale")),
        }
    }

    #[test]
    fn the_italian_prefix_is_taken_off_the_serial_number() {
        let s = Signer::from_subject(
            Some("Mario Rossi"),
            None,
            None,
            Some("TINIT-RSSMRA70A01H501S"),
        );
        assert_eq!(s.fiscal_code.as_deref(), Some("RSSMRA70A01H501S"));
        let s = Signer::from_subject(
            None,
            Some("Mario"),
            Some("Rossi"),
            Some("IT:rssmra70a01h501s"),
        );
        assert_eq!(s.name, "Mario Rossi");
        assert_eq!(s.fiscal_code.as_deref(), Some("RSSMRA70A01H501S"));
    }

    #[test]
    fn the_signatory_is_known_by_codice_fiscale_first_then_by_name() {
        let s = Signer::from_subject(
            Some("ROSSI MARIO"),
            None,
            None,
            Some("TINIT-RSSMRA70A01H501S"),
        );
        assert!(s.is(&signatory("Mario Rossi", Some("RSSMRA70A01H501S"))));
        assert!(s.is(&signatory("Mario Rossi", None)));
        // A homonym with another codice fiscale is someone else.
        assert!(!s.is(&signatory("Mario Rossi", Some("RSSMRA85T10A562S"))));
        assert!(!s.is(&signatory("Maria Rossi", None)));
    }
}
