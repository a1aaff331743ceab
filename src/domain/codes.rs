//! Italian administrative identifiers, each parsed once into a type that can only hold a valid
//! value: partita IVA (with its check digit), codice fiscale, foreign VAT ids, CUP and CIG.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("wrong length")]
    Length,
    #[error("invalid characters")]
    Characters,
    #[error("check digit does not match")]
    CheckDigit,
}

impl CodeError {
    pub fn code(self, kind: &str) -> String {
        match self {
            CodeError::Length => format!("{kind}_length"),
            CodeError::Characters => format!("{kind}_characters"),
            CodeError::CheckDigit => format!("{kind}_check_digit"),
        }
    }
}

fn normalise(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

/// An Italian partita IVA: 11 digits whose last is a Luhn-style check digit (the `IT` prefix is
/// accepted on input and dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartitaIva(String);

impl PartitaIva {
    pub fn parse(raw: &str) -> Result<PartitaIva, CodeError> {
        let s = normalise(raw);
        let digits = s.strip_prefix("IT").unwrap_or(&s);
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Characters);
        }
        if digits.len() != 11 {
            return Err(CodeError::Length);
        }
        if check_digit_11(digits) {
            Ok(PartitaIva(digits.to_owned()))
        } else {
            Err(CodeError::CheckDigit)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check of an 11-digit partita IVA (also the codice fiscale of companies and public bodies).
fn check_digit_11(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..10]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if i % 2 == 0 {
                v
            } else {
                let doubled = v * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            }
        })
        .sum();
    (10 - sum % 10) % 10 == d[10]
}

/// A natural person's codice fiscale: 16 characters with a check letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodiceFiscale(String);

impl CodiceFiscale {
    pub fn parse(raw: &str) -> Result<CodiceFiscale, CodeError> {
        let s = normalise(raw);
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CodeError::Characters);
        }
        if s.len() != 16 {
            return Err(CodeError::Length);
        }
        // The odd-position values of the official algorithm, indexed by digit or letter.
        const ODD: [u32; 26] = [
            1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25,
            24, 23,
        ];
        let bytes = s.as_bytes();
        let mut sum = 0u32;
        for (i, &b) in bytes[..15].iter().enumerate() {
            let index = if b.is_ascii_digit() {
                b - b'0'
            } else {
                b - b'A'
            };
            sum += if i % 2 == 0 {
                ODD[usize::from(index)]
            } else {
                u32::from(index)
            };
        }
        let expected = b'A' + u8::try_from(sum % 26).unwrap_or(0);
        if bytes[15] == expected {
            Ok(CodiceFiscale(s))
        } else {
            Err(CodeError::CheckDigit)
        }
    }
}

impl CodiceFiscale {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CodiceFiscale {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A certified e-mail address (PEC), where an entity receives the Region's communications: one
/// `@`, a domain with a dot, no spaces; kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pec(String);

impl Pec {
    pub fn parse(raw: &str) -> Result<Pec, CodeError> {
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err(CodeError::Length);
        }
        let well_formed = s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
        if !well_formed || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CodeError::Characters);
        }
        Ok(Pec(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Pec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Who issued a document: an Italian partita IVA, a foreign VAT id with its country prefix
/// (format only: no check is public for every country), or a person's codice fiscale.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaxId {
    ItalianVat(PartitaIva),
    ForeignVat(String),
    CodiceFiscale(CodiceFiscale),
}

impl TaxId {
    pub fn parse(raw: &str) -> Result<TaxId, CodeError> {
        let s = normalise(raw);
        let bytes = s.as_bytes();
        let has_country_prefix = bytes.len() > 2 && bytes[..2].iter().all(u8::is_ascii_alphabetic);
        if s.len() == 16 && !s.starts_with("IT") {
            return CodiceFiscale::parse(&s).map(TaxId::CodiceFiscale);
        }
        if has_country_prefix && !s.starts_with("IT") {
            let rest = &s[2..];
            if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(CodeError::Characters);
            }
            if !(2..=13).contains(&rest.len()) {
                return Err(CodeError::Length);
            }
            return Ok(TaxId::ForeignVat(s));
        }
        PartitaIva::parse(&s).map(TaxId::ItalianVat)
    }

    /// The canonical form stored and shown: 11 digits for Italy, the prefixed id otherwise.
    pub fn as_str(&self) -> &str {
        match self {
            TaxId::ItalianVat(p) => p.as_str(),
            TaxId::ForeignVat(s) => s,
            TaxId::CodiceFiscale(c) => &c.0,
        }
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TaxId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

macro_rules! fixed_code {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const LENGTH: usize = $len;

            pub fn parse(raw: &str) -> Result<$name, CodeError> {
                let s = normalise(raw);
                if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(CodeError::Characters);
                }
                if s.len() != Self::LENGTH {
                    return Err(CodeError::Length);
                }
                Ok($name(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

fixed_code!(
    /// Codice Unico di Progetto: 15 alphanumerics.
    Cup,
    15
);
fixed_code!(
    /// Codice Identificativo di Gara (L. 136/2010): 10 alphanumerics.
    Cig,
    10
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partita_iva_checks_its_digit() {
        // Real partite IVA of public bodies and companies.
        for good in [
            "01234567897",
            "IT00484960588",
            "it02182030391",
            "03024440368",
        ] {
            assert!(PartitaIva::parse(good).is_ok(), "{good}");
        }
        assert_eq!(PartitaIva::parse("01234567890"), Err(CodeError::CheckDigit));
        assert_eq!(PartitaIva::parse("0123456789"), Err(CodeError::Length));
        assert_eq!(PartitaIva::parse("0123456789A"), Err(CodeError::Characters));
        assert_eq!(
            PartitaIva::parse("IT00484960588").map(|p| p.as_str().to_owned()),
            Ok("00484960588".into())
        );
    }

    #[test]
    fn tax_ids_cover_foreign_vat_and_codice_fiscale() {
        assert!(matches!(
            TaxId::parse("IE6388047V"),
            Ok(TaxId::ForeignVat(_))
        ));
        assert!(matches!(
            TaxId::parse("RSSMRA85T10A562S"),
            Ok(TaxId::CodiceFiscale(_))
        ));
        assert_eq!(TaxId::parse("RSSMRA85T10A562T"), Err(CodeError::CheckDigit));
        assert!(matches!(
            TaxId::parse("IT01234567897"),
            Ok(TaxId::ItalianVat(_))
        ));
        assert_eq!(TaxId::parse("IT01234567890"), Err(CodeError::CheckDigit));
        assert_eq!(TaxId::parse("DE1"), Err(CodeError::Length));
    }

    #[test]
    fn cup_and_cig_have_fixed_lengths() {
        assert!(Cup::parse("E61B20000450002").is_ok());
        assert_eq!(Cup::parse("E61B2000045000"), Err(CodeError::Length));
        assert_eq!(Cup::parse("E61B2000045000-"), Err(CodeError::Characters));
        assert_eq!(
            Cig::parse("z1a2b3c4d5").map(|c| c.to_string()),
            Ok("Z1A2B3C4D5".into())
        );
        assert_eq!(Cig::parse("Z1A2B3C4D"), Err(CodeError::Length));
    }
}
